/* SPDX-License-Identifier: MIT */
/*
 * The storage states: repart (first boot adds partitions), unseal (the
 * volume secret from the TPM), open-storage (LUKS2 /var and /var/tmp,
 * encrypted swap).  The lock that follows is init/lock.c.
 *
 * Data is never put at risk: only partitions repart created and that
 * still carry their pending label are ever formatted.  A /var with its
 * final label that does not open stops the boot; it is never reformatted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "encoding.h"
#include "efivar.h"
#include "escrow.h"
#include "exec.h"
#include "fileio.h"
#include "lock.h"
#include "log.h"
#include "luks.h"
#include "mount_target.h"
#include "paths.h"
#include "repart_apply.h"
#include "repart_conf.h"
#include "repart_plan.h"
#include "swap.h"
#include "tpm2.h"
#include "tpm2_token.h"
#include "storage.h"
#include "util.h"
#include "volume_record.h"
#include "volumes.h"

#define REPART_DIR "/etc/rampart/repart.d"
#define ESCROW_CERT "/etc/rampart/escrow.crt"
#define SWAP_HANDOVER RAMPART_RUN_DIR "/swap"
#define MKE2FS "/sbin/mke2fs"
#define SWAP_LABEL "swap" /* initramfs/repart.d/40-swap.conf */

static int reprobe(struct boot *b)
{
	int r = probe_partitions(&b->table);

	if (r < 0)
		return boot_refuse(b, REFUSE_PROBE, b->boot_disk, r, "cannot read the partition table again");
	if (b->table.truncated)
		return boot_refuse(b, REFUSE_PROBE_TRUNCATED, b->boot_disk, 0,
				   "more than %d partitions on the attached disks; refusing to decide on a partial view",
				   PARTITIONS_MAX);
	return 0;
}

int state_repart(void *ctx)
{
	struct boot *b = ctx;
	struct partition existing[PARTITIONS_MAX];
	struct repart_def defs[32];
	struct repart_new plan[16];
	size_t n_existing = 0, n_defs = 0, n_plan = 0;
	struct repart_geometry geo;
	struct reason why = { "" };
	int r;

	/*
	 * The TPM is mandatory (unseal refuses without one): check before
	 * anything on the disk is touched, even the mending of its table.
	 */
	if (access(TPM2_DEVICE_PATH, F_OK) < 0)
		return boot_refuse(b, REFUSE_TPM_MISSING, TPM2_DEVICE_PATH, errno,
				   "no TPM: refusing to provision or open encrypted storage (nothing was changed)");

	r = repart_load_dir(REPART_DIR, defs, ARRAY_SIZE(defs), &n_defs, &why);
	if (r < 0)
		return boot_refuse(b, REFUSE_REPART_DEFINITIONS, REPART_DIR, r, "cannot load the partition definitions: %s",
				   reason_or(&why, "?"));
	/* Mends what a power cut during an earlier write left behind, and tells the kernel. */
	r = repart_mend_and_tell_kernel(b->boot_disk);
	if (r < 0)
		return boot_refuse(b, REFUSE_REPART_DISK, b->boot_disk, r, "cannot bring the partition table in order");
	r = repart_disk_geometry(b->boot_disk, &geo);
	if (r < 0)
		return boot_refuse(b, REFUSE_REPART_DISK, b->boot_disk, r, "cannot read the disk's geometry");
	snprintf(b->storage.disk_guid, sizeof(b->storage.disk_guid), "%s", geo.disk_guid);
	for (size_t i = 0; i < b->table.n; i++)
		if (!strcmp(b->table.parts[i].disk, b->boot_disk))
			existing[n_existing++] = b->table.parts[i];

	r = repart_plan(existing, n_existing, &geo, defs, n_defs, plan, ARRAY_SIZE(plan), &n_plan, &why);
	if (r < 0)
		return boot_refuse(b, r == -ENOSPC ? REFUSE_REPART_NO_SPACE : REFUSE_REPART_PLAN, b->boot_disk, 0, "%s", why.text);
	if (n_plan == 0) {
		log_info("repart: %s has every partition the definitions ask for", b->boot_disk);
		return ST_UNSEAL;
	}

	for (size_t i = 0; i < n_plan; i++) {
		log_notice("repart: adding %s partition \"%s\", %llu MiB at %llu MiB of %s",
			   gpt_role_name(plan[i].def->role), plan[i].label,
			   (unsigned long long)(plan[i].size >> 20), (unsigned long long)(plan[i].start >> 20),
			   b->boot_disk);
		if (b->storage.n_created < ARRAY_SIZE(b->storage.created))
			snprintf(b->storage.created[b->storage.n_created++], sizeof(b->storage.created[0]), "%s:%s",
				 gpt_role_name(plan[i].def->role), plan[i].label);
	}
	r = repart_apply(b->boot_disk, plan, n_plan);
	if (r < 0)
		return boot_refuse(b, REFUSE_REPART_WRITE, b->boot_disk, r, "cannot write the new partition table");
	test_stop(b, "repart");
	r = reprobe(b);
	return r < 0 ? r : ST_UNSEAL;
}

static void find_volumes(struct boot *b)
{
	static const struct {
		const char *name, *label, *mountpoint;
		enum part_role role;
		enum volume_role recorded_as;
	} wanted[] = {
		{ "var", "var", NEW_ROOT "/var", ROLE_VAR, VOLUME_VAR },
		{ "tmp", "tmp", NEW_ROOT "/var/tmp", ROLE_TMP, VOLUME_TMP },
	};

	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		struct volume *v = &b->storage.vols[i];

		v->name = wanted[i].name;
		v->label = wanted[i].label;
		v->mountpoint = wanted[i].mountpoint;
		v->role = wanted[i].role;
		v->recorded_as = wanted[i].recorded_as;
		v->part = boot_disk_partition(b, v->role);
		v->pending = v->part && repart_pending_final(v->part->label);
	}
}

/* Says why no token of @v gave its secret; @token is the token slot the reason is about. */
static int refuse_unseal(struct boot *b, const struct volume *v, int token, int r, const struct reason *why)
{
	const char *dev = v->part->devnode;

	if (r == -EPERM)
		return boot_refuse(b, REFUSE_TPM_PCR_MISMATCH, dev, 0,
				   "the TPM refuses to unseal token %d: PCR 7 differs from when the secret was sealed "
				   "(Secure Boot keys or policy changed); %s left untouched", token, vol_path(v));
	if (r == -ENOKEY)
		return boot_refuse(b, REFUSE_TPM_SRK_MISMATCH, dev, 0,
				   "token %d of %s: %s", token, vol_path(v), reason_or(why, "not sealed by this TPM"));
	if (r == -ENOLCK)
		return boot_refuse(b, REFUSE_TPM_LOCKOUT, TPM2_DEVICE_PATH, 0, "the TPM is in dictionary-attack lockout");
	if (r == -ERANGE)
		return boot_refuse(b, REFUSE_TPM_UNSEAL, dev, 0, "token %d's secret has the wrong size", token);
	return boot_refuse(b, REFUSE_TPM_UNSEAL, TPM2_DEVICE_PATH, r, "cannot unseal token %d of %s: %s", token,
			   vol_path(v), reason_or(why, "TPM error"));
}

/*
 * The secret of @v from one sealed object: taken from a volume unsealed
 * earlier in this boot whose token holds the same object (the TPM would
 * answer the same; returns 1), else unsealed (returns 0).
 */
static int unseal_one(struct boot *b, struct volume *v, const struct tpm2_sealed *s, struct reason *why)
{
	int r;

	for (struct volume *u = b->storage.vols; u < v; u++)
		if (u->secret_len && tpm2_sealed_same(&u->sealed, s)) {
			memcpy(v->secret, u->secret, u->secret_len);
			v->secret_len = u->secret_len;
			return 1;
		}
	v->secret_len = sizeof(v->secret);
	r = tpm2_unseal(b->storage.tpm, s, v->secret, &v->secret_len, why);
	if (r == 0 && v->secret_len < 16) /* systemd seals 32 bytes, rampart too */
		r = reason_set(why, -ERANGE, "secret too short");
	if (r < 0) {
		explicit_wipe(v->secret, sizeof(v->secret));
		v->secret_len = 0;
	}
	return r;
}

/* Which failure says most about why nothing unsealed: lockout, then PCRs, then the key, then the rest. */
static int failure_rank(int r)
{
	return r == -ENOLCK ? 4 : r == -EPERM ? 3 : r == -ENOKEY ? 2 : 1;
}

/*
 * Why a parsed token is not tried: not bound to PCR 7 (the lock could not
 * close it), or a legacy one on a volume that has an SRK-model token.
 * Failures on the SRK path can be forged by someone between us and the
 * TPM, so falling back from an SRK token to a legacy one would hand such
 * an interposer the weaker model on request.
 */
static const char *not_tried(const struct tpm2_sealed *s, bool volume_has_srk_token)
{
	if (!(s->pcr_mask & (1u << SEAL_PCR)))
		return "not sealed to PCR 7, which the lock extends";
	if (s->parent != TPM2_PARENT_SRK && volume_has_srk_token)
		return "a legacy token, and the volume has an SRK-model token";
	return NULL;
}

/*
 * An existing volume's secret, from the first of its systemd-tpm2 tokens
 * that unseals, in token slot order.  Legacy-model tokens count only on a
 * volume without a well-formed SRK-model one (README, "Token
 * compatibility").  Malformed tokens and tokens not bound to PCR 7 are
 * passed over; when none is left, the first one's fault is the refusal.
 * Of failed unseals the most telling is reported (failure_rank());
 * dictionary-attack lockout ends the search.
 */
static int unseal_volume(struct boot *b, struct volume *v)
{
	struct luks_token tokens[LUKS_TOKENS_MAX];
	struct tpm2_sealed sealed[LUKS_TOKENS_MAX];
	int keyslot[LUKS_TOKENS_MAX];
	struct reason why = { "" }, skip_why = { "" }, fail_why = { "" };
	size_t n = 0, n_parsed = 0;
	int r, fail_r = 0, fail_token = -1, skip_token = -1, reused = 0;
	bool has_srk = false, only_pcr_mismatch = true;

	r = luks_read_tokens(v->part->devnode, TPM2_TOKEN_TYPE, tokens, ARRAY_SIZE(tokens), &n);
	if (r == -EMEDIUMTYPE)
		return boot_refuse(b, REFUSE_STORAGE_NOT_LUKS, v->part->devnode, 0,
				   "%s is not a LUKS2 volume (or its header is damaged); it is never reformatted",
				   vol_path(v));
	if (r == -ENOENT)
		return boot_refuse(b, REFUSE_STORAGE_NO_TOKEN, v->part->devnode, 0,
				   "%s has no %s token; no passphrase fallback exists", vol_path(v), TPM2_TOKEN_TYPE);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_TOKEN, v->part->devnode, r, "cannot read the LUKS2 tokens");
	for (size_t i = 0; i < n; i++) {
		r = tpm2_token_parse(tokens[i].json, &sealed[n_parsed], &keyslot[n_parsed], &why);
		if (r < 0) {
			if (skip_token < 0) {
				skip_token = tokens[i].id;
				skip_why = why;
			}
			log_debug("unseal: %s: token %d passed over: %s", v->part->devnode, tokens[i].id, why.text);
			continue;
		}
		has_srk |= sealed[n_parsed].parent == TPM2_PARENT_SRK && (sealed[n_parsed].pcr_mask & (1u << SEAL_PCR));
		tokens[n_parsed++].id = tokens[i].id;
	}
	luks_tokens_free(tokens, n);

	for (size_t i = 0; i < n_parsed && !v->secret_len && fail_r != -ENOLCK; i++) {
		const char *skip = not_tried(&sealed[i], has_srk);

		if (skip) {
			if (skip_token < 0) {
				skip_token = tokens[i].id;
				reason_set(&skip_why, -EBADMSG, "%s", skip);
			}
			log_debug("unseal: %s: token %d not tried: %s", v->part->devnode, tokens[i].id, skip);
			continue;
		}
		why = (struct reason){ "" };
		r = unseal_one(b, v, &sealed[i], &why);
		if (r == -EPERM && v->n_mismatched < ARRAY_SIZE(v->mismatched)) {
			v->mismatched[v->n_mismatched].token = tokens[i].id;
			v->mismatched[v->n_mismatched++].keyslot = keyslot[i];
		}
		if (r < 0) {
			only_pcr_mismatch &= r == -EPERM;
			log_debug("unseal: %s: token %d: %s", v->part->devnode, tokens[i].id, why.text);
			if (failure_rank(r) > failure_rank(fail_r) || fail_token < 0) {
				fail_r = r;
				fail_token = tokens[i].id;
				fail_why = why;
			}
			continue;
		}
		reused = r;
		v->sealed = sealed[i];
		memset(&sealed[i], 0, sizeof(sealed[i]));
		v->keyslot = keyslot[i];
		v->token = tokens[i].id;
	}
	for (size_t i = 0; i < n_parsed; i++)
		tpm2_sealed_free(&sealed[i]);
	if (!v->secret_len && fail_token < 0)
		return boot_refuse(b, REFUSE_STORAGE_TOKEN, v->part->devnode, 0, "no usable %s token: token %d: %s",
				   TPM2_TOKEN_TYPE, skip_token, skip_why.text);
	/* The prompt only for what a Secure Boot update does: every token tried failed on PCR 7. */
	if (!v->secret_len && fail_r == -EPERM && only_pcr_mismatch && b->opts.recovery_prompt) {
		v->needs_recovery = 1;
		log_notice("unseal: %s: token %d is sealed to another PCR 7 (Secure Boot configuration changed); "
			   "rampart.recovery=prompt: the recovery key decides", vol_path(v), fail_token);
		return 0;
	}
	if (!v->secret_len)
		return refuse_unseal(b, v, fail_token, fail_r, &fail_why);
	v->sealed_under = tpm2_parent_name(v->sealed.parent);
	log_info("unseal: %s: secret %s token %d of %s (%s)", vol_path(v),
		 reused ? "is that of the same sealed object in" : "unsealed from", v->token, v->part->devnode,
		 v->sealed_under);
	if (v->sealed.parent != TPM2_PARENT_SRK)
		log_notice("unseal: %s: token %d was sealed by older systemd under its %s: sessions are salted to a "
			   "key the TPM names unauthenticated (README, \"Token compatibility\")",
			   vol_path(v), v->token, v->sealed_under);
	return 0;
}

/*
 * The escrow certificate new volumes' recovery keys are encrypted to.  An
 * initramfs built without one enrols no recovery key; one that has a
 * certificate rampart cannot use is a refusal before anything is
 * formatted, not a machine quietly provisioned without recovery.
 */
static int load_escrow(struct boot *b)
{
	_cleanup_free_ char *cert = NULL;
	struct reason why = { "" };
	size_t len = 0;
	int r;

	r = read_full(ESCROW_CERT, 64 * 1024, READ_FULL_REGULAR, &cert, &len);
	if (r == -ENOENT) {
		log_warning("unseal: no escrow certificate at %s: new volumes get no recovery key", ESCROW_CERT);
		return 0;
	}
	if (r >= 0)
		r = escrow_recipient_parse((const uint8_t *)cert, len + 1, &b->storage.escrow, &why);
	if (r < 0)
		return boot_refuse(b, REFUSE_ESCROW_CERTIFICATE, ESCROW_CERT, 0, "cannot use it: %s; nothing formatted",
				   reason_or(&why, strerror(-r)));
	if (getrandom(b->storage.recovery_key, sizeof(b->storage.recovery_key), 0) !=
	    (ssize_t)sizeof(b->storage.recovery_key))
		return boot_refuse(b, REFUSE_TPM_RANDOM, "/dev/urandom", errno, "cannot get a recovery key");
	b->storage.have_recovery_key = 1;
	return 0;
}

int state_unseal(void *ctx)
{
	struct boot *b = ctx;
	uint8_t secret[32];
	size_t n_pending = 0, n_recover = 0;
	int r;

	if (b->storage.pcr7_extended || b->storage.shell_ran)
		return boot_refuse(b, REFUSE_LOCKED, "PCR 7", 0,
				   "PCR 7 was already extended in this boot (a debug shell ran); "
				   "the volume secret cannot be unsealed or sealed any more");
	/*
	 * Sealed to PCR 7 means sealed to the Secure Boot policy: with Secure
	 * Boot off or in setup mode, any boot chain could reproduce PCR 7.
	 */
	r = efivar_secure_boot_enforced();
	if (r <= 0)
		return boot_refuse(b, REFUSE_SECURE_BOOT_OFF, "EFI variables SecureBoot/SetupMode", r < 0 ? r : 0,
				   "Secure Boot is not enforcing; the volume secret is only sealed or unsealed "
				   "under Secure Boot");
	r = boot_tpm_open(b);
	if (r < 0)
		return boot_refuse(b, REFUSE_TPM_MISSING, TPM2_DEVICE_PATH, r, "no usable TPM; the storage key cannot be had");
	/* More for the kernel's pool, never counted as entropy: these bytes cross the TPM bus in clear. */
	r = tpm2_mix_into_kernel_rng(b->storage.tpm, 64);
	if (r < 0)
		log_warning("could not mix TPM randomness into the kernel's pool: %s", strerror(-r));

	find_volumes(b);
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		struct volume *v = &b->storage.vols[i];

		if (!v->part)
			return boot_refuse(b, REFUSE_STORAGE_MISSING, b->boot_disk, 0, "no %s partition on the boot disk",
					   gpt_role_name(v->role));
		if (v->pending) {
			n_pending++;
			continue;
		}
		r = unseal_volume(b, v);
		if (r != 0)
			return r;
		n_recover += v->needs_recovery;
	}
	if (!n_pending && n_recover)
		return ST_RECOVER;
	if (!n_pending) {
		b->storage.tpm_outcome = "unsealed";
		b->storage.have_secret = 1;
		return ST_OPEN_STORAGE;
	}
	r = load_escrow(b);
	if (r != 0)
		return r;

	/*
	 * New volumes (all of them on the first boot) share one new secret,
	 * sealed now.  It comes from the kernel's pool, not straight from
	 * TPM2_GetRandom, whose answer crosses the TPM bus in clear.
	 */
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		return boot_refuse(b, REFUSE_TPM_RANDOM, "/dev/urandom", errno, "cannot get a volume secret");
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		struct volume *v = &b->storage.vols[i];

		if (v->pending) {
			memcpy(v->secret, secret, sizeof(secret));
			v->secret_len = sizeof(secret);
		}
	}
	r = tpm2_seal(b->storage.tpm, secret, sizeof(secret), 1u << SEAL_PCR, &b->storage.sealed);
	explicit_wipe(secret, sizeof(secret));
	if (r == -EKEYREJECTED)
		return boot_refuse(b, REFUSE_TPM_SRK_UNTRUSTED, TPM2_DEVICE_PATH, 0,
				   "the key at the SRK handle 0x%08x is not the one the standard SRK template "
				   "yields on this TPM; nothing sealed under it", TPM2_SRK_HANDLE);
	if (r < 0)
		return boot_refuse(b, REFUSE_TPM_SEAL, TPM2_DEVICE_PATH, r, "cannot seal the volume secret to PCR %d", SEAL_PCR);
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++)
		if (b->storage.vols[i].pending)
			b->storage.vols[i].sealed_under = tpm2_parent_name(TPM2_PARENT_SRK);
	b->storage.have_secret = !n_recover;
	b->storage.tpm_outcome = n_pending == ARRAY_SIZE(b->storage.vols) ? "sealed a new secret"
									  : "unsealed, and sealed a new secret";
	log_notice("unseal: new volume secret sealed to PCR %d for %zu new volume(s)", SEAL_PCR, n_pending);
	return n_recover ? ST_RECOVER : ST_OPEN_STORAGE;
}

static int make_filesystem(struct boot *b, const struct volume *v, const char *mapper)
{
	/*
	 * Nothing that grows with the volume: inode tables and the journal
	 * are left for the kernel to initialise (the journal is checksummed,
	 * and what an unwritten dm-crypt sector decrypts to is noise, not a
	 * journal block), and a fresh partition is not discarded (dm-crypt
	 * passes no discards anyway).  make bench's 64 GiB row measures it.
	 */
	char *const argv[] = { MKE2FS, "-q", "-t", "ext4", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
			       "-L", (char *)v->label, (char *)mapper, NULL };
	/* The built-in profile; no /etc/mke2fs.conf in the initramfs. */
	char *const envp[] = { "MKE2FS_CONFIG=/nonexistent", "PATH=/sbin:/bin", NULL };
	int r;

	log_notice("open-storage: making an ext4 file system on %s (first boot, takes a moment)", mapper);
	r = run_program(argv, envp);
	if (r != 0)
		return boot_refuse(b, REFUSE_STORAGE_MKFS, mapper, r < 0 ? r : 0, "mke2fs failed (exit %d)", r);
	return 0;
}

/*
 * The second way in, made with the volume: a keyslot for this
 * installation's recovery key, and beside it the key encrypted to the
 * escrow certificate (lib/escrow.h).  The key's text exists only here,
 * for the keyslot's KDF.
 */
static int format_luks(struct boot *b, const struct volume *v, const char *pass, size_t pass_len, int *recovery_slot)
{
	char text[RECOVERY_KEY_TEXT_LEN + 1];
	int keyslot;

	*recovery_slot = -1;
	if (!b->storage.have_recovery_key)
		return luks_format(v->part->devnode, v->label, pass, pass_len);
	recovery_key_format(b->storage.recovery_key, text);
	keyslot = luks_format_with_recovery(v->part->devnode, v->label, pass, pass_len, text, strlen(text),
					    recovery_slot);
	explicit_wipe(text, sizeof(text));
	return keyslot;
}

static int escrow_recovery_key(struct boot *b, const struct volume *v, int recovery_slot)
{
	_cleanup_free_ char *json = NULL;
	int r;

	if (recovery_slot < 0)
		return 0;
	r = escrow_token_build(b->storage.escrow, b->storage.recovery_key, recovery_slot, &json);
	if (r >= 0)
		r = luks_add_token(v->part->devnode, json, recovery_slot);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_FORMAT, v->part->devnode, r,
				   "cannot enrol the escrowed recovery key");
	log_info("open-storage: %s: recovery keyslot %d, escrowed in token %d", vol_path(v), recovery_slot, r);
	return 0;
}

/* A partition repart created on this boot: LUKS2, the token, ext4.  Its final label comes later. */
static int format_volume(struct boot *b, struct volume *v, const char *pass, size_t pass_len, const char *mapper)
{
	_cleanup_free_ char *json = NULL;
	int keyslot, recovery_slot, r;

	log_notice("open-storage: formatting %s (partition \"%s\" was created on this boot) as LUKS2 for %s",
		   v->part->devnode, v->part->label, vol_path(v));
	keyslot = format_luks(b, v, pass, pass_len, &recovery_slot);
	if (keyslot < 0)
		return boot_refuse(b, REFUSE_STORAGE_FORMAT, v->part->devnode, keyslot, "cannot format LUKS2");
	r = tpm2_token_build(&b->storage.sealed, keyslot, &json);
	if (r >= 0)
		r = luks_add_token(v->part->devnode, json, keyslot);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_FORMAT, v->part->devnode, r, "cannot store the %s token", TPM2_TOKEN_TYPE);
	r = escrow_recovery_key(b, v, recovery_slot);
	if (r != 0)
		return r;
	test_stop(b, v->role == ROLE_VAR ? "format-var" : "format-tmp");
	r = luks_open(v->part->devnode, v->name, keyslot, pass, pass_len, v->identity);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_OPEN, v->part->devnode, r, "cannot open the volume just formatted");
	r = make_filesystem(b, v, mapper);
	if (r != 0)
		return r;
	v->outcome = "formatted";
	return 0;
}

static int open_volume(struct boot *b, struct volume *v, const char *pass, size_t pass_len)
{
	char mapper[64];
	int r;

	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", v->name);
	if (v->pending)
		return format_volume(b, v, pass, pass_len, mapper);
	/* The keyslot its token names, as systemd-cryptsetup does: no trying every keyslot's KDF. */
	r = luks_open(v->part->devnode, v->name, v->keyslot, pass, pass_len, v->identity);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_OPEN, v->part->devnode, r,
				   "the secret of token %d does not open keyslot %d of %s; it is never reformatted",
				   v->token, v->keyslot, vol_path(v));
	v->outcome = "opened";
	return 0;
}

/* The LUKS passphrase is the base64 of the secret, as systemd-cryptenroll makes it. */
static int open_with_secret(struct boot *b, struct volume *v)
{
	unsigned char pass[2 * TPM2_SECRET_MAX];
	size_t pass_len = 0;
	int r;

	if (!v->secret_len ||
	    mbedtls_base64_encode(pass, sizeof(pass), &pass_len, v->secret, v->secret_len) != 0)
		return boot_refuse(b, REFUSE_INTERNAL, vol_path(v), 0, "no secret to encode");
	r = open_volume(b, v, (const char *)pass, pass_len);
	explicit_wipe(pass, sizeof(pass));
	return r;
}

/*
 * Whether each volume that held data is the one this machine provisioned
 * for its role, by the record only this stage of the boot can write
 * (lib/volume_record.h): the token on the disk says nothing, anyone with
 * TPM access can seal a secret of their own under the SRK with the same
 * policy.  A missing record with provisioned volumes is a refusal, never
 * a first boot.
 */
static int check_volumes(struct boot *b)
{
	const struct volume_record *rec = &b->storage.record;
	int r = boot_record_read(b);

	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_RECORD, boot_record_name(), 0,
				   "no valid record of the volumes this machine provisioned: %s; nothing mounted",
				   b->storage.record_why.text);
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		const struct volume *v = &b->storage.vols[i];
		int role;

		if (v->pending)
			continue;
		role = volume_record_find(rec, v->identity);
		if (role == (int)v->recorded_as)
			continue;
		if (role >= 0)
			return boot_refuse(b, REFUSE_STORAGE_ROLE, v->part->devnode, 0,
					   "the volume in the %s partition is the one this machine provisioned as %s; "
					   "nothing mounted", vol_path(v), vol_path(&b->storage.vols[1 - i]));
		return boot_refuse(b, REFUSE_STORAGE_FOREIGN, v->part->devnode, 0,
				   "opens with the unsealed secret, but is not the volume this machine provisioned "
				   "as %s; nothing mounted", vol_path(v));
	}
	return 0;
}

/*
 * The record gets what this boot adds: new volumes, and the booted slot's
 * security version as the rollback floor once that slot was marked good
 * (never lowered).  New volumes go into the record before their partitions
 * get final labels: a power cut in between leaves them pending, to be
 * formatted again, never provisioned and unrecorded.
 */
static int update_record(struct boot *b, size_t n_pending)
{
	struct volume_record *rec = &b->storage.record;
	bool raise = b->root_good && b->root_security_version > rec->rollback_floor;
	int r;

	/* A record read under an old PCR 7 (init/lock.c) is written again under the current one. */
	if (!n_pending && !raise && !b->storage.record_stale)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		const struct volume *v = &b->storage.vols[i];

		if (v->pending)
			memcpy(rec->identity[v->recorded_as], v->identity, VOLUME_IDENTITY_SIZE);
	}
	if (raise) {
		log_notice("open-storage: rollback floor raised from %u to %u (slot %s was marked good)",
			   rec->rollback_floor, b->root_security_version, b->root_label);
		rec->rollback_floor = b->root_security_version;
	}
	r = boot_record_write(b);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_RECORD, boot_record_name(), r,
				   "cannot write the record (owner hierarchy with a password?)");
	log_info("open-storage: record written to %s", boot_record_name());
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		struct volume *v = &b->storage.vols[i];

		if (!v->pending)
			continue;
		/* Only now does the partition hold something: from here on it is never formatted again. */
		r = repart_set_label(b->boot_disk, v->part->number, v->part->label, v->label);
		if (r < 0)
			return boot_refuse(b, REFUSE_STORAGE_LABEL, v->part->devnode, r,
					   "cannot give the partition its final label");
	}
	return 0;
}

static int mount_volume(struct boot *b, const struct volume *v)
{
	_cleanup_close_ int root_fd = -1, target = -1;
	char mapper[64];
	int r;

	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", v->name);
	/*
	 * /var/tmp's mount point lies in /var, which the running OS writes:
	 * resolved beneath the new root without following a symlink, and
	 * mounted through that descriptor (lib/mount_target.h).
	 */
	root_fd = open(NEW_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return boot_refuse(b, REFUSE_STORAGE_MOUNT, NEW_ROOT, errno, "cannot open the new root");
	target = mount_target_open(root_fd, vol_path(v) + 1, 01777);
	if (target < 0)
		return boot_refuse(b, REFUSE_STORAGE_MOUNT_TARGET, v->mountpoint, 0,
				   "not a plain directory beneath %s: %s; nothing mounted", NEW_ROOT,
				   target == -ELOOP ? "a symlink on the path" :
				   target == -ENOTDIR ? "not a directory" :
				   target == -EXDEV ? "it leads out of the new root" : strerror(-target));
	r = mount_on_fd(mapper, target, "ext4", MS_NOSUID | MS_NODEV);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_MOUNT, mapper, r, "cannot mount ext4 on %s", v->mountpoint);
	if (v->role == ROLE_TMP) {
		/* The root of what was just mounted, resolved the same way. */
		_cleanup_close_ int mounted = mount_target_open(root_fd, vol_path(v) + 1, 0);
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", mounted);
		if (mounted < 0 || chmod(path, 01777) < 0)
			return boot_refuse(b, REFUSE_STORAGE_MOUNT, v->mountpoint, mounted < 0 ? mounted : errno,
					   "cannot make it world-writable and sticky");
	}
	log_info("open-storage: %s: %s %s, mounted", vol_path(v), v->part->devnode, v->outcome);
	return 0;
}

static int open_swap(struct boot *b)
{
	const struct partition *p = boot_disk_partition(b, ROLE_SWAP);
	_cleanup_close_ int fd = -1;
	struct reason why = { "" };
	char ours[37] = "";
	int r;

	if (!p) {
		log_info("open-storage: no swap partition");
		return 0;
	}
	/*
	 * Rewritten every boot: only the one repart made (its UUID says so),
	 * never another system's swap or hibernation image.
	 */
	if (b->storage.disk_guid[0])
		repart_new_uuid(b->storage.disk_guid, p->number, GPT_TYPE_SWAP, ours);
	if (strcmp(p->uuid, ours) != 0 || strcmp(p->label, SWAP_LABEL) != 0 || (p->attrs & GPT_ATTR_NO_AUTO)) {
		log_notice("open-storage: swap partition %s (\"%s\") is not ours; left alone", p->devnode, p->label);
		return 0;
	}
	/* A fresh key each boot: swap never needs to outlive the boot that wrote it. */
	r = luks_open_plain_ephemeral(p->devnode, "swap");
	if (r >= 0)
		r = swap_format("/dev/mapper/swap", "swap", &why);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_SWAP, p->devnode, r, "cannot set up encrypted swap: %s",
				   reason_or(&why, "cannot open it with a random key"));
	fd = open(SWAP_HANDOVER, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "/dev/mapper/swap\n", 17) != 17)
		return boot_refuse(b, REFUSE_STORAGE_SWAP, SWAP_HANDOVER, errno, "cannot hand swap over");
	b->storage.swap = "/dev/mapper/swap";
	log_info("open-storage: swap on /dev/mapper/swap (%s, random key)", p->devnode);
	return 0;
}

int state_open_storage(void *ctx)
{
	struct boot *b = ctx;
	size_t n_pending = 0;
	int r = 0;

	if (!b->storage.have_secret || b->storage.pcr7_extended)
		return boot_refuse(b, REFUSE_LOCKED, "volume secret", 0,
				   "no volume secret in hand (PCR 7 was extended before storage was opened)");
	boot_modules_ready(b, MODULES_FOR_STORAGE);
	if (mkdir(RAMPART_RUN_DIR, 0755) < 0 && errno != EEXIST)
		r = boot_refuse(b, REFUSE_STORAGE_MOUNT, RAMPART_RUN_DIR, errno, "cannot create");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(b->storage.vols); i++) {
		r = open_with_secret(b, &b->storage.vols[i]);
		n_pending += b->storage.vols[i].pending;
	}
	/* Nothing is mounted before every volume is known to be this machine's, in its role. */
	if (r == 0 && n_pending < ARRAY_SIZE(b->storage.vols))
		r = check_volumes(b);
	if (r == 0 && n_pending == ARRAY_SIZE(b->storage.vols)) {
		/*
		 * New volumes: the identities of any old ones go, the floor stays
		 * (relabelling the volumes pending must not lower it).
		 */
		memset(b->storage.record.identity, 0, sizeof(b->storage.record.identity));
	}
	if (r == 0)
		r = update_record(b, n_pending);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(b->storage.vols); i++)
		r = mount_volume(b, &b->storage.vols[i]);
	if (r != 0)
		return r;
	r = open_swap(b);
	return r != 0 ? r : ST_LOCK;
}
