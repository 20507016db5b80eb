/* SPDX-License-Identifier: MIT */
/*
 * The disks after probe decided: the dispatcher (init/main.c) calls this
 * before every later state, so a copy of the boot disk that enumerates
 * late (a USB stick after virtio) is refused whenever it shows up before
 * the hand-over, not only when it was there before the decision.
 */
#ifndef RAMPART_DISKWATCH_H
#define RAMPART_DISKWATCH_H

#include "boot.h"

/*
 * Reads the disks that appeared since the last look (those not in
 * @b->disks; nothing at all when none did) and refuses if one has a
 * partition with the ESP's UUID (boot-disk-ambiguous), or cannot be read
 * within rampart.device-settle= (probe: it could be such a copy).
 * Returns 0, or ST_FAILED after boot_refuse().
 */
int boot_disks_recheck(struct boot *b);

#endif
