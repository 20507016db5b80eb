/* SPDX-License-Identifier: MIT */
#include "mount_target.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int open_beneath(int root_fd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int mount_target_open(int root_fd, const char *path, mode_t mode)
{
	_cleanup_close_ int parent = -1;
	char dir[256];
	const char *base = strrchr(path, '/');
	int fd;

	if (path[0] == '/' || !path[0])
		return -EINVAL;
	fd = open_beneath(root_fd, path);
	if (fd != -ENOENT || !mode)
		return fd;
	/* Create the last component in the parent resolved the same way. */
	if (base) {
		if ((size_t)(base - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(base - path));
		dir[base - path] = '\0';
		base++;
		parent = open_beneath(root_fd, dir);
		if (parent < 0)
			return parent;
	} else {
		base = path;
		parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
		if (parent < 0)
			return -errno;
	}
	if (mkdirat(parent, base, mode) < 0 && errno != EEXIST)
		return log_debug_errno(errno, "cannot create %s", path);
	return open_beneath(parent, base);
}

int mount_on_fd(const char *source, int target_fd, const char *fstype, unsigned long flags)
{
	char target[64];

	/* The magic link names the very directory target_fd holds: nothing is resolved again. */
	snprintf(target, sizeof(target), "/proc/self/fd/%d", target_fd);
	return mount(source, target, fstype, flags, NULL) < 0 ? -errno : 0;
}
