/* SPDX-License-Identifier: MIT */
/*
 * The recovery key, escrowed: encrypted to the organisation's escrow
 * certificate (RSA or EC; the initramfs's /etc/rampart/escrow.crt, from
 * KEYDIR/escrow.crt) and stored in a LUKS2 token of type
 * "rampart-escrow" beside the keyslot it opens.  Only the holder of the
 * escrow private key gets the key back (keys/recovery-key, on an
 * administrator's machine); the appliance never can.
 *
 *   {"type":"rampart-escrow","keyslots":["2"],
 *    "rampart-escrow-recipient":"HEX (sha256 of the certificate, DER)",
 *    "rampart-escrow-scheme":"rsa-oaep-sha256",
 *    "rampart-escrow-ciphertext":"BASE64"}
 *
 * RSA: RSAES-OAEP, SHA-256 and MGF1-SHA-256, no label, over the 32 key
 * bytes.  EC ("ecdh-hkdf-sha256-aes256cbc-hmac-sha256", with
 * "rampart-escrow-curve" (secp256r1, secp384r1, secp521r1) and
 * "rampart-escrow-ephemeral" (an uncompressed point), "-iv", "-tag"): a
 * fresh key pair per token; Z = ECDH x-coordinate; 64 bytes of
 * HKDF-SHA-256(salt none, Z, info "rampart-escrow v1") are the AES-256
 * key and the HMAC-SHA-256 key; ciphertext = AES-256-CBC(iv, key bytes)
 * (two blocks, no padding); tag = HMAC(iv || ciphertext || ephemeral).
 *
 * The token reveals nothing that opens the volume without the escrow
 * private key; it is not trusted for anything either: rampart reads only
 * its keyslot, to know where a typed recovery key goes.
 */
#ifndef RAMPART_ESCROW_H
#define RAMPART_ESCROW_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "recovery_key.h"

#define ESCROW_TOKEN_TYPE "rampart-escrow"
/* systemd-cryptenroll --recovery-key's token: its keyslot takes the same kind of key. */
#define SYSTEMD_RECOVERY_TOKEN_TYPE "systemd-recovery"

struct escrow_recipient;

/* Parses the escrow certificate (PEM with its NUL, or DER); -EBADMSG, -EOPNOTSUPP (not RSA or EC), -ENOMEM. */
int escrow_recipient_parse(const uint8_t *cert, size_t len, struct escrow_recipient **out, struct reason *why);
void escrow_recipient_free(struct escrow_recipient *r);

/* The token for @key, encrypted to @r, naming @keyslot; malloc'ed JSON in *@json. */
int escrow_token_build(struct escrow_recipient *r, const uint8_t key[RECOVERY_KEY_BYTES], int keyslot, char **json);

/* The keyslot a rampart-escrow or systemd-recovery token names; -EBADMSG with @why for anything else. */
int recovery_token_keyslot(const char *json, int *keyslot, struct reason *why);

#endif
