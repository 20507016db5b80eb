/* SPDX-License-Identifier: MIT */
/*
 * LUKS2 header/keyslot/token handling on plain files against a swtpm:
 * lib/luks, lib/tpm2 and lib/tpm2_token the way init/storage.c uses them.
 * First boot: secret sealed to PCR 7, luks_format with its base64 as the
 * passphrase, token built and added.  Later boots: token read, parsed,
 * unsealed, luks_open.  Then what must be refused without a byte written
 * (rampart never reformats, never repairs), and what libcryptsetup writes
 * all the same when only one of the two header copies is damaged.
 *
 * Volumes are sparse 64 MiB files in a temporary directory (libcryptsetup
 * formats LUKS2 on a regular file).  Activation needs device-mapper, which
 * a build host may lack, so luks_open() is called with a NULL name: that
 * checks the passphrase against the keyslot and activates nothing.
 *
 * The swtpm is the test's own (testutil.h); when it cannot start, every
 * case that needs it fails: nothing is skipped.  RAMPART_KEEP_SWTPM=1
 * keeps the directory.  musl static, UBSan in trap mode; every case fails
 * when it leaves allocations behind (testutil_run_checked()).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>

#include "log.h"
#include "luks.h"
#include "testutil.h"
#include "tpm2.h"
#include "tpm2_token.h"
#include "util.h"

#define MiB (1024 * 1024)
#define VOLUME_SIZE (64 * MiB)
#define SECRET_LEN 32 /* what init/storage.c seals */
#define PASS_MAX 64   /* base64 of SECRET_LEN bytes is 44 */
#define SEAL_PCR 7
#define LABEL "var"
/* LUKS2's default metadata size: primary header at 0, secondary at 16 KiB, keyslots from 32 KiB. */
#define HDR_SIZE (16 * 1024)


/* ---- helpers ------------------------------------------------------------------------------- */

static struct tpm2 *open_tpm(void)
{
	struct tpm2 *t = NULL;

	assert_int_equal(tpm2_open(&t, test_swtpm_tcti(&test_tpm)), 0);
	return t;
}

static void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
}

/* A new sparse file of VOLUME_SIZE zero bytes in the work directory; its path in @path. */
static void new_file(char *path, size_t size, const char *name)
{
	int fd;

	assert_true((size_t)snprintf(path, size, "%s/%s", test_workdir, name) < size);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VOLUME_SIZE), 0);
	close(fd);
}

static void read_at(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void write_at(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/* The same garbage each run: a test that fails fails again. */
static void garbage(const char *path, off_t off, size_t len, uint64_t seed)
{
	uint8_t *buf = malloc(len);
	uint64_t x = seed | 1;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)(x >> 24);
	}
	write_at(path, off, buf, len);
	free(buf);
}

/* sha256 of the file from @from to its end: from 0, "unchanged" means unchanged anywhere. */
static void file_sha256_from(const char *path, off_t from, uint8_t out[32])
{
	mbedtls_sha256_context c;
	uint8_t *buf = malloc(MiB);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, from, SEEK_SET), from);
	mbedtls_sha256_init(&c);
	assert_int_equal(mbedtls_sha256_starts(&c, 0), 0);
	while ((n = read(fd, buf, MiB)) > 0)
		assert_int_equal(mbedtls_sha256_update(&c, buf, (size_t)n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mbedtls_sha256_finish(&c, out), 0);
	mbedtls_sha256_free(&c);
	close(fd);
	free(buf);
}

static void file_sha256(const char *path, uint8_t out[32])
{
	file_sha256_from(path, 0, out);
}

/* Two tokens mean the same: equal as JSON values, whatever the spelling. */
static bool same_json(const char *a, const char *b)
{
	json_object *ja = json_tokener_parse(a), *jb = json_tokener_parse(b);
	bool same = ja && jb && json_object_equal(ja, jb);

	json_object_put(ja);
	json_object_put(jb);
	return same;
}

/* The LUKS passphrase is the base64 of the secret, as init/storage.c and systemd-cryptenroll make it. */
static size_t passphrase(const uint8_t secret[SECRET_LEN], char pass[PASS_MAX])
{
	size_t len = 0;

	assert_int_equal(mbedtls_base64_encode((unsigned char *)pass, PASS_MAX, &len, secret, SECRET_LEN), 0);
	assert_int_equal(len, 44);
	return len;
}

struct volume {
	char path[320];
	uint8_t secret[SECRET_LEN];
	int keyslot;
	int token;
	char *json; /* the token as built */
};

static void volume_done(struct volume *v)
{
	explicit_wipe(v->secret, sizeof(v->secret));
	free(v->json);
	v->json = NULL;
}

/* First boot, as init/storage.c does it: seal, format, build the token, add it. */
static void first_boot(struct volume *v, const char *name)
{
	struct tpm2 *t = open_tpm();
	struct tpm2_sealed sealed;
	char pass[PASS_MAX];
	size_t pass_len;

	new_file(v->path, sizeof(v->path), name);
	assert_int_equal(getrandom(v->secret, sizeof(v->secret), 0), (ssize_t)sizeof(v->secret));
	assert_int_equal(tpm2_seal(t, v->secret, sizeof(v->secret), 1u << SEAL_PCR, &sealed), 0);
	tpm2_close(t);

	pass_len = passphrase(v->secret, pass);
	v->keyslot = luks_format(v->path, LABEL, pass, pass_len);
	explicit_wipe(pass, sizeof(pass));
	assert_true(v->keyslot >= 0);
	assert_int_equal(tpm2_token_build(&sealed, v->keyslot, &v->json), 0);
	tpm2_sealed_free(&sealed);
	v->token = luks_add_token(v->path, v->json, v->keyslot);
	assert_true(v->token >= 0);
}

/*
 * A later boot, as init/storage.c does it: token read and parsed, the
 * secret unsealed, the volume opened (NULL name: passphrase checked only).
 * Returns tpm2_unseal()'s result; on success the secret must be @want's.
 */
static int later_boot(const char *path, const uint8_t want[SECRET_LEN])
{
	struct tpm2 *t;
	struct tpm2_sealed sealed;
	uint8_t secret[TPM2_SECRET_MAX];
	char *json = NULL, pass[PASS_MAX];
	size_t len = sizeof(secret), pass_len;
	struct reason why = { "" };
	int keyslot, r;

	assert_int_equal(luks_read_token(path, TPM2_TOKEN_TYPE, &json), 0);
	r = tpm2_token_parse(json, &sealed, &keyslot, &why);
	if (r < 0)
		fail_msg("token does not parse: %s", why.text);
	free(json);

	t = open_tpm();
	r = tpm2_unseal(t, &sealed, secret, &len, &why);
	tpm2_close(t);
	tpm2_sealed_free(&sealed);
	if (r < 0) {
		print_message("# unseal: %d (%s)\n", r, reason_or(&why, "-"));
		explicit_wipe(secret, sizeof(secret));
		return r;
	}
	assert_int_equal(len, SECRET_LEN);
	assert_memory_equal(secret, want, SECRET_LEN);

	pass_len = passphrase(secret, pass);
	explicit_wipe(secret, sizeof(secret));
	r = luks_open(path, NULL, keyslot, pass, pass_len, NULL);
	if (r == 0)
		r = luks_open(path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len, NULL);
	explicit_wipe(pass, sizeof(pass));
	assert_int_equal(r, 0);
	return 0;
}

/* ---- cases ------------------------------------------------------------------------------- */

/* What the first boot leaves in the header, seen through libcryptsetup itself. */
static void first_boot_formats_and_enrolls(void)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct volume v = { 0 };
	struct crypt_pbkdf_type pbkdf;
	uint64_t metadata = 0, keyslots = 0;
	const char *type = NULL;
	int active = 0;

	first_boot(&v, "first-boot.img");
	assert_int_equal(crypt_init(&cd, v.path), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_string_equal(crypt_get_type(cd), CRYPT_LUKS2);
	assert_string_equal(crypt_get_cipher(cd), "aes");
	assert_string_equal(crypt_get_cipher_mode(cd), "xts-plain64");
	assert_int_equal(crypt_get_volume_key_size(cd), 64);
	assert_int_equal(crypt_get_sector_size(cd), 4096);
	assert_string_equal(crypt_get_label(cd), LABEL);
	/* The size the header-damage cases rely on: both copies in the first 32 KiB. */
	assert_int_equal(crypt_get_metadata_size(cd, &metadata, &keyslots), 0);
	assert_int_equal(metadata, HDR_SIZE);
	/* Not LUKS2's 16 MiB: crypt_format() writes the whole area twice (lib/luks.c); data at 4 MiB. */
	assert_int_equal(keyslots, (4u << 20) - 2 * HDR_SIZE);
	assert_int_equal(crypt_get_data_offset(cd) * 512, 4u << 20);

	/* One keyslot, PBKDF2-SHA512, 1000 iterations (no benchmark: the passphrase has full entropy). */
	for (int k = 0; k < crypt_keyslot_max(CRYPT_LUKS2); k++)
		if (crypt_keyslot_status(cd, k) >= CRYPT_SLOT_ACTIVE)
			active++;
	assert_int_equal(active, 1);
	assert_int_equal(crypt_keyslot_status(cd, v.keyslot), CRYPT_SLOT_ACTIVE_LAST);
	assert_int_equal(crypt_keyslot_get_pbkdf(cd, v.keyslot, &pbkdf), 0);
	assert_string_equal(pbkdf.type, CRYPT_KDF_PBKDF2);
	assert_string_equal(pbkdf.hash, "sha512");
	assert_int_equal(pbkdf.iterations, 1000);

	/* The systemd-tpm2 token, assigned to that keyslot (and to no other). */
	assert_int_equal(crypt_token_status(cd, v.token, &type), CRYPT_TOKEN_EXTERNAL_UNKNOWN);
	assert_string_equal(type, TPM2_TOKEN_TYPE);
	assert_int_equal(crypt_token_is_assigned(cd, v.token, v.keyslot), 0);
	assert_int_equal(crypt_token_is_assigned(cd, v.token, v.keyslot + 1), -ENOENT);
	volume_done(&v);
}

static void later_boot_unseals_and_opens(void)
{
	struct volume v = { 0 };
	uint8_t before[32], after[32];

	first_boot(&v, "later-boot.img");
	file_sha256(v.path, before);
	assert_int_equal(later_boot(v.path, v.secret), 0);
	/* And again: a boot that opens a healthy volume writes nothing to it. */
	assert_int_equal(later_boot(v.path, v.secret), 0);
	file_sha256(v.path, after);
	assert_memory_equal(before, after, sizeof(before));
	volume_done(&v);
}

/* The token read back means what was built: parsed field by field, and equal as JSON. */
static void token_read_back_is_the_one_built(void)
{
	struct volume v = { 0 };
	struct tpm2_sealed built, read;
	char *json = NULL;
	struct reason why = { "" };
	int kb, kr;

	first_boot(&v, "token.img");
	assert_int_equal(luks_read_token(v.path, TPM2_TOKEN_TYPE, &json), 0);

	assert_int_equal(tpm2_token_parse(v.json, &built, &kb, &why), 0);
	assert_int_equal(tpm2_token_parse(json, &read, &kr, &why), 0);
	assert_int_equal(kb, v.keyslot);
	assert_int_equal(kr, v.keyslot);
	assert_int_equal(read.blob_len, built.blob_len);
	assert_memory_equal(read.blob, built.blob, built.blob_len);
	assert_int_equal(read.srk_len, built.srk_len);
	assert_memory_equal(read.srk, built.srk, built.srk_len);
	assert_memory_equal(read.policy_hash, built.policy_hash, sizeof(built.policy_hash));
	assert_int_equal(read.pcr_mask, built.pcr_mask);
	assert_int_equal(read.pcr_mask, 1u << SEAL_PCR);

	/* No field added, dropped or changed (libcryptsetup did not list the keyslot twice either). */
	assert_true(same_json(v.json, json));
	print_message("# read back %s\n", strcmp(v.json, json) ? "spelled differently" : "byte for byte");

	tpm2_sealed_free(&built);
	tpm2_sealed_free(&read);
	free(json);
	volume_done(&v);
}

/* What the lock step does: after PCR 7 moves, unsealing is refused and the volume is not touched. */
static void pcr7_extended_refuses_and_writes_nothing(void)
{
	struct volume v = { 0 };
	uint8_t before[32], after[32];
	struct tpm2 *t;

	first_boot(&v, "pcr7.img");
	file_sha256(v.path, before);
	t = open_tpm();
	assert_int_equal(tpm2_pcr_extend_event(t, SEAL_PCR, "lock", 4), 0);
	tpm2_close(t);
	assert_int_equal(later_boot(v.path, v.secret), -EPERM);
	file_sha256(v.path, after);
	assert_memory_equal(before, after, sizeof(before));
	volume_done(&v);
}

static void wrong_passphrase_does_not_open(void)
{
	struct volume v = { 0 };
	uint8_t other[SECRET_LEN];
	char pass[PASS_MAX];
	size_t pass_len;

	first_boot(&v, "wrong-pass.img");
	memcpy(other, v.secret, sizeof(other));
	other[0] ^= 0x01;
	pass_len = passphrase(other, pass);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len, NULL), -EPERM);
	assert_int_equal(luks_open(v.path, NULL, v.keyslot, pass, pass_len, NULL), -EPERM);
	/* The right one, one byte short. */
	pass_len = passphrase(v.secret, pass);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len - 1, NULL), -EPERM);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len, NULL), 0);
	explicit_wipe(pass, sizeof(pass));
	explicit_wipe(other, sizeof(other));
	volume_done(&v);
}

/*
 * The identity the volume record keeps (lib/volume_record.h): the same
 * through any keyslot of a volume, another for the same passphrase on a
 * volume formatted again, and nothing when the passphrase is wrong.
 */
static void identity_is_the_volume_key(void)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	uint8_t id[VOLUME_IDENTITY_SIZE], again[VOLUME_IDENTITY_SIZE], none[VOLUME_IDENTITY_SIZE] = { 0 };
	uint8_t other[SECRET_LEN];
	char pass[PASS_MAX], pass2[PASS_MAX];
	size_t pass_len, pass2_len;
	struct volume v = { 0 };
	int slot2;

	first_boot(&v, "identity.img");
	pass_len = passphrase(v.secret, pass);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len, id), 0);
	assert_memory_not_equal(id, none, sizeof(id));

	/* A second keyslot (as systemd-cryptenroll adds one) opens the same volume. */
	memcpy(other, v.secret, sizeof(other));
	other[0] ^= 0x01;
	pass2_len = passphrase(other, pass2);
	assert_int_equal(crypt_init(&cd, v.path), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	slot2 = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, pass, pass_len, pass2, pass2_len);
	assert_true(slot2 >= 0 && slot2 != v.keyslot);
	assert_int_equal(luks_open(v.path, NULL, slot2, pass2, pass2_len, again), 0);
	assert_memory_equal(id, again, sizeof(id));

	/* A wrong passphrase: no identity. */
	memset(again, 0, sizeof(again));
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len - 1, again), -EPERM);
	assert_memory_equal(again, none, sizeof(again));

	/* Formatted again with the same passphrase (same secret): another volume. */
	assert_true(luks_format(v.path, LABEL, pass, pass_len) >= 0);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, pass, pass_len, again), 0);
	assert_memory_not_equal(id, again, sizeof(id));

	explicit_wipe(pass, sizeof(pass));
	explicit_wipe(pass2, sizeof(pass2));
	explicit_wipe(other, sizeof(other));
	volume_done(&v);
}

/*
 * What recovery does to a volume: a recovery keyslot beside the TPM's,
 * then, with the recovery key, a new keyslot and token in, the old token
 * and keyslot out; the volume (its identity) stays the one it was.
 */
static void keyslots_replaced_with_the_recovery_key(void)
{
	static const char recovery[] = "ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv";
	uint8_t old_secret[SECRET_LEN] = { 7 }, new_secret[SECRET_LEN] = { 8 };
	uint8_t id[VOLUME_IDENTITY_SIZE], again[VOLUME_IDENTITY_SIZE];
	char path[320], old_pass[PASS_MAX], new_pass[PASS_MAX], *json = NULL;
	size_t old_len = passphrase(old_secret, old_pass), new_len = passphrase(new_secret, new_pass);
	int tpm_slot, rec_slot, new_slot, old_token, new_token;

	new_file(path, sizeof(path), "recovery.img");
	tpm_slot = luks_format(path, LABEL, old_pass, old_len);
	assert_true(tpm_slot >= 0);
	assert_int_equal(luks_open(path, NULL, tpm_slot, old_pass, old_len, id), 0);
	old_token = luks_add_token(path, "{\"type\":\"systemd-tpm2\",\"keyslots\":[\"0\"]}", tpm_slot);
	assert_true(old_token >= 0);
	rec_slot = luks_add_keyslot(path, tpm_slot, old_pass, old_len, recovery, strlen(recovery));
	assert_true(rec_slot >= 0 && rec_slot != tpm_slot);
	assert_true(luks_add_token(path, "{\"type\":\"rampart-escrow\",\"keyslots\":[\"1\"]}", rec_slot) >= 0);
	/* A wrong passphrase adds nothing. */
	assert_true(luks_add_keyslot(path, rec_slot, recovery, strlen(recovery) - 1, "x", 1) < 0);

	new_slot = luks_add_keyslot(path, rec_slot, recovery, strlen(recovery), new_pass, new_len);
	assert_true(new_slot >= 0 && new_slot != tpm_slot && new_slot != rec_slot);
	new_token = luks_add_token(path, "{\"type\":\"systemd-tpm2\",\"keyslots\":[\"2\"]}", new_slot);
	assert_true(new_token >= 0 && new_token != old_token);
	assert_int_equal(luks_keyslot_has_token(path, tpm_slot), 1);
	assert_int_equal(luks_remove_token(path, old_token), 0);
	assert_int_equal(luks_keyslot_has_token(path, tpm_slot), 0);
	assert_int_equal(luks_keyslot_has_token(path, rec_slot), 1);
	assert_int_equal(luks_remove_keyslot(path, tpm_slot), 0);

	assert_true(luks_open(path, NULL, tpm_slot, old_pass, old_len, NULL) < 0);
	assert_true(luks_open(path, NULL, LUKS_ANY_KEYSLOT, old_pass, old_len, NULL) < 0);
	assert_int_equal(luks_open(path, NULL, new_slot, new_pass, new_len, again), 0);
	assert_memory_equal(id, again, sizeof(id));
	assert_int_equal(luks_open(path, NULL, rec_slot, recovery, strlen(recovery), again), 0);
	assert_memory_equal(id, again, sizeof(id));
	assert_int_equal(luks_read_token(path, TPM2_TOKEN_TYPE, &json), 0);
	assert_non_null(strstr(json, "\"2\""));
	free(json);
	explicit_wipe(old_pass, sizeof(old_pass));
	explicit_wipe(new_pass, sizeof(new_pass));
}

/*
 * Formatted with the recovery keyslot as open-storage does it (the volume
 * key still in hand); the keyslot area holds those two and 14 more, not
 * a 17th.
 */
static void format_with_recovery_and_sixteen_keyslots(void)
{
	static const char pass[] = "0123456789abcdef0123456789abcdef";
	static const char recovery[] = "ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv";
	uint8_t id[VOLUME_IDENTITY_SIZE], again[VOLUME_IDENTITY_SIZE];
	char path[320], more[16];
	int slot, rec_slot = -1;

	new_file(path, sizeof(path), "sixteen-keyslots.img");
	slot = luks_format_with_recovery(path, LABEL, pass, strlen(pass), recovery, strlen(recovery), &rec_slot);
	assert_true(slot >= 0);
	assert_true(rec_slot >= 0 && rec_slot != slot);
	assert_int_equal(luks_open(path, NULL, slot, pass, strlen(pass), id), 0);
	assert_int_equal(luks_open(path, NULL, rec_slot, recovery, strlen(recovery), again), 0);
	assert_memory_equal(id, again, sizeof(id));
	assert_true(luks_open(path, NULL, slot, recovery, strlen(recovery), NULL) < 0);
	for (int i = 0; i < 14; i++) {
		snprintf(more, sizeof(more), "k%d", i);
		assert_true(luks_add_keyslot(path, slot, pass, strlen(pass), more, strlen(more)) >= 0);
	}
	assert_true(luks_add_keyslot(path, slot, pass, strlen(pass), "k14", 3) < 0);
	for (int i = 0; i < 14; i += 13) {
		snprintf(more, sizeof(more), "k%d", i);
		assert_int_equal(luks_open(path, NULL, LUKS_ANY_KEYSLOT, more, strlen(more), again), 0);
		assert_memory_equal(id, again, sizeof(id));
	}
}

static void zeros_are_not_luks(void)
{
	char path[320], *json = NULL;
	uint8_t before[32], after[32];

	new_file(path, sizeof(path), "zeros.img");
	file_sha256(path, before);
	assert_int_equal(luks_read_token(path, TPM2_TOKEN_TYPE, &json), -EMEDIUMTYPE);
	assert_null(json);
	assert_int_equal(luks_open(path, NULL, LUKS_ANY_KEYSLOT, "x", 1, NULL), -EMEDIUMTYPE);
	file_sha256(path, after);
	assert_memory_equal(before, after, sizeof(before));
}

static void luks2_without_token(void)
{
	char path[320], *json = NULL;
	uint8_t secret[SECRET_LEN] = { 1, 2, 3 };
	char pass[PASS_MAX];
	size_t pass_len = passphrase(secret, pass);

	new_file(path, sizeof(path), "no-token.img");
	assert_true(luks_format(path, LABEL, pass, pass_len) >= 0);
	explicit_wipe(pass, sizeof(pass));
	assert_int_equal(luks_read_token(path, TPM2_TOKEN_TYPE, &json), -ENOENT);
	assert_null(json);
	/* A token of another type is not ours either. */
	assert_true(luks_add_token(path, "{\"type\":\"systemd-fido2\",\"keyslots\":[\"0\"]}", 0) >= 0);
	assert_int_equal(luks_read_token(path, TPM2_TOKEN_TYPE, &json), -ENOENT);
	assert_null(json);
}

/*
 * Both header copies damaged (the var-corrupt scenario, on a file): not
 * LUKS2, and not a byte of the file changes; no repair is attempted.
 */
static void both_headers_damaged(void)
{
	struct volume v = { 0 };
	uint8_t before[32], after[32];
	char *json = NULL;

	first_boot(&v, "both-damaged.img");
	garbage(v.path, 0, 2 * HDR_SIZE, 0x5eed);
	file_sha256(v.path, before);
	assert_int_equal(luks_read_token(v.path, TPM2_TOKEN_TYPE, &json), -EMEDIUMTYPE);
	assert_null(json);
	assert_int_equal(luks_open(v.path, NULL, LUKS_ANY_KEYSLOT, "x", 1, NULL), -EMEDIUMTYPE);
	file_sha256(v.path, after);
	assert_memory_equal(before, after, sizeof(before));
	volume_done(&v);
}

/*
 * The parts of a LUKS2 binary header (4096 bytes; the JSON area follows
 * up to HDR_SIZE): a copy whose magic or checksum is wrong does not load.
 */
#define BIN_LEN 4096
#define BIN_SALT 104   /* salt[64] */
#define BIN_UUID 168   /* uuid, subsystem, hdr_offset, padding */
#define BIN_CSUM 448   /* csum[64] */
#define BIN_PAD 512    /* padding to 4096 */

static bool has_magic(const uint8_t *copy, bool secondary)
{
	static const uint8_t magic1[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
	static const uint8_t magic2[6] = { 'S', 'K', 'U', 'L', 0xba, 0xbe };

	return !memcmp(copy, secondary ? magic2 : magic1, 6);
}

/*
 * One header copy damaged: what libcryptsetup (2.8) does when lib/luks
 * reads the token.  It loads the good copy and, because metadata locking
 * is on (its default), "auto-recovers" the bad one: crypt_load() takes
 * the write lock and writes the good copy over it with a new salt.  So
 * merely reading the token (the unseal state, before the TPM is asked)
 * writes to the volume, and the boot goes on as if nothing had happened.
 * This pins that down: when it starts failing, libcryptsetup or lib/luks
 * changed how a damaged header is treated.
 */
static void one_header_damaged(off_t off, size_t len, const char *name)
{
	struct volume v = { 0 };
	uint8_t damaged[32], after[32], rest[32], rest_after[32];
	uint8_t orig[2 * HDR_SIZE], now[2 * HDR_SIZE];
	bool secondary = off >= HDR_SIZE;
	const uint8_t *o = orig + (secondary ? HDR_SIZE : 0), *n = now + (secondary ? HDR_SIZE : 0);
	char *json = NULL;

	first_boot(&v, name);
	read_at(v.path, 0, orig, sizeof(orig));
	garbage(v.path, off, len, 0xbad);
	file_sha256(v.path, damaged);
	file_sha256_from(v.path, 2 * HDR_SIZE, rest);

	assert_int_equal(luks_read_token(v.path, TPM2_TOKEN_TYPE, &json), 0);
	assert_true(same_json(json, v.json));
	free(json);
	file_sha256(v.path, after);
	file_sha256_from(v.path, 2 * HDR_SIZE, rest_after);
	read_at(v.path, 0, now, sizeof(now));
	print_message("# %s: bytes %lld-%lld damaged; luks_read_token() succeeded and the file %s: "
		      "primary %s, secondary %s\n", name, (long long)off, (long long)(off + (off_t)len - 1),
		      memcmp(damaged, after, 32) ? "WAS WRITTEN" : "is unchanged",
		      has_magic(now, false) ? "valid" : "invalid",
		      has_magic(now + HDR_SIZE, true) ? "valid" : "invalid");

	/* Written: the damaged copy is the other one again, but for a new salt (and so its checksum). */
	assert_memory_not_equal(damaged, after, sizeof(damaged));
	assert_memory_equal(n, o, BIN_SALT);
	assert_memory_not_equal(n + BIN_SALT, o + BIN_SALT, BIN_UUID - BIN_SALT);
	assert_memory_equal(n + BIN_UUID, o + BIN_UUID, BIN_CSUM - BIN_UUID);
	assert_memory_equal(n + BIN_PAD, o + BIN_PAD, HDR_SIZE - BIN_PAD);
	/* The good copy and everything after the two copies untouched. */
	assert_memory_equal(secondary ? now : now + HDR_SIZE, secondary ? orig : orig + HDR_SIZE, HDR_SIZE);
	assert_memory_equal(rest, rest_after, sizeof(rest));

	assert_int_equal(later_boot(v.path, v.secret), 0);
	volume_done(&v);
}

static void primary_binary_header_damaged(void)
{
	one_header_damaged(0, BIN_LEN, "primary-bin.img");
}

static void primary_json_damaged(void)
{
	one_header_damaged(BIN_LEN, HDR_SIZE - BIN_LEN, "primary-json.img");
}

static void secondary_header_damaged(void)
{
	one_header_damaged(HDR_SIZE, HDR_SIZE, "secondary.img");
}

/*
 * What it takes for libcryptsetup not to write: with metadata locking
 * off (crypt_metadata_locking(NULL, 0)) it skips auto-recovery
 * (LUKS2_disk_hdr_read()) and uses the good copy without writing; the
 * volume still opens.  Locking cannot be turned on again in a process,
 * so a child does it.
 */
static void no_repair_without_locking(void)
{
	struct volume v = { 0 };
	uint8_t damaged[32], after[32];
	int status;
	pid_t pid;

	first_boot(&v, "no-locking.img");
	garbage(v.path, 0, BIN_LEN, 0xbad);
	file_sha256(v.path, damaged);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *json = NULL, pass[PASS_MAX];
		size_t pass_len = passphrase(v.secret, pass);
		bool ok;

		ok = crypt_metadata_locking(NULL, 0) == 0 &&
		     luks_read_token(v.path, TPM2_TOKEN_TYPE, &json) == 0 && same_json(json, v.json) &&
		     luks_open(v.path, NULL, v.keyslot, pass, pass_len, NULL) == 0;
		explicit_wipe(pass, sizeof(pass));
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	file_sha256(v.path, after);
	print_message("# metadata locking off: token read from the secondary copy, volume opens, file %s\n",
		      memcmp(damaged, after, 32) ? "WAS WRITTEN" : "is unchanged");
	assert_memory_equal(damaged, after, sizeof(damaged));
	volume_done(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(first_boot_formats_and_enrolls),
		T(later_boot_unseals_and_opens),
		T(token_read_back_is_the_one_built),
		T(pcr7_extended_refuses_and_writes_nothing),
		T(wrong_passphrase_does_not_open),
		T(identity_is_the_volume_key),
		T(keyslots_replaced_with_the_recovery_key),
		T(format_with_recovery_and_sixteen_keyslots),
		T(zeros_are_not_luks),
		T(luks2_without_token),
		T(both_headers_damaged),
		T(primary_binary_header_damaged),
		T(primary_json_damaged),
		T(secondary_header_damaged),
		T(no_repair_without_locking),
	};

	log_set_max_level(LOG_DEBUG);
	/*
	 * As in the stack (built without external tokens): Debian's
	 * libcryptsetup, which the ASan build links, would load the host's
	 * systemd token plugin and report our token as one it handles.
	 */
	crypt_token_external_disable();
	return cmocka_run_group_tests(tests, test_swtpm_group_setup, test_swtpm_group_teardown);
}
