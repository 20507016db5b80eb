/* SPDX-License-Identifier: MIT */
#include "switchroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "reason.h"
#include "util.h"

int root_init_executable(const char *new_root, const char *init)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char buf[65536];
		struct stat st;
		ssize_t n;
		int fd;

		if (chroot(new_root) < 0 || chdir("/") < 0)
			_exit(EIO);
		if (stat(init, &st) < 0)
			_exit(errno);
		if (!S_ISREG(st.st_mode))
			_exit(EACCES);
		if (access(init, X_OK) < 0)
			_exit(errno);
		/*
		 * Read it all: dm-verity checks blocks only when they are read,
		 * and a corrupt init found now can still fall back to another
		 * slot, after the switch it cannot.
		 */
		fd = open(init, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(errno);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		_exit(n < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

/* Deletes everything below directory @fd on device @dev; other file systems are left alone. */
static void remove_tree(int fd, dev_t dev)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;

	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				remove_tree(sub, dev);
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd(d), de->d_name, 0);
		}
	}
	closedir(d);
}

int switch_root(const char *new_root, const char *init, char *const argv[], dev_t verified_dev,
		struct reason *why)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys", "/run" };
	struct stat root_st, new_st;
	char target[PATH_MAX];
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
		snprintf(target, sizeof(target), "%s%s", new_root, moved[i]);
		if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0) {
			log_debug_errno(errno, "cannot move %s to %s; unmounting it", moved[i], target);
			umount2(moved[i], MNT_DETACH);
		}
	}

	if (chdir(new_root) < 0)
		return reason_set(why, -errno, "cannot enter %s", new_root);
	if (stat("/", &root_st) < 0 || stat(".", &new_st) < 0)
		return reason_set(why, -errno, "cannot stat the roots");
	/* Only delete if / is the initramfs and the new root a different file system. */
	if (root_st.st_dev != new_st.st_dev) {
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			remove_tree(fd, root_st.st_dev);
	}

	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return reason_set(why, -errno, "cannot move %s to /", new_root);
	if (chroot(".") < 0 || chdir("/") < 0)
		return reason_set(why, -errno, "cannot chroot into the new root");

	/* Last: every mount is in place, nothing can be mounted over init after this. */
	if (stat(init, &new_st) < 0)
		return reason_set(why, -errno, "cannot find %s in the new root", init);
	if (new_st.st_dev != verified_dev)
		return reason_set(why, -EXDEV, "%s is on device %u:%u, not on the verified root (%u:%u)", init,
				  major(new_st.st_dev), minor(new_st.st_dev), major(verified_dev), minor(verified_dev));
	execv(init, argv);
	return reason_set(why, -errno, "cannot execute %s in the new root", init);
}
