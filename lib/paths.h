/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PATHS_H
#define RAMPART_PATHS_H

/*
 * Where rampart leaves what the root's init reads after the switch (the
 * boot report, the measurement log, the swap hand-over): on /run, which
 * is moved into the root, so the files outlive the initrd.
 */
#define RAMPART_RUN_DIR "/run/rampart"
/* "DISK NUMBER" of the booted slot's root partition, for rampart mark-good / mark-bad in the OS. */
#define ROOT_SLOT_HANDOVER RAMPART_RUN_DIR "/root-slot"
/* The initramfs's trusted signing certificates, for rampart update in the OS to check a new version. */
#define TRUSTED_HANDOVER_DIR RAMPART_RUN_DIR "/trusted"

#endif
