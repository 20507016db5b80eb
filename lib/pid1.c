/* SPDX-License-Identifier: MIT */
#include "pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "reason.h"
#include "util.h"

struct api_mount {
	const char *what, *where, *type, *options;
	unsigned long flags;
};

static const struct api_mount api_mounts[] = {
	{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID },
	{ "tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV },
};

int mount_api_filesystems(struct reason *why)
{
	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++) {
		const struct api_mount *m = &api_mounts[i];

		if (mkdir(m->where, 0755) < 0 && errno != EEXIST)
			return reason_set(why, -errno, "cannot create %s", m->where);
		if (mount(m->what, m->where, m->type, m->flags, m->options) < 0 && errno != EBUSY)
			return reason_set(why, -errno, "cannot mount %s on %s", m->type, m->where);
	}
	return 0;
}

int read_kernel_cmdline(char *buf, size_t size)
{
	_cleanup_close_ int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int reap_children(void)
{
	int n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
	return n;
}

void pid1_finish(enum failure_action action)
{
	sync();
	switch (action) {
	case FAILURE_REBOOT:
		reboot(RB_AUTOBOOT);
		break;
	case FAILURE_POWEROFF:
		reboot(RB_POWER_OFF);
		break;
	case FAILURE_HALT:
		break;
	}
	/* Halt, or the reboot call failed: stay alive, keep reaping, never exit. */
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
}
