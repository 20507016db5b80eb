/* SPDX-License-Identifier: MIT */
/* The services every state may call: see init/boot.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "modules.h"

int boot_refuse(struct boot *b, enum refusal_id id, const char *object, int err, const char *fmt, ...)
{
	struct refusal *r = &b->refusal;
	va_list ap;
	int n;

	if (r->id)
		return ST_FAILED;
	r->id = id;
	r->state = b->current;
	snprintf(r->object, sizeof(r->object), "%s", object);
	va_start(ap, fmt);
	n = vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(r->reason))
		snprintf(r->reason + n, sizeof(r->reason) - (size_t)n, ": %s", strerror(err < 0 ? -err : err));
	log_error("refused [%s] %s: %s", refusal_name(r->id), r->object, r->reason);
	return ST_FAILED;
}

void test_stop(const struct boot *b, const char *step)
{
	if (strcmp(b->opts.test_stop, step) != 0)
		return;
	/* No sync, no clean-up: the harness kills the machine on this line. */
	log_notice("test-stop: stopped at %s (rampart.test-stop=)", step);
	for (;;)
		pause();
}

_Static_assert(MODULES_FOR__COUNT <= MODULES_LISTS_MAX, "more module lists than lib/modules.h takes");

const char *const boot_module_lists[MODULES_FOR__COUNT] = {
	[MODULES_FOR_ROOT] = "/lib/modules/root.load",
	[MODULES_FOR_STORAGE] = "/lib/modules/storage.load",
};

void boot_modules_ready(struct boot *b, enum boot_modules need)
{
	const char *list = boot_module_lists[need];
	uint64_t start = now_usec();
	int loaded, failed;

	if (b->modules_ready > (int)need || !b->modules.dir)
		return;
	loaded = modules_load_wait(&b->modules, need + 1, &failed);
	log_info("%d kernel modules loaded in the background up to %s; waited %lu ms", loaded, list,
		 (unsigned long)((now_usec() - start) / 1000));
	if (failed > b->modules_failed)
		log_warning("%d kernel modules up to %s did not load (rampart.log=debug says which); "
			    "what needs them will refuse", failed - b->modules_failed, list);
	b->modules_failed = failed;
	b->modules_ready = need + 1;
	if (b->modules_ready == MODULES_FOR__COUNT)
		modules_load_end(&b->modules);
}

const struct partition *boot_disk_partition(const struct boot *b, enum part_role role)
{
	for (size_t i = 0; i < b->table.n; i++)
		if (b->table.parts[i].role == role && !strcmp(b->table.parts[i].disk, b->boot_disk))
			return &b->table.parts[i];
	return NULL;
}
