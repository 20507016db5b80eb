/* SPDX-License-Identifier: MIT */
/* rampart mark-good / mark-bad: see init/tool_boot_count.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot_count.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "repart_apply.h"
#include "tool_boot_count.h"
#include "util.h"

int tool_mark_slot(bool good)
{
	const char *what = good ? "mark-good" : "mark-bad";
	_cleanup_free_ char *text = NULL;
	char disk[64];
	uint64_t before, after;
	size_t len;
	int number, r;

	log_set_max_level(LOG_WARNING);
	r = read_full(ROOT_SLOT_HANDOVER, 256, READ_FULL_REGULAR, &text, &len);
	if (r < 0 || sscanf(text, "%63s %d", disk, &number) != 2) {
		fprintf(stderr, "rampart %s: %s: %s (not booted by rampart?)\n", what, ROOT_SLOT_HANDOVER,
			r < 0 ? strerror(-r) : "malformed");
		return 1;
	}
	r = gpt_update_attrs(disk, number, good ? boot_count_mark_good : boot_count_mark_bad, &before, &after);
	if (r < 0) {
		fprintf(stderr, "rampart %s: partition %d of %s: %s\n", what, number, disk, strerror(-r));
		return 1;
	}
	printf("rampart %s: partition %d of %s: %s (attributes 0x%016llx -> 0x%016llx)\n", what, number, disk,
	       r ? (good ? "marked good" : "marked bad: the next boot falls back") : "unchanged",
	       (unsigned long long)before, (unsigned long long)after);
	return 0;
}
