/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PARSE_UTIL_H
#define RAMPART_PARSE_UTIL_H

/*
 * A boolean as systemd spells one (its parse_boolean()), so the kernel
 * command line and repart.d take what systemd takes: 1, yes, y, true, t,
 * on and 0, no, n, false, f, off, in any case.  Returns 1, 0, or -EINVAL
 * (also for NULL).  Pure.
 */
int parse_boolean(const char *s);

#endif
