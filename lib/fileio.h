/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_FILEIO_H
#define RAMPART_FILEIO_H

#include <stddef.h>

enum read_full_flags {
	/*
	 * Only a regular file, and only one of at most @max bytes: -EISDIR
	 * for a directory, -EBADFD for anything else that is not a regular
	 * file (opened without waiting, so a FIFO cannot hang the caller),
	 * -EFBIG for a larger file.  Without it, whatever @path is (a block
	 * device), its first @max bytes are read, into a buffer of that size.
	 */
	READ_FULL_REGULAR = 1 << 0,
	/*
	 * @path is resolved as if @dir_fd were the root directory (openat2's
	 * RESOLVE_IN_ROOT): an absolute symlink or ".." inside another root's
	 * tree stays in that tree.
	 */
	READ_FULL_IN_ROOT = 1 << 1,
};

/*
 * Reads @path (relative to @dir_fd, or AT_FDCWD) into a new buffer *@ret
 * (free() it) of *@ret_len bytes, which is followed by a NUL so text can
 * be parsed in place.  A short read is retried until the end of the file;
 * a regular file is read to the size fstat gives.  Returns 0 or -errno;
 * on error *@ret is untouched.
 */
int read_full_at(int dir_fd, const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len);

/* The same, @path relative to the working directory. */
int read_full(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len);

#endif
