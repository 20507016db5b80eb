/* SPDX-License-Identifier: MIT */
/*
 * rampart: PID 1 of the initrd.  Runs boot_table (init/states.c) and never
 * returns: a PID 1 that exits panics the kernel.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "luks.h"
#include "tpm2.h"
#include "tpm2_token.h"
#include "verity.h"
#include "pid1.h"
#include "util.h"

#define MAX_STEPS 64

static int on_enter(void *ctx, int state)
{
	struct boot *b = ctx;

	reap_children();
	b->current = state;
	b->state_start_usec[state] = now_usec();
	log_debug("entering %s", boot_table[state].name);
	/* The failure state opens its own shell; halt is the end. */
	if (b->opts.break_before[0] && !strcmp(b->opts.break_before, boot_table[state].name) &&
	    state != ST_FAILED && state != ST_HALT) {
		char why[64];

		snprintf(why, sizeof(why), "rampart.break=%s", boot_table[state].name);
		if (debug_shell(b, why) == -EPERM)
			log_warning("rampart.break=%s ignored: the debug shell is not enabled (rampart.debug=shell)",
				    boot_table[state].name);
	}
	return 0;
}

static void on_leave(void *ctx, int state, int next, uint64_t usec)
{
	struct boot *b = ctx;

	b->state_usec[state] = usec;
	if (next >= 0 && next < ST__COUNT)
		log_notice("%s: %lu.%03lu ms -> %s", boot_table[state].name, (unsigned long)(usec / 1000),
			 (unsigned long)(usec % 1000), boot_table[next].name);
}

static void on_bad_transition(void *ctx, int state, int next)
{
	struct boot *b = ctx;

	boot_refuse(b, "internal", boot_table[state].name, 0, "returned %d, which the state table does not allow",
		    next);
}

/*
 * "rampart try-unseal DEV", for a running OS: tries to unseal the secret of
 * DEV's systemd-tpm2 token.  After rampart's lock this must fail; the
 * secret itself is never printed.
 */
static int try_unseal(const char *dev)
{
	_cleanup_free_ char *json = NULL;
	struct tpm2_sealed sealed = { .blob = NULL };
	struct tpm2 *tpm = NULL;
	uint8_t secret[64];
	size_t len = sizeof(secret);
	const char *why = NULL;
	int keyslot, r;

	log_set_max_level(LOG_WARNING);
	cryptsetup_log_setup();
	r = luks_read_token(dev, "systemd-tpm2", &json);
	if (r < 0) {
		printf("unseal not attempted: no systemd-tpm2 token on %s (%s)\n", dev, strerror(-r));
		return 2;
	}
	r = tpm2_token_parse(json, &sealed, &keyslot, &why);
	if (r >= 0)
		r = tpm2_open(&tpm, "device:/dev/tpmrm0");
	if (r >= 0)
		r = tpm2_unseal(tpm, &sealed, secret, &len, &why);
	explicit_wipe(secret, sizeof(secret));
	tpm2_close(tpm);
	tpm2_sealed_free(&sealed);
	if (r >= 0) {
		printf("unseal succeeded on %s: the volume secret is NOT locked away\n", dev);
		return 1;
	}
	printf("unseal refused on %s: %s (%s)\n", dev, why ? why : "error", strerror(-r));
	return 0;
}

static void on_sigchld(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static struct boot boot;
	const struct machine_hooks hooks = {
		.enter = on_enter,
		.leave = on_leave,
		.bad_transition = on_bad_transition,
		.clock_usec = now_usec,
	};

	/* As PID 1, argv comes from the kernel command line: never a helper mode. */
	if (getpid() != 1 && argc > 1 && !strcmp(argv[1], "--version")) {
		printf("rampart %s\n", RAMPART_VERSION);
		return 0;
	}
	if (getpid() != 1 && argc == 3 && !strcmp(argv[1], "try-unseal"))
		return try_unseal(argv[2]);
	if (getpid() != 1) {
		fprintf(stderr, "rampart: refusing to run: not PID 1\n");
		return 1;
	}

	/* An empty handler, so that pause() in the halt loop wakes up to reap adopted orphans. */
	signal(SIGCHLD, on_sigchld);
	umask(022);
	/* Nothing from the kernel's environment reaches libraries (e.g. TSS2_LOG) or the root's init. */
	clearenv();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	options_init(&boot.opts);
	boot.init_argv = argv;
	machine_run(boot_table, ST__COUNT, ST_SETUP, ST_FAILED, MAX_STEPS, &hooks, &boot);
	/* Only reached if the halt state returned, which it must not. */
	pid1_finish(FAILURE_HALT);
}
