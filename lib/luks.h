/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_LUKS_H
#define RAMPART_LUKS_H

#include <stddef.h>
#include <stdint.h>

#include "volume_record.h"

/*
 * LUKS2 volumes unlocked by a TPM-sealed secret.  The keyslot KDF is
 * PBKDF2-SHA512 with 1000 iterations and no benchmark: the passphrase is
 * a full-entropy secret, a slow KDF would add boot time and no strength.
 * A header that does not load is a refusal, not something to repair
 * (reference §5, threat 6); cryptsetup_log_setup() (lib/verity.h) turns
 * off libcryptsetup's automatic repair of a damaged header copy, and must
 * run before these functions.
 */

/* Formats @dev (aes-xts-plain64, 512-bit volume key) with one keyslot for @pass; returns the keyslot. */
int luks_format(const char *dev, const char *label, const char *pass, size_t pass_len);
/* The same, and a second keyslot for @second (the recovery key), in *@second_slot. */
int luks_format_with_recovery(const char *dev, const char *label, const char *pass, size_t pass_len,
			      const char *second, size_t second_len, int *second_slot);

/*
 * Adds a keyslot for @new_pass, with the volume key that @pass opens on
 * @keyslot; returns the new keyslot.
 */
int luks_add_keyslot(const char *dev, int keyslot, const char *pass, size_t pass_len, const char *new_pass,
		     size_t new_len);

/* Removes token @token / keyslot @keyslot (its key material is overwritten). */
int luks_remove_token(const char *dev, int token);
int luks_remove_keyslot(const char *dev, int keyslot);

/* 1 if a token (of any type) names @keyslot, 0 if none does. */
int luks_keyslot_has_token(const char *dev, int keyslot);

/* Stores @json as a new token assigned to @keyslot; returns the token's number. */
int luks_add_token(const char *dev, const char *json, int keyslot);

#define LUKS_TOKENS_MAX 32 /* LUKS2 has 32 token slots */

struct luks_token {
	int id;     /* its token slot */
	char *json; /* malloc'ed */
};

/*
 * Reads the tokens of @type on @dev, at most @max, in token slot order,
 * into @out; *@n says how many (free them with luks_tokens_free()).
 * -EMEDIUMTYPE: not a LUKS2 volume (or its header does not load);
 * -ENOENT: no such token.
 */
int luks_read_tokens(const char *dev, const char *type, struct luks_token *out, size_t max, size_t *n);
void luks_tokens_free(struct luks_token *t, size_t n);

/* The first token of @type on @dev, as luks_read_tokens() reads it; *@json is malloc'ed. */
int luks_read_token(const char *dev, const char *type, char **json);

#define LUKS_ANY_KEYSLOT (-1)

/*
 * Activates @dev as /dev/mapper/@name with @pass on @keyslot; @name NULL
 * only checks the passphrase.  @identity (may be NULL) receives the
 * volume's identity: SHA-256 over a fixed domain string and the volume
 * key, the same for every keyslot and token of the volume, and different
 * for a volume formatted again, whatever its UUID or header says.
 */
int luks_open(const char *dev, const char *name, int keyslot, const char *pass, size_t pass_len,
	      uint8_t identity[VOLUME_IDENTITY_SIZE]);

/* Plain dm-crypt with a random key that exists only in the kernel: for swap. */
int luks_open_plain_ephemeral(const char *dev, const char *name);

/* Closes the device-mapper device /dev/mapper/@name (dm-crypt or dm-verity); 0 if there is none. */
int mapping_close(const char *name);

#endif
