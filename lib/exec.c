/* SPDX-License-Identifier: MIT */
#include "exec.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

int run_program(char *const argv[], char *const envp[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return log_debug_errno(errno, "cannot fork for %s", argv[0]);
	if (pid == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_debug_errno(errno, "cannot wait for %s", argv[0]);
	if (WIFSIGNALED(status))
		return log_debug_errno(EINTR, "%s killed by signal %d", argv[0], WTERMSIG(status));
	return WEXITSTATUS(status);
}
