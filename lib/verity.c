/* SPDX-License-Identifier: MIT */
#include "verity.h"

#include <errno.h>
#include <libcryptsetup.h>

#include "cryptsetup_util.h"
#include "log.h"
#include "reason.h"
#include "util.h"

static void cryptsetup_log(int level, const char *msg, void *usrptr)
{
	size_t n = strlen(msg);

	(void)level;
	(void)usrptr;
	/* libcryptsetup ends its lines itself. */
	while (n && msg[n - 1] == '\n')
		n--;
	log_debug("libcryptsetup: %.*s", (int)n, msg);
}

void cryptsetup_log_setup(void)
{
	/*
	 * Without metadata locking libcryptsetup does not "repair" a LUKS2
	 * header whose other copy is damaged by writing over it: rampart
	 * writes nothing it was not asked to (reference §5, threat 6).  PID 1
	 * is the only user of the devices, so the lock protects nothing here.
	 */
	crypt_metadata_locking(NULL, 0);
	crypt_set_log_callback(NULL, cryptsetup_log, NULL);
	if (log_get_max_level() >= LOG_DEBUG)
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
}

int verity_open(const char *name, const char *data_dev, const char *hash_dev,
		const uint8_t *root_hash, size_t root_hash_len, struct reason *why)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	/*
	 * No CRYPT_VERITY_CHECK_HASH: it reads the whole data device at
	 * activation.  The kernel checks every block on read instead, and a
	 * wrong root hash fails the first read (the mount).
	 */
	struct crypt_params_verity params = { .data_device = data_dev };
	int r;

	r = crypt_init(&cd, hash_dev);
	if (r < 0)
		return reason_set(why, r, "cannot open the hash device %s", hash_dev);
	r = crypt_load(cd, CRYPT_VERITY, &params);
	if (r < 0)
		return reason_set(why, r, "no valid verity superblock on %s", hash_dev);
	r = crypt_activate_by_volume_key(cd, name, (const char *)root_hash, root_hash_len,
					 CRYPT_ACTIVATE_READONLY);
	if (r < 0)
		return reason_set(why, r, "cannot activate %s (%s with hashes on %s)", name, data_dev, hash_dev);
	return 0;
}
