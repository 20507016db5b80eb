/* SPDX-License-Identifier: MIT */
/*
 * The boot, as a table.  Each state does one step and returns the next
 * state; a state that cannot go on returns boot_refuse(...), which lands
 * in ST_FAILED.  Read boot_table[] at the bottom for the whole boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "efivar.h"
#include "log.h"
#include "luks.h"
#include "modules.h"
#include "pid1.h"
#include "rootsig.h"
#include "switchroot.h"
#include "util.h"
#include "verity.h"

#define MODULES_DIR "/lib/modules"
#define MODULES_LIST "/lib/modules/rampart.load"
#define TRUSTED_CERTS_DIR "/etc/rampart/trusted"
#define ROOT_DM_NAME "root"
/* Signature documents are a few KiB; read enough to tell an oversized one. */
#define SIG_READ_MAX (128 * 1024)

int boot_refuse(struct boot *b, const char *id, const char *object, int err, const char *fmt, ...)
{
	struct refusal *r = &b->refusal;
	va_list ap;
	int n;

	if (r->id)
		return ST_FAILED;
	r->id = id;
	r->state = b->current;
	snprintf(r->object, sizeof(r->object), "%s", object);
	va_start(ap, fmt);
	n = vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(r->reason))
		snprintf(r->reason + n, sizeof(r->reason) - (size_t)n, ": %s", strerror(err < 0 ? -err : err));
	log_error("refused [%s] %s: %s", r->id, r->object, r->reason);
	return ST_FAILED;
}

static void warn_option(void *userdata, const char *key, const char *value, const char *why)
{
	(void)userdata;
	log_warning("ignoring kernel command line option %s=%s: %s", key, value, why);
}

static int state_setup(void *ctx)
{
	struct boot *b = ctx;
	char cmdline[4096];
	int r, failed;

	r = mount_api_filesystems();
	if (r < 0)
		return boot_refuse(b, "setup-mount", "API file systems", r, "cannot mount");
	log_open();
	log_notice("version %s starting as PID %d", RAMPART_VERSION, (int)getpid());

	r = read_kernel_cmdline(cmdline, sizeof(cmdline));
	if (r < 0)
		return boot_refuse(b, "setup-cmdline", "/proc/cmdline", r, "cannot read");
	cmdline_parse(cmdline, &b->opts, warn_option, NULL);
	log_set_max_level(b->opts.log_level);
	if (b->opts.break_before[0] && machine_find(boot_table, ST__COUNT, b->opts.break_before) < 0)
		log_warning("rampart.break=%s names no state; see the README for the state names",
			    b->opts.break_before);
	log_info("options: log=%s on-failure=%s device-timeout=%us init=%s debug-shell=%s%s%s",
		 log_level_to_string(b->opts.log_level), failure_action_to_string(b->opts.on_failure),
		 b->opts.device_timeout_sec, b->opts.init, b->opts.debug_shell ? "yes" : "no",
		 b->opts.break_before[0] ? " break=" : "", b->opts.break_before);

	r = modules_load_list(MODULES_DIR, MODULES_LIST, &failed);
	if (r < 0)
		return boot_refuse(b, "setup-modules", MODULES_LIST, r, "cannot read the module list");
	log_info("loaded %d kernel modules, %d not loaded", r, failed);
	cryptsetup_log_setup();
	return ST_PROBE;
}

void test_stop(const struct boot *b, const char *step)
{
	if (strcmp(b->opts.test_stop, step) != 0)
		return;
	/* No sync, no clean-up: the harness kills the machine on this line. */
	log_notice("test-stop: stopped at %s (rampart.test-stop=)", step);
	for (;;)
		pause();
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The boot disk is the one holding the ESP the firmware loaded us from,
 * as the stub reported it.  Devices appear asynchronously (no udev here):
 * probe until that partition shows up or the timeout passes.
 */
static int state_probe(void *ctx)
{
	struct boot *b = ctx;
	uint64_t deadline = now_usec() + (uint64_t)b->opts.device_timeout_sec * 1000000u;
	uint64_t next_notice = now_usec() + 5000000u;
	int r, idx;

	r = efivar_read_loader_partuuid(b->esp_uuid);
	if (r < 0)
		return boot_refuse(b, "boot-disk-unknown", "EFI variable LoaderDevicePartUUID", r,
				   "the firmware stub did not say which ESP it booted from");
	log_info("booted from the ESP with partition UUID %s", b->esp_uuid);

	for (;;) {
		probe_partitions(&b->table);
		idx = boot_disk_find(b->table.parts, b->table.n, b->esp_uuid);
		if (idx != -ENOENT)
			break;
		if (now_usec() >= deadline)
			return boot_refuse(b, "boot-disk-timeout", b->esp_uuid, 0,
					   "no disk with this ESP appeared within %us (rampart.device-timeout=)",
					   b->opts.device_timeout_sec);
		if (now_usec() >= next_notice) {
			log_notice("waiting for the boot disk (ESP %s); %zu disks so far", b->esp_uuid,
				   b->table.disks);
			next_notice += 5000000u;
		}
		sleep_ms(50);
	}
	if (idx == -ENOTUNIQ)
		return boot_refuse(b, "boot-disk-ambiguous", b->esp_uuid, 0,
				   "more than one partition has the ESP's UUID (a cloned disk?); refusing to guess");
	if (idx < 0)
		return boot_refuse(b, "boot-disk-not-esp", b->esp_uuid, 0,
				   "the partition the stub named is not an EFI System Partition");

	snprintf(b->boot_disk, sizeof(b->boot_disk), "%s", b->table.parts[idx].disk);
	log_info("boot disk %s (%zu disks, %zu partitions seen)", b->boot_disk, b->table.disks, b->table.n);
	return ST_REPART;
}

static void skipped_slot(void *userdata, const char *label, const char *why)
{
	struct boot *b = userdata;

	log_info("slot %s on %s not considered: %s", label[0] ? label : "(no label)", b->boot_disk, why);
}

static void slot_refused(struct boot *b, const struct slot *s, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void slot_refused(struct boot *b, const struct slot *s, const char *id, const char *fmt, ...)
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
	log_error("refused slot %s [%s]: %s", r->label, r->id, r->reason);
}

static int read_partition(const struct partition *p, size_t max, uint8_t **out, size_t *len)
{
	_cleanup_close_ int fd = open(p->devnode, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t want = p->size < max ? (size_t)p->size : max, have = 0;

	if (fd < 0)
		return -errno;
	buf = malloc(want ? want : 1);
	if (!buf)
		return -ENOMEM;
	while (have < want) {
		ssize_t n = read(fd, buf + have, want - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*out = TAKE_PTR(buf);
	*len = have;
	return 0;
}

/* Verifies, activates and mounts one slot; on failure records why and undoes what it did. */
static int try_slot(struct boot *b, const struct slot *s, const struct trust_store *trust)
{
	_cleanup_free_ uint8_t *doc = NULL;
	_cleanup_(rootsig_free) struct root_signature sig = { .root_hash_len = 0 };
	const char *why = NULL;
	size_t len = 0;
	int r;

	r = read_partition(s->sig, SIG_READ_MAX, &doc, &len);
	if (r < 0) {
		slot_refused(b, s, "sig-unreadable", "%s: %s", s->sig->devnode, strerror(-r));
		return r;
	}
	r = rootsig_parse(doc, len, &sig, &why);
	if (r < 0) {
		slot_refused(b, s, "sig-malformed", "%s: %s", s->sig->devnode, why);
		return r;
	}
	r = rootsig_check_uuids(&sig, s->root->uuid, s->verity->uuid, &why);
	if (r < 0) {
		slot_refused(b, s, "sig-uuid-mismatch", "%s: %s", s->sig->devnode, why);
		return r;
	}
	r = rootsig_verify(&sig, trust, &why);
	if (r < 0) {
		slot_refused(b, s, r == -ENOKEY ? "sig-untrusted" : "sig-bad", "%s: %s", s->sig->devnode, why);
		return r;
	}
	log_info("slot %s: root hash %s signed by a trusted certificate", s->label, sig.root_hash_hex);

	r = verity_open(ROOT_DM_NAME, s->root->devnode, s->verity->devnode, sig.root_hash, sig.root_hash_len);
	if (r < 0) {
		slot_refused(b, s, "verity-open", "%s: %s", s->verity->devnode, strerror(-r));
		return r;
	}
	if (mount("/dev/mapper/" ROOT_DM_NAME, NEW_ROOT, "erofs", MS_RDONLY, NULL) < 0) {
		r = -errno;
		slot_refused(b, s, "root-mount", "/dev/mapper/%s (erofs): %s", ROOT_DM_NAME, strerror(-r));
		crypt_close(ROOT_DM_NAME);
		return r;
	}
	r = root_init_executable(NEW_ROOT, b->opts.init);
	if (r < 0) {
		slot_refused(b, s, "root-init", "%s in the root cannot be executed: %s", b->opts.init,
			     strerror(-r));
		umount2(NEW_ROOT, MNT_DETACH);
		crypt_close(ROOT_DM_NAME);
		return r;
	}
	snprintf(b->root_label, sizeof(b->root_label), "%s", s->label);
	snprintf(b->root_hash, sizeof(b->root_hash), "%s", sig.root_hash_hex);
	return 0;
}

/*
 * Nothing in a root is used before its signature verified and the kernel
 * checks it through dm-verity.  Slots are tried newest first; a slot that
 * fails anything falls back to the next.
 */
static int state_verify_root(void *ctx)
{
	struct boot *b = ctx;
	_cleanup_(trust_store_freep) struct trust_store *trust = NULL;
	int r;

	b->n_slots = slots_collect(b->table.parts, b->table.n, b->boot_disk, b->slots, SLOTS_MAX,
				   skipped_slot, b);
	if (b->n_slots == 0)
		return boot_refuse(b, "no-root-slot", b->boot_disk, 0,
				   "no complete root slot (root, root-verity, root-verity-sig with one label)");

	r = trust_store_load_dir(&trust, TRUSTED_CERTS_DIR);
	if (r < 0)
		return boot_refuse(b, "trust-store", TRUSTED_CERTS_DIR, r, "no usable trusted certificate");
	if (mkdir(NEW_ROOT, 0755) < 0 && errno != EEXIST)
		return boot_refuse(b, "root-mount", NEW_ROOT, errno, "cannot create the mount point");

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
		return ST_UNSEAL;
	}
	return boot_refuse(b, "no-root-verifies", b->boot_disk, 0, "none of the %zu root slots could be verified",
			   b->n_slots);
}

static int state_switch_root(void *ctx)
{
	struct boot *b = ctx;
	int r;

	boot_report_write(b);
	/* The root's init gets no handle on the TPM from us. */
	tpm2_close(b->st.tpm);
	b->st.tpm = NULL;
	tpm2_sealed_free(&b->st.sealed);
	log_notice("switching to the root of slot %s, executing %s", b->root_label, b->opts.init);
	b->init_argv[0] = b->opts.init;
	r = switch_root(NEW_ROOT, b->opts.init, b->init_argv);
	/* Only back here if that failed; we are still PID 1. */
	return boot_refuse(b, "switch-root", b->opts.init, r, "cannot hand over to the root's init");
}

static int state_failed(void *ctx)
{
	struct boot *b = ctx;
	const struct refusal *r = &b->refusal;

	if (!r->id)
		boot_refuse(b, "internal", "state machine", 0, "failure state entered without a refusal");
	/* Whatever failed, nothing after this point may unseal the volume secret. */
	if (boot_lock(b) < 0 && b->st.tpm)
		log_error("could not extend PCR 7 after the failure");
	log_error("boot failed in state %s: [%s] %s: %s", boot_table[r->state].name, r->id, r->object,
		  r->reason);
	log_error("what to do: %s", refusal_advice(r->id));
	if (b->opts.debug_shell) {
		/* The shell gets neither the secret (locked above) nor the opened volumes. */
		storage_close(b);
		debug_shell(b, "the boot failed");
	}
	return ST_HALT;
}

static int state_halt(void *ctx)
{
	struct boot *b = ctx;

	pid1_finish(b->opts.on_failure);
}

#define NEXT(s) STATE_BIT(s)
const struct machine_state boot_table[ST__COUNT] = {
	[ST_SETUP]        = { "setup",        state_setup,        NEXT(ST_PROBE) | NEXT(ST_FAILED) },
	[ST_PROBE]        = { "probe",        state_probe,        NEXT(ST_REPART) | NEXT(ST_FAILED) },
	[ST_REPART]       = { "repart",       state_repart,       NEXT(ST_VERIFY_ROOT) | NEXT(ST_FAILED) },
	[ST_VERIFY_ROOT]  = { "verify-root",  state_verify_root,  NEXT(ST_UNSEAL) | NEXT(ST_FAILED) },
	[ST_UNSEAL]       = { "unseal",       state_unseal,       NEXT(ST_OPEN_STORAGE) | NEXT(ST_FAILED) },
	[ST_OPEN_STORAGE] = { "open-storage", state_open_storage, NEXT(ST_LOCK) | NEXT(ST_FAILED) },
	[ST_LOCK]         = { "lock",         state_lock,         NEXT(ST_SWITCH_ROOT) | NEXT(ST_FAILED) },
	[ST_SWITCH_ROOT]  = { "switch-root",  state_switch_root,  NEXT(ST_FAILED) },
	[ST_FAILED]       = { "failed",       state_failed,       NEXT(ST_HALT) },
	[ST_HALT]         = { "halt",         state_halt,         0, .terminal = 1 },
};
