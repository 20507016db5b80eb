/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TPM2_H
#define RAMPART_TPM2_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "tpm2_sealed.h"

/*
 * The TPM, through tpm2-tss' ESAPI: random numbers, PCRs, and sealing a
 * secret to PCR values the way systemd-cryptenroll does (an SRK at
 * 0x81000001, a KEYEDHASH object under it whose authPolicy is PolicyPCR
 * over the sha256 bank, salted sessions with AES-128-CFB parameter
 * encryption), so a token either of them writes opens with the other.
 *
 * Randomness: ESAPI's salted sessions draw nonces and ephemeral keys from
 * mbedtls, which calls getrandom() and so blocks until the kernel's pool
 * is initialised (normally before /init runs: RDRAND, the boot loader's
 * seed); tpm2_get_random(), PCR reads and extends need no randomness on
 * our side.
 *
 * Errors are negative errnos, logged here with the TPM's own code decoded
 * (Tss2_RC_Decode).  tpm2-tss' own log lines are switched off while a
 * context is open (TSS2_LOG=all+none, unless TSS2_LOG was set; all+warning
 * at debug level) and the variable is removed again by tpm2_close(), so it
 * does not reach the root's init.
 */

/* The kernel's resource manager, and the tpm2-tss TCTI string that opens it. */
#define TPM2_DEVICE_PATH "/dev/tpmrm0"
#define TPM2_DEVICE_TCTI "device:" TPM2_DEVICE_PATH
#define TPM2_SRK_HANDLE 0x81000001u
#define TPM2_SECRET_MAX 128 /* what a sealed KEYEDHASH object can hold */

struct tpm2; /* ESAPI context and its TCTI */

/*
 * Opens the TPM named by a tpm2-tss TCTI configuration string:
 * "device:/dev/tpmrm0" (TPM2_DEVICE_TCTI, the kernel's resource manager,
 * which flushes whatever a crash leaves loaded) or, in tests,
 * "swtpm:host=127.0.0.1,port=N".  Nothing is sent to the TPM yet and
 * TPM2_Startup is not sent at all: firmware (or the kernel driver) has
 * done it.  Returns 0, -ENODEV when there is no TPM (the device node is
 * absent or the TCTI cannot be set up), -EINVAL, -ENOMEM.
 */
int tpm2_open(struct tpm2 **out, const char *tcti_conf);
void tpm2_close(struct tpm2 *t);

/*
 * TPM2_GetRandom, as many times as @n needs; no session, so the bytes
 * cross the TPM bus in clear: anyone on the bus sees them.  Good for
 * seeding the kernel (mixed with what else it has), not as a secret by
 * itself.
 */
int tpm2_get_random(struct tpm2 *t, void *buf, size_t n);

/*
 * Mixes @bytes (1-512) from the TPM's RNG into the kernel's pool (a write
 * to /dev/urandom) without crediting them: they crossed the TPM bus in
 * clear, so someone on the bus knows them, and they must not count as
 * entropy.  They can only add to what the kernel has.  The kernel's pool
 * is normally ready long before /init (RDRAND, the boot loader's seed,
 * the TPM hwrng); where it is not, getrandom() waits for the kernel's own
 * sources.
 */
int tpm2_mix_into_kernel_rng(struct tpm2 *t, size_t bytes);


/*
 * Seals @secret (1-TPM2_SECRET_MAX bytes) to the current values of the
 * sha256 PCRs in @pcr_mask (non-empty, PCRs 0-23) under the SRK at
 * TPM2_SRK_HANDLE.  When there is no SRK one is made from the TCG storage
 * template (ECC NIST P-256, SHA-256, AES-128-CFB, FIXEDTPM|FIXEDPARENT|
 * SENSITIVEDATAORIGIN|USERWITHAUTH|RESTRICTED|DECRYPT|NODA) and persisted;
 * that needs the owner hierarchy's authorisation to be empty.  An SRK
 * already there is used only if it is the key that template yields on this
 * TPM (compared by name), else -EKEYREJECTED: a key persisted there by
 * someone who knows its seed would expose what is sealed.  The secret
 * travels in a salted HMAC session keyed to the SRK with AES-128-CFB
 * parameter encryption.  The policy digest is computed here from the PCR
 * values read, with the PCR selection spelled as systemd spells it (three
 * bytes), so the digests agree.  @out needs tpm2_sealed_free().
 */
int tpm2_seal(struct tpm2 *t, const void *secret, size_t len, uint32_t pcr_mask, struct tpm2_sealed *out);

/*
 * Unseals what tpm2_seal() (or systemd-cryptenroll with no PIN) sealed.
 * Under an SRK (@s->parent TPM2_PARENT_SRK) the SRK is taken from
 * @s->srk, not from the TPM, so a session salted to it fails against any
 * other key.  Under a legacy primary (older systemd) the primary is made
 * again from systemd's legacy template, as systemd does, and the sessions
 * are salted to the public key the TPM returns for it: that answer is not
 * authenticated, so someone who can rewrite TPM traffic can stand in for
 * it and read the secret (the weaker model; README, "Token
 * compatibility").  Then the blob is loaded under the parent;
 * a policy session (salted to the parent, response encryption) runs
 * PolicyPCR over @s->pcr_mask, and its digest is compared with the sealed
 * object's authPolicy before anything is unsealed.  @secret/@len: the
 * caller's buffer, its size in, the secret's size out.  Returns 0 or,
 * with @why (lib/reason.h) set to a short reason:
 *   -EBADMSG   the blob or the SRK serialisation is malformed, or does not
 *              fit @s (policy hash, object type), or the TPM finds the
 *              blob damaged
 *   -ENOKEY    the TPM's SRK is not the one in @s (TPM cleared, another
 *              machine's token, or a tampered one); under a legacy
 *              primary: the blob does not load (the same causes, or a
 *              damaged blob: they cannot be told apart)
 *   -EPERM     the PCR values differ from those sealed to
 *   -ENOLCK    the TPM is in dictionary-attack lockout (TPM2_RC_LOCKOUT)
 *   -ENOBUFS   the secret is larger than *@len
 *   -EREMOTEIO any other TPM error, including a response that fails its
 *              HMAC check (something between us and the TPM altered it)
 * and -EINVAL, -ENOMEM.  No TPM is -ENODEV from tpm2_open().  A PCR
 * changing between PolicyPCR and Unseal (TPM2_RC_PCR_CHANGED) is retried
 * with a new session, twice.  Transient objects and sessions are flushed
 * on every path.
 *
 * Dictionary-attack lockout does not stop this unsealing: the object has
 * no authValue, only a PCR policy, and the TPM checks lockout only for
 * authorisations that use an authValue (measured against swtpm).  -ENOLCK
 * is there for the TPM that says otherwise.
 */
int tpm2_unseal(struct tpm2 *t, const struct tpm2_sealed *s, void *secret, size_t *len, struct reason *why);

/*
 * NV records: a few bytes in an ordinary NV index at @index that anyone
 * can read (AUTHREAD, empty authValue) and only a boot whose PCRs in
 * @pcr_mask (sha256) hold the values they hold now can write: writing
 * needs a policy session with PolicyCommandCode(NV_Write) and PolicyPCR,
 * there is no OWNERWRITE or AUTHWRITE.  So the initrd writes it before
 * the lock, and nothing after the lock can, the running OS included.
 *
 * tpm2_nv_record_write() keeps an index this module defined and wrote
 * under the same PCR values; any other index at @index (someone else's,
 * one never written, whose authValue whoever defined it chose) is removed
 * and the index defined anew, with the owner hierarchy's empty
 * authorisation.  Then @data is written (all @len bytes, at most 1024).
 *
 * tpm2_nv_record_read() trusts the index only if its name (hence its
 * attributes, write policy over the current PCR values, size and the
 * WRITTEN bit) is the one this module gives it once written, then reads
 * all @len bytes.  Returns 0 or, with @why set:
 *   -ENOENT        no index at @index (never defined, or deleted: anyone
 *                  with the owner authorisation can delete it)
 *   -ENODATA       defined as rampart defines it, never written
 *   -ESTALE        rampart's in all but its write policy: written under
 *                  other PCR values (the Secure Boot configuration
 *                  changed since, or someone replaced and wrote it after
 *                  the lock: the two cannot be told apart)
 *   -EKEYREJECTED  an index that is not rampart's: other attributes,
 *                  another size
 *   -EREMOTEIO     TPM error
 * Owner-defined indices cannot be made undeletable (that takes
 * PLATFORMCREATE), so a missing record is for the caller to treat as an
 * attack, never as "nothing recorded yet".
 */
int tpm2_nv_record_write(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, const void *data, size_t len);
int tpm2_nv_record_read(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, void *data, size_t len,
			struct reason *why);

/*
 * The same, but the record must have been written when the PCRs in
 * @pcr_mask held @values (sha256, 32 bytes per PCR, in PCR order), not
 * their current values: after a Secure Boot update, the record the
 * initrd wrote under the old PCR 7, which nobody can write any more; one
 * rewritten after the lock is -ESTALE.  @values comes from somewhere
 * trusted (the signed command line), never from the disk or the TPM.
 */
int tpm2_nv_record_read_under(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, const uint8_t *values, void *data,
			      size_t len, struct reason *why);

/* Reads a PCR of the sha256 bank.  -EINVAL for @pcr >= 24, -EOPNOTSUPP without a sha256 bank. */
int tpm2_pcr_read(struct tpm2 *t, unsigned pcr, uint8_t digest[32]);

/*
 * Measures an event: hashes @data with the hash of every active PCR bank
 * and extends @pcr in all of them with one TPM2_PCR_Extend, the way the
 * TCG PC Client spec (and systemd-pcrextend) measure, so the banks stay
 * consistent and an event log can replay each of them: new value =
 * H(old || H(data)) per bank.  Banks whose hash this build cannot compute
 * (SM3) are skipped with a warning; the sha256 bank must be active
 * (-EOPNOTSUPP otherwise), since that is the one rampart seals to.
 * Active banks are asked for once per context.  Recording the event
 * (what, why) for attestation is the caller's business.
 */
int tpm2_pcr_extend_event(struct tpm2 *t, unsigned pcr, const void *data, size_t len);

/*
 * What a tpm2-tss return code means, as tpm2_unseal() maps it (format-one
 * codes compared without the handle, parameter or session they name):
 * TPM2_RC_LOCKOUT -ENOLCK; TPM2_RC_POLICY_FAIL, _PCR_CHANGED, _PCR -EPERM;
 * other TPM codes -EREMOTEIO (RETRY, YIELDED and TESTING included: by
 * then ESAPI has resubmitted the command five times and this module four
 * more, over 300 ms); marshalling errors -EBADMSG; tpm2-tss out of memory
 * -ENOMEM; anything else -EREMOTEIO.  Exposed for tests.
 */
int tpm2_rc_to_errno(uint32_t rc);

#endif
