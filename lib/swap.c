/* SPDX-License-Identifier: MIT */
#include "swap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "reason.h"
#include "util.h"

/* Offsets of the v1 header (mkswap / include/linux/swap.h). */
#define SWAP_INFO_OFFSET 1024
#define SWAP_MAGIC "SWAPSPACE2"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int swap_header_build(uint8_t page[SWAP_PAGE_SIZE], uint64_t dev_size, const uint8_t uuid[16],
		      const char *label)
{
	uint64_t pages = dev_size / SWAP_PAGE_SIZE;
	uint8_t *info = page + SWAP_INFO_OFFSET;

	/* The header takes the first page; at least one more is needed. */
	if (pages < 2)
		return -ENOSPC;
	if (pages - 1 > UINT32_MAX)
		pages = (uint64_t)UINT32_MAX + 1;
	memset(page, 0, SWAP_PAGE_SIZE);
	put_le32(info + 0, 1);                    /* version */
	put_le32(info + 4, (uint32_t)(pages - 1)); /* last_page */
	put_le32(info + 8, 0);                    /* nr_badpages */
	memcpy(info + 12, uuid, 16);
	strncpy((char *)info + 28, label ? label : "", 15);
	memcpy(page + SWAP_PAGE_SIZE - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
	return 0;
}

int swap_format(const char *dev, const char *label, struct reason *why)
{
	_cleanup_close_ int fd = open(dev, O_WRONLY | O_CLOEXEC);
	uint8_t page[SWAP_PAGE_SIZE], uuid[16];
	uint64_t size;
	int r;

	if (fd < 0)
		return reason_set(why, -errno, "cannot open %s", dev);
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		return reason_set(why, -errno, "cannot get the size of %s", dev);
	if (getrandom(uuid, sizeof(uuid), 0) != (ssize_t)sizeof(uuid))
		return reason_set(why, -errno, "no random UUID for %s", dev);
	uuid[6] = (uuid[6] & 0x0f) | 0x40; /* version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80; /* variant */
	r = swap_header_build(page, size, uuid, label);
	if (r < 0)
		return reason_set(why, r, "%s is too small for swap", dev);
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page) || fsync(fd) < 0)
		return reason_set(why, -errno, "cannot write the swap header on %s", dev);
	return 0;
}
