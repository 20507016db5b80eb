/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TPM2_TOKEN_H
#define RAMPART_TPM2_TOKEN_H

#include "reason.h"
#include "token_json.h"
#include "tpm2_sealed.h"

/*
 * The LUKS2 token systemd-cryptenroll writes for a TPM2-sealed key (type
 * "systemd-tpm2", systemd 254 and later with an SRK), so a volume rampart
 * enrolls opens with systemd-cryptsetup and the other way round:
 *
 *   {"type":"systemd-tpm2","keyslots":["1"],"tpm2-blob":"BASE64",
 *    "tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-policy-hash":"HEX",
 *    "tpm2-pin":false,"tpm2_srk":"BASE64"}
 *
 * keyslots are decimal strings (the LUKS2 spec), PCRs JSON integers,
 * base64 standard and padded, the policy hash lowercase hex.  rampart
 * writes no "tpm2-primary-alg": it names the template of a transient
 * primary key, which tokens with an SRK do not use.
 *
 * It also reads the tokens older systemd (before 254; Debian 12's 252)
 * writes: no tpm2_srk, the blob sealed under a transient primary made from
 * systemd's legacy template, "tpm2-primary-alg":"ecc" or "rsa" (absent
 * means ecc).  Those are parsed with parent TPM2_PARENT_LEGACY_*.
 */

#define TPM2_TOKEN_TYPE "systemd-tpm2"
#define TPM2_TOKEN_KEYSLOT_MAX TOKEN_KEYSLOT_MAX

/*
 * Builds the token's JSON for @s (SRK model only) and @keyslot (0-31).
 * Returns 0 and a malloc'ed string, -EINVAL, -ENOMEM.
 */
int tpm2_token_build(const struct tpm2_sealed *s, int keyslot, char **json);

/*
 * Parses a token back.  Fields this code does not know are ignored, like
 * systemd does; fields that change what unsealing needs are refused when
 * rampart cannot honour them.  Refused, with -EBADMSG and @why: not a JSON
 * object; type other than "systemd-tpm2"; keyslots other than one decimal
 * string 0-31; no or malformed (non-base64, empty) tpm2-blob, or a malformed tpm2_srk;
 * tpm2-pcrs not an array of integers 0-23, or empty; tpm2-pcr-bank other
 * than "sha256" (absent means sha256: systemd before 250 wrote none);
 * tpm2-primary-alg other than "ecc" or "rsa";
 * tpm2-policy-hash not 64 hex digits; tpm2-pin true ("PIN-protected
 * tokens are not supported"); signed PCR policies (tpm2_pubkey,
 * tpm2_pubkey_pcrs) and tpm2_pcrlock true; tpm2-blob or tpm2-policy-hash
 * as arrays (newer systemd's form for several sealed copies).  -ENOMEM.
 * @out needs tpm2_sealed_free() after success and holds nothing after a
 * failure.
 */
int tpm2_token_parse(const char *json, struct tpm2_sealed *out, int *keyslot, struct reason *why);

#endif
