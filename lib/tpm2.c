/* SPDX-License-Identifier: MIT */
/*
 * What tpm2-tss keeps of a secret: ESAPI copies Create's input into its
 * context, decrypts Unseal's response in its command buffer and on its
 * stack, and frees session keys without wiping them.  The copies in its
 * context and command buffer stay while the context is open and are wiped
 * when tpm2_close() frees it: in /init (and the stack tests) free() wipes
 * every block and realloc() leaves no old copy (lib/wipe_alloc.c), which
 * also takes care of the session keys.  tpm2_seal() and tpm2_unseal() wipe
 * the stack ESAPI used below them before they return (lib/wipe.h).  What
 * this file holds it wipes itself.  test/stack/test_secret_memory.c looks
 * for the secret in all of the process's memory after each step.
 */
#include "tpm2.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_tctildr.h>

#include "encoding.h"
#include "log.h"
#include "reason.h"
#include "util.h"
#include "wipe.h"

/* A PCR changing between PolicyPCR and Unseal is worth another session, a few times. */
#define UNSEAL_TRIES 3
#define SEED_MAX 512

struct tpm2 {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	/*
	 * After an error that is not the TPM's (a response failing its HMAC
	 * check, a broken connection) ESAPI refuses every further command
	 * with "bad sequence"; the context is made anew before the next one.
	 */
	bool broken;
	bool have_banks;
	TPML_PCR_SELECTION banks; /* allocated PCR banks, asked once */
};

/* A policy session's digest before its first assertion. */
static const uint8_t policy_start[32];

static const TPMT_SYM_DEF aes128cfb = {
	.algorithm = TPM2_ALG_AES,
	.keyBits.aes = 128,
	.mode.aes = TPM2_ALG_CFB,
};

static void esys_freep(void *p)
{
	Esys_Free(*(void **)p);
}

#define _cleanup_esys_ _cleanup_(esys_freep)

/* ---- tpm2-tss return codes ------------------------------------------------------- */

static bool tpm_layer(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;

	return layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER;
}

/*
 * The TPM's own code: a format-one code names the handle, parameter or
 * session it is about in bits 6 and 8-11 (0x99d is "policy check failed,
 * session 1"); without them it compares with TPM2_RC_POLICY_FAIL.
 */
static TSS2_RC tpm_rc(TSS2_RC rc)
{
	rc &= ~TSS2_RC_LAYER_MASK;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

/* A format-one code about a command parameter (not a handle or a session). */
static bool tpm_parameter_error(TSS2_RC rc)
{
	return tpm_layer(rc) && (rc & TPM2_RC_FMT1) && (rc & TPM2_RC_P);
}

int tpm2_rc_to_errno(uint32_t rc)
{
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (tpm_layer(rc)) {
		switch (tpm_rc(rc)) {
		case TPM2_RC_LOCKOUT:
			return -ENOLCK;
		case TPM2_RC_POLICY_FAIL:
		case TPM2_RC_PCR_CHANGED:
		case TPM2_RC_PCR:
			return -EPERM;
		default:
			/* RETRY, YIELDED and TESTING too: ESYS() has run out of patience by then. */
			return -EREMOTEIO;
		}
	}
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_MU_RC_LAYER)
		return -EBADMSG;
	if ((rc & ~TSS2_RC_LAYER_MASK) == TSS2_BASE_RC_MEMORY)
		return -ENOMEM;
	return -EREMOTEIO;
}

/* Logs a failed call (debug) with tpm2-tss' reading of the code and returns its errno. */
static int tss_error(TSS2_RC rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tss_error(TSS2_RC rc, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_debug("TPM: %s: %s (0x%x)", what, Tss2_RC_Decode(rc), rc);
	return tpm2_rc_to_errno(rc);
}

/* Every ESAPI command's result goes through here (see struct tpm2). */
static TSS2_RC checked(struct tpm2 *t, TSS2_RC rc)
{
	if (rc != TSS2_RC_SUCCESS && !tpm_layer(rc))
		t->broken = true;
	return rc;
}

static bool tpm_busy(TSS2_RC rc)
{
	TSS2_RC base = tpm_rc(rc);

	return tpm_layer(rc) && (base == TPM2_RC_RETRY || base == TPM2_RC_YIELDED || base == TPM2_RC_TESTING);
}

/*
 * Runs an ESAPI command.  ESAPI itself resubmits a command the TPM answers
 * with RETRY, YIELDED or TESTING, five times at once; a TPM still testing
 * itself after that gets 20, 40, 80 and 160 ms more.  A refused command
 * changed nothing (sessions included), so sending it again is safe.
 */
#define ESYS(t, call)                                                 \
	({                                                            \
		TSS2_RC _rc;                                          \
		for (unsigned _try = 0;; _try++) {                    \
			_rc = checked((t), (call));                   \
			if (!tpm_busy(_rc) || _try == 4)              \
				break;                                \
			usleep(20000u << _try);                       \
		}                                                     \
		_rc;                                                  \
	})

/* ---- context -------------------------------------------------------------------------- */

/*
 * tpm2-tss prints its own warnings to stderr, the console, for conditions
 * we handle (no SRK yet, a policy that does not match).  TSS2_LOG is read
 * when a module first logs, so it is set while any context is open and
 * removed when the last one closes: it must not reach the root's init.
 */
static unsigned tss_log_users;
static bool tss_log_ours;

static void tss_log_quiet(void)
{
	if (tss_log_users++ > 0 || getenv("TSS2_LOG"))
		return;
	tss_log_ours = setenv("TSS2_LOG", log_get_max_level() >= LOG_DEBUG ? "all+warning" : "all+none", 0) == 0;
}

static void tss_log_restore(void)
{
	if (tss_log_users == 0 || --tss_log_users > 0)
		return;
	if (tss_log_ours)
		unsetenv("TSS2_LOG");
	tss_log_ours = false;
}

/*
 * tpm2-tss 4.1.3's mbedtls backend (and its master, as of this writing)
 * writes the ECDH shared secret Z of a salted session with
 * mbedtls_mpi_size(), dropping leading zero bytes, where the TPM uses the
 * x coordinate at the curve's full size (TPM 2.0 Part 1, C.6.1).  In one
 * session of 256 the two then derive different salts and the TPM refuses
 * the session (TPM2_RC_BAD_AUTH): measured here, 2 unseals in 1000 failed.
 * The dropped bytes were zeros, so putting them back is the whole fix.
 * (The gcrypt backend had the same bug, fixed in tpm2-tss PR 1117.)
 */
static ESYS_CRYPTO_GET_ECDH_POINT_FNP backend_ecdh_point;

/* Defined and exported by libtss2-esys 4.1.3 (esys_context.c), missing from its header. */
TSS2_RC Esys_GetCryptoCallbacks(ESYS_CONTEXT *esys_context, ESYS_CRYPTO_CALLBACKS *callbacks);

static size_t ecc_curve_bytes(TPMI_ECC_CURVE curve)
{
	switch (curve) {
	case TPM2_ECC_NIST_P192:
		return 24;
	case TPM2_ECC_NIST_P224:
		return 28;
	case TPM2_ECC_NIST_P256:
	case TPM2_ECC_BN_P256:
	case TPM2_ECC_SM2_P256:
		return 32;
	case TPM2_ECC_NIST_P384:
		return 48;
	case TPM2_ECC_NIST_P521:
		return 66;
	default:
		return 0;
	}
}

static TSS2_RC ecdh_point_full_size(TPM2B_PUBLIC *key, size_t max_out_size, TPM2B_ECC_PARAMETER *Z,
				    TPMS_ECC_POINT *Q, BYTE *out_buffer, size_t *out_size, void *userdata)
{
	TSS2_RC rc = backend_ecdh_point(key, max_out_size, Z, Q, out_buffer, out_size, userdata);
	size_t want = ecc_curve_bytes(key->publicArea.parameters.eccDetail.curveID);

	if (rc == TSS2_RC_SUCCESS && Z->size < want && want <= sizeof(Z->buffer)) {
		memmove(Z->buffer + (want - Z->size), Z->buffer, Z->size);
		memset(Z->buffer, 0, want - Z->size);
		Z->size = (UINT16)want;
	}
	return rc;
}

static int esys_remake(struct tpm2 *t)
{
	ESYS_CRYPTO_CALLBACKS cb;
	TSS2_RC rc;

	Esys_Finalize(&t->esys);
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->esys = NULL;
		return tss_error(rc, "cannot set up ESAPI");
	}
	rc = Esys_GetCryptoCallbacks(t->esys, &cb);
	if (rc == TSS2_RC_SUCCESS && cb.get_ecdh_point != ecdh_point_full_size) {
		backend_ecdh_point = cb.get_ecdh_point;
		cb.get_ecdh_point = ecdh_point_full_size;
		rc = Esys_SetCryptoCallbacks(t->esys, &cb);
	}
	if (rc != TSS2_RC_SUCCESS) {
		Esys_Finalize(&t->esys);
		return tss_error(rc, "cannot set up ESAPI's ECDH");
	}
	t->broken = false;
	return 0;
}

static int esys_ready(struct tpm2 *t)
{
	if (!t || !t->tcti)
		return -EINVAL;
	if (!t->esys || t->broken)
		return esys_remake(t);
	return 0;
}

void tpm2_close(struct tpm2 *t)
{
	if (!t)
		return;
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
	tss_log_restore();
	free(t);
}

static void tpm2_closep(struct tpm2 **t)
{
	tpm2_close(*t);
}

int tpm2_open(struct tpm2 **out, const char *tcti_conf)
{
	_cleanup_(tpm2_closep) struct tpm2 *t = NULL;
	TSS2_RC rc;
	int r;

	*out = NULL;
	if (!tcti_conf || !*tcti_conf)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	tss_log_quiet();

	rc = Tss2_TctiLdr_Initialize(tcti_conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		/*
		 * tpm2-tss 4.1.3 returns the loader's own context, empty,
		 * when no TCTI would start: Tss2_TctiLdr_Finalize() does not
		 * take it (no magic yet), free() does.
		 */
		free(t->tcti);
		t->tcti = NULL;
		if ((rc & ~TSS2_RC_LAYER_MASK) == TSS2_BASE_RC_MEMORY)
			return -ENOMEM;
		log_debug("TPM: no TPM at %s: %s (0x%x)", tcti_conf, Tss2_RC_Decode(rc), rc);
		return -ENODEV;
	}
	r = esys_remake(t);
	if (r < 0)
		return r;
	log_debug("TPM: opened %s", tcti_conf);
	*out = TAKE_PTR(t);
	return 0;
}

/* ---- handles one operation holds ------------------------------------------------------ */

#define SCOPE_MAX 4 /* an operation holds three at most */

/*
 * Transient objects and sessions are flushed from the TPM at the end of
 * the operation that made them, on every path: swtpm has no resource
 * manager, and the kernel's (/dev/tpmrm0) cleans up only when the file is
 * closed, while the TPM has room for three objects or so.  Persistent
 * ones (the SRK) are only closed: ESAPI forgets its record, the key stays.
 */
struct scope {
	struct tpm2 *t;
	ESYS_TR flush[SCOPE_MAX];
	size_t n_flush;
	ESYS_TR close[SCOPE_MAX];
	size_t n_close;
};

static void scope_flush(struct scope *sc, ESYS_TR tr)
{
	if (sc->n_flush < SCOPE_MAX)
		sc->flush[sc->n_flush++] = tr;
}

static void scope_close(struct scope *sc, ESYS_TR tr)
{
	if (sc->n_close < SCOPE_MAX)
		sc->close[sc->n_close++] = tr;
}

/* Forgets @tr without flushing or closing it (it is gone already). */
static void scope_forget(struct scope *sc, ESYS_TR tr)
{
	for (size_t i = 0; i < sc->n_flush; i++)
		if (sc->flush[i] == tr) {
			sc->flush[i] = sc->flush[--sc->n_flush];
			return;
		}
	for (size_t i = 0; i < sc->n_close; i++)
		if (sc->close[i] == tr) {
			sc->close[i] = sc->close[--sc->n_close];
			return;
		}
}

/* Releases everything; may be called early, and again at the end of the scope. */
static void scope_end(struct scope *sc)
{
	struct tpm2 *t = sc->t;
	TPM2_HANDLE raw[SCOPE_MAX];
	TSS2_SYS_CONTEXT *sys;
	size_t n_raw = 0;

	if (!t || !t->esys) {
		sc->n_flush = sc->n_close = 0;
		return;
	}
	for (size_t i = 0; i < sc->n_flush; i++) {
		TPM2_HANDLE h;
		TSS2_RC rc;

		if (!t->broken) {
			rc = ESYS(t, Esys_FlushContext(t->esys, sc->flush[i]));
			if (rc == TSS2_RC_SUCCESS)
				continue;
			if (!t->broken) {
				log_debug("TPM: cannot flush a transient handle: %s", Tss2_RC_Decode(rc));
				continue;
			}
		}
		if (Esys_TR_GetTpmHandle(t->esys, sc->flush[i], &h) == TSS2_RC_SUCCESS)
			raw[n_raw++] = h;
	}
	if (!t->broken) {
		for (size_t i = 0; i < sc->n_close; i++)
			Esys_TR_Close(t->esys, &sc->close[i]);
	} else if (esys_remake(t) == 0 && Esys_GetSysContext(t->esys, &sys) == TSS2_RC_SUCCESS) {
		/* The new context knows none of the old handles: flush them by number. */
		for (size_t i = 0; i < n_raw; i++)
			(void)Tss2_Sys_FlushContext(sys, raw[i]);
	}
	sc->n_flush = sc->n_close = 0;
}

/* ---- PCRs -------------------------------------------------------------------------------- */

/* The sha256 PCRs of @mask, selected the way systemd selects them: three bytes, 24 PCRs. */
static void pcr_selection(uint32_t mask, TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){
		.count = 1,
		.pcrSelections[0] = {
			.hash = TPM2_ALG_SHA256,
			.sizeofSelect = 3,
			.pcrSelect = { mask & 0xff, (mask >> 8) & 0xff, (mask >> 16) & 0xff },
		},
	};
}

static uint32_t selection_mask(const TPMS_PCR_SELECTION *s)
{
	uint32_t mask = 0;

	for (unsigned i = 0; i < s->sizeofSelect && i < 4; i++)
		mask |= (uint32_t)s->pcrSelect[i] << (8 * i);
	return mask;
}

static bool valid_pcr_mask(uint32_t mask)
{
	return mask != 0 && mask < (1u << TPM2_PCR_COUNT);
}

/* Reads the sha256 PCRs of @mask into @values, indexed by PCR; PCR_Read returns at most 8 at a time. */
static int pcrs_read(struct tpm2 *t, uint32_t mask, uint8_t values[TPM2_PCR_COUNT][32])
{
	uint32_t left = mask;

	while (left) {
		_cleanup_esys_ TPML_PCR_SELECTION *got = NULL;
		_cleanup_esys_ TPML_DIGEST *digests = NULL;
		TPML_PCR_SELECTION sel;
		uint32_t got_mask = 0;
		size_t j = 0;
		TSS2_RC rc;

		pcr_selection(left, &sel);
		rc = ESYS(t, Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL, &got,
					   &digests));
		if (rc != TSS2_RC_SUCCESS)
			return tss_error(rc, "cannot read PCRs 0x%06x (sha256)", left);
		for (uint32_t i = 0; i < got->count; i++)
			if (got->pcrSelections[i].hash == TPM2_ALG_SHA256)
				got_mask |= selection_mask(&got->pcrSelections[i]);
		if (got_mask == 0) {
			log_debug("TPM: no sha256 PCR bank (or PCRs 0x%06x are not in it)", left);
			return -EOPNOTSUPP;
		}
		if ((got_mask & ~left) || (size_t)__builtin_popcount(got_mask) != digests->count) {
			log_debug("TPM: PCR read for 0x%06x answered with PCRs 0x%06x and %u values", left, got_mask,
				  digests->count);
			return -EREMOTEIO;
		}
		for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++) {
			if (!(got_mask & (1u << pcr)))
				continue;
			if (digests->digests[j].size != 32) {
				log_debug("TPM: PCR %u (sha256) read as %u bytes", pcr, digests->digests[j].size);
				return -EREMOTEIO;
			}
			memcpy(values[pcr], digests->digests[j++].buffer, 32);
		}
		left &= ~got_mask;
	}
	return 0;
}

/*
 * TPM2_PolicyPCR's digest, as the TPM computes it after a policy digest
 * @from (all zeros in a fresh session): H(from || TPM_CC_PolicyPCR ||
 * TPML_PCR_SELECTION || H(PCR values in ascending order)).  The selection
 * is marshalled exactly as it is sent.
 */
static int policy_pcr_digest(const uint8_t from[32], uint32_t mask, const uint8_t values[TPM2_PCR_COUNT][32],
			     uint8_t out[32])
{
	uint8_t pcr_digest[32], cmd[sizeof(TPM2_CC) + sizeof(TPML_PCR_SELECTION)];
	mbedtls_sha256_context c;
	TPML_PCR_SELECTION sel;
	size_t off = 0;
	int r = 0;

	pcr_selection(mask, &sel);
	if (Tss2_MU_TPM2_CC_Marshal(TPM2_CC_PolicyPCR, cmd, sizeof(cmd), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, cmd, sizeof(cmd), &off) != TSS2_RC_SUCCESS)
		return -EINVAL;

	mbedtls_sha256_init(&c);
	r |= mbedtls_sha256_starts(&c, 0);
	for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++)
		if (mask & (1u << pcr))
			r |= mbedtls_sha256_update(&c, values[pcr], 32);
	r |= mbedtls_sha256_finish(&c, pcr_digest);
	r |= mbedtls_sha256_starts(&c, 0);
	r |= mbedtls_sha256_update(&c, from, 32);
	r |= mbedtls_sha256_update(&c, cmd, off);
	r |= mbedtls_sha256_update(&c, pcr_digest, sizeof(pcr_digest));
	r |= mbedtls_sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
	return r ? -EIO : 0;
}

int tpm2_pcr_read(struct tpm2 *t, unsigned pcr, uint8_t digest[32])
{
	uint8_t values[TPM2_PCR_COUNT][32];
	int r;

	if (pcr >= TPM2_PCR_COUNT)
		return -EINVAL;
	r = esys_ready(t);
	if (r < 0)
		return r;
	r = pcrs_read(t, 1u << pcr, values);
	if (r < 0)
		return r;
	memcpy(digest, values[pcr], 32);
	return 0;
}

static mbedtls_md_type_t md_of(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return MBEDTLS_MD_SHA1;
	case TPM2_ALG_SHA256:
		return MBEDTLS_MD_SHA256;
	case TPM2_ALG_SHA384:
		return MBEDTLS_MD_SHA384;
	case TPM2_ALG_SHA512:
		return MBEDTLS_MD_SHA512;
	default:
		return MBEDTLS_MD_NONE;
	}
}

static int banks_get(struct tpm2 *t)
{
	_cleanup_esys_ TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	if (t->have_banks)
		return 0;
	rc = ESYS(t, Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1,
					&more, &cap));
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot ask for the PCR banks");
	if (cap->capability != TPM2_CAP_PCRS)
		return -EREMOTEIO;
	t->banks = cap->data.assignedPCR;
	t->have_banks = true;
	return 0;
}

int tpm2_pcr_extend_event(struct tpm2 *t, unsigned pcr, const void *data, size_t len)
{
	TPML_DIGEST_VALUES d = { 0 };
	bool sha256 = false;
	TSS2_RC rc;
	int r;

	if (pcr >= TPM2_PCR_COUNT || (!data && len))
		return -EINVAL;
	r = esys_ready(t);
	if (r < 0)
		return r;
	r = banks_get(t);
	if (r < 0)
		return r;

	for (uint32_t i = 0; i < t->banks.count && d.count < ARRAY_SIZE(d.digests); i++) {
		const TPMS_PCR_SELECTION *bank = &t->banks.pcrSelections[i];
		const mbedtls_md_info_t *md;

		/* A bank the PCR is not allocated in is not extended by the TPM either. */
		if (!(selection_mask(bank) & (1u << pcr)))
			continue;
		md = mbedtls_md_info_from_type(md_of(bank->hash));
		if (!md) {
			log_debug("TPM: PCR %u: bank 0x%04x has a hash this build cannot compute, not extended",
				    pcr, bank->hash);
			continue;
		}
		d.digests[d.count].hashAlg = bank->hash;
		if (mbedtls_md(md, data, len, (unsigned char *)&d.digests[d.count].digest) != 0)
			return -EIO;
		d.count++;
		sha256 |= bank->hash == TPM2_ALG_SHA256;
	}
	if (!sha256) {
		log_debug("TPM: PCR %u is not in a sha256 bank, not extended", pcr);
		return -EOPNOTSUPP;
	}
	rc = ESYS(t, Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				     &d));
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot extend PCR %u", pcr);
	log_debug("TPM: extended PCR %u in %u bank(s)", pcr, d.count);
	return 0;
}

/* ---- randomness ------------------------------------------------------------------------ */

int tpm2_get_random(struct tpm2 *t, void *buf, size_t n)
{
	uint8_t *p = buf;
	int r;

	if (!buf && n)
		return -EINVAL;
	r = esys_ready(t);
	if (r < 0)
		return r;
	while (n > 0) {
		_cleanup_esys_ TPM2B_DIGEST *got = NULL;
		/* The TPM returns at most one digest's worth per call. */
		UINT16 want = n > sizeof(got->buffer) ? sizeof(got->buffer) : (UINT16)n;
		TSS2_RC rc;

		rc = ESYS(t, Esys_GetRandom(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, want, &got));
		if (rc != TSS2_RC_SUCCESS)
			return tss_error(rc, "cannot get random bytes");
		if (got->size == 0 || got->size > want) {
			log_debug("TPM: GetRandom returned %u bytes for %u", got->size, want);
			return -EREMOTEIO;
		}
		memcpy(p, got->buffer, got->size);
		explicit_wipe(got->buffer, got->size);
		p += got->size;
		n -= got->size;
	}
	return 0;
}

int tpm2_mix_into_kernel_rng(struct tpm2 *t, size_t bytes)
{
	uint8_t buf[SEED_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (bytes == 0 || bytes > SEED_MAX)
		return -EINVAL;
	r = tpm2_get_random(t, buf, bytes);
	if (r < 0)
		return r;
	/* A write to /dev/urandom mixes without crediting. */
	fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		r = log_debug_errno(errno, "cannot open /dev/urandom");
	else if (write(fd, buf, bytes) != (ssize_t)bytes)
		r = log_debug_errno(errno, "cannot mix TPM randomness into the kernel's pool");
	else
		log_debug("TPM: mixed %zu bytes of TPM randomness into the kernel's pool (not credited)", bytes);
	explicit_wipe(buf, sizeof(buf));
	return r;
}

/* ---- SRK and sessions -------------------------------------------------------------------- */

/*
 * The SRK at TPM2_SRK_HANDLE, made and persisted when there is none; the
 * handle goes into @sc to be closed.  The transient primary it is made
 * from stays in @sc until the end of the operation, to be flushed there
 * on every path.
 */
/*
 * Makes the owner hierarchy's primary key for @tmpl as a transient key
 * (flushed with @sc).  Returns the tpm2-tss code; the caller says what
 * failed.
 */
static TSS2_RC primary_from_template(struct scope *sc, const TPM2B_PUBLIC *tmpl, ESYS_TR *primary)
{
	static const TPM2B_SENSITIVE_CREATE empty_sensitive;
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	struct tpm2 *t = sc->t;
	TSS2_RC rc;

	rc = ESYS(t, Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					&empty_sensitive, tmpl, &no_outside_info, &no_creation_pcrs, primary, NULL,
					NULL, NULL, NULL));
	if (rc == TSS2_RC_SUCCESS)
		scope_flush(sc, *primary);
	return rc;
}

/* Makes the SRK from its template as a transient key (flushed with @sc). */
static int srk_from_template(struct scope *sc, ESYS_TR *primary)
{
	TPM2B_PUBLIC srk_template;
	TSS2_RC rc;

	tpm2_srk_template(&srk_template);
	rc = primary_from_template(sc, &srk_template, primary);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot make the SRK (owner hierarchy with a password?)");
	return 0;
}

/*
 * The key at the SRK's handle is only trusted if it is the one the TCG
 * storage template yields on this TPM: anyone with the (empty) owner
 * authorisation can persist a key there whose seed they know, and every
 * salt and secret sent to it would be theirs to read.  The template key is
 * made again (it is derived from the owner seed, so it is the same key
 * each time) and the two names compared.  -EKEYREJECTED if they differ.
 */
static int srk_is_the_template_key(struct scope *sc, ESYS_TR persistent)
{
	_cleanup_esys_ TPM2B_NAME *have = NULL, *want = NULL;
	struct tpm2 *t = sc->t;
	ESYS_TR primary = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	r = srk_from_template(sc, &primary);
	if (r < 0)
		return r;
	rc = Esys_TR_GetName(t->esys, primary, &want);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TR_GetName(t->esys, persistent, &have);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot read the SRK's name");
	if (have->size != want->size || memcmp(have->name, want->name, want->size) != 0) {
		log_debug("TPM: the key at 0x%08x is not the one the SRK template yields", TPM2_SRK_HANDLE);
		return -EKEYREJECTED;
	}
	log_debug("TPM: using the SRK at 0x%08x (the template's key)", TPM2_SRK_HANDLE);
	return 0;
}

static int srk_get(struct scope *sc, ESYS_TR *out)
{
	struct tpm2 *t = sc->t;
	ESYS_TR primary = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	rc = ESYS(t, Esys_TR_FromTPMPublic(t->esys, TPM2_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   out));
	if (rc == TSS2_RC_SUCCESS) {
		scope_close(sc, *out);
		return srk_is_the_template_key(sc, *out);
	}
	if (!tpm_layer(rc) || tpm_rc(rc) != TPM2_RC_HANDLE)
		return tss_error(rc, "cannot read the SRK at 0x%08x", TPM2_SRK_HANDLE);

	r = srk_from_template(sc, &primary);
	if (r < 0)
		return r;
	rc = ESYS(t, Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				       ESYS_TR_NONE, TPM2_SRK_HANDLE, out));
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot persist the SRK at 0x%08x", TPM2_SRK_HANDLE);
	scope_close(sc, *out);
	log_debug("TPM: made the SRK (ECC P-256) and persisted it at 0x%08x", TPM2_SRK_HANDLE);
	return 0;
}

/*
 * A session salted with @salt_key (the SRK): only a TPM holding the SRK's
 * private key learns the session key, so only it can read what the
 * session encrypts, and its responses' HMACs prove it is that TPM.
 * Returns the tpm2-tss code; the caller says what failed.
 */
static TSS2_RC session_start(struct scope *sc, ESYS_TR salt_key, TPM2_SE type, TPMA_SESSION attrs, ESYS_TR *out)
{
	struct tpm2 *t = sc->t;
	TSS2_RC rc;

	rc = ESYS(t, Esys_StartAuthSession(t->esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, NULL, type, &aes128cfb, TPM2_ALG_SHA256, out));
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	scope_flush(sc, *out);
	return Esys_TRSess_SetAttributes(t->esys, *out, attrs, 0xff);
}

/* ---- sealing ------------------------------------------------------------------------------ */

static void sensitive_wipe(TPM2B_SENSITIVE_CREATE *s)
{
	explicit_wipe(s, sizeof(*s));
}

static void pcr_list(uint32_t mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT && off < size; pcr++)
		if (mask & (1u << pcr))
			off += (size_t)snprintf(buf + off, size - off, "%s%u", off ? "+" : "", pcr);
}

/* Not inlined: its frame lies below tpm2_seal()'s, where wipe_stack() reaches. */
static __attribute__((noinline)) int seal(struct tpm2 *t, const void *secret, size_t len, uint32_t pcr_mask,
					 struct tpm2_sealed *out)
{
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	_cleanup_(scope_end) struct scope sc = { .t = t };
	_cleanup_(sensitive_wipe) TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	_cleanup_esys_ TPM2B_PRIVATE *private = NULL;
	_cleanup_esys_ TPM2B_PUBLIC *public = NULL;
	_cleanup_esys_ uint8_t *srk_buf = NULL;
	_cleanup_free_ uint8_t *blob = NULL, *srk = NULL;
	uint8_t values[TPM2_PCR_COUNT][32], policy[32];
	TPM2B_PUBLIC tmpl;
	size_t blob_max = sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC), blob_len = 0, srk_len = 0;
	ESYS_TR srk_tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	uint64_t start = now_usec();
	char pcrs[80];
	TSS2_RC rc;
	int r;

	memset(out, 0, sizeof(*out));
	if (!secret || len == 0 || len > TPM2_SECRET_MAX || len > sizeof(sensitive.sensitive.data.buffer) ||
	    !valid_pcr_mask(pcr_mask))
		return -EINVAL;
	r = esys_ready(t);
	if (r < 0)
		return r;
	pcr_list(pcr_mask, pcrs, sizeof(pcrs));

	r = srk_get(&sc, &srk_tr);
	if (r < 0)
		return r;

	r = pcrs_read(t, pcr_mask, values);
	if (r < 0)
		return r;
	r = policy_pcr_digest(policy_start, pcr_mask, values, policy);
	if (r < 0)
		return r;
	tpm2_sealed_template(&tmpl, policy);

	/* DECRYPT encrypts Create's first parameter, the sensitive data, on its way to the TPM. */
	rc = session_start(&sc, srk_tr, TPM2_SE_HMAC,
			   TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, &session);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot start an HMAC session salted to the SRK");

	sensitive.sensitive.data.size = (UINT16)len;
	memcpy(sensitive.sensitive.data.buffer, secret, len);
	rc = ESYS(t, Esys_Create(t->esys, srk_tr, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
				 &no_outside_info, &no_creation_pcrs, &private, &public, NULL, NULL, NULL));
	sensitive_wipe(&sensitive);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot seal to PCRs %s under the SRK", pcrs);

	blob = malloc(blob_max);
	if (!blob)
		return -ENOMEM;
	rc = Tss2_MU_TPM2B_PRIVATE_Marshal(private, blob, blob_max, &blob_len);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PUBLIC_Marshal(public, blob, blob_max, &blob_len);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot marshal the sealed object");

	rc = Esys_TR_Serialize(t->esys, srk_tr, &srk_buf, &srk_len);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot serialize the SRK");
	srk = malloc(srk_len);
	if (!srk)
		return -ENOMEM;
	memcpy(srk, srk_buf, srk_len);

	out->blob = TAKE_PTR(blob);
	out->blob_len = blob_len;
	out->srk = TAKE_PTR(srk);
	out->srk_len = srk_len;
	memcpy(out->policy_hash, policy, sizeof(policy));
	out->pcr_mask = pcr_mask;
	log_debug("TPM: sealed %zu bytes to PCRs %s (sha256) in %llu ms", len, pcrs,
		  (unsigned long long)((now_usec() - start) / 1000));
	return 0;
}

/*
 * ESAPI copies the secret into a stack buffer and encrypts it there, with a
 * key it derives from the session key into another (iesys_encrypt_param()).
 */
int tpm2_seal(struct tpm2 *t, const void *secret, size_t len, uint32_t pcr_mask, struct tpm2_sealed *out)
{
	return WIPE_STACK_AFTER(seal(t, secret, len, pcr_mask, out));
}

/* ---- unsealing ---------------------------------------------------------------------------- */

/*
 * Whether the key at the SRK's handle is the one serialized in @s->srk:
 * 1 it is, 0 it is not or there is none, or a negative errno.  Only for
 * telling the reasons of a failure apart: the answer is not authenticated
 * (the salted session is what cannot be faked).
 */
static int srk_matches(struct tpm2 *t, const struct tpm2_sealed *s)
{
	_cleanup_esys_ TPM2B_NAME *sealed_name = NULL, *tpm_name = NULL;
	_cleanup_esys_ TPM2B_PUBLIC *tpm_public = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	r = esys_ready(t);
	if (r < 0)
		return r;
	rc = Esys_TR_Deserialize(t->esys, s->srk, s->srk_len, &tr);
	if (rc != TSS2_RC_SUCCESS)
		return -EBADMSG;
	rc = Esys_TR_GetName(t->esys, tr, &sealed_name);
	if (rc == TSS2_RC_SUCCESS)
		/* ReadPublic through the deserialized handle: ESAPI keeps its record, the TPM says what it has. */
		rc = ESYS(t, Esys_ReadPublic(t->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tpm_public,
					     &tpm_name, NULL));
	if (!t->broken)
		Esys_TR_Close(t->esys, &tr);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_layer(rc) && tpm_rc(rc) == TPM2_RC_HANDLE ? 0 : tpm2_rc_to_errno(rc);
	return sealed_name->size == tpm_name->size &&
	       memcmp(sealed_name->name, tpm_name->name, tpm_name->size) == 0;
}

/*
 * An unseal step failed with @rc: the SRK is compared before anything else
 * is concluded, since a different SRK makes every later step fail in its
 * own way (the blob does not load, the salted session's HMAC fails).
 */
static int unseal_failed(struct scope *sc, const struct tpm2_sealed *s, TSS2_RC rc, bool loading,
			 const char *step, struct reason *why)
{
	struct tpm2 *t = sc->t;
	int m;

	if (tpm_layer(rc) && tpm_rc(rc) == TPM2_RC_LOCKOUT) {
		log_debug("TPM: %s: the TPM is in dictionary-attack lockout", step);
		return reason_set(why, -ENOLCK, "TPM is in dictionary-attack lockout");
	}
	if (tpm2_rc_to_errno(rc) == -EPERM) {
		log_debug("TPM: %s: %s (0x%x)", step, Tss2_RC_Decode(rc), rc);
		return reason_set(why, -EPERM, "PCR values differ from those sealed to");
	}

	/* Transient handles go first: a broken context is remade here. */
	scope_end(sc);
	if (s->parent != TPM2_PARENT_SRK) {
		/* No key to compare with: a primary made again from a template is whatever this TPM makes. */
		if (loading && tpm_parameter_error(rc)) {
			log_debug("TPM: %s: %s (0x%x) under the %s", step, Tss2_RC_Decode(rc), rc,
				  tpm2_parent_name(s->parent));
			return reason_set(why, -ENOKEY, "sealed object does not load under this TPM's %s "
					  "(TPM cleared, another machine's token, or a damaged blob)",
					  tpm2_parent_name(s->parent));
		}
		tss_error(rc, "%s", step);
		return reason_set(why, -EREMOTEIO, "TPM error");
	}
	m = srk_matches(t, s);
	if (m == 0) {
		log_debug("TPM: %s: %s (0x%x); the key at 0x%08x is not the SRK the secret was sealed under",
			   step, Tss2_RC_Decode(rc), rc, TPM2_SRK_HANDLE);
		return reason_set(why, -ENOKEY, "SRK is not the one sealed under (TPM cleared, or another machine's token)");
	}
	if (loading && tpm_parameter_error(rc)) {
		log_debug("TPM: %s: %s (0x%x)", step, Tss2_RC_Decode(rc), rc);
		return reason_set(why, -EBADMSG, "TPM finds the sealed object damaged");
	}
	if ((rc & ~TSS2_RC_LAYER_MASK) == TSS2_BASE_RC_RSP_AUTH_FAILED) {
		log_debug("TPM: %s: the response failed its HMAC check although the SRK matches: "
			  "something between us and the TPM altered it", step);
		return reason_set(why, -EREMOTEIO, "TPM response failed authentication");
	}
	tss_error(rc, "%s", step);
	return reason_set(why, -EREMOTEIO, "TPM error");
}

static __attribute__((noinline)) int unseal(struct tpm2 *t, const struct tpm2_sealed *s, void *secret, size_t *len,
					   struct reason *why)
{
	_cleanup_(scope_end) struct scope sc = { .t = t };
	_cleanup_esys_ TPM2B_SENSITIVE_DATA *data = NULL;
	TPM2B_PRIVATE private = { 0 };
	TPM2B_PUBLIC public = { 0 };
	TPML_PCR_SELECTION sel;
	ESYS_TR parent = ESYS_TR_NONE, object = ESYS_TR_NONE;
	uint64_t start = now_usec();
	char pcrs[80];
	TSS2_RC rc;
	int r;

	if (!t || !s || !s->blob || !s->blob_len || (s->parent == TPM2_PARENT_SRK && (!s->srk || !s->srk_len)) ||
	    !valid_pcr_mask(s->pcr_mask) || !secret || !len)
		return reason_set(why, -EINVAL, "invalid arguments");
	r = tpm2_sealed_parse(s, &private, &public, why);
	if (r < 0)
		return r;
	r = esys_ready(t);
	if (r < 0)
		return reason_set(why, r, "TPM context unusable");
	pcr_list(s->pcr_mask, pcrs, sizeof(pcrs));

	if (s->parent == TPM2_PARENT_SRK) {
		TPM2_HANDLE srk_handle;

		/* The SRK as it was at sealing time: its public key salts the sessions below. */
		rc = Esys_TR_Deserialize(t->esys, s->srk, s->srk_len, &parent);
		if (rc != TSS2_RC_SUCCESS)
			return reason_set(why, -EBADMSG, "SRK is not a serialized TPM object");
		scope_close(&sc, parent);
		rc = Esys_TR_GetTpmHandle(t->esys, parent, &srk_handle);
		if (rc != TSS2_RC_SUCCESS || srk_handle >> TPM2_HR_SHIFT != TPM2_HT_PERSISTENT)
			return reason_set(why, -EBADMSG, "SRK is not a persistent key");
	} else {
		TPM2B_PUBLIC tmpl;

		/*
		 * Older systemd's model: the primary is made again and the
		 * sessions are salted to the public key the TPM answers with,
		 * which nothing on our side can check (README, "Token
		 * compatibility").
		 */
		r = tpm2_legacy_primary_template(s->parent, &tmpl);
		if (r < 0)
			return reason_set(why, r, "unknown parent key");
		rc = primary_from_template(&sc, &tmpl, &parent);
		if (rc != TSS2_RC_SUCCESS)
			return unseal_failed(&sc, s, rc, false, "cannot make the legacy primary key", why);
	}

	rc = ESYS(t, Esys_Load(t->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &private, &public,
			       &object));
	if (rc != TSS2_RC_SUCCESS)
		return unseal_failed(&sc, s, rc, true, "cannot load the sealed object", why);
	scope_flush(&sc, object);

	pcr_selection(s->pcr_mask, &sel);
	for (int try = 1;; try++) {
		_cleanup_esys_ TPM2B_DIGEST *digest = NULL;
		ESYS_TR session = ESYS_TR_NONE;

		/* ENCRYPT: the secret comes back encrypted with the session key. */
		rc = session_start(&sc, parent, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION,
				   &session);
		if (rc != TSS2_RC_SUCCESS)
			return unseal_failed(&sc, s, rc, false, "cannot start a policy session salted to the parent key",
					     why);
		rc = ESYS(t, Esys_PolicyPCR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    &(const TPM2B_DIGEST){ 0 }, &sel));
		if (rc == TSS2_RC_SUCCESS)
			rc = ESYS(t, Esys_PolicyGetDigest(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
							  ESYS_TR_NONE, &digest));
		if (rc != TSS2_RC_SUCCESS)
			return unseal_failed(&sc, s, rc, false, "cannot run PolicyPCR", why);

		/* Said here, not by Unseal: a mismatch is the PCRs, not some TPM error. */
		if (digest->size != sizeof(s->policy_hash) ||
		    memcmp(digest->buffer, s->policy_hash, sizeof(s->policy_hash)) != 0) {
			char have[65] = "", want[65];

			if (digest->size == 32)
				hex_encode(have, digest->buffer, 32);
			hex_encode(want, s->policy_hash, 32);
			log_debug("TPM: PCRs %s (sha256) differ from those sealed to: policy %s, sealed %s", pcrs,
				   have, want);
			return reason_set(why, -EPERM, "PCR values differ from those sealed to");
		}

		rc = ESYS(t, Esys_Unseal(t->esys, object, session, ESYS_TR_NONE, ESYS_TR_NONE, &data));
		if (rc == TSS2_RC_SUCCESS)
			break;
		if (!t->broken && tpm_layer(rc) && tpm_rc(rc) == TPM2_RC_PCR_CHANGED && try < UNSEAL_TRIES) {
			log_debug("TPM: a PCR changed during the policy session, trying again");
			if (Esys_FlushContext(t->esys, session) == TSS2_RC_SUCCESS)
				scope_forget(&sc, session);
			continue;
		}
		return unseal_failed(&sc, s, rc, false, "cannot unseal", why);
	}

	if (data->size > *len) {
		explicit_wipe(data->buffer, data->size);
		*len = data->size;
		return reason_set(why, -ENOBUFS, "secret larger than the buffer");
	}
	memcpy(secret, data->buffer, data->size);
	*len = data->size;
	explicit_wipe(data->buffer, data->size);
	log_debug("TPM: unsealed %u bytes sealed to PCRs %s in %llu ms", data->size, pcrs,
		  (unsigned long long)((now_usec() - start) / 1000));
	return 0;
}

/* ESAPI decrypts the response in a stack buffer, beside the key it derives (iesys_decrypt_param()). */
int tpm2_unseal(struct tpm2 *t, const struct tpm2_sealed *s, void *secret, size_t *len, struct reason *why)
{
	return WIPE_STACK_AFTER(unseal(t, s, secret, len, why));
}

/* ---- NV records ------------------------------------------------------------------------------ */

/*
 * Written only through a policy (no OWNERWRITE, no AUTHWRITE), read with
 * the empty authValue, never counted against dictionary-attack lockout,
 * written whole.
 */
#define NV_RECORD_ATTRS                                                                                  \
	((TPM2_NT_ORDINARY << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_POLICYWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | \
	 TPMA_NV_WRITEALL)

static int sha256_two(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[32])
{
	mbedtls_sha256_context c;
	int r = 0;

	mbedtls_sha256_init(&c);
	r |= mbedtls_sha256_starts(&c, 0);
	r |= mbedtls_sha256_update(&c, a, a_len);
	if (b_len)
		r |= mbedtls_sha256_update(&c, b, b_len);
	r |= mbedtls_sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
	return r ? -EIO : 0;
}

/* H(@from || TPM_CC_PolicyCommandCode || @code), as TPM2_PolicyCommandCode extends a policy digest. */
static int policy_command_code_digest(const uint8_t from[32], TPM2_CC code, uint8_t out[32])
{
	uint8_t cmd[2 * sizeof(TPM2_CC)];
	size_t off = 0;

	if (Tss2_MU_TPM2_CC_Marshal(TPM2_CC_PolicyCommandCode, cmd, sizeof(cmd), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2_CC_Marshal(code, cmd, sizeof(cmd), &off) != TSS2_RC_SUCCESS)
		return -EINVAL;
	return sha256_two(from, 32, cmd, off, out);
}

/*
 * The public area rampart gives an NV record at @index: its write policy is
 * PolicyCommandCode(NV_Write) then PolicyPCR over the current values of
 * @pcr_mask (or over @given: the values of the PCRs in @pcr_mask, 32 bytes
 * each, in PCR order), so only a boot in which those PCRs still hold these
 * values (before the lock) can write it.  @written: with TPMA_NV_WRITTEN,
 * as the TPM shows it once written.
 */
static int nv_record_public(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, const uint8_t *given, size_t len,
			    bool written, TPM2B_NV_PUBLIC *pub)
{
	uint8_t values[TPM2_PCR_COUNT][32], after_cc[32];
	int r = 0;

	if (given) {
		for (unsigned pcr = 0; pcr < TPM2_PCR_COUNT; pcr++)
			if (pcr_mask & (1u << pcr)) {
				memcpy(values[pcr], given, 32);
				given += 32;
			}
	} else {
		r = pcrs_read(t, pcr_mask, values);
	}
	if (r < 0)
		return r;
	*pub = (TPM2B_NV_PUBLIC){
		.nvPublic = {
			.nvIndex = index,
			.nameAlg = TPM2_ALG_SHA256,
			.attributes = NV_RECORD_ATTRS | (written ? TPMA_NV_WRITTEN : 0),
			.authPolicy.size = 32,
			.dataSize = (UINT16)len,
		},
	};
	r = policy_command_code_digest(policy_start, TPM2_CC_NV_Write, after_cc);
	if (r == 0)
		r = policy_pcr_digest(after_cc, pcr_mask, values, pub->nvPublic.authPolicy.buffer);
	return r;
}

/* An NV index's name: nameAlg || H(TPMS_NV_PUBLIC). */
static int nv_name(const TPM2B_NV_PUBLIC *pub, TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	size_t off = 0, name_off = 0;
	int r;

	if (Tss2_MU_TPMS_NV_PUBLIC_Marshal(&pub->nvPublic, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPMI_ALG_HASH_Marshal(TPM2_ALG_SHA256, name->name, sizeof(name->name), &name_off) != TSS2_RC_SUCCESS)
		return -EINVAL;
	r = sha256_two(buf, off, NULL, 0, name->name + name_off);
	name->size = (UINT16)(name_off + 32);
	return r;
}

static bool same_name(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && memcmp(a->name, b->name, a->size) == 0;
}

/*
 * The index at @index as ESAPI sees it (its name checked against its
 * public area by ESAPI): 0 and @tr (closed with @sc), -ENOENT if there is
 * none.
 */
static int nv_index_open(struct scope *sc, uint32_t index, ESYS_TR *tr, TPM2B_NAME **name)
{
	struct tpm2 *t = sc->t;
	TSS2_RC rc;

	rc = ESYS(t, Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, tr));
	if (rc != TSS2_RC_SUCCESS) {
		if (tpm_layer(rc) && tpm_rc(rc) == TPM2_RC_HANDLE)
			return -ENOENT;
		return tss_error(rc, "cannot read the public area of NV index 0x%08x", index);
	}
	scope_close(sc, *tr);
	rc = Esys_TR_GetName(t->esys, *tr, name);
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot read the name of NV index 0x%08x", index);
	return 0;
}

int tpm2_nv_record_write(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, const void *data, size_t len)
{
	static const TPM2B_AUTH empty_auth;
	_cleanup_(scope_end) struct scope sc = { .t = t };
	_cleanup_esys_ TPM2B_NAME *have = NULL;
	TPM2B_NV_PUBLIC pub, pub_written;
	TPM2B_NAME want_written;
	TPM2B_MAX_NV_BUFFER buf;
	TPML_PCR_SELECTION sel;
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (!data || len == 0 || len > sizeof(buf.buffer) || !valid_pcr_mask(pcr_mask))
		return -EINVAL;
	r = esys_ready(t);
	if (r < 0)
		return r;
	r = nv_record_public(t, index, pcr_mask, NULL, len, false, &pub);
	if (r == 0)
		r = nv_record_public(t, index, pcr_mask, NULL, len, true, &pub_written);
	if (r == 0)
		r = nv_name(&pub_written, &want_written);
	if (r < 0)
		return r;

	r = nv_index_open(&sc, index, &tr, &have);
	if (r == 0 && !same_name(have, &want_written)) {
		/*
		 * Someone else's index, ours under another policy, or one never
		 * written (whoever defined it chose its authValue, which no name
		 * shows): it goes, and ours is made.  A record written by rampart
		 * under these PCR values is kept and written over.
		 */
		rc = ESYS(t, Esys_NV_UndefineSpace(t->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
						   ESYS_TR_NONE));
		if (rc != TSS2_RC_SUCCESS)
			return tss_error(rc, "cannot remove NV index 0x%08x, which is not the one rampart defines",
					 index);
		scope_forget(&sc, tr);
		log_debug("TPM: removed NV index 0x%08x: its public area is not the one rampart defines", index);
		r = -ENOENT;
	}
	if (r == -ENOENT) {
		rc = ESYS(t, Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
						 ESYS_TR_NONE, &empty_auth, &pub, &tr));
		if (rc != TSS2_RC_SUCCESS)
			return tss_error(rc, "cannot define NV index 0x%08x (owner hierarchy with a password?)", index);
		scope_close(&sc, tr);
		r = 0;
	}
	if (r < 0)
		return r;

	rc = session_start(&sc, ESYS_TR_NONE, TPM2_SE_POLICY, 0, &session);
	if (rc == TSS2_RC_SUCCESS)
		rc = ESYS(t, Esys_PolicyCommandCode(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
						    TPM2_CC_NV_Write));
	pcr_selection(pcr_mask, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = ESYS(t, Esys_PolicyPCR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    &(const TPM2B_DIGEST){ 0 }, &sel));
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot run the write policy of NV index 0x%08x", index);
	buf.size = (UINT16)len;
	memcpy(buf.buffer, data, len);
	rc = ESYS(t, Esys_NV_Write(t->esys, tr, tr, session, ESYS_TR_NONE, ESYS_TR_NONE, &buf, 0));
	if (rc != TSS2_RC_SUCCESS)
		return tss_error(rc, "cannot write NV index 0x%08x", index);
	log_debug("TPM: wrote %zu bytes to NV index 0x%08x", len, index);
	return 0;
}

/*
 * Whether the index at @tr is ours in everything but its write policy: so
 * written under other PCR values.  Only says which refusal it is: either
 * way the record is not trusted.
 */
static bool only_policy_differs(struct tpm2 *t, ESYS_TR tr, const TPM2B_NV_PUBLIC *want)
{
	_cleanup_esys_ TPM2B_NV_PUBLIC *have = NULL;
	const TPMS_NV_PUBLIC *h, *w = &want->nvPublic;

	if (ESYS(t, Esys_NV_ReadPublic(t->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &have, NULL)) !=
	    TSS2_RC_SUCCESS)
		return false;
	h = &have->nvPublic;
	return h->nvIndex == w->nvIndex && h->nameAlg == w->nameAlg && h->attributes == w->attributes &&
	       h->dataSize == w->dataSize && h->authPolicy.size == w->authPolicy.size;
}

int tpm2_nv_record_read_under(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, const uint8_t *values, void *data,
			      size_t len, struct reason *why)
{
	_cleanup_(scope_end) struct scope sc = { .t = t };
	_cleanup_esys_ TPM2B_NAME *have = NULL;
	_cleanup_esys_ TPM2B_MAX_NV_BUFFER *got = NULL;
	TPM2B_NV_PUBLIC pub, pub_written;
	TPM2B_NAME want, want_written;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (!data || len == 0 || len > sizeof(got->buffer) || !valid_pcr_mask(pcr_mask))
		return reason_set(why, -EINVAL, "invalid arguments");
	r = esys_ready(t);
	if (r < 0)
		return reason_set(why, r, "TPM context unusable");
	r = nv_record_public(t, index, pcr_mask, values, len, false, &pub);
	if (r == 0)
		r = nv_record_public(t, index, pcr_mask, values, len, true, &pub_written);
	if (r == 0)
		r = nv_name(&pub, &want);
	if (r == 0)
		r = nv_name(&pub_written, &want_written);
	if (r < 0)
		return reason_set(why, r, "cannot compute the record's public area");

	r = nv_index_open(&sc, index, &tr, &have);
	if (r == -ENOENT)
		return reason_set(why, -ENOENT, "no NV index 0x%08x in the TPM", index);
	if (r < 0)
		return reason_set(why, r, "cannot read NV index 0x%08x", index);
	/* The name covers attributes, policy (so the PCR values), size and the WRITTEN bit. */
	if (same_name(have, &want))
		return reason_set(why, -ENODATA, "NV index 0x%08x was defined but never written", index);
	if (!same_name(have, &want_written)) {
		if (only_policy_differs(t, tr, &pub_written))
			return reason_set(why, -ESTALE,
					  "NV index 0x%08x was written under other PCR values (the Secure Boot "
					  "configuration changed, or the index was replaced after the lock)", index);
		return reason_set(why, -EKEYREJECTED,
				  "NV index 0x%08x is not the one rampart defines (attributes, write policy or size differ)",
				  index);
	}

	rc = ESYS(t, Esys_NV_Read(t->esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)len, 0,
				  &got));
	if (rc != TSS2_RC_SUCCESS) {
		tss_error(rc, "cannot read NV index 0x%08x", index);
		return reason_set(why, -EREMOTEIO, "cannot read NV index 0x%08x", index);
	}
	if (got->size != len)
		return reason_set(why, -EREMOTEIO, "NV index 0x%08x read as %u bytes", index, got->size);
	memcpy(data, got->buffer, len);
	return 0;
}

int tpm2_nv_record_read(struct tpm2 *t, uint32_t index, uint32_t pcr_mask, void *data, size_t len,
			struct reason *why)
{
	return tpm2_nv_record_read_under(t, index, pcr_mask, NULL, data, len, why);
}
