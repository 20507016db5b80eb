/* SPDX-License-Identifier: MIT */
/*
 * The verify-root state: the newest root slot whose signed root hash
 * verifies is opened through dm-verity and mounted read-only on /sysroot;
 * a slot that fails anything falls back to the next.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "boot_count.h"
#include "fileio.h"
#include "lock.h"
#include "log.h"
#include "luks.h"
#include "os_release.h"
#include "paths.h"
#include "repart_apply.h"
#include "repart_conf.h"
#include "root.h"
#include "rootsig.h"
#include "slot_sigs.h"
#include "slots.h"
#include "switchroot.h"
#include "tpm2.h"
#include "util.h"
#include "verity.h"

#define ROOT_DM_NAME "root"
#define TRUSTED_CERTS_DIR "/etc/rampart/trusted"
#define OS_RELEASE_READ_MAX (64 * 1024)

static void sig_refused(struct boot *b, const struct partition *sig, enum refusal_id id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void record_slot_refusal(struct boot *b, const char *label, enum refusal_id id, const char *fmt, va_list ap)
{
	struct slot_refusal *r;

	if (b->n_slot_refusals == ARRAY_SIZE(b->slot_refusals))
		return;
	r = &b->slot_refusals[b->n_slot_refusals++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	r->id = id;
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	log_error("refused slot %s [%s]: %s", r->label[0] ? r->label : "(no label)", refusal_name(r->id), r->reason);
}

static void slot_refused(struct boot *b, const struct slot *s, enum refusal_id id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void slot_refused(struct boot *b, const struct slot *s, enum refusal_id id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_slot_refusal(b, s->label, id, fmt, ap);
	va_end(ap);
}

/* A signature partition that names no slot; by its own label, the only one it has. */
static void sig_refused(struct boot *b, const struct partition *sig, enum refusal_id id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_slot_refusal(b, sig->label, id, fmt, ap);
	va_end(ap);
}

static void unusable_sig(void *userdata, const struct partition *sig, bool unreadable, const char *why)
{
	sig_refused(userdata, sig, unreadable ? REFUSE_SIG_UNREADABLE : REFUSE_SIG_MALFORMED, "%s: %s", sig->devnode,
		    why);
}

/* A signature naming partitions that are not there is refused; the rest is no slot, nothing wrong. */
static void skipped_slot(void *userdata, enum slot_skip kind, const struct partition *p, const char *why)
{
	struct boot *b = userdata;

	if (kind == SLOT_SKIP_UNPAIRED)
		sig_refused(b, p, REFUSE_SIG_UUID_MISMATCH, "%s: %s", p->devnode, why);
	else
		log_info("slot %s on %s not considered: %s: %s", p->label[0] ? p->label : "(no label)", b->boot_disk,
			 p->devnode, why);
}

/* A slot that fails after its mapping opened gives it up for the next slot. */
static void close_root_mapping(void)
{
	int r = mapping_close(ROOT_DM_NAME);

	if (r < 0)
		log_warning("cannot close /dev/mapper/%s: %s", ROOT_DM_NAME, strerror(-r));
}

static int check_image(struct boot *b, const struct slot *s, uint32_t floor);
static int count_try(struct boot *b, const struct slot *s);

/* Verifies, activates and mounts one slot; on failure records why and undoes what it did. */
static int try_slot(struct boot *b, const struct slot *s, const struct trust_store *trust, uint32_t floor)
{
	const struct root_signature *sig = s->doc;
	struct reason why = { "" };
	struct stat st;
	int r;

	/* Paired by these UUIDs; checked again where the decision is made. */
	r = rootsig_check_uuids(sig, s->root->uuid, s->verity->uuid, &why);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SIG_UUID_MISMATCH, "%s: %s", s->sig->devnode, why.text);
		return r;
	}
	r = rootsig_verify(sig, trust, &why);
	if (r < 0) {
		slot_refused(b, s, r == -ENOKEY ? REFUSE_SIG_UNTRUSTED : REFUSE_SIG_BAD, "%s: %s", s->sig->devnode,
			     why.text);
		return r;
	}
	log_info("slot %s: root hash %s signed by a trusted certificate", s->label, sig->root_hash_hex);

	boot_modules_ready(b, MODULES_FOR_ROOT);
	r = verity_open(ROOT_DM_NAME, s->root->devnode, s->verity->devnode, sig->root_hash, sig->root_hash_len,
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
		goto give_up;
	}
	r = check_image(b, s, floor);
	if (r < 0)
		goto give_up;
	if (stat(NEW_ROOT, &st) < 0) {
		r = -errno;
		slot_refused(b, s, REFUSE_ROOT_MOUNT, "%s: %s", NEW_ROOT, strerror(-r));
		goto give_up;
	}
	/* Last: a try is spent only on a slot that is about to boot. */
	r = count_try(b, s);
	if (r < 0)
		goto give_up;
	b->root_dev = st.st_dev;
	b->root_part = s->root;
	snprintf(b->root_label, sizeof(b->root_label), "%s", s->label);
	snprintf(b->root_hash, sizeof(b->root_hash), "%s", sig->root_hash_hex);
	return 0;

give_up:
	umount2(NEW_ROOT, MNT_DETACH);
	close_root_mapping();
	return r;
}

/*
 * What the slot's verified root says about itself (os-release, read beneath
 * the new root): its IMAGE_VERSION must be the version its label claims,
 * if it claims one, since labels are not signed and slots are ordered by
 * them, and its
 * RAMPART_SECURITY_VERSION must not be below the rollback floor.
 */
static int check_image(struct boot *b, const struct slot *s, uint32_t floor)
{
	static const char *const paths[] = { "usr/lib/os-release", "etc/os-release" };
	_cleanup_close_ int root_fd = open(NEW_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	struct reason why = { "" };
	struct os_release osr;
	char label_buf[GPT_LABEL_MAX];
	const char *claimed = slot_label_version(s->label, label_buf);
	size_t len = 0;
	int r = -ENOENT;

	if (root_fd < 0)
		r = -errno;
	for (size_t i = 0; root_fd >= 0 && r == -ENOENT && i < ARRAY_SIZE(paths); i++)
		r = read_full_at(root_fd, paths[i], OS_RELEASE_READ_MAX, READ_FULL_REGULAR | READ_FULL_IN_ROOT, &text,
				 &len);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SLOT_VERSION_MISMATCH, "the root has no readable os-release: %s",
			     strerror(-r));
		return r;
	}
	r = os_release_parse(text, len, &osr, &why);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SLOT_VERSION_MISMATCH, "the root's os-release: %s", why.text);
		return r;
	}
	/* A label that claims no version (systemd-repart's "root-x86-64") sorts last and is not checked. */
	if (claimed[0] && strcmp(osr.image_version, claimed) != 0) {
		slot_refused(b, s, REFUSE_SLOT_VERSION_MISMATCH,
			     "the label claims version \"%s\", the signed root's os-release says IMAGE_VERSION=\"%s\"",
			     claimed, osr.image_version);
		return -EBADMSG;
	}
	if (osr.security_version < floor) {
		slot_refused(b, s, REFUSE_SLOT_BELOW_FLOOR, "security version %u is below the rollback floor %u",
			     osr.security_version, floor);
		return -EPERM;
	}
	b->root_security_version = osr.security_version;
	return 0;
}

/* A slot on trial spends a try before it boots (lib/boot_count.h), in one GPT write. */
static int count_try(struct boot *b, const struct slot *s)
{
	uint64_t before, after;
	unsigned left;
	int r;

	b->root_good = boot_count_state(s->root->attrs, NULL) == BOOT_COUNT_GOOD;
	if (b->root_good)
		return 0;
	r = gpt_update_attrs(b->boot_disk, s->root->number, boot_count_try, &before, &after);
	if (r < 0) {
		slot_refused(b, s, REFUSE_SLOT_COUNT, "%s: cannot record the try: %s", s->root->devnode, strerror(-r));
		return r;
	}
	boot_count_state(after, &left);
	if (boot_count_state(before, NULL) != BOOT_COUNT_TRIAL_LEFT) {
		/* The table changed under us (mark-bad from another system?): not this boot's slot. */
		slot_refused(b, s, REFUSE_SLOT_TRIES_EXHAUSTED, "no tries left when the try was recorded");
		return -ESTALE;
	}
	log_notice("slot %s is on trial: this boot spends a try, %u left after it", s->label, left);
	return 0;
}

/* Whether the boot disk has a /var or /var/tmp that has held data (not pending). */
static bool provisioned_volumes(const struct boot *b)
{
	static const enum part_role roles[] = { ROLE_VAR, ROLE_TMP };

	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		const struct partition *p = boot_disk_partition(b, roles[i]);

		if (p && !repart_pending_final(p->label))
			return true;
	}
	return false;
}

/*
 * The rollback floor (lib/volume_record.h) from the TPM's record.  Only a
 * machine that was never provisioned boots without one (floor 0).  With
 * provisioned volumes, a record that is missing, foreign or unreadable
 * leaves the floor unknown: refused here, before a slot is chosen or
 * anything (tries, partitions) written to the disk.
 */
static int rollback_floor(struct boot *b, uint32_t *floor)
{
	*floor = 0;
	if (boot_record_read(b) >= 0) {
		*floor = b->storage.record.rollback_floor;
		return 0;
	}
	if (!provisioned_volumes(b)) {
		log_info("no rollback floor: %s (no provisioned volumes: a first boot)",
			 reason_or(&b->storage.record_why, "no record"));
		return 0;
	}
	if (!b->storage.tpm)
		return boot_refuse(b, REFUSE_TPM_MISSING, TPM2_DEVICE_PATH, 0,
				   "no usable TPM: the rollback floor and the storage key cannot be had");
	if (b->storage.record_state == -ESTALE && b->opts.n_recovery_pcr7)
		return boot_refuse(b, REFUSE_TPM_PCR_MISMATCH, boot_record_name(), 0,
				   "written under neither the current PCR 7 nor a value rampart.recovery=prompt: names "
				   "(replaced since?); the rollback floor and the storage key cannot be had, no slot booted");
	/* A stale record proves nothing by itself: only the PCR 7 value it was written under, named by the signed command line. */
	if (b->storage.record_state == -ESTALE && b->opts.recovery_prompt)
		return boot_refuse(b, REFUSE_TPM_PCR_MISMATCH, boot_record_name(), 0,
				   "written under another PCR 7; to recover, rampart.recovery=prompt: must name that value "
				   "(pcr7_before_lock of a boot report before the change); no slot booted");
	if (b->storage.record_state == -ESTALE)
		return boot_refuse(b, REFUSE_TPM_PCR_MISMATCH, boot_record_name(), 0,
				   "%s; the rollback floor and the storage key cannot be had, no slot booted",
				   b->storage.record_why.text);
	return boot_refuse(b, REFUSE_STORAGE_RECORD, boot_record_name(), 0,
			   "no valid record of the volumes this machine provisioned: %s; the rollback floor is "
			   "unknown, no slot booted", b->storage.record_why.text);
}

/* The trusted certificates, for rampart update in the OS (a copy: the initramfs goes away). */
static int hand_over_trust(void)
{
	_cleanup_(closedirp) DIR *d = opendir(TRUSTED_CERTS_DIR);
	struct dirent *e;

	if (!d)
		return -errno;
	if (mkdir(TRUSTED_HANDOVER_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	while ((e = readdir(d))) {
		_cleanup_free_ char *data = NULL;
		_cleanup_fclose_ FILE *f = NULL;
		char src[512], dst[512];
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", TRUSTED_CERTS_DIR, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", TRUSTED_HANDOVER_DIR, e->d_name);
		if (read_full(src, 1 << 20, READ_FULL_REGULAR, &data, &len) < 0)
			continue;
		f = fopen(dst, "we");
		if (!f || fwrite(data, 1, len, f) != len)
			return -EIO;
	}
	return 0;
}

/*
 * Tells the running OS which partition it booted from (rampart mark-good,
 * mark-bad, update) and what signatures the boot trusts (rampart update).
 */
static void hand_over_slot(const struct boot *b)
{
	_cleanup_fclose_ FILE *f = NULL;

	if (mkdir(RAMPART_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return;
	f = fopen(ROOT_SLOT_HANDOVER, "we");
	if (!f || fprintf(f, "%s %d\n", b->boot_disk, b->root_part->number) < 0)
		log_warning("cannot write %s: mark-good and mark-bad will not find the slot", ROOT_SLOT_HANDOVER);
	if (hand_over_trust() < 0)
		log_warning("cannot copy the trusted certificates to %s: rampart update will refuse", TRUSTED_HANDOVER_DIR);
}

/*
 * Nothing in a root is used before its signature verified and the kernel
 * checks it through dm-verity.  Slots are tried newest first; a slot that
 * fails anything falls back to the next.
 */
int state_verify_root(void *ctx)
{
	struct boot *b = ctx;
	/* The documents are needed only here; the slots keep their partitions. */
	_cleanup_(slot_sigs_freep) struct slot_sig_set *sigs = &b->sigs;
	_cleanup_(trust_store_freep) struct trust_store *trust = NULL;
	uint32_t floor;
	int r;

	slot_sigs_read(sigs, b->table.parts, b->table.n, b->boot_disk, unusable_sig, b);
	b->n_slots = slots_collect(b->table.parts, b->table.n, b->boot_disk, sigs->sigs, sigs->n, b->slots,
				   SLOTS_MAX, skipped_slot, b);
	if (b->n_slots == 0)
		return boot_refuse(b, REFUSE_NO_ROOT_SLOT, b->boot_disk, 0,
				   "no complete root slot (a root-verity-sig partition and the root and root-verity "
				   "partitions its root hash names)");

	r = trust_store_load_dir(&trust, TRUSTED_CERTS_DIR);
	if (r < 0)
		return boot_refuse(b, REFUSE_TRUST_STORE, TRUSTED_CERTS_DIR, r, "no usable trusted certificate");
	if (mkdir(NEW_ROOT, 0755) < 0 && errno != EEXIST)
		return boot_refuse(b, REFUSE_ROOT_MOUNT, NEW_ROOT, errno, "cannot create the mount point");

	if (rollback_floor(b, &floor) != 0)
		return ST_FAILED;
	for (size_t i = 0; i < b->n_slots; i++) {
		const struct slot *s = &b->slots[i];

		if (boot_count_state(s->root->attrs, NULL) == BOOT_COUNT_TRIAL_EXHAUSTED)
			slot_refused(b, s, REFUSE_SLOT_TRIES_EXHAUSTED,
				     "on trial since an update, and out of tries without being marked good");
		if (boot_count_state(s->root->attrs, NULL) == BOOT_COUNT_TRIAL_EXHAUSTED ||
		    try_slot(b, s, trust, floor) < 0) {
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
		hand_over_slot(b);
		return ST_REPART;
	}
	return boot_refuse(b, REFUSE_NO_ROOT_VERIFIES, b->boot_disk, 0, "none of the %zu root slots could be verified",
			   b->n_slots);
}
