/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_MODULES_H
#define RAMPART_MODULES_H

/*
 * Loads the kernel modules listed in @list_path (one .ko path per line,
 * relative to @dir, already in dependency order: the initramfs builder
 * derived it from modules.dep).  A module that is already loaded is fine.
 * A module the kernel refuses (ENODEV: no such hardware, e.g. efivarfs
 * without EFI) is logged and counted in @failed, not fatal: the state that
 * needs it refuses with the precise reason, and no module's absence can
 * make the boot less safe.  Returns the number loaded, or -errno if the
 * list cannot be read.
 */
int modules_load_list(const char *dir, const char *list_path, int *failed);

#endif
