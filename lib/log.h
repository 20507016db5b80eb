/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_LOG_H
#define RAMPART_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/*
 * Every line goes to /dev/kmsg with its syslog priority and to the
 * console prefixed with the time since boot, the way the kernel prints
 * its own lines, so both read as one log.  Before log_open() (and in host
 * tests) lines go to stderr.
 */
void log_open(void);
void log_set_max_level(int level);
int log_get_max_level(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs "<message>: <strerror(err)>" and returns -|err|, for "return log_errno(...)". */
int log_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_debug_errno(err, ...) log_errno(LOG_DEBUG, err, __VA_ARGS__)

/*
 * Library code (lib/, built for /init with RAMPART_LIB_CODE) logs at debug
 * only: the caller that decides logs once (README, "Contributing").  The
 * compiler holds it to that: there, only the debug forms exist.
 */
#ifdef RAMPART_LIB_CODE
#pragma GCC poison log_msg log_errno
#else
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#endif

/* Formats "[%5lu.%06lu] rampart: msg\n" into buf; returns the length. Pure. */
size_t log_format_console(char *buf, size_t size, uint64_t usec, const char *msg);

/*
 * Replaces control characters with '?': messages carry strings from disks
 * (GPT labels, signature documents), which must not forge console lines.
 */
void log_sanitize(char *msg);

/* Parses a level name ("err", "warning", "notice", "info", "debug") or -1. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

uint64_t now_usec(void);

#endif
