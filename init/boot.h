/* SPDX-License-Identifier: MIT */
/*
 * The boot's context, and the two services every state may call:
 * boot_refuse (the one way a refusal travels) and test_stop.  The bottom
 * of init/: this header and init/boot.c use nothing from init/ but the
 * refusal table.  See the README's layout section for which way init/'s
 * includes run (make check-layout checks it).
 */
#ifndef RAMPART_BOOT_H
#define RAMPART_BOOT_H

#include <stdint.h>
#include <sys/types.h>

#include "cmdline.h"
#include "disks.h"
#include "luks.h"
#include "modules.h"
#include "probe.h"
#include "recovery_key.h"
#include "reason.h"
#include "refusals.h"
#include "slot_sigs.h"
#include "slots.h"
#include "tpm2.h"
#include "volume_record.h"

/* The boot, in order; init/states.c holds the table that links them. */
enum boot_state {
	ST_SETUP,        /* API file systems, kernel modules */
	ST_PROBE,        /* find the boot disk and its partitions */
	ST_VERIFY_ROOT,  /* signed root hash, dm-verity, mount the root */
	ST_REPART,       /* first boot: add the missing partitions (only to a disk that verified) */
	ST_UNSEAL,       /* volume secret from the TPM */
	ST_RECOVER,      /* only on request, PCR 7 changed: the escrowed recovery key, re-seal */
	ST_OPEN_STORAGE, /* LUKS2 /var and /var/tmp, encrypted swap */
	ST_LOCK,         /* extend PCR 7: nothing later can unseal */
	ST_SWITCH_ROOT,  /* hand over to the root's init */
	ST_FAILED,       /* failure state: summary, lock, optional shell */
	ST_HALT,         /* terminal: the documented on-failure policy */
	ST__COUNT,
};

struct refusal {
	enum refusal_id id; /* REFUSE_NONE until the first refusal */
	int state;          /* where it happened */
	char object[128];   /* on which object */
	char reason[256];   /* why */
};

/* A root slot that was tried and refused, for the console and the boot report. */
struct slot_refusal {
	char label[GPT_LABEL_MAX];
	enum refusal_id id;
	char reason[256];
};

/* A LUKS2 volume rampart opens: /var or /var/tmp. */
struct volume {
	const char *name;       /* device-mapper name: "var", "tmp" */
	const char *label;      /* final GPT label */
	const char *mountpoint; /* inside the new root */
	enum part_role role;
	enum volume_role recorded_as; /* its entry in the TPM's volume record */
	const struct partition *part;
	int pending;            /* created by repart, never held data: may be formatted */
	uint8_t identity[VOLUME_IDENTITY_SIZE]; /* of the volume opened (lib/luks.h) */
	/* What opens it: its own token's (an existing volume) or this boot's new secret (a pending one). */
	struct tpm2_sealed sealed;   /* the token's sealed object, existing volumes */
	int token, keyslot;          /* the token used and the keyslot it names */
	uint8_t secret[TPM2_SECRET_MAX]; /* wiped at lock */
	size_t secret_len;           /* 0: none in hand */
	const char *sealed_under;    /* tpm2_parent_name() of its secret's parent, for the report */
	const char *outcome;    /* "opened", "formatted", ... for the report */
	/* unseal found it sealed to another PCR 7, and recovery was asked for (init/recovery.c) */
	int needs_recovery;
	struct { int token, keyslot; } mismatched[LUKS_TOKENS_MAX]; /* its tokens that failed so */
	size_t n_mismatched;
	int recovered;          /* opened with the recovery key, re-sealed in this boot */
};

struct storage {
	struct volume vols[2];
	struct tpm2 *tpm;
	struct tpm2_sealed sealed; /* the new secret's, for new volumes' tokens */
	struct tpm2_sealed resealed; /* the secret recovery sealed anew (init/recovery.c) */
	/* New volumes get a recovery keyslot, escrowed (lib/escrow.h); wiped at lock. */
	uint8_t recovery_key[RECOVERY_KEY_BYTES];
	int have_recovery_key;
	struct escrow_recipient *escrow;
	const char *recovery_outcome; /* for the report: what rampart.recovery=prompt came to */
	int have_secret;        /* every volume has its secret in hand (struct volume) */
	const char *tpm_outcome;
	char created[8][GPT_LABEL_MAX + 16]; /* partitions added on this boot */
	size_t n_created;
	char pcr7_before[65], pcr7_after[65];
	int pcr7_extended;      /* the lock ran: nothing can be unsealed any more */
	int shell_ran;          /* a debug shell ran: nothing may be unsealed any more */
	const char *swap;       /* handed to the OS, or NULL */
	char disk_guid[37];     /* the boot disk's GPT GUID (repart) */
	struct volume_record record; /* the TPM's record (init/lock.h), once read */
	int record_state;       /* 0 not read yet, 1 read, or the negative errno of reading it */
	int record_stale;       /* read under an old PCR 7 the command line names: to be written again */
	struct reason record_why;
};

#define NEW_ROOT "/sysroot"

struct boot {
	struct options opts;
	struct refusal refusal; /* the first refusal; REFUSE_NONE if none */
	uint64_t state_start_usec[ST__COUNT];
	uint64_t state_usec[ST__COUNT];
	int current;
	char **init_argv;       /* what the kernel gave us, passed on to the root's init */
	struct modules_job modules; /* the modules setup left loading: boot_modules_ready() */
	int modules_ready;          /* how many of boot_module_lists[] were waited for */
	int modules_failed;         /* how many of their modules did not load, as logged */

	/* probe */
	struct partition_table table;
	struct disk_set disks;  /* the disks read: those probe decided on, then each one checked since */
	char esp_uuid[37];
	char boot_disk[64];

	/* verify-root */
	struct slot_sig_set sigs; /* the boot disk's signature documents, while verify-root runs */
	struct slot slots[SLOTS_MAX];
	size_t n_slots;
	struct slot_refusal slot_refusals[SLOTS_MAX];
	size_t n_slot_refusals;
	char root_label[GPT_LABEL_MAX];
	const struct partition *root_part; /* the booted slot's root partition */
	uint32_t root_security_version;     /* RAMPART_SECURITY_VERSION of its os-release */
	int root_good;          /* not on trial (boot counting): may raise the rollback floor */
	dev_t root_dev;         /* the verified root's file system, for the check before execv */
	char root_hash[129];
	char root_choice[128];  /* why this slot */

	struct storage storage;
};

/*
 * Records why the boot cannot go on and logs it as one line: what failed
 * (@id), on which @object, and why.  Returns ST_FAILED so a state can
 * "return boot_refuse(...)".  Only the first refusal is kept.
 */
int boot_refuse(struct boot *b, enum refusal_id id, const char *object, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The boot disk's partition of @role (the first one), or NULL. */
const struct partition *boot_disk_partition(const struct boot *b, enum part_role role);

/* rampart.test-stop=STEP: tests stop the machine here, as a power cut would. */
void test_stop(const struct boot *b, const char *step);

/*
 * The kernel modules setup leaves loading in the background, in this
 * order (initramfs/modules.list): a state waits with boot_modules_ready()
 * before it first uses what it names.  Each wait logs what loaded once;
 * later ones return at once.
 */
enum boot_modules {
	MODULES_FOR_ROOT,    /* dm-verity, erofs: verify-root */
	MODULES_FOR_STORAGE, /* dm-crypt, ext4: recover, open-storage */
	MODULES_FOR__COUNT,
};
extern const char *const boot_module_lists[MODULES_FOR__COUNT];
void boot_modules_ready(struct boot *b, enum boot_modules need);

#endif
