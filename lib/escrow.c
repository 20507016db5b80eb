/* SPDX-License-Identifier: MIT */
#include "escrow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/aes.h>
#include <mbedtls/error.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "encoding.h"
#include "json_util.h"
#include "token_json.h"
#include "util.h"

#define SCHEME_RSA "rsa-oaep-sha256"
#define SCHEME_EC "ecdh-hkdf-sha256-aes256cbc-hmac-sha256"
#define HKDF_INFO "rampart-escrow v1"
#define EC_POINT_MAX (1 + 2 * 66) /* secp521r1, uncompressed */

struct escrow_recipient {
	mbedtls_x509_crt crt;
	char fingerprint[65];
	const char *curve; /* NULL: RSA */
};

/* RSA keys between these: 2048 is the floor today; the ciphertext buffer holds 4096 bits. */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096

/* mbedtls's randomness callback: the kernel's pool, as for every other key rampart makes. */
static int kernel_random(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MBEDTLS_ERR_ERROR_GENERIC_ERROR;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int escrow_recipient_parse(const uint8_t *cert, size_t len, struct escrow_recipient **out, struct reason *why)
{
	_cleanup_free_ struct escrow_recipient *r = calloc(1, sizeof(*r));
	uint8_t digest[32];
	mbedtls_pk_type_t type;

	*out = NULL;
	if (!r)
		return reason_set(why, -ENOMEM, "out of memory");
	mbedtls_x509_crt_init(&r->crt);
	if (mbedtls_x509_crt_parse(&r->crt, cert, len) != 0) {
		mbedtls_x509_crt_free(&r->crt);
		return reason_set(why, -EBADMSG, "not an X.509 certificate (PEM or DER)");
	}
	type = mbedtls_pk_get_type(&r->crt.pk);
	if (type == MBEDTLS_PK_RSA &&
	    (mbedtls_pk_get_bitlen(&r->crt.pk) < RSA_MIN_BITS || mbedtls_pk_get_bitlen(&r->crt.pk) > RSA_MAX_BITS)) {
		mbedtls_x509_crt_free(&r->crt);
		return reason_set(why, -EOPNOTSUPP, "the certificate's RSA key is not %d-%d bits", RSA_MIN_BITS,
				  RSA_MAX_BITS);
	}
	if (type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECKEY_DH) {
		const mbedtls_ecp_curve_info *curve =
			mbedtls_ecp_curve_info_from_grp_id(mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(r->crt.pk)));

		if (!curve || (curve->grp_id != MBEDTLS_ECP_DP_SECP256R1 && curve->grp_id != MBEDTLS_ECP_DP_SECP384R1 &&
			       curve->grp_id != MBEDTLS_ECP_DP_SECP521R1)) {
			mbedtls_x509_crt_free(&r->crt);
			return reason_set(why, -EOPNOTSUPP, "the certificate's EC key is not on P-256, P-384 or P-521");
		}
		r->curve = curve->name;
	} else if (type != MBEDTLS_PK_RSA) {
		mbedtls_x509_crt_free(&r->crt);
		return reason_set(why, -EOPNOTSUPP, "the certificate's key is neither RSA nor EC");
	}
	mbedtls_sha256(r->crt.raw.p, r->crt.raw.len, digest, 0);
	hex_encode(r->fingerprint, digest, sizeof(digest));
	*out = TAKE_PTR(r);
	return 0;
}

void escrow_recipient_free(struct escrow_recipient *r)
{
	if (!r)
		return;
	mbedtls_x509_crt_free(&r->crt);
	free(r);
}

/* What a token carries besides its type, keyslot and recipient. */
struct sealed_key {
	const char *scheme, *curve; /* curve: EC only */
	uint8_t ct[RSA_MAX_BITS / 8], eph[EC_POINT_MAX], iv[16], tag[32];
	size_t ct_len, eph_len;
};

static int encrypt_rsa(struct escrow_recipient *r, const uint8_t key[RECOVERY_KEY_BYTES], struct sealed_key *out)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(r->crt.pk);

	out->scheme = SCHEME_RSA;
	out->ct_len = mbedtls_rsa_get_len(rsa);
	if (out->ct_len > sizeof(out->ct))
		return -EOPNOTSUPP;
	if (mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256) != 0 ||
	    mbedtls_rsa_rsaes_oaep_encrypt(rsa, kernel_random, NULL, NULL, 0, RECOVERY_KEY_BYTES, key, out->ct) != 0)
		return -EIO;
	return 0;
}

struct ec_work {
	mbedtls_ecp_group grp;
	mbedtls_mpi d, eph_d, z;
	mbedtls_ecp_point q, eph_q;
	mbedtls_aes_context aes;
	uint8_t zbytes[66], okm[64];
};

static void ec_work_free(struct ec_work *w)
{
	mbedtls_ecp_group_free(&w->grp);
	mbedtls_mpi_free(&w->d);
	mbedtls_mpi_free(&w->eph_d);
	mbedtls_mpi_free(&w->z);
	mbedtls_ecp_point_free(&w->q);
	mbedtls_ecp_point_free(&w->eph_q);
	mbedtls_aes_free(&w->aes);
	explicit_wipe(w->zbytes, sizeof(w->zbytes));
	explicit_wipe(w->okm, sizeof(w->okm));
}

static int encrypt_ec(struct escrow_recipient *r, const uint8_t key[RECOVERY_KEY_BYTES], struct sealed_key *out)
{
	_cleanup_(ec_work_free) struct ec_work w;
	const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	uint8_t iv_work[16], mac_input[16 + RECOVERY_KEY_BYTES + EC_POINT_MAX];
	size_t zlen;
	int err = 0;

	mbedtls_ecp_group_init(&w.grp);
	mbedtls_mpi_init(&w.d);
	mbedtls_mpi_init(&w.eph_d);
	mbedtls_mpi_init(&w.z);
	mbedtls_ecp_point_init(&w.q);
	mbedtls_ecp_point_init(&w.eph_q);
	mbedtls_aes_init(&w.aes);

	out->scheme = SCHEME_EC;
	out->curve = r->curve;
	out->ct_len = RECOVERY_KEY_BYTES;
	err |= mbedtls_ecp_export(mbedtls_pk_ec(r->crt.pk), &w.grp, &w.d, &w.q);
	err |= mbedtls_ecp_gen_keypair(&w.grp, &w.eph_d, &w.eph_q, kernel_random, NULL);
	err |= mbedtls_ecdh_compute_shared(&w.grp, &w.z, &w.q, &w.eph_d, kernel_random, NULL);
	zlen = (w.grp.pbits + 7) / 8;
	err |= mbedtls_mpi_write_binary(&w.z, w.zbytes, zlen);
	err |= mbedtls_ecp_point_write_binary(&w.grp, &w.eph_q, MBEDTLS_ECP_PF_UNCOMPRESSED, &out->eph_len, out->eph,
					      sizeof(out->eph));
	err |= mbedtls_hkdf(sha256, NULL, 0, w.zbytes, zlen, (const unsigned char *)HKDF_INFO, strlen(HKDF_INFO), w.okm,
			    sizeof(w.okm));
	err |= kernel_random(NULL, out->iv, sizeof(out->iv));
	memcpy(iv_work, out->iv, sizeof(iv_work));
	err |= mbedtls_aes_setkey_enc(&w.aes, w.okm, 256);
	err |= mbedtls_aes_crypt_cbc(&w.aes, MBEDTLS_AES_ENCRYPT, RECOVERY_KEY_BYTES, iv_work, key, out->ct);
	if (err)
		return -EIO;
	memcpy(mac_input, out->iv, 16);
	memcpy(mac_input + 16, out->ct, RECOVERY_KEY_BYTES);
	memcpy(mac_input + 16 + RECOVERY_KEY_BYTES, out->eph, out->eph_len);
	if (mbedtls_md_hmac(sha256, w.okm + 32, 32, mac_input, 16 + RECOVERY_KEY_BYTES + out->eph_len, out->tag) != 0)
		return -EIO;
	return 0;
}

int escrow_token_build(struct escrow_recipient *r, const uint8_t key[RECOVERY_KEY_BYTES], int keyslot, char **json)
{
	struct sealed_key k = { 0 };
	struct token_json_field fields[9];
	size_t n = 0;
	int err;

	*json = NULL;
	if (!r || keyslot < 0 || keyslot > TOKEN_KEYSLOT_MAX)
		return -EINVAL;
	err = r->curve ? encrypt_ec(r, key, &k) : encrypt_rsa(r, key, &k);
	if (err < 0)
		return err;
	fields[n++] = (struct token_json_field){ "type", json_object_new_string(ESCROW_TOKEN_TYPE) };
	fields[n++] = (struct token_json_field){ "keyslots", token_json_keyslots(keyslot) };
	fields[n++] = (struct token_json_field){ "rampart-escrow-recipient", json_object_new_string(r->fingerprint) };
	fields[n++] = (struct token_json_field){ "rampart-escrow-scheme", json_object_new_string(k.scheme) };
	if (k.curve) {
		fields[n++] = (struct token_json_field){ "rampart-escrow-curve", json_object_new_string(k.curve) };
		fields[n++] = (struct token_json_field){ "rampart-escrow-ephemeral", token_json_base64(k.eph, k.eph_len) };
		fields[n++] = (struct token_json_field){ "rampart-escrow-iv", token_json_base64(k.iv, sizeof(k.iv)) };
	}
	fields[n++] = (struct token_json_field){ "rampart-escrow-ciphertext", token_json_base64(k.ct, k.ct_len) };
	if (k.curve)
		fields[n++] = (struct token_json_field){ "rampart-escrow-tag", token_json_base64(k.tag, sizeof(k.tag)) };
	return token_json_build(fields, n, json);
}

int recovery_token_keyslot(const char *json, int *keyslot, struct reason *why)
{
	_cleanup_(json_object_putp) json_object *doc = NULL;
	int r = token_json_parse(json, &doc, why);

	if (r < 0)
		return r;
	if (token_json_type(doc, ESCROW_TOKEN_TYPE, NULL) < 0 && token_json_type(doc, SYSTEMD_RECOVERY_TOKEN_TYPE, NULL) < 0)
		return reason_set(why, -EBADMSG, "type is neither %s nor %s", ESCROW_TOKEN_TYPE,
				  SYSTEMD_RECOVERY_TOKEN_TYPE);
	return token_json_keyslot(doc, keyslot, why);
}
