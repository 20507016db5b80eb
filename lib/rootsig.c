/* SPDX-License-Identifier: MIT */
/*
 * The signer's fields are private in mbedtls 3, and its own
 * mbedtls_pkcs7_signed_data_verify() refuses certificates by the clock,
 * which rootsig.h explains we must not do: this file reads the signer
 * itself.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "rootsig.h"

#include <dirent.h>
#include <stdbool.h>

#include <json-c/json.h>
#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs7.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "encoding.h"
#include "fileio.h"
#include "json_util.h"
#include "log.h"
#include "reason.h"
#include "util.h"

/* The document is flat; deeper nesting in unknown fields only costs work. */
#define JSON_DEPTH 8

struct trusted_cert {
	uint8_t fingerprint[32];
	mbedtls_x509_crt crt;
};

struct trust_store {
	struct trusted_cert *certs[TRUST_STORE_MAX];
	size_t n;
};

static void pkcs7_freep(mbedtls_pkcs7 *p7)
{
	mbedtls_pkcs7_free(p7);
}

static void trusted_cert_freep(struct trusted_cert **c)
{
	if (*c) {
		mbedtls_x509_crt_free(&(*c)->crt);
		free(*c);
	}
}

void trust_store_freep(struct trust_store **ts)
{
	trust_store_free(*ts);
}

struct dirents {
	struct dirent **v;
	int n;
};

static void dirents_free(struct dirents *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * mbedtls' decoder skips spaces and line breaks and ignores the unused bits
 * of the last digit.  Requiring the one canonical spelling means a document
 * cannot be altered without altering what it decodes to.  Returns the
 * decoded length, or -1.
 */
static ssize_t base64_canonical_len(const char *s, size_t n)
{
	size_t pad = 0;

	if (n == 0 || n % 4)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - pad; i++)
		if (b64val(s[i]) < 0)
			return -1;
	if ((pad == 1 && (b64val(s[n - 2]) & 3)) || (pad == 2 && (b64val(s[n - 3]) & 15)))
		return -1;
	return (ssize_t)(n / 4 * 3 - pad);
}

/*
 * json-c keeps the last of two equal keys without a word, and cuts a key at
 * an escaped NUL ("rootHash\u0000x" reads as "rootHash"): either would let
 * one document say two things to two parsers.  This walks the text, which
 * json-c has already accepted as valid JSON with an object at the top, and
 * counts the top-level keys; an escaped key is refused outright.  Fewer
 * keys in the parsed object than counted here means a duplicate.
 */
static int count_top_level_keys(const char *s, size_t n, size_t *count)
{
	size_t depth = 0, keys = 0;
	bool expect_key = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '"') {
			bool escaped = false;
			size_t j = i + 1;

			while (j < n && s[j] != '"') {
				if (s[j] == '\\') {
					escaped = true;
					j++;
				}
				j++;
			}
			if (depth == 1 && expect_key) {
				if (escaped)
					return -EBADMSG;
				keys++;
				expect_key = false;
			}
			i = j;
		} else if (c == '{' || c == '[') {
			depth++;
			expect_key = c == '{' && depth == 1;
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
		} else if (c == ',' && depth == 1) {
			expect_key = true;
		}
	}
	*count = keys;
	return 0;
}

static int get_string(json_object *doc, const char *key, const char *missing, const char *wrong_type,
		      const char **val, size_t *len, struct reason *why)
{
	json_object *o;

	if (!json_object_object_get_ex(doc, key, &o))
		return reason_set(why, -EBADMSG, "%s", missing);
	if (!json_object_is_type(o, json_type_string))
		return reason_set(why, -EBADMSG, "%s", wrong_type);
	*val = json_object_get_string(o);
	*len = (size_t)json_object_get_string_len(o);
	return 0;
}

void rootsig_free(struct root_signature *s)
{
	if (!s)
		return;
	free(s->pkcs7);
	s->pkcs7 = NULL;
	s->pkcs7_len = 0;
}

int rootsig_parse(const void *buf, size_t len, struct root_signature *out, struct reason *why)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_(json_object_putp) json_object *doc = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	const char *text = buf, *hash, *fpr, *sig;
	uint8_t root_hash[ROOT_HASH_MAX], fingerprint[sizeof(out->cert_fingerprint)] = { 0 };
	size_t n, keys, hash_len, fpr_len = 0, sig_len;
	bool has_fingerprint = false;
	ssize_t der_len;
	size_t olen;
	int r;

	memset(out, 0, sizeof(*out));
	if (!buf)
		len = 0;
	/* Never look further than one byte past the limit, whatever was read. */
	n = strnlen(text ? text : "", len < ROOTSIG_DOC_MAX + 1 ? len : ROOTSIG_DOC_MAX + 1);
	if (n > ROOTSIG_DOC_MAX)
		return reason_set(why, -EFBIG, "document larger than 64 KiB");
	if (n == 0)
		return reason_set(why, -ENODATA, "no document (empty, or only NUL bytes)");

	if (json_text_has_raw_control(text, n))
		return reason_set(why, -EBADMSG, "not JSON (a control character in a string)");
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return reason_set(why, -ENOMEM, "out of memory");
	/* Strict still takes NaN and Infinity: harmless, ours must be strings. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)n);
	if (json_tokener_out_of_memory(tok))
		return reason_set(why, -ENOMEM, "out of memory");
	switch (json_tokener_get_error(tok)) {
	case json_tokener_success:
		break;
	case json_tokener_continue:
		return reason_set(why, -EBADMSG, "not JSON (the document ends early)");
	case json_tokener_error_depth:
		return reason_set(why, -EBADMSG, "not JSON (nested too deeply)");
	default:
		return reason_set(why, -EBADMSG, "not JSON");
	}
	/* Strict json-c refuses trailing non-whitespace itself; not relying on it costs nothing. */
	for (size_t i = json_tokener_get_parse_end(tok); i < n; i++)
		if (!strchr(" \t\r\n", text[i]))
			return reason_set(why, -EBADMSG, "not JSON (data after the object)");
	if (!json_object_is_type(doc, json_type_object))
		return reason_set(why, -EBADMSG, "not a JSON object");
	if (count_top_level_keys(text, n, &keys) < 0)
		return reason_set(why, -EBADMSG, "escaped object key");
	if (keys != (size_t)json_object_object_length(doc))
		return reason_set(why, -EBADMSG, "duplicate object key");

	r = get_string(doc, "rootHash", "no rootHash field", "rootHash is not a string", &hash, &hash_len, why);
	if (r < 0)
		return r;
	r = get_string(doc, "signature", "no signature field", "signature is not a string", &sig, &sig_len, why);
	if (r < 0)
		return r;
	/* Optional in the UAPI format: without it, rootsig_verify() finds the signer by issuer and serial. */
	if (json_object_object_get_ex(doc, "certificateFingerprint", NULL)) {
		r = get_string(doc, "certificateFingerprint", "no certificateFingerprint field",
			       "certificateFingerprint is not a string", &fpr, &fpr_len, why);
		if (r < 0)
			return r;
		if (fpr_len != 2 * sizeof(fingerprint) || hex_decode_lower(fpr, fpr_len, fingerprint) < 0)
			return reason_set(why, -EBADMSG, "certificateFingerprint is not 64 lowercase hex digits");
		has_fingerprint = true;
	}

	/* The signed string is the hex itself: one spelling only, so lowercase only. */
	if (hash_len < 2 * ROOT_HASH_MIN || hash_len > 2 * ROOT_HASH_MAX ||
	    hex_decode_lower(hash, hash_len, root_hash) < 0)
		return reason_set(why, -EBADMSG, "rootHash is not 64-128 lowercase hex digits");
	der_len = base64_canonical_len(sig, sig_len);
	if (der_len <= 0)
		return reason_set(why, -EBADMSG, "signature is not canonical base64");
	if (der_len > ROOTSIG_PKCS7_MAX)
		return reason_set(why, -EBADMSG, "signature larger than 16 KiB");
	der = malloc((size_t)der_len);
	if (!der)
		return reason_set(why, -ENOMEM, "out of memory");
	if (mbedtls_base64_decode(der, (size_t)der_len, &olen, (const unsigned char *)sig, sig_len) != 0 ||
	    olen != (size_t)der_len)
		return reason_set(why, -EBADMSG, "signature is not canonical base64");

	memcpy(out->root_hash_hex, hash, hash_len);
	out->root_hash_hex[hash_len] = '\0';
	memcpy(out->root_hash, root_hash, hash_len / 2);
	out->root_hash_len = hash_len / 2;
	memcpy(out->cert_fingerprint, fingerprint, sizeof(fingerprint));
	out->has_fingerprint = has_fingerprint;
	out->pkcs7 = TAKE_PTR(der);
	out->pkcs7_len = olen;
	return 0;
}

int rootsig_check_uuids(const struct root_signature *s, const char *root_uuid,
			const char *verity_uuid, struct reason *why)
{
	uint8_t root[16], verity[16];

	if (uuid_from_string(root_uuid, root) < 0)
		return reason_set(why, -EINVAL, "root partition UUID is malformed");
	if (uuid_from_string(verity_uuid, verity) < 0)
		return reason_set(why, -EINVAL, "verity partition UUID is malformed");
	if (s->root_hash_len < ROOT_HASH_MIN || s->root_hash_len > ROOT_HASH_MAX)
		return reason_set(why, -EINVAL, "no root hash");
	if (memcmp(root, s->root_hash, 16) != 0)
		return reason_set(why, -EBADMSG, "root partition UUID is not the first 128 bits of the root hash");
	if (memcmp(verity, s->root_hash + s->root_hash_len - 16, 16) != 0)
		return reason_set(why, -EBADMSG, "verity partition UUID is not the last 128 bits of the root hash");
	return 0;
}

void rootsig_partition_uuids(const struct root_signature *s, char root_uuid[37], char verity_uuid[37])
{
	uuid_to_string(s->root_hash, root_uuid);
	uuid_to_string(s->root_hash + s->root_hash_len - 16, verity_uuid);
}

int trust_store_new(struct trust_store **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

size_t trust_store_count(const struct trust_store *ts)
{
	return ts ? ts->n : 0;
}

void trust_store_free(struct trust_store *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++)
		trusted_cert_freep(&ts->certs[i]);
	free(ts);
}

static const struct trusted_cert *trust_store_find(const struct trust_store *ts, const uint8_t fpr[32])
{
	for (size_t i = 0; i < ts->n; i++)
		if (memcmp(ts->certs[i]->fingerprint, fpr, 32) == 0)
			return ts->certs[i];
	return NULL;
}

/* Returns 0 when added, 1 when it was there already, or a negative errno. */
static int trust_store_add(struct trust_store *ts, const void *der, size_t len,
			   const struct trusted_cert **added)
{
	_cleanup_(trusted_cert_freep) struct trusted_cert *c = NULL;
	uint8_t fpr[32];
	mbedtls_pk_type_t type;
	int r;

	if (len == 0 || len > TRUST_CERT_MAX)
		return -EBADMSG;
	if (mbedtls_sha256(der, len, fpr, 0) != 0)
		return -EIO;
	*added = trust_store_find(ts, fpr);
	if (*added)
		return 1;
	if (ts->n == TRUST_STORE_MAX)
		return -E2BIG;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	mbedtls_x509_crt_init(&c->crt);
	r = mbedtls_x509_crt_parse_der(&c->crt, der, len);
	if (r == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return -ENOMEM;
	/* The fingerprint covers the file: bytes after the certificate would be unsigned noise in it. */
	if (r != 0 || c->crt.raw.len != len)
		return -EBADMSG;
	type = mbedtls_pk_get_type(&c->crt.pk);
	if (type != MBEDTLS_PK_RSA && type != MBEDTLS_PK_ECKEY)
		return -EBADMSG;
	if (type == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&c->crt.pk) < 2048)
		return -EKEYREJECTED;
	memcpy(c->fingerprint, fpr, sizeof(fpr));
	*added = c;
	ts->certs[ts->n++] = TAKE_PTR(c);
	return 0;
}

int trust_store_add_der(struct trust_store *ts, const void *der, size_t len)
{
	const struct trusted_cert *c;
	int r = trust_store_add(ts, der, len, &c);

	return r < 0 ? r : 0;
}

static int only_der(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".der") == 0;
}

int trust_store_load_dir(struct trust_store **out, const char *dir)
{
	_cleanup_(trust_store_freep) struct trust_store *ts = NULL;
	_cleanup_(dirents_free) struct dirents d = { NULL, 0 };
	int r;

	*out = NULL;
	d.n = scandir(dir, &d.v, only_der, alphasort);
	if (d.n < 0) {
		d.n = 0;
		return negative_errno();
	}
	r = trust_store_new(&ts);
	if (r < 0)
		return r;

	for (int i = 0; i < d.n; i++) {
		const struct trusted_cert *c;
		_cleanup_free_ char *buf = NULL;
		char path[4096], subject[256], fpr[65];
		size_t len = 0;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, d.v[i]->d_name) >= sizeof(path))
			continue;
		r = read_full(path, TRUST_CERT_MAX, READ_FULL_REGULAR, &buf, &len);
		if (r == -EISDIR || r == -EBADFD) {
			log_debug("skipping trusted certificate %s: not a regular file", path);
			continue;
		}
		if (r == -EFBIG) {
			log_debug("skipping trusted certificate %s: larger than 64 KiB", path);
			continue;
		}
		if (r < 0) {
			log_debug_errno(r, "skipping trusted certificate %s", path);
			continue;
		}
		r = trust_store_add(ts, buf, len, &c);
		if (r == -ENOMEM)
			return r;
		if (r == -E2BIG) {
			log_debug("skipping trusted certificate %s: more than %d certificates", path,
				    TRUST_STORE_MAX);
			continue;
		}
		if (r == -EKEYREJECTED) {
			log_debug("skipping trusted certificate %s: RSA key shorter than 2048 bits", path);
			continue;
		}
		if (r < 0) {
			log_debug("skipping trusted certificate %s: not one DER X.509 certificate with an RSA or EC key",
				    path);
			continue;
		}
		hex_encode(fpr, c->fingerprint, sizeof(c->fingerprint));
		if (r == 1) {
			log_debug("trusted certificate %s: same as an earlier one (fingerprint %s)", path, fpr);
			continue;
		}
		if (mbedtls_x509_dn_gets(subject, sizeof(subject), &c->crt.subject) < 0)
			snprintf(subject, sizeof(subject), "?");
		log_debug("trusted certificate %s: \"%s\", fingerprint %s", path, subject, fpr);
	}
	if (ts->n == 0)
		return -ENOKEY;
	*out = TAKE_PTR(ts);
	return 0;
}

/* Tags too: mbedtls reads a serial number tagged [2] like an INTEGER. */
static bool same_buf(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
	return a->tag == b->tag && a->len == b->len && a->p && b->p && memcmp(a->p, b->p, a->len) == 0;
}

/*
 * The signer's signature algorithm must fit the trusted key: OpenSSL names
 * RSA PKCS#1 v1.5 signatures by the key (rsaEncryption) and ECDSA ones by
 * algorithm and digest (ecdsa-with-SHA256); accept both spellings, and no
 * digest other than the signer's.  mbedtls' own verify ignores this field.
 */
static bool sig_alg_fits(const mbedtls_x509_buf *oid, mbedtls_md_type_t md, const mbedtls_pk_context *key)
{
	mbedtls_pk_type_t key_type = mbedtls_pk_get_type(key), pk;
	mbedtls_md_type_t sig_md;

	if (mbedtls_oid_get_pk_alg(oid, &pk) == 0)
		return (pk == MBEDTLS_PK_RSA && key_type == MBEDTLS_PK_RSA) ||
		       (pk == MBEDTLS_PK_ECKEY && key_type == MBEDTLS_PK_ECKEY);
	if (mbedtls_oid_get_sig_alg(oid, &sig_md, &pk) == 0)
		return sig_md == md && ((pk == MBEDTLS_PK_RSA && key_type == MBEDTLS_PK_RSA) ||
					(pk == MBEDTLS_PK_ECDSA && key_type == MBEDTLS_PK_ECKEY));
	return false;
}

/* ASN.1 walking for the one question mbedtls' PKCS#7 parser cannot answer (below). */
static int asn1_enter(unsigned char **p, const unsigned char **end, int tag)
{
	size_t n;

	if (mbedtls_asn1_get_tag(p, *end, &n, tag) != 0)
		return -1;
	*end = *p + n;
	return 0;
}

static int asn1_skip(unsigned char **p, const unsigned char *end, int tag)
{
	size_t n;

	if (mbedtls_asn1_get_tag(p, end, &n, tag) != 0)
		return -1;
	*p += n;
	return 0;
}

static int asn1_skip_optional(unsigned char **p, const unsigned char *end, int tag)
{
	return *p < end && **p == tag ? asn1_skip(p, end, tag) : 0;
}

/*
 * Whether the first SignerInfo carries signed attributes (RFC 5652
 * signedAttrs, [0] after its digestAlgorithm): what openssl cms -sign
 * writes unless told -noattr.  The signature then covers the attributes,
 * not the rootHash string, and mbedtls 3.6 does not parse them at all:
 * refused, with a reason that says so rather than "malformed".
 */
static bool pkcs7_has_signed_attributes(const uint8_t *der, size_t len)
{
	const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
	const int set = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET;
	const int ctx0 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0;
	const int ctx1 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1;
	unsigned char *p = (unsigned char *)der;
	const unsigned char *end = der + len;

	/* ContentInfo, [0] SignedData: version, digestAlgorithms, encapContentInfo, [0] certs, [1] crls */
	if (asn1_enter(&p, &end, seq) || asn1_skip(&p, end, MBEDTLS_ASN1_OID) || asn1_enter(&p, &end, ctx0) ||
	    asn1_enter(&p, &end, seq) || asn1_skip(&p, end, MBEDTLS_ASN1_INTEGER) || asn1_skip(&p, end, set) ||
	    asn1_skip(&p, end, seq) || asn1_skip_optional(&p, end, ctx0) || asn1_skip_optional(&p, end, ctx1))
		return false;
	/* signerInfos, the first SignerInfo: version, sid (IssuerAndSerialNumber or [0]), digestAlgorithm */
	if (asn1_enter(&p, &end, set) || asn1_enter(&p, &end, seq) || asn1_skip(&p, end, MBEDTLS_ASN1_INTEGER) ||
	    asn1_skip(&p, end, p < end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0) ?
				       MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0 : seq) ||
	    asn1_skip(&p, end, seq))
		return false;
	return p < end && *p == ctx0;
}

static bool is_signer(const mbedtls_pkcs7_signer_info *signer, const struct trusted_cert *c)
{
	return same_buf(&signer->issuer_raw, &c->crt.issuer_raw) && same_buf(&signer->serial, &c->crt.serial);
}

/* Whether @signer's signature over @s's rootHash string verifies with @c's key. */
static int verify_with(const struct root_signature *s, const mbedtls_pkcs7_signer_info *signer,
		       mbedtls_md_type_t md, const struct trusted_cert *c, struct reason *why)
{
	const mbedtls_md_info_t *md_info = mbedtls_md_info_from_type(md);
	uint8_t digest[MBEDTLS_MD_MAX_SIZE];

	if (!sig_alg_fits(&signer->sig_alg_identifier, md, &c->crt.pk))
		return reason_set(why, -EBADMSG, "signature algorithm does not fit the digest and the certificate's key");
	if (!md_info || mbedtls_md(md_info, (const unsigned char *)s->root_hash_hex, strlen(s->root_hash_hex),
				   digest) != 0)
		return reason_set(why, -EBADMSG, "digest algorithm is not available");
	if (mbedtls_pk_verify((mbedtls_pk_context *)&c->crt.pk, md, digest, mbedtls_md_get_size(md_info),
			      signer->sig.p, signer->sig.len) != 0)
		return reason_set(why, -EKEYREJECTED, "signature does not verify");
	return 0;
}

int rootsig_verify(const struct root_signature *s, const struct trust_store *ts, struct reason *why)
{
	_cleanup_(pkcs7_freep) mbedtls_pkcs7 p7;
	const mbedtls_pkcs7_signer_info *signer;
	const struct trusted_cert *c;
	mbedtls_md_type_t md;
	int r;

	mbedtls_pkcs7_init(&p7);
	if (!s->pkcs7 || !s->pkcs7_len || !ts)
		return reason_set(why, -EINVAL, "nothing to verify");

	if (pkcs7_has_signed_attributes(s->pkcs7, s->pkcs7_len))
		return reason_set(why, -EBADMSG, "PKCS#7 has signed attributes, which are not supported "
						 "(openssl cms -sign without -noattr)");
	r = mbedtls_pkcs7_parse_der(&p7, s->pkcs7, s->pkcs7_len);
	if (r == MBEDTLS_ERR_PKCS7_ALLOC_FAILED)
		return reason_set(why, -ENOMEM, "out of memory");
	if (r == MBEDTLS_ERR_PKCS7_FEATURE_UNAVAILABLE)
		return reason_set(why, -EBADMSG, "unsupported PKCS#7 (attached content, or several certificates)");
	if (r != MBEDTLS_PKCS7_SIGNED_DATA)
		return reason_set(why, -EBADMSG, "malformed PKCS#7");
	if (p7.signed_data.no_of_signers != 1)
		return reason_set(why, -EBADMSG, "PKCS#7 does not have exactly one signer");
	signer = &p7.signed_data.signers;
	if (mbedtls_oid_get_md_alg(&signer->alg_identifier, &md) != 0 ||
	    (md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 && md != MBEDTLS_MD_SHA512))
		return reason_set(why, -EBADMSG, "digest algorithm is not SHA-256, SHA-384 or SHA-512");

	if (s->has_fingerprint) {
		c = trust_store_find(ts, s->cert_fingerprint);
		if (!c)
			return reason_set(why, -ENOKEY, "no trusted certificate has this fingerprint");
		/*
		 * Not needed for trust (the key decides), but a signer naming
		 * another certificate is not what any signing tool writes:
		 * refusing it leaves no part of the PKCS#7 that can change while
		 * it still verifies.
		 */
		if (!is_signer(signer, c))
			return reason_set(why, -EKEYREJECTED, "PKCS#7 signer is not the certificate with this fingerprint");
		return verify_with(s, signer, md, c, why);
	}
	/*
	 * No fingerprint: the trusted certificate the signer names by issuer
	 * and serial number (more than one only if the store holds two with
	 * the same name: any of them is trusted).
	 */
	r = -ENOKEY;
	for (size_t i = 0; i < ts->n && r != 0; i++)
		if (is_signer(signer, ts->certs[i]))
			r = verify_with(s, signer, md, ts->certs[i], why);
	if (r == -ENOKEY)
		return reason_set(why, -ENOKEY, "no trusted certificate is the PKCS#7's signer (the document names "
						"no certificateFingerprint)");
	return r;
}
