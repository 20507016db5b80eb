/* SPDX-License-Identifier: MIT */
/*
 * The boot, as a table.  Each state does one step and returns the next
 * state; a state that cannot go on returns boot_refuse(...), which lands
 * in ST_FAILED.  Read boot_table[] at the bottom for the whole boot.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "modules.h"
#include "pid1.h"
#include "util.h"

#define MODULES_DIR "/lib/modules"
#define MODULES_LIST "/lib/modules/rampart.load"

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
	log_info("options: log=%s on-failure=%s device-timeout=%us init=%s debug-shell=%s%s%s",
		 log_level_to_string(b->opts.log_level), failure_action_to_string(b->opts.on_failure),
		 b->opts.device_timeout_sec, b->opts.init, b->opts.debug_shell ? "yes" : "no",
		 b->opts.break_before[0] ? " break=" : "", b->opts.break_before);

	r = modules_load_list(MODULES_DIR, MODULES_LIST, &failed);
	if (r < 0)
		return boot_refuse(b, "setup-modules", MODULES_LIST, r, "cannot read the module list");
	log_info("loaded %d kernel modules, %d not loaded", r, failed);
	return ST_PROBE;
}

static int not_implemented(struct boot *b)
{
	return boot_refuse(b, "not-implemented", boot_table[b->current].name,
			   0, "this state is not implemented yet");
}

static int state_probe(void *ctx)
{
	return not_implemented(ctx);
}

static int state_repart(void *ctx)
{
	return not_implemented(ctx);
}

static int state_verify_root(void *ctx)
{
	return not_implemented(ctx);
}

static int state_unseal(void *ctx)
{
	return not_implemented(ctx);
}

static int state_open_storage(void *ctx)
{
	return not_implemented(ctx);
}

static int state_lock(void *ctx)
{
	return not_implemented(ctx);
}

static int state_switch_root(void *ctx)
{
	return not_implemented(ctx);
}

static int state_failed(void *ctx)
{
	struct boot *b = ctx;
	const struct refusal *r = &b->refusal;

	if (!r->id)
		boot_refuse(b, "internal", "state machine", 0, "failure state entered without a refusal");
	log_error("boot failed in state %s: [%s] %s: %s", boot_table[r->state].name, r->id, r->object,
		  r->reason);
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
