/* SPDX-License-Identifier: MIT */
#include "efivar.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "encoding.h"
#include "log.h"
#include "util.h"

int efivar_decode_uuid(const void *buf, size_t len, char out[UUID_STR_LEN])
{
	const uint8_t *p = buf;
	size_t chars;

	if (len < 4 || (len - 4) % 2)
		return -EBADMSG;
	p += 4;
	chars = (len - 4) / 2;
	if (chars == 37 && p[72] == 0 && p[73] == 0)
		chars = 36;
	if (chars != 36)
		return -EBADMSG;
	for (size_t i = 0; i < 36; i++) {
		if (p[2 * i + 1] != 0 || p[2 * i] >= 0x80)
			return -EBADMSG;
		out[i] = (char)tolower(p[2 * i]);
	}
	out[36] = '\0';
	return uuid_is_valid(out) ? 0 : -EBADMSG;
}

int efivar_decode_u8(const void *buf, size_t len, uint8_t *value)
{
	if (len != 5)
		return -EBADMSG;
	*value = ((const uint8_t *)buf)[4];
	return 0;
}

/* Reads efivarfs file @name into @buf; mounts efivarfs (read-only) first if needed. */
static ssize_t efivar_read(const char *name, uint8_t *buf, size_t size)
{
	char path[256];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (access("/sys/firmware/efi", F_OK) < 0)
		return -ENOENT;
	if (mount("efivarfs", EFIVARFS_DIR, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		  NULL) < 0 && errno != EBUSY)
		return log_debug_errno(errno, "cannot mount efivarfs on %s", EFIVARFS_DIR);
	snprintf(path, sizeof(path), "%s/%s", EFIVARFS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	return n < 0 ? -errno : n;
}

int efivar_read_loader_partuuid(char out[UUID_STR_LEN])
{
	uint8_t buf[128];
	ssize_t n = efivar_read(EFIVAR_LOADER_DEVICE_PART_UUID, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return efivar_decode_uuid(buf, (size_t)n, out);
}

int efivar_secure_boot_enforced(void)
{
	static const char *const names[] = {
		"SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
		"SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	};
	uint8_t buf[16], value[2];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		ssize_t n = efivar_read(names[i], buf, sizeof(buf));

		if (n == -ENOENT)
			return 0;
		if (n < 0)
			return (int)n;
		if (efivar_decode_u8(buf, (size_t)n, &value[i]) < 0)
			return -EBADMSG;
	}
	return value[0] == 1 && value[1] == 0;
}
