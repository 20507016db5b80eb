/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "encoding.h"
#include "escrow.h"
#include "lock.h"
#include "log.h"
#include "paths.h"
#include "tpm2.h"
#include "util.h"
#include "volume_record.h"

#define MEASUREMENT_LOG RAMPART_RUN_DIR "/measurements.log"
/*
 * What rampart extends PCR 7 with when it leaves the initrd (or opens a
 * debug shell): sha256 of this string.  Documented in the README.
 */
#define LOCK_EVENT "rampart: initrd done, volume key locked"

int boot_tpm_open(struct boot *b)
{
	return b->storage.tpm ? 0 : tpm2_open(&b->storage.tpm, TPM2_DEVICE_TCTI);
}

void boot_tpm_release(struct boot *b)
{
	tpm2_close(b->storage.tpm);
	b->storage.tpm = NULL;
	tpm2_sealed_free(&b->storage.sealed);
	tpm2_sealed_free(&b->storage.resealed);
	escrow_recipient_free(b->storage.escrow);
	b->storage.escrow = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++)
		tpm2_sealed_free(&b->storage.vols[i].sealed);
}

/* Every sealed object this boot used: the new secret's, recovery's and each token's, each once. */
static const struct tpm2_sealed *sealed_used(const struct boot *b, size_t i)
{
	const struct tpm2_sealed *all[2 + ARRAY_SIZE(b->storage.vols)] = { &b->storage.sealed, &b->storage.resealed };

	for (size_t k = 0; k < ARRAY_SIZE(b->storage.vols); k++)
		all[2 + k] = &b->storage.vols[k].sealed;
	if (i >= ARRAY_SIZE(all) || !all[i]->blob)
		return NULL;
	for (size_t k = 0; k < i; k++)
		if (all[k]->blob && tpm2_sealed_same(all[k], all[i]))
			return NULL;
	return all[i];
}

const char *boot_record_name(void)
{
	static char name[32];

	snprintf(name, sizeof(name), "TPM NV index 0x%08x", VOLUME_RECORD_NV_INDEX);
	return name;
}

int boot_record_read(struct boot *b)
{
	uint8_t bytes[VOLUME_RECORD_SIZE];
	struct storage *st = &b->storage;
	int r;

	if (st->record_state)
		return st->record_state < 0 ? st->record_state : 0;
	r = boot_tpm_open(b);
	if (r < 0)
		r = reason_set(&st->record_why, r, "no TPM");
	else
		r = tpm2_nv_record_read(st->tpm, VOLUME_RECORD_NV_INDEX, 1u << SEAL_PCR, bytes, sizeof(bytes),
					&st->record_why);
	/*
	 * After a Secure Boot update: the record written under an old PCR 7
	 * value the signed command line names (rampart.recovery=prompt:...),
	 * which nobody could have written since.  Written again under the
	 * current value by recovery or open-storage.
	 */
	for (unsigned i = 0; r == -ESTALE && i < b->opts.n_recovery_pcr7; i++) {
		struct reason why = { "" };

		if (tpm2_nv_record_read_under(st->tpm, VOLUME_RECORD_NV_INDEX, 1u << SEAL_PCR, b->opts.recovery_pcr7[i],
					      bytes, sizeof(bytes), &why) == 0) {
			log_notice("%s was written under PCR 7 value %u of rampart.recovery=prompt: (before a Secure "
				   "Boot update); it stands until it is written again", boot_record_name(), i + 1);
			st->record_stale = 1;
			r = 0;
		}
	}
	if (r >= 0 && volume_record_decode(bytes, sizeof(bytes), &st->record) < 0)
		r = reason_set(&st->record_why, -EBADMSG, "the record's bytes are not a record this version writes");
	st->record_state = r < 0 ? r : 1;
	return r < 0 ? r : 0;
}

int boot_record_write(struct boot *b)
{
	uint8_t bytes[VOLUME_RECORD_SIZE];
	int r;

	volume_record_encode(&b->storage.record, bytes);
	r = boot_tpm_open(b);
	if (r >= 0)
		r = tpm2_nv_record_write(b->storage.tpm, VOLUME_RECORD_NV_INDEX, 1u << SEAL_PCR, bytes, sizeof(bytes));
	if (r >= 0) {
		b->storage.record_state = 1;
		b->storage.record_stale = 0;
		b->storage.record_why = (struct reason){ "" };
	}
	return r;
}

static void measurement_log(const uint8_t digest[32], const char *what)
{
	_cleanup_fclose_ FILE *f = NULL;
	char h[65];

	mkdir(RAMPART_RUN_DIR, 0755);
	f = fopen(MEASUREMENT_LOG, "ae");
	if (!f) {
		log_warning("cannot write %s: %s", MEASUREMENT_LOG, strerror(errno));
		return;
	}
	hex_encode(h, digest, 32);
	fprintf(f, "%d sha256 %s %s\n", SEAL_PCR, h, what);
}

int pcr7_lock(struct boot *b)
{
	uint8_t before[32], after[32], expected[32], event[32], probe[TPM2_SECRET_MAX];
	uint8_t buf[64];
	size_t len = sizeof(probe);
	struct reason why = { "" };
	int r;

	/* Nothing after this point needs the secrets. */
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		explicit_wipe(b->storage.vols[i].secret, sizeof(b->storage.vols[i].secret));
		b->storage.vols[i].secret_len = 0;
	}
	b->storage.have_secret = 0;
	explicit_wipe(b->storage.recovery_key, sizeof(b->storage.recovery_key));
	b->storage.have_recovery_key = 0;
	if (b->storage.pcr7_extended)
		return 0;
	/* Even when nothing was unsealed in this boot: still close the door. */
	r = boot_tpm_open(b);
	if (r < 0)
		return r;
	mbedtls_sha256((const unsigned char *)LOCK_EVENT, strlen(LOCK_EVENT), event, 0);
	r = tpm2_pcr_read(b->storage.tpm, SEAL_PCR, before);
	if (r >= 0)
		r = tpm2_pcr_extend_event(b->storage.tpm, SEAL_PCR, LOCK_EVENT, strlen(LOCK_EVENT));
	if (r >= 0)
		r = tpm2_pcr_read(b->storage.tpm, SEAL_PCR, after);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot extend PCR %d", SEAL_PCR);
	measurement_log(event, LOCK_EVENT);
	hex_encode(b->storage.pcr7_before, before, 32);
	hex_encode(b->storage.pcr7_after, after, 32);

	/* new = sha256(old || event): check the TPM did what we asked. */
	memcpy(buf, before, 32);
	memcpy(buf + 32, event, 32);
	mbedtls_sha256(buf, sizeof(buf), expected, 0);
	if (memcmp(expected, after, 32) != 0)
		return log_errno(LOG_ERR, EIO, "PCR %d did not change as extended", SEAL_PCR);

	for (size_t i = 0; i < 2 + ARRAY_SIZE(b->storage.vols); i++) {
		const struct tpm2_sealed *s = sealed_used(b, i);

		if (!s)
			continue;
		len = sizeof(probe);
		r = tpm2_unseal(b->storage.tpm, s, probe, &len, &why);
		explicit_wipe(probe, sizeof(probe));
		if (r != -EPERM)
			return log_errno(LOG_ERR, EPERM, "a secret can still be unsealed after extending PCR %d (%s)",
					 SEAL_PCR, r == 0 ? "unsealed" : reason_or(&why, "unexpected error"));
	}
	b->storage.pcr7_extended = 1;
	log_info("lock: PCR %d extended (%.16s... -> %.16s...); the volume secret cannot be unsealed again",
		 SEAL_PCR, b->storage.pcr7_before, b->storage.pcr7_after);
	return 0;
}
