/* SPDX-License-Identifier: MIT */
/*
 * Every refusal identifier rampart uses, with what an operator can do
 * about it.  Identifiers are stable: tests and users match them.
 */
#include <string.h>

#include "boot.h"
#include "util.h"

static const struct {
	const char *id, *advice;
} refusals[] = {
	{ "setup-mount", "the kernel lacks proc/sysfs/devtmpfs/tmpfs; check the kernel configuration" },
	{ "setup-cmdline", "/proc is unusable; check the kernel configuration" },
	{ "setup-modules", "the initramfs's module list is unreadable; rebuild the initramfs" },
	{ "boot-disk-unknown", "boot through the signed UKI (systemd stub): it names the ESP it was loaded from" },
	{ "boot-disk-timeout", "check that the boot disk is attached; raise rampart.device-timeout= if it is slow" },
	{ "boot-disk-ambiguous", "remove the cloned disk that carries the same partition UUIDs" },
	{ "boot-disk-not-esp", "the firmware booted from a partition that is not an ESP; check the disk layout" },
	{ "root-mount", "the mount point for the root cannot be made; the initramfs is broken" },
	{ "no-root-slot", "write a signed root image (root, verity and signature partitions with one label)" },
	{ "trust-store", "the initramfs has no usable certificate in /etc/rampart/trusted; rebuild it" },
	{ "no-root-verifies", "every root slot was refused (see the lines above); write a correctly signed image" },
	{ "repart-definitions", "the initramfs's repart.d definitions are broken; rebuild the initramfs" },
	{ "repart-disk", "the boot disk's partition table cannot be read; check the disk" },
	{ "repart-plan", "the partition definitions cannot be satisfied on this disk; see the reason" },
	{ "repart-no-space", "use a bigger disk, or smaller partition definitions" },
	{ "repart-write", "the partition table could not be written; check the disk; the next boot retries" },
	{ "tpm-missing", "enable the TPM in the firmware; storage is never provisioned or opened without one" },
	{ "tpm-random", "no random numbers for a new volume secret; check the TPM and boot again" },
	{ "tpm-seal", "the TPM refused to seal; check that it is enabled and not owned with a password" },
	{ "tpm-pcr-mismatch", "Secure Boot's configuration (PK, KEK, db, dbx) changed since /var was sealed; "
			      "restore it. rampart enrols no recovery keyslot: add one yourself if you need one" },
	{ "secure-boot-off", "enable Secure Boot with your keys enrolled (and leave setup mode)" },
	{ "locked", "a debug shell ran before storage was opened (rampart.break=); boot without it" },
	{ "tpm-srk-mismatch", "this TPM did not seal /var's secret (cleared TPM, moved disk); only a recovery "
			      "keyslot you enrolled yourself can open it" },
	{ "tpm-lockout", "the TPM is in dictionary-attack lockout; wait for it to recover or clear the lockout" },
	{ "tpm-unseal", "the TPM could not unseal the secret; see the reason" },
	{ "storage-missing", "the disk lacks a /var or /var/tmp partition; the repart definitions must create them" },
	{ "storage-not-luks", "/var's LUKS2 header is damaged or absent; restore it from a header backup; "
			      "rampart never reformats it" },
	{ "storage-no-token", "/var has no TPM token; enrol one (systemd-cryptenroll --tpm2-pcrs=7)" },
	{ "storage-token", "the TPM token in /var's LUKS2 header is malformed; re-enrol it" },
	{ "storage-format", "formatting a new volume failed; the next boot retries (it is still pending)" },
	{ "storage-open", "the unsealed secret does not open the volume; re-enrol the token" },
	{ "storage-mkfs", "mke2fs failed on a new volume; the next boot retries" },
	{ "storage-label", "the partition table could not be updated; the next boot retries" },
	{ "storage-mount", "the volume opened but does not mount; check the file system" },
	{ "storage-swap", "encrypted swap could not be set up; check the swap partition" },
	{ "lock", "PCR 7 could not be extended; the TPM misbehaves; rampart does not hand over" },
	{ "switch-root", "the root's init could not be started; check init= and the image" },
	{ "probe", "the partition table could not be read again; check the disk" },
	{ "internal", "a bug in rampart; report it with this console log" },
};

const char *refusal_advice(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++)
		if (!strcmp(refusals[i].id, id))
			return refusals[i].advice;
	return "see the reason above";
}

int refusal_known(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++)
		if (!strcmp(refusals[i].id, id))
			return 1;
	return 0;
}
