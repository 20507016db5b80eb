/* SPDX-License-Identifier: MIT */
#include "wipe_alloc.h"

#include <malloc.h>
#include <string.h>

#include "util.h"

/* musl's own, reached through --wrap. */
void __real___libc_free(void *p);
void *__real___libc_realloc(void *p, size_t n);

void __wrap___libc_free(void *p)
{
	if (p)
		explicit_wipe(p, malloc_usable_size(p));
	__real___libc_free(p);
}

void *__wrap___libc_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	/* realloc(NULL, n) is musl's malloc(n), below testutil's counting. */
	q = __real___libc_realloc(NULL, n);
	if (!p || !q)
		return q;
	old = malloc_usable_size(p);
	memcpy(q, p, n < old ? n : old);
	__wrap___libc_free(p);
	return q;
}
