/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_WIPE_ALLOC_H
#define RAMPART_WIPE_ALLOC_H

#include <stddef.h>

/*
 * The allocator wrap of lib/wipe.h: in effect only in a program linked
 * with -Wl,--wrap=__libc_free,--wrap=__libc_realloc (musl 1.2's names
 * for its allocator under free() and realloc()), which /init and the
 * stack tests are; nothing includes this header, so test/link-deps.sh
 * links this module only where the Makefile says so.  testutil.c's
 * counting wrappers of free() and realloc() sit above these and call
 * through them.
 *
 * __wrap___libc_free() zeroes the block's malloc_usable_size() bytes (the
 * size asked for) and frees it.  __wrap___libc_realloc() always moves the
 * block: new block, copy, old block wiped and freed; musl would shrink a
 * block in place and leave the part cut off as it was.  The Makefile
 * checks that /init has them.
 */
void __wrap___libc_free(void *p);
void *__wrap___libc_realloc(void *p, size_t n);

#endif
