/* SPDX-License-Identifier: MIT */
#include "volume_record.h"

#include <errno.h>
#include <string.h>

static const uint8_t header[8] = { 'R', 'M', 'P', 'V', 1, VOLUME__COUNT, 0, 0 };

void volume_record_encode(const struct volume_record *rec, uint8_t out[VOLUME_RECORD_SIZE])
{
	memcpy(out, header, sizeof(header));
	for (int i = 0; i < 4; i++)
		out[sizeof(header) + i] = (uint8_t)(rec->rollback_floor >> (8 * i));
	memcpy(out + sizeof(header) + 4, rec->identity, sizeof(rec->identity));
}

int volume_record_decode(const uint8_t *in, size_t len, struct volume_record *rec)
{
	if (len != VOLUME_RECORD_SIZE || memcmp(in, header, sizeof(header)) != 0)
		return -EBADMSG;
	rec->rollback_floor = 0;
	for (int i = 0; i < 4; i++)
		rec->rollback_floor |= (uint32_t)in[sizeof(header) + i] << (8 * i);
	memcpy(rec->identity, in + sizeof(header) + 4, sizeof(rec->identity));
	return 0;
}

int volume_record_find(const struct volume_record *rec, const uint8_t identity[VOLUME_IDENTITY_SIZE])
{
	static const uint8_t unset[VOLUME_IDENTITY_SIZE];

	/* An all-zero identity is no volume's: never a match. */
	if (!memcmp(identity, unset, sizeof(unset)))
		return -ENOENT;
	for (int role = 0; role < VOLUME__COUNT; role++)
		if (!memcmp(rec->identity[role], identity, VOLUME_IDENTITY_SIZE))
			return role;
	return -ENOENT;
}
