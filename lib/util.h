/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_UTIL_H
#define RAMPART_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The one cleanup idiom of the code base: variables declared with one of
 * these attributes are released when they go out of scope, so every error
 * path is a plain "return -errno".  Ownership leaves a variable with
 * TAKE_PTR()/TAKE_FD().
 */
static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p)                         \
	({                                  \
		__typeof__(p) _tmp_ = (p);  \
		(p) = NULL;                 \
		_tmp_;                      \
	})

#define TAKE_FD(fd)                   \
	({                            \
		int _tmp_ = (fd);     \
		(fd) = -1;            \
		_tmp_;                \
	})

/* Wipe memory in a way the compiler may not elide (secrets). */
static inline void explicit_wipe(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
