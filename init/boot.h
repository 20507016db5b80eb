/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_BOOT_H
#define RAMPART_BOOT_H

#include <stdint.h>

#include "cmdline.h"
#include "machine.h"
#include "probe.h"
#include "slots.h"

/* The boot, in order; init/states.c holds the table that links them. */
enum boot_state {
	ST_SETUP,        /* API file systems, kernel modules */
	ST_PROBE,        /* find the boot disk and its partitions */
	ST_REPART,       /* first boot: add the missing partitions */
	ST_VERIFY_ROOT,  /* signed root hash, dm-verity, mount the root */
	ST_UNSEAL,       /* volume secret from the TPM */
	ST_OPEN_STORAGE, /* LUKS2 /var and /var/tmp, encrypted swap */
	ST_LOCK,         /* extend PCR 7: nothing later can unseal */
	ST_SWITCH_ROOT,  /* hand over to the root's init */
	ST_FAILED,       /* failure state: summary, lock, optional shell */
	ST_HALT,         /* terminal: the documented on-failure policy */
	ST__COUNT,
};

struct refusal {
	const char *id;     /* stable identifier, e.g. "not-implemented" */
	int state;          /* where it happened */
	char object[128];   /* on which object */
	char reason[256];   /* why */
};

/* A root slot that was tried and refused, for the console and the boot report. */
struct slot_refusal {
	char label[GPT_LABEL_MAX];
	const char *id;
	char reason[256];
};

#define NEW_ROOT "/sysroot"

struct boot {
	struct options opts;
	struct refusal refusal; /* the first refusal; id == NULL if none */
	uint64_t state_start_usec[ST__COUNT];
	uint64_t state_usec[ST__COUNT];
	int current;
	char **init_argv;       /* what the kernel gave us, passed on to the root's init */

	/* probe */
	struct partition_table table;
	char esp_uuid[37];
	char boot_disk[64];

	/* verify-root */
	struct slot slots[SLOTS_MAX];
	size_t n_slots;
	struct slot_refusal slot_refusals[SLOTS_MAX];
	size_t n_slot_refusals;
	char root_label[GPT_LABEL_MAX];
	char root_hash[129];
	char root_choice[128];  /* why this slot */
};

/* Writes /run/rampart/boot.json from @b. */
int boot_report_write(const struct boot *b);

extern const struct machine_state boot_table[ST__COUNT];

/*
 * Records why the boot cannot go on and logs it as one line: what failed
 * (@id), on which @object, and why.  Returns ST_FAILED so a state can
 * "return boot_refuse(...)".  Only the first refusal is kept.
 */
int boot_refuse(struct boot *b, const char *id, const char *object, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
