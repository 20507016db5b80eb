/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "util.h"

/* Reads until @size bytes are in or the file ends; a signal does not cut it short. */
static int read_loop(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t have = 0;

	while (have < size) {
		ssize_t k = read(fd, buf + have, size - have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			break;
		have += (size_t)k;
	}
	*ret_len = have;
	return 0;
}

static int open_for_reading(int dir_fd, const char *path, unsigned flags)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | ((flags & READ_FULL_REGULAR) ? O_NONBLOCK : 0),
		.resolve = RESOLVE_IN_ROOT,
	};

	if (!(flags & READ_FULL_IN_ROOT))
		return openat(dir_fd, path, (int)how.flags);
	return (int)syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
}

int read_full_at(int dir_fd, const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	bool regular_only = flags & READ_FULL_REGULAR;
	_cleanup_close_ int fd = open_for_reading(dir_fd, path, flags);
	_cleanup_free_ char *buf = NULL;
	size_t want = max, len = 0;
	struct stat st;
	int r;

	if (fd < 0)
		return negative_errno();
	if (regular_only) {
		if (fstat(fd, &st) < 0)
			return negative_errno();
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return -EBADFD;
		if ((uint64_t)st.st_size > max)
			return -EFBIG;
		want = (size_t)st.st_size;
	}
	if (want == SIZE_MAX)
		return -EFBIG;
	buf = malloc(want + 1);
	if (!buf)
		return -ENOMEM;
	r = read_loop(fd, buf, want, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int read_full(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	return read_full_at(AT_FDCWD, path, max, flags, ret, ret_len);
}
