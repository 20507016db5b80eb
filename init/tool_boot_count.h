/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TOOL_BOOT_COUNT_H
#define RAMPART_TOOL_BOOT_COUNT_H

#include <stdbool.h>

/*
 * "rampart mark-good" / "rampart mark-bad", for the running OS: the slot
 * it booted from (ROOT_SLOT_HANDOVER, written by verify-root) is marked
 * good (no longer on trial: it always boots, and the next boot may raise
 * the rollback floor to it) or bad (on trial with no tries: the next boot
 * falls back).  One GPT write (lib/boot_count.h).  Exit status 0, or 1
 * with the reason on stderr.
 */
int tool_mark_slot(bool good);

#endif
