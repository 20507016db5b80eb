/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_ROOTSIG_H
#define RAMPART_ROOTSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

/*
 * The signed root hash: the content of a root-verity-sig partition, the
 * format systemd-repart and mkosi write and tools/mkdisk.sh makes:
 *
 *   {"rootHash":"HEX","signature":"BASE64","certificateFingerprint":"HEX"}
 *
 * NUL-padded to a multiple of 4096.  "signature" is a detached DER PKCS#7
 * SignedData over the exact rootHash string (no signed attributes, one
 * signer), "certificateFingerprint" the sha256 of the signer's DER
 * certificate; optional (the UAPI format): without it, the signer's
 * issuer and serial number name the trusted certificate.
 *
 * Trust: the fingerprint is only a lookup key into the trust store (the
 * certificates compiled into the signed initrd).  A document is good when
 * its signature verifies with the public key of that trusted certificate;
 * any certificate carried inside the PKCS#7 is ignored, and nothing
 * chains to anything.  Certificate validity dates are ignored, like the
 * kernel's own dm-verity signature check does: the initrd's clock cannot
 * be trusted (a reset RTC must not stop a boot, a wrong one must not
 * revive a key), and the anchors are only as current as the signed
 * initrd that carries them.  Key usage extensions are not checked either.
 *
 * The reasons (@why, lib/reason.h) are short and name what is wrong; the caller
 * logs them with the partition they came from.
 */

#define ROOT_HASH_MAX 64          /* bytes: sha256 .. sha512 */
#define ROOT_HASH_MIN 32
#define ROOTSIG_DOC_MAX (64 * 1024) /* bytes of document before the first NUL */
#define ROOTSIG_PKCS7_MAX (16 * 1024) /* decoded signature; real ones are < 2 KiB */

struct root_signature {
	uint8_t root_hash[ROOT_HASH_MAX];
	size_t root_hash_len;
	char root_hash_hex[2 * ROOT_HASH_MAX + 1]; /* exactly the signed string */
	uint8_t cert_fingerprint[32];              /* when has_fingerprint */
	bool has_fingerprint;
	uint8_t *pkcs7;                            /* DER, owned */
	size_t pkcs7_len;
};

/*
 * Parses a signature partition's content: @buf/@len is whatever was read,
 * any size, any bytes.  The document is everything before the first NUL
 * (what follows is padding and is not looked at); it must be at most
 * ROOTSIG_DOC_MAX bytes, strict JSON (RFC 8259, UTF-8) with an object at
 * the top whose keys are unescaped and unique.  The fields must be
 * strings: rootHash 64-128 lowercase hex digits (an even number),
 * signature canonical base64 (padded, no whitespace) of at most
 * ROOTSIG_PKCS7_MAX bytes, and certificateFingerprint, when present, 64
 * lowercase hex digits (@out->has_fingerprint says whether it was).
 * Other fields are ignored (systemd may add some).
 *
 * Returns 0 and fills @out, or a negative errno and sets @why (when not
 * NULL): -ENODATA (nothing before the first NUL), -EFBIG (too large),
 * -EBADMSG (not the format), -ENOMEM.  @out needs rootsig_free() after
 * success; after a failure it holds nothing (freeing it is harmless).
 * The signature itself is only decoded here: rootsig_verify() parses it.
 */
int rootsig_parse(const void *buf, size_t len, struct root_signature *out, struct reason *why);
void rootsig_free(struct root_signature *s);

/*
 * The verity pairing: the root partition's UUID must be the first 128 bits
 * of the root hash and the verity partition's UUID the last 128 bits.
 * UUIDs as strings, 8-4-4-4-12 hex digits, either case.  Returns 0,
 * -EINVAL for a malformed UUID or -EBADMSG when they disagree (@why says
 * which).
 */
int rootsig_check_uuids(const struct root_signature *s, const char *root_uuid,
			const char *verity_uuid, struct reason *why);

/* The UUIDs the root hash of @s (parsed) gives its root and verity partitions, lowercase. */
void rootsig_partition_uuids(const struct root_signature *s, char root_uuid[37], char verity_uuid[37]);

/* Trusted certificates, each with the sha256 of its DER encoding. */
struct trust_store;

#define TRUST_STORE_MAX 64
#define TRUST_CERT_MAX (64 * 1024) /* bytes of one DER certificate file */

int trust_store_new(struct trust_store **out);

/*
 * Loads every "*.der" regular file of @dir (sorted by name; other names and
 * hidden files are not looked at).  A *.der file that is not exactly one
 * DER X.509 certificate with an EC or RSA (2048 bits or more) key is
 * skipped with a warning, not fatal:
 * the other anchors still work, and a document naming the skipped one
 * fails later with "no trusted certificate has this fingerprint".  Each
 * loaded certificate is logged at debug level with its subject and
 * fingerprint.  Returns 0, -ENOKEY when no certificate could be loaded,
 * or the errno of opening @dir.
 */
int trust_store_load_dir(struct trust_store **out, const char *dir);

/*
 * Adds one DER certificate (exactly, no trailing bytes).  Adding a
 * certificate that is already there changes nothing.  Returns 0, -EBADMSG
 * (not a certificate, or a key that is neither RSA nor EC),
 * -EKEYREJECTED (RSA key under 2048 bits), -E2BIG (store full), -ENOMEM.
 */
int trust_store_add_der(struct trust_store *ts, const void *der, size_t len);
size_t trust_store_count(const struct trust_store *ts);
void trust_store_free(struct trust_store *ts);
void trust_store_freep(struct trust_store **ts); /* for _cleanup_ */

/*
 * Checks @s against @ts: the PKCS#7 must be a detached SignedData with
 * exactly one signer and no signed attributes, digest SHA-256, -384 or
 * -512, whose issuer and serial number name the trusted certificate with
 * @s's fingerprint (without one: a trusted certificate of that issuer and
 * serial), whose
 * signature algorithm fits that certificate's key (RSA PKCS#1 v1.5 or
 * ECDSA), and whose signature over the rootHash string verifies with that
 * key.  Returns 0 when it does, else sets @why and returns -EBADMSG
 * (malformed or unsupported PKCS#7), -ENOKEY (no trusted certificate has
 * this fingerprint), -EKEYREJECTED (signed by someone else, or the
 * signature does not verify), -ENOMEM.
 */
int rootsig_verify(const struct root_signature *s, const struct trust_store *ts, struct reason *why);

#endif
