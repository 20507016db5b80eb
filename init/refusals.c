/* SPDX-License-Identifier: MIT */
#include "refusals.h"
#include "util.h"

static const struct {
	const char *name, *advice;
} refusals[REFUSE__COUNT] = {
	[REFUSE_SETUP_MOUNT] = { "setup-mount",
		"the kernel lacks proc/sysfs/devtmpfs/tmpfs; check the kernel configuration" },
	[REFUSE_SETUP_CMDLINE] = { "setup-cmdline",
		"/proc is unusable; check the kernel configuration" },
	[REFUSE_SETUP_MODULES] = { "setup-modules",
		"the initramfs's module list is unreadable; rebuild the initramfs" },
	[REFUSE_BOOT_DISK_UNKNOWN] = { "boot-disk-unknown",
		"boot through the signed UKI (systemd stub): it names the ESP it was loaded from" },
	[REFUSE_BOOT_DISK_TIMEOUT] = { "boot-disk-timeout",
		"check that the boot disk is attached; raise rampart.device-timeout= if it is slow" },
	[REFUSE_BOOT_DISK_AMBIGUOUS] = { "boot-disk-ambiguous",
		"remove the cloned disk that carries the same partition UUIDs" },
	[REFUSE_BOOT_DISK_NOT_ESP] = { "boot-disk-not-esp",
		"the firmware booted from a partition that is not an ESP; check the disk layout" },
	[REFUSE_PROBE_TRUNCATED] = { "probe-truncated",
		"detach disks: rampart reads at most 256 partitions in all and decides nothing on a partial view" },
	[REFUSE_DISK_UNREADABLE] = { "disk-unreadable",
		"a disk's partition table cannot be read, so a copy of the boot disk on it cannot be ruled out; "
		"check or detach that disk" },
	[REFUSE_SIG_UNREADABLE] = { "sig-unreadable",
		"the slot's signature partition cannot be read; check the disk" },
	[REFUSE_SIG_MALFORMED] = { "sig-malformed",
		"the slot's signature document is not one rampart accepts; write a correctly signed image" },
	[REFUSE_SIG_UUID_MISMATCH] = { "sig-uuid-mismatch",
		"the slot's partition UUIDs do not match its signed root hash; write the image again" },
	[REFUSE_SIG_UNTRUSTED] = { "sig-untrusted",
		"no certificate built into the initramfs signed this slot; sign with your image key" },
	[REFUSE_SIG_BAD] = { "sig-bad",
		"the slot's signature does not verify; write a correctly signed image" },
	[REFUSE_VERITY_OPEN] = { "verity-open",
		"dm-verity refused the slot's root and hash partitions; write the image again" },
	[REFUSE_ROOT_MOUNT] = { "root-mount",
		"the mount point for the root cannot be made or the root does not mount; the image or initramfs is broken" },
	[REFUSE_ROOT_INIT] = { "root-init",
		"the root's init is missing, not executable, or fails verification; check init= and the image" },
	[REFUSE_SLOT_VERSION_MISMATCH] = { "slot-version-mismatch",
		"the slot's label claims another version than the IMAGE_VERSION its signed root carries "
		"(relabelled?); restore the label or write the slot again" },
	[REFUSE_SLOT_BELOW_FLOOR] = { "slot-below-floor",
		"the slot's security version is below the rollback floor in the TPM: an older image that a "
		"security update replaced; write a current image into the slot" },
	[REFUSE_SLOT_TRIES_EXHAUSTED] = { "slot-tries-exhausted",
		"the slot was written by an update and used up its tries without being marked good "
		"(`rampart mark-good`); the next slot boots" },
	[REFUSE_SLOT_COUNT] = { "slot-count",
		"the slot is on trial and its try could not be recorded in the partition table; it is not "
		"booted, so it cannot be retried forever; check the disk" },
	[REFUSE_NO_ROOT_SLOT] = { "no-root-slot",
		"write a signed root image (root, verity and signature partitions with one label)" },
	[REFUSE_TRUST_STORE] = { "trust-store",
		"the initramfs has no usable certificate in /etc/rampart/trusted; rebuild it" },
	[REFUSE_NO_ROOT_VERIFIES] = { "no-root-verifies",
		"every root slot was refused (see the lines above); write a correctly signed image" },
	[REFUSE_REPART_DEFINITIONS] = { "repart-definitions",
		"the initramfs's repart.d definitions are broken; rebuild the initramfs" },
	[REFUSE_REPART_DISK] = { "repart-disk",
		"the boot disk's partition table cannot be read; check the disk" },
	[REFUSE_REPART_PLAN] = { "repart-plan",
		"the partition definitions cannot be satisfied on this disk; see the reason" },
	[REFUSE_REPART_NO_SPACE] = { "repart-no-space",
		"use a bigger disk, or smaller partition definitions" },
	[REFUSE_REPART_WRITE] = { "repart-write",
		"the partition table could not be written; check the disk; the next boot retries" },
	[REFUSE_PROBE] = { "probe",
		"the partition table could not be read again; check the disk" },
	[REFUSE_TPM_MISSING] = { "tpm-missing",
		"enable the TPM in the firmware; storage is never provisioned or opened without one" },
	[REFUSE_TPM_RANDOM] = { "tpm-random",
		"no random numbers for a new volume secret; check the TPM and boot again" },
	[REFUSE_TPM_SEAL] = { "tpm-seal",
		"the TPM refused to seal; check that it is enabled and not owned with a password" },
	[REFUSE_TPM_PCR_MISMATCH] = { "tpm-pcr-mismatch",
		"Secure Boot's configuration (PK, KEK, db, dbx) changed since /var was sealed: restore it, or boot "
		"once with rampart.recovery=prompt:PCR7-BEFORE-THE-CHANGE on the signed command line and type the escrowed recovery key "
		"(README, \"Recovery\")" },
	[REFUSE_SECURE_BOOT_OFF] = { "secure-boot-off",
		"enable Secure Boot with your keys enrolled (and leave setup mode)" },
	[REFUSE_LOCKED] = { "locked",
		"a debug shell ran before storage was opened (rampart.break=); boot without it" },
	[REFUSE_TPM_SRK_MISMATCH] = { "tpm-srk-mismatch",
		"this TPM did not seal /var's secret (cleared TPM, moved disk); only a recovery keyslot you enrolled yourself can open it" },
	[REFUSE_TPM_SRK_UNTRUSTED] = { "tpm-srk-untrusted",
		"a key other than the standard SRK is persisted at 0x81000001 (planted?); clear the TPM "
		"from the firmware, or evict that key, and boot again: nothing was sealed" },
	[REFUSE_TPM_LOCKOUT] = { "tpm-lockout",
		"the TPM is in dictionary-attack lockout; wait for it to recover or clear the lockout" },
	[REFUSE_TPM_UNSEAL] = { "tpm-unseal",
		"the TPM could not unseal the secret; see the reason" },
	[REFUSE_STORAGE_MISSING] = { "storage-missing",
		"the disk lacks a /var or /var/tmp partition; the repart definitions must create them" },
	[REFUSE_STORAGE_NOT_LUKS] = { "storage-not-luks",
		"/var's LUKS2 header is damaged or absent; restore it from a header backup; rampart never reformats it" },
	[REFUSE_STORAGE_NO_TOKEN] = { "storage-no-token",
		"/var has no TPM token; enrol one sealed to the pre-lock PCR 7 (README, \"Enrolling with systemd-cryptenroll\")" },
	[REFUSE_STORAGE_TOKEN] = { "storage-token",
		"the TPM token in /var's LUKS2 header is malformed; re-enrol it" },
	[REFUSE_STORAGE_FORMAT] = { "storage-format",
		"formatting a new volume failed; the next boot retries (it is still pending)" },
	[REFUSE_STORAGE_OPEN] = { "storage-open",
		"the unsealed secret does not open the volume; re-enrol the token" },
	[REFUSE_STORAGE_RECORD] = { "storage-record",
		"the TPM holds no valid record of the volumes this machine provisioned (deleted, or replaced "
		"from the running OS?), so a substitute cannot be told apart; nothing was mounted.  The data is "
		"untouched: copy it off from a trusted system, then provision the machine again" },
	[REFUSE_STORAGE_FOREIGN] = { "storage-foreign",
		"a volume opened with the unsealed secret but is not the one this machine provisioned (a "
		"substituted disk or volume, keyed to a secret sealed by someone else); nothing was mounted" },
	[REFUSE_ESCROW_CERTIFICATE] = { "escrow-certificate",
		"the initramfs's escrow certificate is not an RSA or EC certificate; rebuild with a good "
		"KEYDIR/escrow.crt (keys/README.md); nothing was formatted" },
	[REFUSE_RECOVERY_UNAVAILABLE] = { "recovery-unavailable",
		"the volume has no recovery keyslot (no rampart-escrow or systemd-recovery token); restore "
		"the Secure Boot configuration it was sealed under" },
	[REFUSE_RECOVERY_FAILED] = { "recovery-failed",
		"no recovery key typed opened the volume; fetch it with keys/recovery-key and the escrow "
		"private key, then boot again; nothing on the disk was changed" },
	[REFUSE_RECOVERY_FOREIGN] = { "recovery-foreign-volume",
		"the typed key opens the volume, but it is not the one this machine provisioned (a substituted "
		"volume); nothing was changed or mounted" },
	[REFUSE_RECOVERY_RESEAL] = { "recovery-reseal",
		"the volume was recovered but could not be sealed anew; the recovery keyslot still opens it: "
		"boot again with rampart.recovery=prompt" },
	[REFUSE_STORAGE_ROLE] = { "storage-role",
		"the volume is the one this machine provisioned for the other role (/var and /var/tmp "
		"swapped on the disk); nothing was mounted: restore the partitions' GPT types" },
	[REFUSE_STORAGE_MKFS] = { "storage-mkfs",
		"mke2fs failed on a new volume; the next boot retries" },
	[REFUSE_STORAGE_LABEL] = { "storage-label",
		"the partition table could not be updated; the next boot retries" },
	[REFUSE_STORAGE_MOUNT] = { "storage-mount",
		"the volume opened but does not mount; check the file system" },
	[REFUSE_STORAGE_MOUNT_TARGET] = { "storage-mount-target",
		"a mount point inside /var is a symlink or not a directory (planted by the running OS?); "
		"nothing was mounted: inspect /var from a trusted system and remove it" },
	[REFUSE_STORAGE_SWAP] = { "storage-swap",
		"encrypted swap could not be set up; check the swap partition" },
	[REFUSE_LOCK] = { "lock",
		"PCR 7 could not be extended; the TPM misbehaves; rampart does not hand over" },
	[REFUSE_SWITCH_ROOT] = { "switch-root",
		"the root's init could not be started; check init= and the image" },
	[REFUSE_INIT_UNVERIFIED] = { "init-unverified",
		"the init about to run is not on the verified root (something is mounted over it); "
		"nothing was executed: inspect /var from a trusted system" },
	[REFUSE_INTERNAL] = { "internal",
		"a bug in rampart; report it with this console log" },
};

const char *refusal_name(enum refusal_id id)
{
	return id > REFUSE_NONE && id < REFUSE__COUNT ? refusals[id].name : NULL;
}

const char *refusal_advice(enum refusal_id id)
{
	return id > REFUSE_NONE && id < REFUSE__COUNT ? refusals[id].advice : "see the reason above";
}
