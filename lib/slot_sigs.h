/* SPDX-License-Identifier: MIT */
/*
 * The root-verity-sig partitions of a disk, read and parsed: what the
 * slot pairing (lib/slots.h) needs, and the documents the signature check
 * then verifies.  Device I/O; the decisions are in lib/slots.c and
 * lib/rootsig.c.
 */
#ifndef RAMPART_SLOT_SIGS_H
#define RAMPART_SLOT_SIGS_H

#include <stdbool.h>
#include <stddef.h>

#include "gpt.h"
#include "rootsig.h"
#include "slots.h"

/* GPT's usual 128 entries hold at most 42 slots; more signatures than this are not read. */
#define SLOT_SIGS_MAX 32
/* Signature documents are a few KiB; read enough to tell an oversized one. */
#define SLOT_SIG_READ_MAX (128 * 1024)

struct slot_sig_set {
	struct slot_sig sigs[SLOT_SIGS_MAX];
	struct root_signature docs[SLOT_SIGS_MAX];
	size_t n;
};

/* Called for a signature partition that cannot be paired: unreadable, malformed or one too many. */
typedef void (*slot_sig_bad_fn)(void *userdata, const struct partition *sig, bool unreadable, const char *why);

/*
 * Reads and parses every root-verity-sig partition of @disk in @parts
 * into @set (placeholders labelled "_empty" are listed, not read).  One
 * that cannot be read or parsed is listed without UUIDs and reported
 * through @bad; it never stops the others.  @set needs slot_sigs_free().
 */
void slot_sigs_read(struct slot_sig_set *set, const struct partition *parts, size_t n, const char *disk,
		    slot_sig_bad_fn bad, void *userdata);
void slot_sigs_free(struct slot_sig_set *set);
void slot_sigs_freep(struct slot_sig_set **set); /* for _cleanup_ */

#endif
