/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_CMDLINE_H
#define RAMPART_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

enum failure_action {
	FAILURE_HALT,
	FAILURE_REBOOT,
	FAILURE_POWEROFF,
};

/* Everything rampart takes from the kernel command line; see README "Command line". */
struct options {
	int log_level;                  /* rampart.log=, quiet */
	enum failure_action on_failure; /* rampart.on-failure= */
	unsigned device_timeout_sec;    /* rampart.device-timeout= */
	unsigned device_settle_ms;      /* rampart.device-settle= */
	bool debug_shell;               /* rampart.debug=shell, rd.shell */
	bool recovery_prompt;           /* rampart.recovery=prompt[:PCR7[,PCR7...]] */
	uint8_t recovery_pcr7[4][32];   /* ... the PCR 7 values before a Secure Boot update */
	unsigned n_recovery_pcr7;
	char break_before[32];          /* rampart.break=STATE */
	char test_stop[32];             /* rampart.test-stop=STEP (tests only) */
	char init[256];                 /* init= */
};

#define DEVICE_TIMEOUT_DEFAULT_SEC 30u
#define DEVICE_TIMEOUT_MAX_SEC 3600u
#define DEVICE_SETTLE_DEFAULT_MS 250u
#define DEVICE_SETTLE_MAX_MS 10000u

/* Called once per option that was ignored; @why says why. */
typedef void (*cmdline_warn_fn)(void *userdata, const char *key, const char *value, const char *why);

void options_init(struct options *o);

/*
 * Parses a kernel command line (the contents of /proc/cmdline).  Unknown
 * rampart.* keys and bad values are reported through @warn and leave the
 * default in place.  Returns the number of warnings.
 */
int cmdline_parse(const char *cmdline, struct options *o, cmdline_warn_fn warn, void *userdata);

const char *failure_action_to_string(enum failure_action a);

#endif
