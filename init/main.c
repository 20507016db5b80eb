/* SPDX-License-Identifier: MIT */
/*
 * rampart: PID 1 of the initrd.  Runs boot_table (init/states.c) and never
 * returns: a PID 1 that exits panics the kernel.  Run by the OS (not as
 * PID 1), the same binary is a tool: each mode is its own init/tool_*.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "boot_count.h"
#include "diskwatch.h"
#include "log.h"
#include "pid1.h"
#include "shell.h"
#include "states.h"
#include "tool_boot_count.h"
#include "tool_try_unseal.h"
#include "tool_update.h"
#include "util.h"

#define MAX_STEPS 64

static int on_enter(void *ctx, int state)
{
	struct boot *b = ctx;

	reap_children();
	b->current = state;
	b->state_start_usec[state] = now_usec();
	log_debug("entering %s", boot_table[state].name);
	/* From probe's decision to the hand-over (the states between probe and failed): a late copy of the boot disk? */
	if (state > ST_PROBE && state < ST_FAILED && boot_disks_recheck(b) == ST_FAILED)
		return -1;
	/* The failure state opens its own shell; halt is the end. */
	if (b->opts.break_before[0] && !strcmp(b->opts.break_before, boot_table[state].name) &&
	    state != ST_FAILED && state != ST_HALT) {
		char why[64];

		snprintf(why, sizeof(why), "rampart.break=%s", boot_table[state].name);
		/* The shell sees the modules loaded, and nothing loads behind it. */
		if (b->opts.debug_shell)
			boot_modules_ready(b, MODULES_FOR_STORAGE);
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

	boot_refuse(b, REFUSE_INTERNAL, boot_table[state].name, 0, "returned %d, which the state table does not allow",
		    next);
}

static int tool_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("rampart %s\n", RAMPART_VERSION);
	return 0;
}

static int try_unseal_main(int argc, char **argv)
{
	(void)argc;
	return tool_try_unseal(argv[2]);
}

static int mark_good_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_mark_slot(true);
}

static int mark_bad_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return tool_mark_slot(false);
}

/* update [--tries N] ROOT VERITY SIG | update [--tries N] DIR */
static int update_main(int argc, char **argv)
{
	char root[4096], verity[4096], sig[4096];
	unsigned long tries = BOOT_COUNT_TRIES_DEFAULT;
	int i = 2;

	if (argc > 3 && !strcmp(argv[2], "--tries")) {
		char *end;

		tries = strtoul(argv[3], &end, 10);
		if (*end || tries < 1 || tries > BOOT_COUNT_TRIES_MAX) {
			fprintf(stderr, "rampart update: --tries takes 1-%d\n", BOOT_COUNT_TRIES_MAX);
			return 2;
		}
		i = 4;
	}
	if (argc - i == 1) {
		snprintf(root, sizeof(root), "%s/root.img", argv[i]);
		snprintf(verity, sizeof(verity), "%s/verity.img", argv[i]);
		snprintf(sig, sizeof(sig), "%s/sig.json", argv[i]);
	} else if (argc - i == 3) {
		snprintf(root, sizeof(root), "%s", argv[i]);
		snprintf(verity, sizeof(verity), "%s", argv[i + 1]);
		snprintf(sig, sizeof(sig), "%s", argv[i + 2]);
	} else {
		fprintf(stderr, "usage: rampart update [--tries N] ROOT VERITY SIG | DIR\n");
		return 2;
	}
	return tool_update(root, verity, sig, (unsigned)tries);
}

/* The tool modes: argv[1], and how many arguments in all (0: any). */
static const struct {
	const char *name;
	int argc;
	int (*run)(int argc, char **argv);
} tools[] = {
	{ "--version", 0, tool_version },
	{ "try-unseal", 3, try_unseal_main },
	{ "mark-good", 2, mark_good_main },
	{ "mark-bad", 2, mark_bad_main },
	{ "update", 0, update_main },
};

static int run_tool(int argc, char **argv)
{
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (argc >= 2 && (!tools[i].argc || argc == tools[i].argc) && !strcmp(argv[1], tools[i].name))
			return tools[i].run(argc, argv);
	fprintf(stderr, "rampart: refusing to run: not PID 1\n");
	return 1;
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

	/* As PID 1, argv comes from the kernel command line: never a tool mode. */
	if (getpid() != 1)
		return run_tool(argc, argv);

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
