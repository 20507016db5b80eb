/* SPDX-License-Identifier: MIT */
/* A disk that appears after probe decided: see init/diskwatch.h. */
#include <errno.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "boot.h"
#include "diskwatch.h"
#include "disks.h"
#include "log.h"
#include "probe.h"

#define RECHECK_POLL_MS 25

int boot_disks_recheck(struct boot *b)
{
	/* The partitions of the disks new at this look only (static: PID 1 is single-threaded). */
	static struct partition_table fresh;
	const struct timespec poll = { .tv_nsec = RECHECK_POLL_MS * 1000000L };
	uint64_t give_up = now_usec() + (uint64_t)b->opts.device_settle_ms * 1000u;
	struct probe_look look = { .changed = false };
	int r;

	for (;;) {
		fresh.n = 0;
		fresh.truncated = 0;
		r = probe_new_disks(&b->disks, &fresh, &look);
		if (r == -ENOSPC)
			return boot_refuse(b, REFUSE_PROBE_TRUNCATED, SYSFS_BLOCK, 0,
					   "more than %d disks attached; refusing to go on with a partial view", DISKS_MAX);
		if (r < 0)
			return boot_refuse(b, REFUSE_PROBE, SYSFS_BLOCK, r, "cannot list the disks");
		if (fresh.truncated)
			return boot_refuse(b, REFUSE_PROBE_TRUNCATED, SYSFS_BLOCK, 0,
					   "more than %d partitions on the disks that appeared; refusing to go on with a partial view",
					   PARTITIONS_MAX);
		for (size_t i = 0; i < fresh.n; i++) {
			const struct partition *p = &fresh.parts[i];

			if (!strcasecmp(p->uuid, b->esp_uuid))
				return boot_refuse(b, REFUSE_BOOT_DISK_AMBIGUOUS, p->devnode, 0,
						   "appeared after %s was chosen as the boot disk and has the ESP's partition UUID %s (a cloned disk?); refusing to go on",
						   b->boot_disk, b->esp_uuid);
		}
		if (look.probed)
			log_info("%zu disk(s) appeared since the boot disk was chosen; none has the ESP's UUID",
				 look.probed);
		if (!look.unreadable)
			return 0;
		if (now_usec() >= give_up)
			return boot_refuse(b, REFUSE_DISK_UNREADABLE, look.bad_disk, 0,
					   "appeared after %s was chosen as the boot disk, and %s; it could be a copy of the boot disk",
					   b->boot_disk, look.why.text);
		nanosleep(&poll, NULL);
	}
}
