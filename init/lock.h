/* SPDX-License-Identifier: MIT */
/*
 * The PCR 7 lock, a service of the lock state, the debug shell and the
 * failure state: once it ran, the volume secret cannot be unsealed again in
 * this boot.  Also the boot's one TPM handle.
 */
#ifndef RAMPART_LOCK_H
#define RAMPART_LOCK_H

#include "boot.h"

#define SEAL_PCR 7

/* Opens the boot's TPM handle (b->storage.tpm) unless it is open. */
int boot_tpm_open(struct boot *b);

/* Closes it and drops the sealed object: the root's init gets no handle from us. */
void boot_tpm_release(struct boot *b);

/*
 * The TPM's record of this installation (lib/volume_record.h: the volumes
 * it provisioned, the rollback floor), which only this stage of the boot,
 * before the lock, can write.  boot_record_read() reads it once per boot
 * into b->storage.record and returns 0, or the negative errno of that
 * read with b->storage.record_why saying why (-ENOENT: there is none).
 * boot_record_write() writes b->storage.record.
 */
int boot_record_read(struct boot *b);
int boot_record_write(struct boot *b);
/* The record as refusals name it: "TPM NV index 0x...". */
const char *boot_record_name(void);

/*
 * Wipes the secret, extends PCR 7 with rampart's lock event, checks that
 * the PCR moved as extended and that the secret no longer unseals.
 * -ENODEV without a TPM.
 */
int pcr7_lock(struct boot *b);

#endif
