/* SPDX-License-Identifier: MIT */
/*
 * lib/escrow against an independent implementation of its scheme: every
 * token made here is decrypted by keys/recovery-key (python3-cryptography)
 * with the fixture's escrow private key (test/stack/rootsig-fixtures.sh),
 * which must print the key that was encrypted, as recovery_key_format()
 * spells it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "escrow.h"
#include "recovery_key.h"
#include "testutil.h"
#include "util.h"

static const char *fixtures;

static uint8_t *load(const char *name, size_t *len)
{
	char path[4096];
	struct stat st;
	uint8_t *p;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		fail_msg("cannot open fixture %s (run the test through `make lib-unit-test`)", path);
	*len = (size_t)st.st_size + 1; /* PEM is parsed with its NUL */
	p = malloc(*len);
	assert_non_null(p);
	assert_int_equal(read(fd, p, *len - 1), (ssize_t)(*len - 1));
	p[*len - 1] = '\0';
	return p;
}

static struct escrow_recipient *recipient(const char *name)
{
	struct escrow_recipient *r = NULL;
	struct reason why = { "" };
	char file[64];
	size_t len;
	uint8_t *cert;

	snprintf(file, sizeof(file), "escrow-%s.crt", name);
	cert = load(file, &len);
	assert_int_equal(escrow_recipient_parse(cert, len, &r, &why), 0);
	free(cert);
	return r;
}

/* What keys/recovery-key prints for @json with escrow-@name.key: its first line, without the tab and the rest. */
static void tool_decrypts(const char *name, const char *json, char *out, size_t size, int *status)
{
	char dir[256], path[512], cmd[2048];
	FILE *f;

	assert_true(testutil_mkdtemp(dir, sizeof(dir), "escrow"));
	snprintf(path, sizeof(path), "%s/token.json", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "keys/recovery-key --key '%s/escrow-%s.key' '%s' 2>/dev/null", fixtures, name, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	out[0] = '\0';
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	out[strcspn(out, "\t\n")] = '\0';
	*status = pclose(f);
	testutil_rmtree(dir);
}

static void round_trip(const char *name, int keyslot)
{
	struct escrow_recipient *r = recipient(name);
	uint8_t key[RECOVERY_KEY_BYTES];
	char want[RECOVERY_KEY_TEXT_LEN + 1], got[256];
	char *json = NULL, *again = NULL;
	struct reason why = { "" };
	int slot = -1, status;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 7) ^ keyslot);
	recovery_key_format(key, want);
	assert_int_equal(escrow_token_build(r, key, keyslot, &json), 0);
	assert_int_equal(recovery_token_keyslot(json, &slot, &why), 0);
	assert_int_equal(slot, keyslot);
	/* Nothing of the key in clear in the token, in any spelling of it. */
	assert_null(strstr(json, want));
	tool_decrypts(name, json, got, sizeof(got), &status);
	assert_int_equal(status, 0);
	assert_string_equal(got, want);

	/* Fresh randomness per token: the same key never encrypts to the same token twice. */
	assert_int_equal(escrow_token_build(r, key, keyslot, &again), 0);
	assert_string_not_equal(json, again);
	free(again);
	free(json);
	escrow_recipient_free(r);
}

static void rsa_round_trip(void)
{
	round_trip("rsa", 2);
}

static void ec_round_trips(void)
{
	round_trip("p256", 1);
	round_trip("p384", 31);
	round_trip("p521", 0);
}

/* A token for one escrow key does not decrypt with another: the tool says so and prints no key. */
static void other_key_does_not_decrypt(void)
{
	struct escrow_recipient *r = recipient("p384");
	uint8_t key[RECOVERY_KEY_BYTES] = { 1, 2, 3 };
	char got[256], *json = NULL;
	int status;

	assert_int_equal(escrow_token_build(r, key, 1, &json), 0);
	tool_decrypts("p256", json, got, sizeof(got), &status);
	assert_int_not_equal(status, 0);
	assert_string_equal(got, "");
	tool_decrypts("rsa", json, got, sizeof(got), &status);
	assert_int_not_equal(status, 0);
	free(json);
	escrow_recipient_free(r);
}

static void refuses_other_certificates(void)
{
	struct escrow_recipient *r = NULL;
	struct reason why = { "" };
	uint8_t junk[600];
	size_t len;
	static const char *const refused[] = { "escrow-ed25519.crt", "escrow-k256.crt", "escrow-rsa1024.crt" };

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		uint8_t *cert = load(refused[i], &len);

		why.text[0] = '\0';
		assert_true(escrow_recipient_parse(cert, len, &r, &why) < 0);
		assert_null(r);
		assert_true(why.text[0]);
		free(cert);
	}
	memset(junk, 0x30, sizeof(junk));
	assert_int_equal(escrow_recipient_parse(junk, sizeof(junk), &r, &why), -EBADMSG);
	assert_null(r);
	assert_int_equal(escrow_token_build(NULL, junk, 1, (char *[]){ NULL }), -EINVAL);
}

static void recovery_token_types(void)
{
	struct reason why = { "" };
	int slot = -1;

	assert_int_equal(recovery_token_keyslot("{\"type\":\"systemd-recovery\",\"keyslots\":[\"4\"]}", &slot, &why), 0);
	assert_int_equal(slot, 4);
	assert_int_equal(recovery_token_keyslot("{\"type\":\"rampart-escrow\",\"keyslots\":[\"12\"],\"x\":1}", &slot,
						&why), 0);
	assert_int_equal(slot, 12);
	assert_int_equal(recovery_token_keyslot("{\"type\":\"systemd-tpm2\",\"keyslots\":[\"1\"]}", &slot, &why),
			 -EBADMSG);
	assert_int_equal(recovery_token_keyslot("{\"type\":\"rampart-escrow\",\"keyslots\":[\"1\",\"2\"]}", &slot,
						&why), -EBADMSG);
	assert_int_equal(recovery_token_keyslot("{\"type\":\"rampart-escrow\",\"keyslots\":[\"32\"]}", &slot, &why),
			 -EBADMSG);
	assert_int_equal(recovery_token_keyslot("{\"type\":\"rampart-escrow\"} x", &slot, &why), -EBADMSG);
	assert_int_equal(recovery_token_keyslot("", &slot, &why), -EBADMSG);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(rsa_round_trip),
		T(ec_round_trips),
		T(other_key_does_not_decrypt),
		T(refuses_other_certificates),
		T(recovery_token_types),
	};

	fixtures = argc > 1 ? argv[1] : getenv("RAMPART_TEST_FIXTURES");
	if (!fixtures) {
		fprintf(stderr, "RAMPART_TEST_FIXTURES is not set (run through `make lib-unit-test`)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
