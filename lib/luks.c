/* SPDX-License-Identifier: MIT */
#include "luks.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cryptsetup_util.h"
#include "log.h"
#include "util.h"
#include "wipe.h"

#define LUKS_CIPHER "aes"
#define LUKS_CIPHER_MODE "xts-plain64"
#define LUKS_KEY_BYTES 64
/*
 * The keyslot area: 16 keyslots of this key size (252 KiB each with the
 * 4000-stripe AF split), the smallest area libcryptsetup does not call
 * "very small".  rampart uses 2 (the TPM's, the recovery key's) and 3 in
 * a recovery; the rest is the owner's (systemd-cryptenroll), and room for
 * cryptsetup reencrypt, which needs a new keyslot per active one.  With
 * the two 16 KiB headers the data starts at 4 MiB.  LUKS2's default area
 * is 16 MiB, which crypt_format() writes twice (zeros, then random
 * bytes): most of a first boot's time, for 64 keyslots.
 */
#define LUKS_KEYSLOTS_BYTES ((4u << 20) - 2 * 16384)

static int load_luks2(struct crypt_device **cd, const char *dev)
{
	int r = crypt_init(cd, dev);

	if (r < 0)
		return r;
	r = crypt_load(*cd, CRYPT_LUKS2, NULL);
	if (r < 0)
		return -EMEDIUMTYPE;
	return 0;
}

/*
 * The functions that handle the passphrase or a key run their body in a
 * function of its own, never inlined, and wipe the stack it used after it
 * (lib/wipe.h): whatever libcryptsetup and mbedtls leave in their frames
 * while they derive keys from the passphrase and handle the volume key.
 * Their heap buffers they wipe themselves, or free() does.
 */
/* Every keyslot rampart adds takes a full-entropy key (lib/luks.h). */
static const struct crypt_pbkdf_type keyslot_pbkdf = {
	.type = CRYPT_KDF_PBKDF2,
	.hash = "sha512",
	.iterations = 1000,
	.flags = CRYPT_PBKDF_NO_BENCHMARK,
};

static int set_keyslot_kdf(struct crypt_device *cd, const char *dev)
{
	int r = crypt_set_pbkdf_type(cd, &keyslot_pbkdf);

	return r < 0 ? log_debug_errno(r, "%s: cannot set the keyslot KDF", dev) : 0;
}

static __attribute__((noinline)) int format_volume(const char *dev, const char *label, const char *pass,
						  size_t pass_len, const char *second, size_t second_len,
						  int *second_slot)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct crypt_params_luks2 params = { .label = label, .sector_size = 4096 };
	int r;

	r = crypt_init(&cd, dev);
	if (r < 0)
		return log_debug_errno(r, "cannot open %s", dev);
	r = set_keyslot_kdf(cd, dev);
	if (r < 0)
		return r;
	/* 0: LUKS2's default metadata size. */
	r = crypt_set_metadata_size(cd, 0, LUKS_KEYSLOTS_BYTES);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot set the keyslot area size", dev);
	r = crypt_format(cd, CRYPT_LUKS2, LUKS_CIPHER, LUKS_CIPHER_MODE, NULL, NULL, LUKS_KEY_BYTES, &params);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot format LUKS2", dev);
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, pass, pass_len);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot add a keyslot", dev);
	if (second) {
		/* The volume key is still in @cd: no KDF run and keyslot read to get it back. */
		*second_slot = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, second, second_len);
		if (*second_slot < 0)
			return log_debug_errno(*second_slot, "%s: cannot add the second keyslot", dev);
	}
	return r;
}

int luks_format(const char *dev, const char *label, const char *pass, size_t pass_len)
{
	return WIPE_STACK_AFTER(format_volume(dev, label, pass, pass_len, NULL, 0, NULL));
}

int luks_format_with_recovery(const char *dev, const char *label, const char *pass, size_t pass_len,
			      const char *second, size_t second_len, int *second_slot)
{
	return WIPE_STACK_AFTER(format_volume(dev, label, pass, pass_len, second, second_len, second_slot));
}

static __attribute__((noinline)) int add_keyslot(const char *dev, int keyslot, const char *pass, size_t pass_len,
						const char *new_pass, size_t new_len)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	char vk[LUKS_KEY_BYTES];
	size_t vk_len = sizeof(vk);
	int r;

	r = load_luks2(&cd, dev);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot load its LUKS2 header", dev);
	r = set_keyslot_kdf(cd, dev);
	if (r < 0)
		return r;
	r = crypt_volume_key_get(cd, keyslot, vk, &vk_len, pass, pass_len);
	if (r >= 0)
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, vk, vk_len, new_pass, new_len);
	explicit_wipe(vk, sizeof(vk));
	if (r < 0)
		return log_debug_errno(r, "%s: cannot add a keyslot", dev);
	return r;
}

int luks_add_keyslot(const char *dev, int keyslot, const char *pass, size_t pass_len, const char *new_pass,
		     size_t new_len)
{
	return WIPE_STACK_AFTER(add_keyslot(dev, keyslot, pass, pass_len, new_pass, new_len));
}

int luks_remove_token(const char *dev, int token)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r = load_luks2(&cd, dev);

	if (r < 0)
		return log_debug_errno(r, "%s: cannot load its LUKS2 header", dev);
	r = crypt_token_json_set(cd, token, NULL);
	return r < 0 ? log_debug_errno(r, "%s: cannot remove token %d", dev, token) : 0;
}

int luks_remove_keyslot(const char *dev, int keyslot)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r = load_luks2(&cd, dev);

	if (r < 0)
		return log_debug_errno(r, "%s: cannot load its LUKS2 header", dev);
	r = crypt_keyslot_destroy(cd, keyslot);
	return r < 0 ? log_debug_errno(r, "%s: cannot remove keyslot %d", dev, keyslot) : 0;
}

int luks_keyslot_has_token(const char *dev, int keyslot)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r = load_luks2(&cd, dev);

	if (r < 0)
		return r;
	for (int token = 0; token < LUKS_TOKENS_MAX; token++)
		if (crypt_token_is_assigned(cd, token, keyslot) == 0)
			return 1;
	return 0;
}

int luks_add_token(const char *dev, const char *json, int keyslot)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r, token;

	r = load_luks2(&cd, dev);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot load its LUKS2 header", dev);
	token = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	if (token < 0)
		return log_debug_errno(token, "%s: cannot store the token", dev);
	r = crypt_token_assign_keyslot(cd, token, keyslot);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot assign token %d to keyslot %d", dev, token, keyslot);
	return token;
}

int luks_read_tokens(const char *dev, const char *type, struct luks_token *out, size_t max, size_t *n)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	*n = 0;
	r = load_luks2(&cd, dev);
	if (r < 0)
		return r;
	for (int token = 0; token < LUKS_TOKENS_MAX && *n < max; token++) {
		const char *t = NULL, *j = NULL;

		if (crypt_token_status(cd, token, &t) == CRYPT_TOKEN_INACTIVE || !t || strcmp(t, type) != 0)
			continue;
		r = crypt_token_json_get(cd, token, &j);
		if (r < 0) {
			luks_tokens_free(out, *n);
			return log_debug_errno(r, "%s: cannot read token %d", dev, token);
		}
		out[*n].id = token;
		out[*n].json = strdup(j);
		if (!out[*n].json) {
			luks_tokens_free(out, *n);
			return -ENOMEM;
		}
		(*n)++;
	}
	return *n ? 0 : -ENOENT;
}

void luks_tokens_free(struct luks_token *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].json);
		t[i].json = NULL;
	}
}

int luks_read_token(const char *dev, const char *type, char **json)
{
	struct luks_token t;
	size_t n;
	int r = luks_read_tokens(dev, type, &t, 1, &n);

	*json = r < 0 ? NULL : t.json;
	return r;
}

/* What tells volumes apart, and nothing about the key: H(domain || volume key). */
static int volume_identity(const char *vk, size_t vk_len, uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	static const char domain[] = "rampart volume identity v1";
	mbedtls_sha256_context c;
	int r = 0;

	mbedtls_sha256_init(&c);
	r |= mbedtls_sha256_starts(&c, 0);
	r |= mbedtls_sha256_update(&c, (const unsigned char *)domain, sizeof(domain));
	r |= mbedtls_sha256_update(&c, (const unsigned char *)vk, vk_len);
	r |= mbedtls_sha256_finish(&c, identity);
	mbedtls_sha256_free(&c);
	return r ? -EIO : 0;
}

static __attribute__((noinline)) int open_volume(const char *dev, const char *name, int keyslot, const char *pass,
						size_t pass_len, uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	char vk[LUKS_KEY_BYTES];
	size_t vk_len = sizeof(vk);
	int r;

	r = load_luks2(&cd, dev);
	if (r < 0)
		return r;
	/*
	 * The volume key first, then activation with that very key: the
	 * identity returned is the one of the mapping that exists.
	 */
	r = crypt_volume_key_get(cd, keyslot, vk, &vk_len, pass, pass_len);
	if (r >= 0 && identity)
		r = volume_identity(vk, vk_len, identity);
	if (r >= 0)
		r = crypt_activate_by_volume_key(cd, name, vk, vk_len, 0);
	explicit_wipe(vk, sizeof(vk));
	return r < 0 ? r : 0;
}

int luks_open(const char *dev, const char *name, int keyslot, const char *pass, size_t pass_len,
	      uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	return WIPE_STACK_AFTER(open_volume(dev, name, keyslot, pass, pass_len, identity));
}

static __attribute__((noinline)) int open_plain_ephemeral(const char *dev, const char *name)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct crypt_params_plain params = { .hash = NULL };
	char key[LUKS_KEY_BYTES];
	int r;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return log_debug_errno(errno, "cannot get a key for %s", name);
	r = crypt_init(&cd, dev);
	if (r >= 0)
		r = crypt_format(cd, CRYPT_PLAIN, LUKS_CIPHER, LUKS_CIPHER_MODE, NULL, NULL, sizeof(key), &params);
	if (r >= 0)
		r = crypt_activate_by_volume_key(cd, name, key, sizeof(key), 0);
	explicit_wipe(key, sizeof(key));
	if (r < 0)
		return log_debug_errno(r, "cannot open %s as /dev/mapper/%s with a random key", dev, name);
	return 0;
}

int luks_open_plain_ephemeral(const char *dev, const char *name)
{
	return WIPE_STACK_AFTER(open_plain_ephemeral(dev, name));
}

int mapping_close(const char *name)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r = crypt_init_by_name(&cd, name);

	if (r == -ENODEV)
		return 0;
	if (r >= 0)
		r = crypt_deactivate(cd, name);
	return r < 0 ? log_debug_errno(r, "cannot close /dev/mapper/%s", name) : 0;
}
