/* SPDX-License-Identifier: MIT */
/*
 * What rampart reads from a verified root's os-release (the os-release(5)
 * format: KEY=VALUE lines, values optionally in single or double quotes,
 * backslash escapes inside double quotes, # comments): the image version
 * and the security version that the rollback floor compares.  Pure.
 */
#ifndef RAMPART_OS_RELEASE_H
#define RAMPART_OS_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define OS_RELEASE_VALUE_MAX 64

struct os_release {
	char image_version[OS_RELEASE_VALUE_MAX]; /* IMAGE_VERSION, "" if absent */
	uint32_t security_version;                /* RAMPART_SECURITY_VERSION, 0 if absent */
};

/*
 * Parses @len bytes of os-release text.  -EBADMSG with @why set for a line
 * that is not KEY=VALUE, an unterminated quote, a value longer than
 * OS_RELEASE_VALUE_MAX - 1, a key given twice, or a security version that
 * is not a decimal number below 2^32.
 */
int os_release_parse(const char *text, size_t len, struct os_release *out, struct reason *why);

#endif
