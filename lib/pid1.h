/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PID1_H
#define RAMPART_PID1_H

#include <stddef.h>

#include "cmdline.h"
#include "reason.h"

/* Mounts /proc, /sys, /dev (devtmpfs), /run; already mounted is fine. */
int mount_api_filesystems(struct reason *why);

/* Reads /proc/cmdline into @buf. */
int read_kernel_cmdline(char *buf, size_t size);

/* Collects every exited child without blocking; returns how many. */
int reap_children(void);

/* Carries out @action; never returns (PID 1 must not exit).  The caller says what it does. */
__attribute__((noreturn)) void pid1_finish(enum failure_action action);

#endif
