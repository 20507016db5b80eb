/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_SWITCHROOT_H
#define RAMPART_SWITCHROOT_H

#include <sys/types.h>

#include "reason.h"

/*
 * 0 if @init (an absolute path inside @new_root, symlinks resolved there)
 * is an executable regular file that reads back whole, else -errno
 * (-EIO: a block failed verification).  Checked in a child chrooted into
 * @new_root, so nothing in the new root runs.
 */
int root_init_executable(const char *new_root, const char *init);

/*
 * Moves /dev, /proc, /sys and /run into @new_root, deletes the
 * initramfs's files (its memory is otherwise lost for good), makes
 * @new_root the root and executes @init with @argv, after checking that
 * @init (symlinks resolved) is a file of @verified_dev, the verified root's
 * file system, and not of anything mounted over part of it (-EXDEV).
 * Returns -errno only
 * if something failed; after the deletion there is no way back, so the
 * caller handles a failure as a failed boot.
 */
int switch_root(const char *new_root, const char *init, char *const argv[], dev_t verified_dev,
		struct reason *why);

#endif
