/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_EFIVAR_H
#define RAMPART_EFIVAR_H

#include <stddef.h>
#include <stdint.h>

#include "encoding.h" /* UUID_STR_LEN */

/*
 * The Boot Loader Interface: systemd-stub (and systemd-boot) store the GPT
 * partition UUID of the ESP they were loaded from in this variable.
 */
#define EFIVAR_LOADER_DEVICE_PART_UUID \
	"LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFIVARFS_DIR "/sys/firmware/efi/efivars"

/*
 * Decodes an efivarfs file's content: 4 bytes of attributes, then a
 * UTF-16LE UUID string (optionally NUL terminated).  Writes the UUID in
 * lowercase.  Pure; returns 0 or -EBADMSG.
 */
int efivar_decode_uuid(const void *buf, size_t len, char out[UUID_STR_LEN]);

/* Reads LoaderDevicePartUUID, mounting efivarfs if needed.  -ENOENT if unset or no EFI. */
int efivar_read_loader_partuuid(char out[UUID_STR_LEN]);

/* Decodes a one-byte EFI variable (SecureBoot, SetupMode): 4 bytes of attributes, the value. Pure. */
int efivar_decode_u8(const void *buf, size_t len, uint8_t *value);

/*
 * 1 if the firmware enforces Secure Boot (SecureBoot = 1, SetupMode = 0),
 * 0 if not (or no EFI at all), -errno if the variables cannot be read.
 */
int efivar_secure_boot_enforced(void);

#endif
