/* SPDX-License-Identifier: MIT */
/*
 * The recover state: after a Secure Boot update changed PCR 7, a volume's
 * TPM secret no longer unseals.  Only when the signed command line asks
 * (rampart.recovery=prompt) and only after unseal found exactly that
 * (tpm-pcr-mismatch), rampart asks on the console for the installation's
 * recovery key (escrowed at first boot, lib/escrow.h), and:
 *
 *   1. tries it on the volume's recovery keyslots only (those a
 *      rampart-escrow or systemd-recovery token names), without echo,
 *      three times at most, waiting longer after each wrong key;
 *   2. before anything is written or mounted, checks that the volume the
 *      key opens is the one the TPM's record names for its role (a volume
 *      of the attacker's, which opens with the attacker's own key, is
 *      refused: recovery-foreign-volume).  After a Secure Boot update the
 *      record counts only if it was written under a PCR 7 value the
 *      signed command line names (rampart.recovery=prompt:HEX, init/lock.c):
 *      one written since, by anyone, is not taken for it;
 *   3. writes that record again under the current PCR 7, then seals a new
 *      secret to it and gives each recovered volume a new keyslot and
 *      token before the old ones go: at every step the recovery keyslot
 *      opens the volume, and from the new token on, the new TPM secret.
 *
 * Then open-storage opens the volumes with the new secret as on any boot,
 * and the lock closes the door as always.  Nothing here is a shell or
 * reads anything but the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/base64.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "escrow.h"
#include "lock.h"
#include "log.h"
#include "luks.h"
#include "recovery.h"
#include "recovery_key.h"
#include "tpm2_token.h"
#include "util.h"
#include "volumes.h"

#define RECOVERY_TRIES 3
#define RECOVERY_DELAY_SEC 2    /* after the first wrong key; doubles after each */
#define RECOVERY_WAIT_SEC 600   /* for someone to type a key at all */
#define CONSOLE "/dev/console"

/* The keyslots a typed recovery key may open: those its tokens name, nothing else. */
static int recovery_keyslots(const struct volume *v, int *slots, size_t max, size_t *n)
{
	static const char *const types[] = { ESCROW_TOKEN_TYPE, SYSTEMD_RECOVERY_TOKEN_TYPE };

	*n = 0;
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		struct luks_token tokens[LUKS_TOKENS_MAX];
		size_t n_tokens = 0;
		int r = luks_read_tokens(v->part->devnode, types[t], tokens, ARRAY_SIZE(tokens), &n_tokens);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_tokens && *n < max; i++) {
			struct reason why = { "" };
			int slot;

			if (recovery_token_keyslot(tokens[i].json, &slot, &why) < 0) {
				log_debug("recover: %s: token %d passed over: %s", v->part->devnode, tokens[i].id, why.text);
				continue;
			}
			slots[(*n)++] = slot;
		}
		luks_tokens_free(tokens, n_tokens);
	}
	return 0;
}

/*
 * One line from the console, not echoed; what was typed before the
 * prompt is discarded.  -ETIMEDOUT when nobody types within the wait.
 */
static int prompt_line(const char *prompt, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(CONSOLE, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct pollfd pfd = { .events = POLLIN };
	struct termios saved, quiet;
	size_t len = 0;
	bool tty, too_long = false;
	int r = 0;

	if (fd < 0)
		return -errno;
	tty = tcgetattr(fd, &saved) == 0;
	if (tty) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON;
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	(void)!write(fd, prompt, strlen(prompt));
	pfd.fd = fd;
	r = poll(&pfd, 1, RECOVERY_WAIT_SEC * 1000);
	if (r == 0)
		r = -ETIMEDOUT;
	else if (r < 0)
		r = -errno;
	while (r > 0) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n <= 0 || c == '\n' || c == '\r') {
			r = n < 0 ? -errno : 0;
			break;
		}
		if (len + 1 < size)
			buf[len++] = c;
		else
			too_long = true;
		explicit_wipe(&c, sizeof(c));
	}
	buf[len] = '\0';
	if (tty)
		(void)tcsetattr(fd, TCSANOW, &saved);
	(void)!write(fd, "\n", 1);
	if (too_long)
		buf[0] = '\0';
	return r;
}

static void sleep_sec(unsigned s)
{
	struct timespec ts = { .tv_sec = s };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The recovery key of @v: one typed earlier in this boot if it opens one
 * of @v's recovery keyslots, else asked for.  On success @text holds the
 * key's text, *@slot the keyslot it opened and @identity the volume's.
 */
static int recovery_key_of(struct boot *b, struct volume *v, char known[][RECOVERY_KEY_TEXT_LEN + 1], size_t *n_known,
			   char text[RECOVERY_KEY_TEXT_LEN + 1], int *slot, uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	int slots[LUKS_TOKENS_MAX];
	size_t n_slots = 0;
	unsigned delay = RECOVERY_DELAY_SEC;
	int r;

	r = recovery_keyslots(v, slots, ARRAY_SIZE(slots), &n_slots);
	if (r < 0)
		return boot_refuse(b, REFUSE_STORAGE_TOKEN, v->part->devnode, r, "cannot read the LUKS2 tokens");
	if (!n_slots)
		return boot_refuse(b, REFUSE_RECOVERY_UNAVAILABLE, v->part->devnode, 0,
				   "%s is sealed to another PCR 7 and has no recovery keyslot (no %s or %s token)",
				   vol_path(v), ESCROW_TOKEN_TYPE, SYSTEMD_RECOVERY_TOKEN_TYPE);

	for (int attempt = 0; attempt <= RECOVERY_TRIES; attempt++) {
		char typed[256], prompt[160];

		/* attempt 0: the keys typed for the volumes before this one, then the console. */
		if (attempt == 0) {
			for (size_t k = 0; k < *n_known; k++)
				for (size_t i = 0; i < n_slots; i++)
					if (luks_open(v->part->devnode, NULL, slots[i], known[k], strlen(known[k]),
						      identity) == 0) {
						memcpy(text, known[k], RECOVERY_KEY_TEXT_LEN + 1);
						*slot = slots[i];
						return 0;
					}
			continue;
		}
		snprintf(prompt, sizeof(prompt), "rampart: recovery key for %s (%s), try %d of %d: ", vol_path(v),
			 v->part->devnode, attempt, RECOVERY_TRIES);
		r = prompt_line(prompt, typed, sizeof(typed));
		if (r == 0)
			r = recovery_key_normalize(typed, text);
		explicit_wipe(typed, sizeof(typed));
		if (r == -ETIMEDOUT)
			return boot_refuse(b, REFUSE_RECOVERY_FAILED, vol_path(v), 0,
					   "no recovery key typed within %d s; nothing on the disk was changed",
					   RECOVERY_WAIT_SEC);
		if (r < 0 && r != -EINVAL)
			return boot_refuse(b, REFUSE_RECOVERY_FAILED, CONSOLE, r, "cannot read a recovery key");
		for (size_t i = 0; r == 0 && i < n_slots; i++)
			if (luks_open(v->part->devnode, NULL, slots[i], text, strlen(text), identity) == 0) {
				*slot = slots[i];
				if (*n_known < VOLUME__COUNT)
					memcpy(known[(*n_known)++], text, RECOVERY_KEY_TEXT_LEN + 1);
				return 0;
			}
		explicit_wipe(text, RECOVERY_KEY_TEXT_LEN + 1);
		log_warning("recover: %s: %s (try %d of %d)", vol_path(v),
			    r < 0 ? "not a recovery key (64 letters of cbdefghijklnrtuv, dashes optional)"
				  : "the key opens no recovery keyslot", attempt, RECOVERY_TRIES);
		if (attempt < RECOVERY_TRIES) {
			sleep_sec(delay);
			delay *= 2;
		}
	}
	return boot_refuse(b, REFUSE_RECOVERY_FAILED, v->part->devnode, 0,
			   "no recovery key opened %s in %d tries; nothing on the disk was changed", vol_path(v),
			   RECOVERY_TRIES);
}

/* The volume the key opened must be the one the record names for its role: nothing is written before. */
static int check_identity(struct boot *b, const struct volume *v, const uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	int role = volume_record_find(&b->storage.record, identity);

	if (role == (int)v->recorded_as)
		return 0;
	return boot_refuse(b, REFUSE_RECOVERY_FOREIGN, v->part->devnode, 0,
			   "the recovery key typed opens it, but it is %s; nothing changed or mounted", role >= 0
			   ? "the volume this machine provisioned for the other role"
			   : "not a volume this machine provisioned");
}

/*
 * @v gets a keyslot for @secret and a systemd-tpm2 token for @sealed, and
 * then loses the tokens (and their keyslots) that failed with a PCR
 * mismatch: in that order, so a power cut leaves a way in.
 */
static int reseal_volume(struct boot *b, struct volume *v, const char *recovery, int recovery_slot,
			 const uint8_t *secret, size_t secret_len, const struct tpm2_sealed *sealed)
{
	_cleanup_free_ char *json = NULL;
	unsigned char pass[2 * TPM2_SECRET_MAX];
	size_t pass_len = 0;
	int slot, token, r;

	r = mbedtls_base64_encode(pass, sizeof(pass), &pass_len, secret, secret_len) ? -EINVAL : 0;
	slot = r < 0 ? r : luks_add_keyslot(v->part->devnode, recovery_slot, recovery, strlen(recovery),
					    (const char *)pass, pass_len);
	explicit_wipe(pass, sizeof(pass));
	r = slot < 0 ? slot : tpm2_token_build(sealed, slot, &json);
	token = r < 0 ? r : luks_add_token(v->part->devnode, json, slot);
	if (token < 0) {
		/* A keyslot no token names would only be in the way of the next try. */
		if (slot >= 0 && luks_remove_keyslot(v->part->devnode, slot) < 0)
			log_warning("recover: %s: cannot remove the new keyslot %d", v->part->devnode, slot);
		return boot_refuse(b, REFUSE_RECOVERY_RESEAL, v->part->devnode, token,
				   "cannot add the new keyslot and token");
	}
	test_stop(b, "recover-keyslot");
	for (size_t i = 0; i < v->n_mismatched; i++) {
		int old = v->mismatched[i].keyslot;

		r = luks_remove_token(v->part->devnode, v->mismatched[i].token);
		/* Unless another token (a recovery one) still names it. */
		if (r >= 0 && old != slot && old != recovery_slot && luks_keyslot_has_token(v->part->devnode, old) == 0)
			r = luks_remove_keyslot(v->part->devnode, old);
		if (r < 0)
			log_warning("recover: %s: cannot remove token %d or keyslot %d sealed to the old PCR 7: %s",
				    v->part->devnode, v->mismatched[i].token, old, strerror(-r));
	}
	memcpy(v->secret, secret, secret_len);
	v->secret_len = secret_len;
	v->keyslot = slot;
	v->token = token;
	v->sealed_under = tpm2_parent_name(TPM2_PARENT_SRK);
	v->recovered = 1;
	log_notice("recover: %s: opened with the recovery key, sealed anew to PCR %d (keyslot %d, token %d); "
		   "%zu token(s) sealed to the old PCR 7 removed", vol_path(v), SEAL_PCR, slot, token, v->n_mismatched);
	return 0;
}

int state_recover(void *ctx)
{
	struct boot *b = ctx;
	struct storage *st = &b->storage;
	char known[VOLUME__COUNT][RECOVERY_KEY_TEXT_LEN + 1];
	char text[ARRAY_SIZE(st->vols)][RECOVERY_KEY_TEXT_LEN + 1];
	int slot[ARRAY_SIZE(st->vols)];
	uint8_t identity[VOLUME_IDENTITY_SIZE], secret[32];
	size_t n_known = 0;
	int r = 0;

	if (st->pcr7_extended || st->shell_ran || !b->opts.recovery_prompt)
		return boot_refuse(b, REFUSE_LOCKED, "PCR 7", 0, "recovery entered without being asked for, or after the lock");
	/* The record is what tells this machine's volumes from substitutes (verify-root read it already). */
	r = boot_record_read(b);
	if (r < 0)
		return boot_refuse(b, r == -ESTALE ? REFUSE_TPM_PCR_MISMATCH : REFUSE_STORAGE_RECORD, boot_record_name(), 0,
				   "no valid record of the volumes this machine provisioned (%s): a recovery key "
				   "cannot be checked against it; nothing changed", st->record_why.text);
	st->recovery_outcome = "asked";
	boot_modules_ready(b, MODULES_FOR_STORAGE);
	if (!st->record_stale)
		log_warning("recover: PCR 7 is the value the record was last written under: a token, not the Secure "
			    "Boot configuration, changed; type the recovery key only if that is expected");
	log_notice("recover: a volume is sealed to another PCR 7; asking for the recovery key on the console");

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(st->vols); i++) {
		struct volume *v = &st->vols[i];

		if (!v->needs_recovery)
			continue;
		r = recovery_key_of(b, v, known, &n_known, text[i], &slot[i], identity);
		if (r == 0)
			r = check_identity(b, v, identity);
	}
	explicit_wipe(known, sizeof(known));
	if (r != 0) {
		explicit_wipe(text, sizeof(text));
		st->recovery_outcome = "refused";
		return r;
	}

	if (st->record_stale) {
		r = boot_record_write(b);
		if (r < 0) {
			explicit_wipe(text, sizeof(text));
			return boot_refuse(b, REFUSE_RECOVERY_RESEAL, boot_record_name(), r,
					   "cannot write the record under the current PCR 7");
		}
		log_notice("recover: %s written again under the current PCR 7", boot_record_name());
	}
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		r = boot_refuse(b, REFUSE_TPM_RANDOM, "/dev/urandom", errno, "cannot get a volume secret");
	else if ((r = tpm2_seal(st->tpm, secret, sizeof(secret), 1u << SEAL_PCR, &st->resealed)) < 0)
		r = boot_refuse(b, r == -EKEYREJECTED ? REFUSE_TPM_SRK_UNTRUSTED : REFUSE_RECOVERY_RESEAL,
				TPM2_DEVICE_PATH, r == -EKEYREJECTED ? 0 : r, "cannot seal a new volume secret to PCR %d",
				SEAL_PCR);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(st->vols); i++)
		if (st->vols[i].needs_recovery)
			r = reseal_volume(b, &st->vols[i], text[i], slot[i], secret, sizeof(secret), &st->resealed);
	explicit_wipe(secret, sizeof(secret));
	explicit_wipe(text, sizeof(text));
	if (r != 0)
		return r;
	st->recovery_outcome = "recovered";
	st->tpm_outcome = "recovered with the recovery key, sealed a new secret";
	st->have_secret = 1;
	return ST_OPEN_STORAGE;
}
