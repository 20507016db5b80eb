/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_SHELL_H
#define RAMPART_SHELL_H

#include "boot.h"

/*
 * Runs busybox sh on the console if the command line allows it
 * (rampart.debug=shell), after extending PCR 7; returns when it exits.
 * -EPERM if not allowed.
 */
int debug_shell(struct boot *b, const char *why);

#endif
