/* SPDX-License-Identifier: MIT */
/*
 * Which volumes this machine provisioned: per role (/var, /var/tmp), the
 * identity of the LUKS2 volume rampart formatted for it (a digest of its
 * volume key, lib/luks.h).  The record lives in a TPM NV index only the
 * initrd can write, before the lock (lib/tpm2.h, tpm2_nv_record_write);
 * a volume that opens but is not the one recorded for its role is not
 * mounted.  Encoding and matching only: pure, host-tested.
 *
 * The same record holds the rollback floor: the lowest security version
 * (RAMPART_SECURITY_VERSION in a root's os-release) a root slot may have
 * to boot.  One index, so the floor cannot be deleted without the
 * volumes' record, which refuses the boot (never a first boot).
 *
 * Bytes (76): "RMPV", version 1, role count 2, two zero bytes, the floor
 * (32 bits, little-endian), then the 32-byte identity of /var and of
 * /var/tmp.
 */
#ifndef RAMPART_VOLUME_RECORD_H
#define RAMPART_VOLUME_RECORD_H

#include <stddef.h>
#include <stdint.h>

/*
 * In the NV range the TCG gave the Linux community (0x01D10200-0x01D105FF,
 * the UAPI group's Linux TPM NV Index Registry), outside systemd's
 * delegation.  Not registered yet: a deployment that uses this index for
 * something else changes it here.
 */
#define VOLUME_RECORD_NV_INDEX 0x01d10380u
#define VOLUME_IDENTITY_SIZE 32
#define VOLUME_RECORD_SIZE (12 + 2 * VOLUME_IDENTITY_SIZE)

enum volume_role {
	VOLUME_VAR,
	VOLUME_TMP,
	VOLUME__COUNT,
};

struct volume_record {
	uint32_t rollback_floor;
	uint8_t identity[VOLUME__COUNT][VOLUME_IDENTITY_SIZE];
};

void volume_record_encode(const struct volume_record *rec, uint8_t out[VOLUME_RECORD_SIZE]);

/* -EBADMSG unless @in is a record this version writes. */
int volume_record_decode(const uint8_t *in, size_t len, struct volume_record *rec);

/* The role @identity is recorded for, or -ENOENT: not a volume this machine provisioned. */
int volume_record_find(const struct volume_record *rec, const uint8_t identity[VOLUME_IDENTITY_SIZE]);

#endif
