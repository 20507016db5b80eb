/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_WIPE_H
#define RAMPART_WIPE_H

/*
 * Copies of secrets that libraries leave behind, wiped.  tpm2-tss and
 * libcryptsetup copy the volume secret, its passphrase and the volume key
 * into buffers of their own (ESAPI keeps Create's input in its context,
 * decrypts Unseal's response in its command buffer and on its stack,
 * derives session keys into memory it frees) and free them, or leave them
 * in stack frames that have returned.  Two things clear those:
 *
 * - lib/wipe_alloc.c: every block is zeroed before it is freed, and
 *   realloc() never leaves an old copy behind.  It wraps musl's allocator
 *   underneath free() and realloc() (-Wl,--wrap=__libc_free,
 *   --wrap=__libc_realloc), so every free in the process, libc's own
 *   included, goes through it.  /init and the stack tests are linked with
 *   it; see WIPE_ALLOC_LDFLAGS in the Makefile.
 * - wipe_stack(): zeroes WIPE_STACK_BYTES of the stack below the caller's
 *   frame, where the frames of the functions it called were.  lib/tpm2.c
 *   and lib/luks.c call it when an operation that handled a secret
 *   returns.  Only for the main thread's stack (the kernel grows it as it
 *   is touched); a thread's stack may be smaller than that.
 */

/* Their calls go 11-20 KiB deep (test/stack/test_secret_memory.c checks that this reaches below them). */
#define WIPE_STACK_BYTES (64 * 1024)

void wipe_stack(void);

/* Evaluates @call, then wipe_stack(); the call's value. */
#define WIPE_STACK_AFTER(call)                       \
	({                                           \
		__typeof__(call) _wiped_r_ = (call); \
		wipe_stack();                        \
		_wiped_r_;                           \
	})

#endif
