/* SPDX-License-Identifier: MIT */
/*
 * forge-record TCTI VOLUME KEYFILE: the attack of the
 * recovery-forged-record scenario, as someone who can run code with the
 * empty owner authorisation (root after the lock, another OS booted on the
 * machine) can run it.  rampart's volume record is replaced by one naming
 * VOLUME (a file holding an attacker's LUKS2 volume, opened with the
 * passphrase in KEYFILE) as /var, written under whatever PCR 7 holds now,
 * rollback floor 0.  Test tool: never shipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "luks.h"
#include "tpm2.h"
#include "util.h"
#include "volume_record.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "forge-record: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	struct volume_record rec = { .rollback_floor = 0 };
	uint8_t bytes[VOLUME_RECORD_SIZE];
	_cleanup_free_ char *key = NULL;
	struct tpm2 *t = NULL;
	size_t key_len = 0;
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: forge-record TCTI VOLUME KEYFILE\n");
		return 2;
	}
	r = read_full(argv[3], 4096, READ_FULL_REGULAR, &key, &key_len);
	if (r < 0)
		return die(argv[3], r);
	r = luks_open(argv[2], NULL, LUKS_ANY_KEYSLOT, key, key_len, rec.identity[VOLUME_VAR]);
	if (r < 0)
		return die("cannot open the volume with the key", r);
	volume_record_encode(&rec, bytes);
	r = tpm2_open(&t, argv[1]);
	if (r >= 0)
		r = tpm2_nv_record_write(t, VOLUME_RECORD_NV_INDEX, 1u << 7, bytes, sizeof(bytes));
	tpm2_close(t);
	if (r < 0)
		return die("cannot write the record", r);
	printf("forge-record: NV index 0x%08x now names %s as /var\n", VOLUME_RECORD_NV_INDEX, argv[2]);
	return 0;
}
