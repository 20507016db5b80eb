/* SPDX-License-Identifier: MIT */
/*
 * The debug shell: only when the signed command line asks for it
 * (rampart.debug=shell, rd.shell), and only after PCR 7 was extended, so
 * nothing typed into it can unseal the volume secret (CVE-2016-4484 was a
 * shell reachable by holding Enter).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "shell.h"
#include "util.h"

#define SHELL "/bin/busybox"

static void shell_child(const char *why)
{
	char *const argv[] = { SHELL, "sh", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=linux",
			       "PS1=rampart# ", NULL };
	int fd;

	setsid();
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		_exit(127);
	ioctl(fd, TIOCSCTTY, 1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	dprintf(1, "rampart debug shell (%s): PCR 7 is extended, the volume key cannot be unsealed "
		   "in this boot. Exit the shell to go on.\n", why);
	execve(argv[0], argv, envp);
	_exit(127);
}

int debug_shell(struct boot *b, const char *why)
{
	int status, r;
	pid_t pid;

	if (!b->opts.debug_shell)
		return -EPERM;
	r = pcr7_lock(b);
	if (r < 0 && r != -ENODEV) {
		log_error("no debug shell: PCR 7 could not be extended (%s)", strerror(-r));
		return r;
	}
	if (r == -ENODEV)
		log_notice("debug shell: no TPM, so no secret to lock away");
	log_notice("starting the debug shell (%s)", why);
	pid = fork();
	if (pid < 0)
		return log_errno(LOG_ERR, errno, "cannot start the debug shell");
	if (pid == 0)
		shell_child(why);
	b->storage.shell_ran = 1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* Nothing started from the shell lives on into the boot. */
	kill(-pid, SIGKILL);
	/* The shell's session ended with a hangup of the console: open it anew. */
	log_open();
	log_notice("debug shell exited");
	return 0;
}
