/* SPDX-License-Identifier: MIT */
/*
 * rampart: PID 1 of the initrd.  Runs boot_table (init/states.c) and never
 * returns: a PID 1 that exits panics the kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
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
	return 0;
}

static void on_leave(void *ctx, int state, int next, uint64_t usec)
{
	struct boot *b = ctx;

	b->state_usec[state] = usec;
	if (next >= 0 && next < ST__COUNT)
		log_info("%s: %lu.%03lu ms -> %s", boot_table[state].name, (unsigned long)(usec / 1000),
			 (unsigned long)(usec % 1000), boot_table[next].name);
}

static void on_bad_transition(void *ctx, int state, int next)
{
	struct boot *b = ctx;

	boot_refuse(b, "internal", boot_table[state].name, 0, "returned %d, which the state table does not allow",
		    next);
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

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("rampart %s\n", RAMPART_VERSION);
		return 0;
	}
	if (getpid() != 1) {
		fprintf(stderr, "rampart: refusing to run: not PID 1\n");
		return 1;
	}

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
