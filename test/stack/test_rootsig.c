/* SPDX-License-Identifier: MIT */
/*
 * lib/rootsig against real openssl output: the fixtures are made by
 * test/stack/rootsig-fixtures.sh (the way tools/mkdisk.sh signs) into the
 * directory named by $RAMPART_TEST_FIXTURES or argv[1].
 *
 * Built static with musl (the libraries exist only there), UBSan in trap
 * mode; ASan does not work with musl, so every test is run by
 * testutil_run_checked(), which counts malloc/free (linked with --wrap)
 * and fails a test that leaves allocations behind.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>

#include "log.h"
#include "rootsig.h"
#include "testutil.h"
#include "util.h"

/* ---- fixtures ------------------------------------------------------------------- */

static const char *fixtures;

struct blob {
	uint8_t *p;
	size_t len;
};

static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static struct blob load(const char *name)
{
	char path[4096];
	struct blob b = { NULL, 0 };
	struct stat st;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		fail_msg("cannot open fixture %s (run the test through `make lib-unit-test`)", path);
	b.len = (size_t)st.st_size;
	b.p = malloc(b.len + 1);
	assert_non_null(b.p);
	assert_int_equal(read(fd, b.p, b.len), (ssize_t)b.len);
	b.p[b.len] = '\0';
	return b;
}

static void hexify(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* sha256 of a fixture's DER certificate, as hex. */
static void fingerprint_of(const char *cert, char out[65])
{
	struct blob der = load(cert);
	uint8_t h[32];

	assert_int_equal(mbedtls_sha256(der.p, der.len, h, 0), 0);
	hexify(h, 32, out);
	blob_free(&der);
}

static struct trust_store *store_of(const char *const *certs)
{
	struct trust_store *ts;

	assert_int_equal(trust_store_new(&ts), 0);
	for (; *certs; certs++) {
		struct blob der = load(*certs);

		assert_int_equal(trust_store_add_der(ts, der.p, der.len), 0);
		blob_free(&der);
	}
	return ts;
}

/* A document as mkdisk writes it, from parts (any of them altered by a test). */
/* The document for @der; without "certificateFingerprint" when @fpr is NULL. */
static char *make_doc(const char *hash, const uint8_t *der, size_t der_len, const char *fpr)
{
	size_t b64_len;
	char *b64, *doc;

	mbedtls_base64_encode(NULL, 0, &b64_len, der, der_len);
	b64 = malloc(b64_len);
	assert_non_null(b64);
	assert_int_equal(mbedtls_base64_encode((unsigned char *)b64, b64_len, &b64_len, der, der_len), 0);
	if (fpr)
		assert_true(asprintf(&doc, "{\"rootHash\":\"%s\",\"signature\":\"%s\",\"certificateFingerprint\":\"%s\"}",
				     hash, b64, fpr) > 0);
	else
		assert_true(asprintf(&doc, "{\"rootHash\":\"%s\",\"signature\":\"%s\"}", hash, b64) > 0);
	free(b64);
	return doc;
}

/* Parses @doc (as a string) and verifies it against @ts; returns the first error. */
static int check(const char *doc, const struct trust_store *ts, struct reason *why)
{
	struct root_signature s;
	int r;

	why->text[0] = '\0';
	r = rootsig_parse(doc, strlen(doc), &s, why);
	if (r < 0)
		return r;
	r = rootsig_verify(&s, ts, why);
	rootsig_free(&s);
	return r;
}

static int check_file(const char *name, const char *const *certs, struct reason *why)
{
	struct blob doc = load(name);
	struct trust_store *ts = store_of(certs);
	struct root_signature s;
	int r;

	why->text[0] = '\0';
	r = rootsig_parse(doc.p, doc.len, &s, why);
	if (r == 0) {
		r = rootsig_verify(&s, ts, why);
		rootsig_free(&s);
	}
	trust_store_free(ts);
	blob_free(&doc);
	return r;
}

static int parse_str(const char *doc, struct reason *why)
{
	struct root_signature s;
	int r;

	why->text[0] = '\0';
	r = rootsig_parse(doc, strlen(doc), &s, why);
	rootsig_free(&s);
	return r;
}

static const char *const EC[] = { "ec.der", NULL };
static const char *const RSA[] = { "rsa.der", NULL };
static const char *const ALL[] = { "ec.der", "rsa.der", "ec-future.der", NULL };

/* ---- good documents --------------------------------------------------------------- */

static void good_ec_document_verifies(void)
{
	struct blob doc = load("ec.doc"), hash = load("roothash");
	struct trust_store *ts = store_of(EC);
	struct root_signature s;
	struct reason why = { "" };
	char fpr[65], got[65];

	assert_int_equal(doc.len % 4096, 0);
	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_string_equal(why.text, "");
	assert_string_equal(s.root_hash_hex, (char *)hash.p);
	assert_int_equal(s.root_hash_len, 32);
	fingerprint_of("ec.der", fpr);
	hexify(s.cert_fingerprint, 32, got);
	assert_string_equal(got, fpr);
	assert_int_equal(rootsig_verify(&s, ts, &why), 0);
	assert_string_equal(why.text, "");
	rootsig_free(&s);
	rootsig_free(&s); /* harmless twice */
	trust_store_free(ts);
	blob_free(&doc);
	blob_free(&hash);
}

static void good_documents_of_every_kind_verify(void)
{
	static const char *const docs[] = {
		"ec.doc",         /* mkdisk default: certificate inside the PKCS#7 */
		"ec-nocert.doc",  /* mkdisk --sig-without-cert */
		"rsa.doc",        /* RSA PKCS#1 v1.5, certificate expired in 2001 */
		"ec-future.doc",  /* certificate valid only from 2090 */
		"ec-sha384.doc", "rsa-sha512.doc",
		"ec-long.doc",    /* 512-bit root hash */
	};
	struct reason why = { "" };

	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		int r = check_file(docs[i], ALL, &why);

		if (r != 0)
			fail_msg("%s: %d (%s)", docs[i], r, why.text);
	}
}

static void long_root_hash(void)
{
	struct blob doc = load("ec-long.doc"), hash = load("roothash-long");
	struct root_signature s;
	struct reason why = { "" };

	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_int_equal(s.root_hash_len, 64);
	assert_string_equal(s.root_hash_hex, (char *)hash.p);
	rootsig_free(&s);
	blob_free(&doc);
	blob_free(&hash);
}

static void field_order_whitespace_and_extra_fields(void)
{
	struct blob ec = load("ec.doc");
	struct trust_store *ts = store_of(EC);
	struct root_signature s;
	struct reason why = { "" };
	char fpr[65], *b64, *doc;
	int r;

	assert_int_equal(rootsig_parse(ec.p, ec.len, &s, &why), 0);
	hexify(s.cert_fingerprint, 32, fpr);
	b64 = strstr((char *)ec.p, "\"signature\":\"") + 13;
	*strchr(b64, '"') = '\0';
	/* systemd-repart's order, pretty-printed, with a field we do not know, nested keys too. */
	assert_true(asprintf(&doc, " {\n  \"rootHash\" : \"%s\",\n  \"certificateFingerprint\": \"%s\",\n"
				   "  \"future\": {\"rootHash\": 1, \"signature\": [1, {\"a\": \"}\"}]},\n"
				   "  \"signature\": \"%s\"\n}\n\r\t ",
			     s.root_hash_hex, fpr, b64) > 0);
	r = check(doc, ts, &why);
	if (r != 0)
		fail_msg("%d (%s)", r, why.text);
	free(doc);
	rootsig_free(&s);
	trust_store_free(ts);
	blob_free(&ec);
}

static void content_after_first_nul_is_ignored(void)
{
	struct blob doc = load("ec.doc");
	struct trust_store *ts = store_of(EC);
	struct root_signature s;
	size_t n = strlen((char *)doc.p);
	struct reason why = { "" };

	assert_true(n + 2 < doc.len);
	memset(doc.p + n + 1, 'x', doc.len - n - 1);
	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_int_equal(rootsig_verify(&s, ts, &why), 0);
	rootsig_free(&s);
	trust_store_free(ts);
	blob_free(&doc);
}

/* ---- trust ---------------------------------------------------------------------------- */

static void fingerprint_not_in_store(void)
{
	struct reason why = { "" };
	static const char *const no_ec[] = { "rsa.der", "ec-future.der", NULL };

	assert_int_equal(check_file("ec.doc", RSA, &why), -ENOKEY);
	assert_string_equal(why.text, "no trusted certificate has this fingerprint");
	/* Same key, other certificate: the fingerprint names a certificate, not a key. */
	assert_int_equal(check_file("ec.doc", no_ec, &why), -ENOKEY);
	assert_int_equal(check_file("rogue.doc", ALL, &why), -ENOKEY);
}

static void trust_is_the_store(void)
{
	static const char *const rogue[] = { "rogue.der", NULL };
	struct reason why = { "" };

	/* A rogue certificate in the store is trusted: the store is the policy. */
	assert_int_equal(check_file("rogue.doc", rogue, &why), 0);
}

static void signed_by_another_key(void)
{
	static const char *const with_rogue[] = { "ec.der", "rogue.der", NULL };
	struct blob ec = load("ec.doc");
	struct trust_store *ts = store_of(with_rogue);
	struct root_signature s;
	struct reason why = { "" };
	char rogue_fpr[65], *doc;

	/* Signed by ec, claims the (trusted) rogue certificate. */
	assert_int_equal(rootsig_parse(ec.p, ec.len, &s, &why), 0);
	fingerprint_of("rogue.der", rogue_fpr);
	doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len, rogue_fpr);
	assert_int_equal(check(doc, ts, &why), -EKEYREJECTED);
	assert_string_equal(why.text, "PKCS#7 signer is not the certificate with this fingerprint");
	free(doc);
	rootsig_free(&s);
	trust_store_free(ts);
	blob_free(&ec);

	/* Names ec's fingerprint, issuer and serial, but signed with another key. */
	assert_int_equal(check_file("impostor.doc", EC, &why), -EKEYREJECTED);
	assert_string_equal(why.text, "signature does not verify");
}

static void root_hash_changed(void)
{
	static const char *const docs[] = { "ec.doc", "rsa.doc", "ec-nocert.doc" };

	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct blob b = load(docs[i]);
		struct trust_store *ts = store_of(ALL);
		struct root_signature s;
		struct reason why = { "" };
		char fpr[65], *doc;

		assert_int_equal(rootsig_parse(b.p, b.len, &s, &why), 0);
		hexify(s.cert_fingerprint, 32, fpr);
		for (size_t pos = 0; pos < 64; pos += 21) {
			char hash[129];

			snprintf(hash, sizeof(hash), "%s", s.root_hash_hex);
			hash[pos] = hash[pos] == '0' ? '1' : '0';
			doc = make_doc(hash, s.pkcs7, s.pkcs7_len, fpr);
			assert_int_equal(check(doc, ts, &why), -EKEYREJECTED);
			assert_string_equal(why.text, "signature does not verify");
			free(doc);
		}
		/* The re-serialised original still verifies: only the hash made the difference. */
		doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len, fpr);
		assert_int_equal(check(doc, ts, &why), 0);
		free(doc);
		rootsig_free(&s);
		trust_store_free(ts);
		blob_free(&b);
	}
}

static void signature_damaged(void)
{
	struct blob b = load("ec-nocert.doc");
	struct trust_store *ts = store_of(EC);
	struct root_signature s;
	struct reason why = { "" };
	char fpr[65], *doc;

	assert_int_equal(rootsig_parse(b.p, b.len, &s, &why), 0);
	hexify(s.cert_fingerprint, 32, fpr);

	/* Truncated DER, by one byte and by half. */
	doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len - 1, fpr);
	assert_int_equal(check(doc, ts, &why), -EBADMSG);
	free(doc);
	doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len / 2, fpr);
	assert_int_equal(check(doc, ts, &why), -EBADMSG);
	assert_string_equal(why.text, "malformed PKCS#7");
	free(doc);

	/* Last byte of the ECDSA signature value changed: well formed, wrong. */
	s.pkcs7[s.pkcs7_len - 1] ^= 1;
	doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len, fpr);
	assert_int_equal(check(doc, ts, &why), -EKEYREJECTED);
	assert_string_equal(why.text, "signature does not verify");
	free(doc);

	/* Trailing byte after the DER. */
	{
		uint8_t *longer = malloc(s.pkcs7_len + 1);

		memcpy(longer, s.pkcs7, s.pkcs7_len);
		longer[s.pkcs7_len] = 0;
		doc = make_doc(s.root_hash_hex, longer, s.pkcs7_len + 1, fpr);
		assert_int_equal(check(doc, ts, &why), -EBADMSG);
		free(doc);
		free(longer);
	}
	/* Valid base64 of something that is not DER at all. */
	doc = make_doc(s.root_hash_hex, (const uint8_t *)"rampart", 7, fpr);
	assert_int_equal(check(doc, ts, &why), -EBADMSG);
	free(doc);

	rootsig_free(&s);
	trust_store_free(ts);
	blob_free(&b);
}

/*
 * Without certificateFingerprint the signer is the trusted certificate the
 * PKCS#7 names by issuer and serial number (as systemd does, trying its
 * certificates): good documents verify, another signer is untrusted, and
 * a certificate of the same name with another key does not verify.
 */
static void no_fingerprint_finds_the_signer(void)
{
	static const struct {
		const char *doc;
		int err;
		const char *why;
	} cases[] = {
		{ "ec.doc", 0, "" },
		{ "rsa.doc", 0, "" },
		{ "ec-nocert.doc", 0, "" },
		{ "ec-long.doc", 0, "" },
		{ "rogue.doc", -ENOKEY,
		  "no trusted certificate is the PKCS#7's signer (the document names no certificateFingerprint)" },
		{ "impostor.doc", -EKEYREJECTED, "signature does not verify" },
		{ "attrs.doc", -EBADMSG,
		  "PKCS#7 has signed attributes, which are not supported (openssl cms -sign without -noattr)" },
	};
	struct trust_store *ts = store_of(ALL);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct blob b = load(cases[i].doc);
		struct root_signature s;
		struct reason why = { "" };
		char *doc;
		int r;

		assert_int_equal(rootsig_parse(b.p, b.len, &s, &why), 0);
		doc = make_doc(s.root_hash_hex, s.pkcs7, s.pkcs7_len, NULL);
		rootsig_free(&s);
		assert_int_equal(rootsig_parse(doc, strlen(doc), &s, &why), 0);
		assert_false(s.has_fingerprint);
		why.text[0] = '\0';
		r = rootsig_verify(&s, ts, &why);
		if (r != cases[i].err || strcmp(why.text, cases[i].why) != 0)
			fail_msg("%s without its fingerprint: %d (%s), expected %d (%s)", cases[i].doc, r, why.text,
				 cases[i].err, cases[i].why);
		rootsig_free(&s);
		free(doc);
		blob_free(&b);
	}
	trust_store_free(ts);
}

static void pkcs7_variants(void)
{
	static const struct {
		const char *doc, *why;
	} cases[] = {
		{ "ec-sha1.doc", "digest algorithm is not SHA-256, SHA-384 or SHA-512" },
		{ "rsa-pss.doc", "malformed PKCS#7" },
		{ "two-signers.doc", "PKCS#7 does not have exactly one signer" },
		{ "two-certs.doc", "unsupported PKCS#7 (attached content, or several certificates)" },
		{ "attached.doc", "unsupported PKCS#7 (attached content, or several certificates)" },
		/* What openssl cms writes without -noattr: refused, and said so. */
		{ "attrs.doc", "PKCS#7 has signed attributes, which are not supported (openssl cms -sign without -noattr)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct reason why = { "" };
		int r = check_file(cases[i].doc, ALL, &why);

		if (r != -EBADMSG || strcmp(why.text, cases[i].why) != 0)
			fail_msg("%s: %d (%s), expected -EBADMSG (%s)", cases[i].doc, r, why.text, cases[i].why);
	}
}

/* ---- parsing: what is not the format ------------------------------------------------- */

/* A document with valid-looking values; tests replace one part. */
#define H64 "ea68d93e1f03cb38cc73f33881bad8f5a7b5312d5f697cb87583f67807121db0"
#define F64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DOC(h, s, f) "{\"rootHash\":" h ",\"signature\":" s ",\"certificateFingerprint\":" f "}"
#define FIELDS "\"rootHash\":\"" H64 "\",\"signature\":\"AAAA\",\"certificateFingerprint\":\"" F64 "\""
#define GOOD "{" FIELDS "}"

static void expect_parse(const char *doc, int err, const char *reason)
{
	struct reason why = { "" };
	int r = parse_str(doc, &why);

	if (r != err || (reason && (strcmp(why.text, reason) != 0)))
		fail_msg("%.80s: %d (%s), expected %d (%s)", doc, r, reason_or(&why, "-"), err,
			 reason ? reason : "-");
}

static void not_json(void)
{
	static const char *const docs[] = {
		"{", "{\"rootHash\":", "}", "[]", "\"rootHash\"", "null", "1", "true", "{}x",
		"{\"rootHash\":\"" H64 "\",}", "{'rootHash':'" H64 "'}", "/* c */" GOOD, GOOD "//",
		"{\"rootHash\":\"\xff\"}", "{\"a\":\"\xc3\"}", GOOD GOOD,
		"{\"rootHash\":\"" H64 "\"\"signature\":\"AAAA\"}", "\xef\xbb\xbf" GOOD,
		"{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", "{\"a\":\"tab\there\"}",
	};

	expect_parse(GOOD, 0, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct reason why = { "" };
		int r = parse_str(docs[i], &why);

		if (r != -EBADMSG || strncmp(why.text, "not ", 4) != 0)
			fail_msg("%s: %d (%s)", docs[i], r, reason_or(&why, "-"));
	}
	expect_parse("{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", -EBADMSG, "not JSON (nested too deeply)");
	expect_parse("{", -EBADMSG, "not JSON (the document ends early)");
	expect_parse("[]", -EBADMSG, "not a JSON object");
	/* json-c takes NaN even in strict mode; as a value of ours it is still not a string. */
	expect_parse(DOC("NaN", "\"AAAA\"", "\"" F64 "\""), -EBADMSG, "rootHash is not a string");
	expect_parse(GOOD "x", -EBADMSG, NULL);
}

static void missing_fields_and_wrong_types(void)
{
	expect_parse("{}", -EBADMSG, "no rootHash field");
	expect_parse("{\"signature\":\"AAAA\",\"certificateFingerprint\":\"" F64 "\"}", -EBADMSG,
		     "no rootHash field");
	expect_parse("{\"rootHash\":\"" H64 "\",\"certificateFingerprint\":\"" F64 "\"}", -EBADMSG,
		     "no signature field");
	/* certificateFingerprint is optional (the UAPI format); no_fingerprint_finds_the_signer. */
	expect_parse("{\"rootHash\":\"" H64 "\",\"signature\":\"AAAA\"}", 0, NULL);
	expect_parse("{\"RootHash\":\"" H64 "\",\"signature\":\"AAAA\",\"certificateFingerprint\":\"" F64 "\"}",
		     -EBADMSG, "no rootHash field");

	expect_parse(DOC("1", "\"AAAA\"", "\"" F64 "\""), -EBADMSG, "rootHash is not a string");
	expect_parse(DOC("null", "\"AAAA\"", "\"" F64 "\""), -EBADMSG, "rootHash is not a string");
	expect_parse(DOC("[\"" H64 "\"]", "\"AAAA\"", "\"" F64 "\""), -EBADMSG, "rootHash is not a string");
	expect_parse(DOC("\"" H64 "\"", "{}", "\"" F64 "\""), -EBADMSG, "signature is not a string");
	expect_parse(DOC("\"" H64 "\"", "true", "\"" F64 "\""), -EBADMSG, "signature is not a string");
	expect_parse(DOC("\"" H64 "\"", "\"AAAA\"", "1e3"), -EBADMSG, "certificateFingerprint is not a string");
}

static void bad_values(void)
{
	static const char *const hashes[] = {
		"\"\"", "\"EA68D93E1F03CB38CC73F33881BAD8F5A7B5312D5F697CB87583F67807121DB0\"",
		"\"" H64 "a\"",                      /* odd */
		"\"a68d93e1f03cb38cc73f33881bad8f5a7b5312d5f697cb87583f67807121db0\"", /* 63 */
		"\"" H64 H64 "ab\"",                 /* 130 */
		"\"g" H64 "g\"", "\" " H64 "\"", "\"" H64 "\\u0000\"", "\"0x" H64 "\"",
	};
	static const char *const fprs[] = {
		"\"\"", "\"" F64 "0\"", "\"123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
		"\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"",
		"\"" F64 F64 "\"", "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\"",
	};
	static const char *const sigs[] = {
		"\"\"", "\"AAA\"", "\"AAAAA\"", "\"AA=A\"", "\"====\"", "\"A===\"", "\"AA AA\"",
		"\"AAAA\\nAAAA\"", "\"AAAA\\r\\n\"", "\"!!!!\"", "\"AAAA-_AA\"", "\"AB==\"", "\"AAB=\"",
		"\"\\u0000AAA\"", "\"AAAAAAA=\\u0000\"",
	};
	char doc[1024];

	for (size_t i = 0; i < ARRAY_SIZE(hashes); i++) {
		snprintf(doc, sizeof(doc), DOC("%s", "\"AAAA\"", "\"" F64 "\""), hashes[i]);
		expect_parse(doc, -EBADMSG, "rootHash is not 64-128 lowercase hex digits");
	}
	for (size_t i = 0; i < ARRAY_SIZE(fprs); i++) {
		snprintf(doc, sizeof(doc), DOC("\"" H64 "\"", "\"AAAA\"", "%s"), fprs[i]);
		expect_parse(doc, -EBADMSG, "certificateFingerprint is not 64 lowercase hex digits");
	}
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		snprintf(doc, sizeof(doc), DOC("\"" H64 "\"", "%s", "\"" F64 "\""), sigs[i]);
		expect_parse(doc, -EBADMSG, "signature is not canonical base64");
	}
	/* Canonical spellings are fine; an escaped '/' is still JSON for '/'. */
	expect_parse(DOC("\"" H64 "\"", "\"AA==\"", "\"" F64 "\""), 0, NULL);
	expect_parse(DOC("\"" H64 "\"", "\"AAA=\"", "\"" F64 "\""), 0, NULL);
	expect_parse(DOC("\"" H64 "\"", "\"\\/+8=\"", "\"" F64 "\""), 0, NULL);
	expect_parse(DOC("\"" H64 H64 "\"", "\"AAAA\"", "\"" F64 "\""), 0, NULL);
	expect_parse(DOC("\"" H64 "abcd\"", "\"AAAA\"", "\"" F64 "\""), 0, NULL);
}

static void signature_size_limit(void)
{
	static const char head[] = "{\"rootHash\":\"" H64 "\",\"certificateFingerprint\":\"" F64
				   "\",\"signature\":\"";
	size_t n = (ROOTSIG_PKCS7_MAX / 3 + 1) * 4; /* decodes to 2 bytes too many */
	char *doc = malloc(sizeof(head) + n + 2);
	char *p = stpcpy(doc, head);

	memset(p, 'A', n);
	strcpy(p + n, "\"}");
	expect_parse(doc, -EBADMSG, "signature larger than 16 KiB");
	/* One block less fits. */
	strcpy(p + n - 4, "\"}");
	expect_parse(doc, 0, NULL);
	free(doc);
}

static void duplicate_and_escaped_keys(void)
{
	expect_parse("{\"rootHash\":\"" H64 "\"," FIELDS "}", -EBADMSG, "duplicate object key");
	expect_parse(GOOD "", 0, NULL);
	expect_parse("{\"x\":1,\"x\":2," FIELDS "}", -EBADMSG, "duplicate object key");
	/* Same key, spelled two ways: the escape is refused before json-c can merge them. */
	expect_parse("{\"root\\u0048ash\":\"" H64 "\"," FIELDS "}", -EBADMSG, "escaped object key");
	expect_parse("{\"rootHash\\u0000x\":\"" H64 "\",\"signature\":\"AAAA\",\"certificateFingerprint\":\"" F64 "\"}",
		     -EBADMSG, "escaped object key");
	/* Equal keys one level down belong to another object. */
	expect_parse("{\"x\":{\"a\":1,\"b\":{\"a\":2}},\"y\":[{\"a\":1},{\"a\":1}]," FIELDS "}", 0, NULL);
	/* Escapes inside values are values. */
	expect_parse("{\"x\":\"\\\"rootHash\\\":\\\\\"," FIELDS "}", 0, NULL);
}

static void sizes_empty_and_nul(void)
{
	uint8_t zeros[8192] = { 0 };
	struct root_signature s;
	struct reason why = { "" };

	assert_int_equal(rootsig_parse("", 0, &s, &why), -ENODATA);
	assert_string_equal(why.text, "no document (empty, or only NUL bytes)");
	assert_int_equal(rootsig_parse(NULL, 0, &s, &why), -ENODATA);
	assert_int_equal(rootsig_parse(NULL, 100, &s, NULL), -ENODATA);
	assert_int_equal(rootsig_parse(zeros, sizeof(zeros), &s, &why), -ENODATA);
	assert_int_equal(rootsig_parse(zeros, 1, &s, &why), -ENODATA);
	assert_int_equal(rootsig_parse("   ", 3, &s, &why), -EBADMSG);
	rootsig_free(&s);
	rootsig_free(NULL);
}

static void size_limit(void)
{
	size_t big = 1024 * 1024;
	char *buf = malloc(big);
	struct root_signature s;
	struct reason why = { "" };
	size_t n;

	/* A MiB of 'a' and no NUL anywhere. */
	memset(buf, 'a', big);
	assert_int_equal(rootsig_parse(buf, big, &s, &why), -EFBIG);
	assert_string_equal(why.text, "document larger than 64 KiB");
	assert_int_equal(rootsig_parse(buf, ROOTSIG_DOC_MAX + 1, &s, &why), -EFBIG);
	assert_int_equal(rootsig_parse(buf, ROOTSIG_DOC_MAX, &s, &why), -EBADMSG);
	buf[ROOTSIG_DOC_MAX] = '\0';
	assert_int_equal(rootsig_parse(buf, big, &s, &why), -EBADMSG);

	/* Exactly at the limit, valid: whitespace after the object up to 64 KiB. */
	n = strlen(GOOD);
	memcpy(buf, GOOD, n);
	memset(buf + n, ' ', ROOTSIG_DOC_MAX - n);
	buf[ROOTSIG_DOC_MAX] = '\0';
	assert_int_equal(rootsig_parse(buf, big, &s, &why), 0);
	rootsig_free(&s);
	buf[ROOTSIG_DOC_MAX] = ' ';
	assert_int_equal(rootsig_parse(buf, big, &s, &why), -EFBIG);
	free(buf);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void random_garbage(void)
{
	size_t big = 1024 * 1024;
	uint8_t *buf = malloc(big);
	struct root_signature s;
	struct reason why = { "" };

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < big; i++)
			buf[i] = (uint8_t)rnd();
		/* Random bytes: the document ends at the first NUL, which comes early. */
		assert_int_not_equal(rootsig_parse(buf, big, &s, &why), 0);
		/* No NUL at all. */
		for (size_t i = 0; i < big; i++)
			buf[i] |= (uint8_t)!buf[i];
		assert_int_equal(rootsig_parse(buf, big, &s, &why), -EFBIG);
		/* Starting like a document. */
		memcpy(buf, "{\"rootHash\":\"", 13);
		buf[4096] = 0;
		assert_int_equal(rootsig_parse(buf, big, &s, &why), -EBADMSG);
	}
	free(buf);
}

/* ---- UUIDs ------------------------------------------------------------------------------- */

static void uuids(void)
{
	struct blob doc = load("ec.doc"), long_doc = load("ec-long.doc");
	struct root_signature s, l;
	struct reason why = { "" };
	/* ea68d93e1f03cb38cc73f33881bad8f5 a7b5312d5f697cb87583f67807121db0 */
	const char *root = "ea68d93e-1f03-cb38-cc73-f33881bad8f5";
	const char *verity = "a7b5312d-5f69-7cb8-7583-f67807121db0";
	char lr[37], lv[37];

	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_string_equal(s.root_hash_hex, H64);
	assert_int_equal(rootsig_check_uuids(&s, root, verity, &why), 0);
	assert_int_equal(rootsig_check_uuids(&s, "EA68D93E-1F03-CB38-CC73-F33881BAD8F5",
					     "A7b5312D-5F69-7cb8-7583-F67807121DB0", &why), 0);

	assert_int_equal(rootsig_check_uuids(&s, verity, root, &why), -EBADMSG);
	assert_string_equal(why.text, "root partition UUID is not the first 128 bits of the root hash");
	assert_int_equal(rootsig_check_uuids(&s, root, root, &why), -EBADMSG);
	assert_string_equal(why.text, "verity partition UUID is not the last 128 bits of the root hash");
	assert_int_equal(rootsig_check_uuids(&s, "ea68d93e-1f03-cb38-cc73-f33881bad8f4", verity, &why), -EBADMSG);

	static const char *const bad[] = {
		"ea68d93e1f03cb38cc73f33881bad8f5", "ea68d93e-1f03-cb38-cc73-f33881bad8f", "",
		"ea68d93e-1f03-cb38-cc73-f33881bad8f5a", "ea68d93e-1f03-cb38-cc73-f33881bad8g5",
		"ea68d93e1-f03-cb38-cc73-f33881bad8f5", "{ea68d93e-1f03-cb38-cc73-f33881bad8f5}",
		"ea68d93e-1f03-cb38-cc73+f33881bad8f5", " a68d93e-1f03-cb38-cc73-f33881bad8f5",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(rootsig_check_uuids(&s, bad[i], verity, &why), -EINVAL);
		assert_string_equal(why.text, "root partition UUID is malformed");
		assert_int_equal(rootsig_check_uuids(&s, root, bad[i], &why), -EINVAL);
		assert_string_equal(why.text, "verity partition UUID is malformed");
	}
	assert_int_equal(rootsig_check_uuids(&s, NULL, verity, &why), -EINVAL);

	/* A 512-bit root hash: the last 128 bits are its last 16 bytes. */
	assert_int_equal(rootsig_parse(long_doc.p, long_doc.len, &l, &why), 0);
	snprintf(lr, sizeof(lr), "%.8s-%.4s-%.4s-%.4s-%.12s", l.root_hash_hex, l.root_hash_hex + 8,
		 l.root_hash_hex + 12, l.root_hash_hex + 16, l.root_hash_hex + 20);
	snprintf(lv, sizeof(lv), "%.8s-%.4s-%.4s-%.4s-%.12s", l.root_hash_hex + 96, l.root_hash_hex + 104,
		 l.root_hash_hex + 108, l.root_hash_hex + 112, l.root_hash_hex + 116);
	assert_int_equal(rootsig_check_uuids(&l, lr, lv, &why), 0);

	/* What the pairing looks for: the same UUIDs, lowercase. */
	{
		char pr[37], pv[37];

		rootsig_partition_uuids(&s, pr, pv);
		assert_string_equal(pr, root);
		assert_string_equal(pv, verity);
		rootsig_partition_uuids(&l, pr, pv);
		assert_string_equal(pr, lr);
		assert_string_equal(pv, lv);
	}

	rootsig_free(&s);
	rootsig_free(&l);
	blob_free(&doc);
	blob_free(&long_doc);
}

/* ---- trust store ---------------------------------------------------------------------- */

struct load_args {
	struct trust_store *ts;
	const char *dir;
};

static int do_load(void *p)
{
	struct load_args *a = p;

	return trust_store_load_dir(&a->ts, a->dir);
}

static void store_from_directory(void)
{
	char dir[4096];
	struct load_args a = { NULL, dir };
	struct blob doc = load("rsa.doc");
	struct root_signature s;
	struct reason why = { "" };
	char *log;
	int r;

	snprintf(dir, sizeof(dir), "%s/trusted", fixtures);
	log = testutil_capture_log(do_load, &a, &r);
	assert_int_equal(r, 0);
	/* ec, rsa, ec-future; the copy of ec counts once; junk is skipped; others unread. */
	assert_int_equal(trust_store_count(a.ts), 3);
	assert_non_null(strstr(log, "skipping trusted certificate"));
	static const char *const skipped[] = {
		"garbage.der: not one DER", "trailing.der: not one DER", "empty.der: not one DER",
		"subdir.der: not a regular file", "weak.der: RSA key shorter than 2048 bits",
		"dangling.der: No such file or directory",
	};
	for (size_t i = 0; i < ARRAY_SIZE(skipped); i++)
		if (!strstr(log, skipped[i]))
			fail_msg("no warning \"%s\"", skipped[i]);
	assert_non_null(strstr(log, "ec.der: \"CN=rampart test ec\", fingerprint "));
	assert_non_null(strstr(log, "zz-same-as-ec.der: same as an earlier one"));
	assert_null(strstr(log, "README"));
	assert_null(strstr(log, "hidden"));
	free(log);

	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_int_equal(rootsig_verify(&s, a.ts, &why), 0);
	rootsig_free(&s);
	blob_free(&doc);
	trust_store_free(a.ts);

	/* The rogue certificate is there as a dot file: not loaded. */
	doc = load("rogue.doc");
	a.ts = NULL;
	assert_int_equal(trust_store_load_dir(&a.ts, dir), 0);
	assert_int_equal(rootsig_parse(doc.p, doc.len, &s, &why), 0);
	assert_int_equal(rootsig_verify(&s, a.ts, &why), -ENOKEY);
	rootsig_free(&s);
	blob_free(&doc);
	trust_store_free(a.ts);
}

static void store_errors(void)
{
	char dir[4096];
	struct trust_store *ts = (struct trust_store *)1;
	struct blob der = load("ec.der");

	snprintf(dir, sizeof(dir), "%s/no-such-dir", fixtures);
	assert_int_equal(trust_store_load_dir(&ts, dir), -ENOENT);
	assert_null(ts);
	/* A directory with nothing usable: an empty store is an error, not a store. */
	snprintf(dir, sizeof(dir), "%s/trusted/subdir.der", fixtures);
	assert_int_equal(trust_store_load_dir(&ts, dir), -ENOKEY);
	assert_null(ts);

	assert_int_equal(trust_store_new(&ts), 0);
	assert_int_equal(trust_store_add_der(ts, der.p, der.len - 1), -EBADMSG);
	assert_int_equal(trust_store_add_der(ts, der.p, 0), -EBADMSG);
	assert_int_equal(trust_store_add_der(ts, "garbage", 7), -EBADMSG);
	blob_free(&der);
	der = load("weak.der");
	assert_int_equal(trust_store_add_der(ts, der.p, der.len), -EKEYREJECTED);
	blob_free(&der);
	der = load("ec.der");
	assert_int_equal(trust_store_count(ts), 0);
	assert_int_equal(trust_store_add_der(ts, der.p, der.len), 0);
	assert_int_equal(trust_store_add_der(ts, der.p, der.len), 0);
	assert_int_equal(trust_store_count(ts), 1);
	trust_store_free(ts);
	trust_store_free(NULL);
	blob_free(&der);
}

/* ---- fuzzing ---------------------------------------------------------------------------- */

struct original {
	const char *name;
	struct root_signature s;
	const uint8_t *cert;    /* where the embedded certificate is in s.pkcs7, if any */
	size_t cert_len;
};

/*
 * A mutant that verifies must say what the original said: same root hash,
 * same fingerprint (or none), and the same PKCS#7 bytes, except inside the embedded
 * certificate, which nothing reads, and except for one leniency of
 * mbedtls: an AlgorithmIdentifier's NULL parameters (05 00) read the same
 * as a zero tag (00 00).  Harmless (the signature is the original's, over
 * the original root hash), but it means a verifying document is not
 * byte-for-byte unique.
 */
static bool lenient_null(const uint8_t *orig, size_t i, size_t len, uint8_t now)
{
	return i + 1 < len && orig[i] == 0x05 && orig[i + 1] == 0x00 && now == 0x00;
}

static void assert_same_meaning(const struct original *o, const struct root_signature *m)
{
	assert_string_equal(m->root_hash_hex, o->s.root_hash_hex);
	/* A mutant without the field (a renamed key) names its signer by the PKCS#7 alone, compared below. */
	if (m->has_fingerprint)
		assert_memory_equal(m->cert_fingerprint, o->s.cert_fingerprint, 32);
	assert_int_equal(m->pkcs7_len, o->s.pkcs7_len);
	for (size_t i = 0; i < m->pkcs7_len; i++) {
		const uint8_t *at = o->s.pkcs7 + i;

		if (m->pkcs7[i] != *at && !(o->cert && at >= o->cert && at < o->cert + o->cert_len) &&
		    !lenient_null(o->s.pkcs7, i, o->s.pkcs7_len, m->pkcs7[i]))
			fail_msg("%s: a PKCS#7 changed at byte %zu (%02x to %02x) still verifies", o->name, i,
				 *at, m->pkcs7[i]);
	}
}

static void fuzz_one(const char *name, const char *cert_name, int rounds, int *verified)
{
	struct blob doc = load(name), cert = load(cert_name);
	struct trust_store *ts = store_of(ALL);
	struct original o = { .name = name };
	size_t content = strlen((char *)doc.p);
	uint8_t *m = malloc(doc.len);
	struct reason why = { "" };

	assert_int_equal(rootsig_parse(doc.p, doc.len, &o.s, &why), 0);
	assert_int_equal(rootsig_verify(&o.s, ts, &why), 0);
	o.cert = memmem(o.s.pkcs7, o.s.pkcs7_len, cert.p, cert.len);
	o.cert_len = o.cert ? cert.len : 0;

	/* The document's text: bytes replaced, bits flipped, cut short; some of it in the padding. */
	for (int i = 0; i < rounds; i++) {
		struct root_signature s;
		int edits = 1 + (int)(rnd() % 4);

		memcpy(m, doc.p, doc.len);
		for (int e = 0; e < edits; e++) {
			size_t pos = (size_t)(rnd() % (content + 64));

			switch (rnd() % 4) {
			case 0:
				m[pos] = (uint8_t)rnd();
				break;
			case 1:
				m[pos] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 2:
				m[pos] = "{}[]\":,\\ 0aA=/+"[rnd() % 16];
				break;
			default:
				m[pos] = '\0';
				break;
			}
		}
		if (rootsig_parse(m, doc.len, &s, &why) == 0) {
			if (rootsig_verify(&s, ts, &why) == 0) {
				assert_same_meaning(&o, &s);
				(*verified)++;
			}
			rootsig_free(&s);
		}
	}

	/* The PKCS#7 itself, re-encoded: these get past JSON and base64 into mbedtls. */
	for (int i = 0; i < rounds; i++) {
		uint8_t *der = malloc(o.s.pkcs7_len);
		size_t len = o.s.pkcs7_len;
		struct root_signature s;
		char fpr[65], *text;
		int edits = 1 + (int)(rnd() % 3);

		memcpy(der, o.s.pkcs7, len);
		for (int e = 0; e < edits; e++) {
			size_t pos = (size_t)(rnd() % len);

			switch (rnd() % 4) {
			case 0:
				der[pos] = (uint8_t)rnd();
				break;
			case 1:
				der[pos] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 2:
				der[pos] = (uint8_t[]){ 0, 0x30, 0x31, 0x80, 0x81, 0x82, 0xff, 0x02 }[rnd() % 8];
				break;
			default:
				len = 1 + pos;
				break;
			}
		}
		hexify(o.s.cert_fingerprint, 32, fpr);
		text = make_doc(o.s.root_hash_hex, der, len, fpr);
		if (rootsig_parse(text, strlen(text), &s, &why) == 0) {
			if (rootsig_verify(&s, ts, &why) == 0) {
				assert_same_meaning(&o, &s);
				(*verified)++;
			}
			rootsig_free(&s);
		}
		free(text);
		free(der);
	}

	free(m);
	rootsig_free(&o.s);
	trust_store_free(ts);
	blob_free(&doc);
	blob_free(&cert);
}

static void fuzz(void)
{
	int verified = 0;

	fuzz_one("ec-nocert.doc", "ec.der", 1000, &verified);
	fuzz_one("ec.doc", "ec.der", 1000, &verified);
	fuzz_one("rsa.doc", "rsa.der", 500, &verified);
	print_message("# fuzz: 5000 mutants, %d verified, all saying what the original said\n", verified);
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *seed = getenv("RAMPART_FUZZ_SEED");
	const struct CMUnitTest tests[] = {
		T(good_ec_document_verifies),
		T(good_documents_of_every_kind_verify),
		T(long_root_hash),
		T(field_order_whitespace_and_extra_fields),
		T(content_after_first_nul_is_ignored),
		T(fingerprint_not_in_store),
		T(trust_is_the_store),
		T(signed_by_another_key),
		T(root_hash_changed),
		T(signature_damaged),
		T(pkcs7_variants),
		T(no_fingerprint_finds_the_signer),
		T(not_json),
		T(missing_fields_and_wrong_types),
		T(bad_values),
		T(signature_size_limit),
		T(duplicate_and_escaped_keys),
		T(sizes_empty_and_nul),
		T(size_limit),
		T(random_garbage),
		T(uuids),
		T(store_from_directory),
		T(store_errors),
		T(fuzz),
	};

	fixtures = argc > 1 ? argv[1] : getenv("RAMPART_TEST_FIXTURES");
	if (!fixtures) {
		fprintf(stderr, "usage: %s FIXTURES-DIR (or RAMPART_TEST_FIXTURES=...)\n", argv[0]);
		return 2;
	}
	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (!rng_state)
		rng_state = 1;
	log_set_max_level(LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
