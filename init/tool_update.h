/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TOOL_UPDATE_H
#define RAMPART_TOOL_UPDATE_H

/*
 * "rampart update [--tries N] ROOT VERITY SIG" or "rampart update
 * [--tries N] DIR" (DIR holding root.img, verity.img and sig.json), for
 * the running OS: writes a new version into the inactive slot of the disk
 * it booted from (the "_empty" set, else the older slot; never the booted
 * one), after checking the signature document against the certificates
 * the initramfs trusts, and leaves it on trial with N tries (default 3).
 * Inputs may be files or block devices.  Power-cut safe: see the steps in
 * init/tool_update.c.  Exit status 0, or 1 with one line on stderr.
 */
int tool_update(const char *root_img, const char *verity_img, const char *sig_doc, unsigned tries);

#endif
