/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_MODULES_H
#define RAMPART_MODULES_H

#include <pthread.h>
#include <stdio.h>

/*
 * Loads the kernel modules listed in @list_path (one .ko path per line,
 * relative to @dir, already in dependency order: the initramfs builder
 * derived it from modules.dep).  A module that is already loaded is fine.
 * A module the kernel refuses (ENODEV: no such hardware, e.g. efivarfs
 * without EFI) is logged (debug) and counted in @failed, not fatal: the state
 * that needs it refuses, and no module's absence can make the boot less
 * safe.  Returns the number loaded, or -errno if the
 * list cannot be read (a missing one too: the initramfs builder writes
 * every list, empty or not).
 */
int modules_load_list(const char *dir, const char *list_path, int *failed);

/*
 * The same for several lists, in a thread of its own and in order, so that
 * the modules load while the caller does or waits for other things (probe
 * waits for the disks to settle, unseal for the TPM).  The lists are opened
 * here: one that cannot be read is the caller's -errno now, not later.
 * modules_load_wait(@job, @n) returns once the
 * first @n lists are loaded, with the number loaded from them and, in
 * @failed, the number not loaded.  If no thread can be made, everything
 * loads in modules_load_start().  modules_load_end() joins the thread.
 */
#define MODULES_LISTS_MAX 4

struct modules_job {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	int started;  /* a thread runs or ran, not yet joined */
	const char *dir;
	FILE *lists[MODULES_LISTS_MAX];
	size_t n_lists;
	size_t n_done; /* lists loaded; under lock */
	int loaded[MODULES_LISTS_MAX], failed[MODULES_LISTS_MAX];
};

int modules_load_start(struct modules_job *job, const char *dir, const char *const *list_paths, size_t n);
int modules_load_wait(struct modules_job *job, size_t n, int *failed);
void modules_load_end(struct modules_job *job);

#endif
