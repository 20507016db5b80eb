/* SPDX-License-Identifier: MIT */
/*
 * The verify-root state: the newest root slot whose signed root hash
 * verifies is opened through dm-verity and mounted read-only on /sysroot;
 * a slot that fails anything falls back to the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "fileio.h"
#include "log.h"
#include "luks.h"
#include "root.h"
#include "rootsig.h"
#include "switchroot.h"
#include "util.h"
#include "verity.h"

#define ROOT_DM_NAME "root"
#define TRUSTED_CERTS_DIR "/etc/rampart/trusted"
/* Signature documents are a few KiB; read enough to tell an oversized one. */
#define SIG_READ_MAX (128 * 1024)

static void skipped_slot(void *userdata, const char *label, const char *why)
{
	struct boot *b = userdata;

	log_info("slot %s on %s not considered: %s", label[0] ? label : "(no label)", b->boot_disk, why);
}

static void slot_refused(struct boot *b, const struct slot *s, enum refusal_id id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void slot_refused(struct boot *b, const struct slot *s, enum refusal_id id, const char *fmt, ...)
{
	struct slot_refusal *r;
	va_list ap;

	if (b->n_slot_refusals == ARRAY_SIZE(b->slot_refusals))
		return;
	r = &b->slot_refusals[b->n_slot_refusals++];
	snprintf(r->label, sizeof(r->label), "%s", s->label);
	r->id = id;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	log_error("refused slot %s [%s]: %s", r->label, refusal_name(r->id), r->reason);
}

/* A slot that fails after its mapping opened gives it up for the next slot. */
static void close_root_mapping(void)
{
	int r = mapping_close(ROOT_DM_NAME);

	if (r < 0)
		log_warning("cannot close /dev/mapper/%s: %s", ROOT_DM_NAME, strerror(-r));
}

/* Verifies, activates and mounts one slot; on failure records why and undoes what it did. */
static int try_slot(struct boot *b, const struct slot *s, const struct trust_store *trust)
{
	_cleanup_free_ char *doc = NULL;
	_cleanup_(rootsig_free) struct root_signature sig = { .root_hash_len = 0 };
	struct reason why = { "" };
	struct stat st;
	size_t len = 0;
	int r;

	r = read_full(s->sig->devnode, s->sig->size < SIG_READ_MAX ? (size_t)s->sig->size : SIG_READ_MAX, 0,
		      &doc, &len);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SIG_UNREADABLE, "%s: %s", s->sig->devnode, strerror(-r));
		return r;
	}
	r = rootsig_parse(doc, len, &sig, &why);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SIG_MALFORMED, "%s: %s", s->sig->devnode, why.text);
		return r;
	}
	r = rootsig_check_uuids(&sig, s->root->uuid, s->verity->uuid, &why);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SIG_UUID_MISMATCH, "%s: %s", s->sig->devnode, why.text);
		return r;
	}
	r = rootsig_verify(&sig, trust, &why);
	if (r < 0) {
		slot_refused(b, s, r == -ENOKEY ? REFUSE_SIG_UNTRUSTED : REFUSE_SIG_BAD, "%s: %s", s->sig->devnode,
			     why.text);
		return r;
	}
	log_info("slot %s: root hash %s signed by a trusted certificate", s->label, sig.root_hash_hex);

	r = verity_open(ROOT_DM_NAME, s->root->devnode, s->verity->devnode, sig.root_hash, sig.root_hash_len,
			&why);
	if (r < 0) {
		slot_refused(b, s, REFUSE_VERITY_OPEN, "%s: %s: %s", s->verity->devnode,
			     reason_or(&why, "cannot open"), strerror(-r));
		return r;
	}
	if (mount("/dev/mapper/" ROOT_DM_NAME, NEW_ROOT, "erofs", MS_RDONLY, NULL) < 0) {
		r = -errno;
		slot_refused(b, s, REFUSE_ROOT_MOUNT, "/dev/mapper/%s (erofs): %s", ROOT_DM_NAME, strerror(-r));
		close_root_mapping();
		return r;
	}
	r = root_init_executable(NEW_ROOT, b->opts.init);
	if (r < 0) {
		slot_refused(b, s, REFUSE_ROOT_INIT, "%s in the root cannot be executed: %s", b->opts.init,
			     strerror(-r));
		umount2(NEW_ROOT, MNT_DETACH);
		close_root_mapping();
		return r;
	}
	if (stat(NEW_ROOT, &st) < 0) {
		r = -errno;
		slot_refused(b, s, REFUSE_ROOT_MOUNT, "%s: %s", NEW_ROOT, strerror(-r));
		umount2(NEW_ROOT, MNT_DETACH);
		close_root_mapping();
		return r;
	}
	b->root_dev = st.st_dev;
	snprintf(b->root_label, sizeof(b->root_label), "%s", s->label);
	snprintf(b->root_hash, sizeof(b->root_hash), "%s", sig.root_hash_hex);
	return 0;
}

/*
 * Nothing in a root is used before its signature verified and the kernel
 * checks it through dm-verity.  Slots are tried newest first; a slot that
 * fails anything falls back to the next.
 */
int state_verify_root(void *ctx)
{
	struct boot *b = ctx;
	_cleanup_(trust_store_freep) struct trust_store *trust = NULL;
	int r;

	b->n_slots = slots_collect(b->table.parts, b->table.n, b->boot_disk, b->slots, SLOTS_MAX,
				   skipped_slot, b);
	if (b->n_slots == 0)
		return boot_refuse(b, REFUSE_NO_ROOT_SLOT, b->boot_disk, 0,
				   "no complete root slot (root, root-verity, root-verity-sig with one label)");

	r = trust_store_load_dir(&trust, TRUSTED_CERTS_DIR);
	if (r < 0)
		return boot_refuse(b, REFUSE_TRUST_STORE, TRUSTED_CERTS_DIR, r, "no usable trusted certificate");
	if (mkdir(NEW_ROOT, 0755) < 0 && errno != EEXIST)
		return boot_refuse(b, REFUSE_ROOT_MOUNT, NEW_ROOT, errno, "cannot create the mount point");

	for (size_t i = 0; i < b->n_slots; i++) {
		if (try_slot(b, &b->slots[i], trust) < 0) {
			if (i + 1 < b->n_slots)
				log_notice("falling back from slot %s to slot %s", b->slots[i].label,
					   b->slots[i + 1].label);
			continue;
		}
		if (i == 0)
			snprintf(b->root_choice, sizeof(b->root_choice), "newest of %zu slots", b->n_slots);
		else
			snprintf(b->root_choice, sizeof(b->root_choice), "fallback: %zu newer slot(s) refused", i);
		log_notice("root: slot %s (%s), /dev/mapper/%s mounted read-only on %s", b->root_label,
			   b->root_choice, ROOT_DM_NAME, NEW_ROOT);
		return ST_REPART;
	}
	return boot_refuse(b, REFUSE_NO_ROOT_VERIFIES, b->boot_disk, 0, "none of the %zu root slots could be verified",
			   b->n_slots);
}
