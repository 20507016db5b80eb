/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_EXEC_H
#define RAMPART_EXEC_H

/* Runs @argv[0] with @envp and waits for it.  Returns its exit status (0..255), or -errno. */
int run_program(char *const argv[], char *const envp[]);

#endif
