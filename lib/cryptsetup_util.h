/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_CRYPTSETUP_UTIL_H
#define RAMPART_CRYPTSETUP_UTIL_H

#include <libcryptsetup.h>

/* The _cleanup_ helper for libcryptsetup handles (lib/util.h's idiom). */
static inline void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
}

#endif
