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
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "shell.h"
#include "tpm2.h"
#include "util.h"

#define SHELL "/bin/busybox"

static void shell_child(const char *why, const char *no_tpm)
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
	if (no_tpm)
		dprintf(1, "rampart debug shell (%s): NO TPM (%s): nothing was sealed or unsealed in this boot, "
			   "and nothing will be after this shell. Exit the shell to go on.\n", why, no_tpm);
	else
		dprintf(1, "rampart debug shell (%s): PCR 7 is extended, the volume key cannot be unsealed "
			   "in this boot. Exit the shell to go on.\n", why);
	execve(argv[0], argv, envp);
	_exit(127);
}

/*
 * The shell runs only once PCR 7 is extended and the extension checked.  A
 * TPM that cannot be opened may not be probed yet: wait for it up to the
 * device timeout, so that one appearing later cannot be unsealed from the
 * shell.  Only when there is no TPM device at all does the shell open
 * without the lock, and says so on its first line.
 */
static int lock_before_shell(struct boot *b, const char **no_tpm)
{
	uint64_t deadline = now_usec() + (uint64_t)b->opts.device_timeout_sec * 1000000u;
	const struct timespec pause_100ms = { .tv_nsec = 100 * 1000000L };
	int r;

	*no_tpm = NULL;
	while ((r = pcr7_lock(b)) == -ENODEV && now_usec() < deadline)
		nanosleep(&pause_100ms, NULL);
	if (r == -ENODEV && access(TPM2_DEVICE_PATH, F_OK) < 0) {
		*no_tpm = "no " TPM2_DEVICE_PATH " within rampart.device-timeout=";
		return 0;
	}
	return r;
}

/* Nothing the shell started lives on into the boot: every process but PID 1 is killed and reaped. */
static void kill_all_but_us(void)
{
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

int debug_shell(struct boot *b, const char *why)
{
	const char *no_tpm;
	int status, r;
	pid_t pid;

	if (!b->opts.debug_shell)
		return -EPERM;
	/* The production initramfs has no shell at all (Makefile, INITRAMFS_DEBUG_FILES). */
	if (access(SHELL, X_OK) < 0) {
		log_error("no debug shell: %s is not in this initramfs (a production build has no shell)", SHELL);
		return -ENOENT;
	}
	r = lock_before_shell(b, &no_tpm);
	if (r < 0) {
		log_error("no debug shell: PCR 7 could not be extended and checked (%s)", strerror(-r));
		return r;
	}
	if (no_tpm)
		log_notice("debug shell without a TPM: %s", no_tpm);
	log_notice("starting the debug shell (%s)", why);
	pid = fork();
	if (pid < 0)
		return log_errno(LOG_ERR, errno, "cannot start the debug shell");
	if (pid == 0)
		shell_child(why, no_tpm);
	b->storage.shell_ran = 1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill_all_but_us();
	/* The shell's session ended with a hangup of the console: open it anew. */
	log_open();
	log_notice("debug shell exited");
	return 0;
}
