/* SPDX-License-Identifier: MIT */
/*
 * Boot counting of a root slot, kept in its root partition's GPT
 * attributes so it survives, needs no file system and shows in any GPT
 * tool (`sgdisk -i N`, `sfdisk --part-attrs`).  Bits 48-63 are the
 * partition type's own; the Discoverable Partitions Specification uses
 * 59 (grow-fs), 60 (read-only) and 63 (no-auto) for root partitions, so
 * rampart uses:
 *
 *   bits 48-51  tries left, 0-15
 *   bit  52     on trial: written by an update, cleared by `rampart
 *               mark-good`
 *
 * A slot not on trial is good (a factory image, or one marked good) and
 * always bootable.  A slot on trial with tries left boots, and each such
 * boot costs a try (written before the hand-over); one on trial with none
 * left is skipped (slot-tries-exhausted).  `rampart mark-bad` puts a slot
 * on trial with no tries: the next boot falls back at once.  Pure.
 */
#ifndef RAMPART_BOOT_COUNT_H
#define RAMPART_BOOT_COUNT_H

#include <stdint.h>

#define BOOT_COUNT_TRIES_SHIFT 48
#define BOOT_COUNT_TRIES_MASK (UINT64_C(0xf) << BOOT_COUNT_TRIES_SHIFT)
#define BOOT_COUNT_TRIAL (UINT64_C(1) << 52)
#define BOOT_COUNT_TRIES_MAX 15
#define BOOT_COUNT_TRIES_DEFAULT 3

enum boot_count_state {
	BOOT_COUNT_GOOD,
	BOOT_COUNT_TRIAL_LEFT,      /* on trial, tries left */
	BOOT_COUNT_TRIAL_EXHAUSTED, /* on trial, none left */
};

enum boot_count_state boot_count_state(uint64_t attrs, unsigned *tries_left);

/* The attributes after one more try (only for a slot on trial with tries left; others unchanged). */
uint64_t boot_count_try(uint64_t attrs);

uint64_t boot_count_mark_good(uint64_t attrs);
uint64_t boot_count_mark_bad(uint64_t attrs);

/* A slot written by an update: on trial with @tries (1-15; larger is 15). */
uint64_t boot_count_new_trial(uint64_t attrs, unsigned tries);

#endif
