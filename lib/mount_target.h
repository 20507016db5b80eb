/* SPDX-License-Identifier: MIT */
/*
 * Mount points that cannot be redirected.  A mount point inside a file
 * system the running OS writes (/var/tmp lives in /var) is attacker-made:
 * a symlink there would put the mount over any directory of the verified
 * root.  Targets are resolved with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) from the tree they belong to and mounted through
 * the descriptor, so the path is never looked up twice.
 */
#ifndef RAMPART_MOUNT_TARGET_H
#define RAMPART_MOUNT_TARGET_H

#include <sys/types.h>

/*
 * Opens @path (relative, no "..") beneath the directory @root_fd as an
 * O_PATH descriptor of a directory, following no symlink on the way and
 * leaving the tree for nothing.  A missing last component is created with
 * @mode first (when @mode is not 0).  -ELOOP: a symlink on the path;
 * -ENOTDIR: not a directory; -EXDEV: the path leaves the tree.
 */
int mount_target_open(int root_fd, const char *path, mode_t mode);

/* Mounts @source (@fstype, @flags) on the directory @target_fd refers to. */
int mount_on_fd(const char *source, int target_fd, const char *fstype, unsigned long flags);

#endif
