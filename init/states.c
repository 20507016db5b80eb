/* SPDX-License-Identifier: MIT */
/*
 * The boot, as a table.  Each state does one step and returns the next
 * state; a state that cannot go on returns boot_refuse(...), which lands
 * in ST_FAILED.  Read boot_table[] at the bottom for the whole boot.
 * The small states live here; the groups of larger ones in init/root.c
 * (verify-root), init/storage.c (repart, unseal, open-storage) and
 * init/recovery.c (recover).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "disks.h"
#include "efivar.h"
#include "lock.h"
#include "log.h"
#include "luks.h"
#include "modules.h"
#include "pid1.h"
#include "recovery.h"
#include "report.h"
#include "root.h"
#include "shell.h"
#include "states.h"
#include "storage.h"
#include "switchroot.h"
#include "util.h"
#include "verity.h"
#include "volumes.h"

#define MODULES_DIR "/lib/modules"
#define MODULES_EARLY "/lib/modules/early.load"

static void warn_option(void *userdata, const char *key, const char *value, const char *why)
{
	(void)userdata;
	log_warning("ignoring kernel command line option %s=%s: %s", key, value, why);
}

static int state_setup(void *ctx)
{
	struct boot *b = ctx;
	char cmdline[4096];
	struct reason why = { "" };
	int r, failed;

	r = mount_api_filesystems(&why);
	if (r < 0)
		return boot_refuse(b, REFUSE_SETUP_MOUNT, "API file systems", r, "%s", reason_or(&why, "cannot mount"));
	log_open();
	log_notice("version %s starting as PID %d", RAMPART_VERSION, (int)getpid());

	r = read_kernel_cmdline(cmdline, sizeof(cmdline));
	if (r < 0)
		return boot_refuse(b, REFUSE_SETUP_CMDLINE, "/proc/cmdline", r, "cannot read");
	cmdline_parse(cmdline, &b->opts, warn_option, NULL);
	log_set_max_level(b->opts.log_level);
	if (b->opts.break_before[0] && machine_find(boot_table, ST__COUNT, b->opts.break_before) < 0)
		log_warning("rampart.break=%s names no state; see the README for the state names",
			    b->opts.break_before);
	log_info("options: log=%s on-failure=%s device-timeout=%us device-settle=%ums init=%s debug-shell=%s%s%s",
		 log_level_to_string(b->opts.log_level), failure_action_to_string(b->opts.on_failure),
		 b->opts.device_timeout_sec, b->opts.device_settle_ms, b->opts.init, b->opts.debug_shell ? "yes" : "no",
		 b->opts.break_before[0] ? " break=" : "", b->opts.break_before);

	r = modules_load_list(MODULES_DIR, MODULES_EARLY, &failed);
	if (r < 0)
		return boot_refuse(b, REFUSE_SETUP_MODULES, MODULES_EARLY, r, "cannot read the module list");
	log_info("loaded %d kernel modules, %d not loaded", r, failed);
	/* The rest load while probe waits for the disks; boot_modules_ready() waits for them. */
	r = modules_load_start(&b->modules, MODULES_DIR, boot_module_lists, MODULES_FOR__COUNT);
	if (r < 0)
		return boot_refuse(b, REFUSE_SETUP_MODULES, MODULES_DIR, r, "cannot read the module lists");
	cryptsetup_log_setup();
	return ST_PROBE;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#define PROBE_POLL_MS 25

/*
 * The boot disk is the one holding the ESP the firmware loaded us from,
 * as the stub reported it.  Devices appear asynchronously (no udev here):
 * look at the list of disks until that partition shows up, then until
 * the list has not changed for rampart.device-settle=, reading only the
 * disks that are new at each look, and only then decide.  A disk that
 * comes later still is the dispatcher's to find (init/diskwatch.h).
 */
static int state_probe(void *ctx)
{
	struct boot *b = ctx;
	uint64_t now = now_usec();
	uint64_t deadline = now + (uint64_t)b->opts.device_timeout_sec * 1000000u;
	uint64_t next_notice = now + 5000000u;
	struct probe_look look = { .changed = false };
	uint64_t matched = 0;
	struct settle settle;
	int r, idx;

	r = efivar_read_loader_partuuid(b->esp_uuid);
	if (r < 0)
		return boot_refuse(b, REFUSE_BOOT_DISK_UNKNOWN, "EFI variable LoaderDevicePartUUID", r,
				   "the firmware stub did not say which ESP it booted from");
	log_info("booted from the ESP with partition UUID %s", b->esp_uuid);

	settle_init(&settle, b->opts.device_settle_ms);
	for (;;) {
		r = probe_new_disks(&b->disks, &b->table, &look);
		if (r == -ENOSPC)
			return boot_refuse(b, REFUSE_PROBE_TRUNCATED, b->esp_uuid, 0,
					   "more than %d disks attached; refusing to decide on a partial view", DISKS_MAX);
		if (r < 0)
			return boot_refuse(b, REFUSE_PROBE, SYSFS_BLOCK, r, "cannot list the disks");
		if (b->table.truncated)
			return boot_refuse(b, REFUSE_PROBE_TRUNCATED, b->esp_uuid, 0,
					   "more than %d partitions on the attached disks; refusing to decide on a partial view",
					   PARTITIONS_MAX);
		idx = boot_disk_find(b->table.parts, b->table.n, b->esp_uuid);
		now = now_usec();
		/* Two partitions with the ESP's UUID, or not an ESP: a refusal whatever comes later. */
		if (idx < 0 && idx != -ENOENT)
			break;
		if (idx >= 0) {
			/* From the match on, the device timeout bounds the settling. */
			if (!settle.started) {
				matched = now;
				deadline = now + (uint64_t)b->opts.device_timeout_sec * 1000000u;
			}
			if (settle_look(&settle, look.changed, now) && !look.unreadable)
				break;
		}
		if (now >= deadline) {
			if (look.unreadable)
				return boot_refuse(b, REFUSE_DISK_UNREADABLE, look.bad_disk, 0,
						   "%s; it may hold the boot disk or a copy of it: nothing is decided on a partial view",
						   look.why.text);
			if (idx >= 0)
				return boot_refuse(b, REFUSE_BOOT_DISK_TIMEOUT, b->esp_uuid, 0,
						   "disks kept appearing or going for %us (rampart.device-timeout=); refusing to decide on a changing view",
						   b->opts.device_timeout_sec);
			return boot_refuse(b, REFUSE_BOOT_DISK_TIMEOUT, b->esp_uuid, 0,
					   "no disk with this ESP appeared within %us (rampart.device-timeout=)",
					   b->opts.device_timeout_sec);
		}
		if (now >= next_notice) {
			if (look.unreadable)
				log_notice("waiting for the boot disk (ESP %s); %s: %s", b->esp_uuid, look.bad_disk,
					   look.why.text);
			else
				log_notice("waiting for the boot disk (ESP %s); %zu disks so far", b->esp_uuid,
					   b->disks.n);
			next_notice += 5000000u;
		}
		sleep_ms(PROBE_POLL_MS);
	}
	if (idx == -ENOTUNIQ)
		return boot_refuse(b, REFUSE_BOOT_DISK_AMBIGUOUS, b->esp_uuid, 0,
				   "more than one partition has the ESP's UUID (a cloned disk?); refusing to guess");
	if (idx < 0)
		return boot_refuse(b, REFUSE_BOOT_DISK_NOT_ESP, b->esp_uuid, 0,
				   "the partition the stub named is not an EFI System Partition");

	snprintf(b->boot_disk, sizeof(b->boot_disk), "%s", b->table.parts[idx].disk);
	log_info("boot disk %s (%zu disks, %zu partitions seen; decided %lu ms after it appeared, rampart.device-settle=%u)",
		 b->boot_disk, b->disks.n, b->table.n, (unsigned long)((now - matched) / 1000), b->opts.device_settle_ms);
	return ST_VERIFY_ROOT;
}

static int state_lock(void *ctx)
{
	struct boot *b = ctx;
	int r = pcr7_lock(b);

	if (r < 0)
		return boot_refuse(b, REFUSE_LOCK, "PCR 7", r, "cannot lock the volume secret away; not handing over");
	return ST_SWITCH_ROOT;
}

static int state_switch_root(void *ctx)
{
	struct boot *b = ctx;
	struct reason why = { "" };
	int r;

	boot_report_write(b, boot_table);
	boot_tpm_release(b);
	log_notice("switching to the root of slot %s, executing %s", b->root_label, b->opts.init);
	b->init_argv[0] = b->opts.init;
	r = switch_root(NEW_ROOT, b->opts.init, b->init_argv, b->root_dev, &why);
	/* Only back here if that failed; we are still PID 1. */
	if (r == -EXDEV)
		return boot_refuse(b, REFUSE_INIT_UNVERIFIED, b->opts.init, 0, "%s; not executed", why.text);
	return boot_refuse(b, REFUSE_SWITCH_ROOT, b->opts.init, r, "cannot hand over to the root's init: %s",
			   reason_or(&why, "switch_root failed"));
}

static int state_failed(void *ctx)
{
	struct boot *b = ctx;
	const struct refusal *r = &b->refusal;

	if (r->id == REFUSE_NONE)
		boot_refuse(b, REFUSE_INTERNAL, "state machine", 0, "failure state entered without a refusal");
	/* Whatever failed, nothing after this point may unseal the volume secret. */
	if (pcr7_lock(b) < 0 && b->storage.tpm)
		log_error("could not extend PCR 7 after the failure");
	log_error("boot failed in state %s: [%s] %s: %s", boot_table[r->state].name, refusal_name(r->id),
		  r->object, r->reason);
	log_error("what to do: %s", refusal_advice(r->id));
	/* No module loads behind the shell or the halt loop, and closing knows what dm is there. */
	boot_modules_ready(b, MODULES_FOR_STORAGE);
	/* Nothing of a failed boot stays open, shell or not: not the volumes, not the secret (wiped above). */
	volumes_close(b);
	if (b->opts.debug_shell)
		debug_shell(b, "the boot failed");
	return ST_HALT;
}

static int state_halt(void *ctx)
{
	struct boot *b = ctx;
	static const char *const what[] = {
		[FAILURE_REBOOT] = "rebooting",
		[FAILURE_POWEROFF] = "powering off",
		[FAILURE_HALT] = "halted; the message above stays on screen (rampart.on-failure= changes this)",
	};

	log_notice("%s", what[b->opts.on_failure]);
	pid1_finish(b->opts.on_failure);
}

#define NEXT(s) STATE_BIT(s)
const struct machine_state boot_table[ST__COUNT] = {
	[ST_SETUP]        = { "setup",        state_setup,        NEXT(ST_PROBE) | NEXT(ST_FAILED) },
	[ST_PROBE]        = { "probe",        state_probe,        NEXT(ST_VERIFY_ROOT) | NEXT(ST_FAILED) },
	[ST_VERIFY_ROOT]  = { "verify-root",  state_verify_root,  NEXT(ST_REPART) | NEXT(ST_FAILED) },
	/* Nothing is written to a disk before one of its root slots verified. */
	[ST_REPART]       = { "repart",       state_repart,       NEXT(ST_UNSEAL) | NEXT(ST_FAILED) },
	[ST_UNSEAL]       = { "unseal",       state_unseal,       NEXT(ST_RECOVER) | NEXT(ST_OPEN_STORAGE) | NEXT(ST_FAILED) },
	/* Only with rampart.recovery=prompt, only after a PCR 7 mismatch. */
	[ST_RECOVER]      = { "recover",      state_recover,      NEXT(ST_OPEN_STORAGE) | NEXT(ST_FAILED) },
	[ST_OPEN_STORAGE] = { "open-storage", state_open_storage, NEXT(ST_LOCK) | NEXT(ST_FAILED) },
	[ST_LOCK]         = { "lock",         state_lock,         NEXT(ST_SWITCH_ROOT) | NEXT(ST_FAILED) },
	[ST_SWITCH_ROOT]  = { "switch-root",  state_switch_root,  NEXT(ST_FAILED) },
	[ST_FAILED]       = { "failed",       state_failed,       NEXT(ST_HALT) },
	[ST_HALT]         = { "halt",         state_halt,         0, .terminal = 1 },
};
