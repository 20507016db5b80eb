/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/mount.h>

#include "log.h"
#include "luks.h"
#include "util.h"
#include "volumes.h"

const char *vol_path(const struct volume *v)
{
	return v->mountpoint + strlen(NEW_ROOT);
}

static void close_mapping(const char *name)
{
	int r = mapping_close(name);

	if (r < 0)
		log_warning("cannot close /dev/mapper/%s: %s", name, strerror(-r));
}

void volumes_close(struct boot *b)
{
	/* Reverse order: /var/tmp sits on /var. */
	for (size_t i = ARRAY_SIZE(b->storage.vols); i-- > 0;) {
		const struct volume *v = &b->storage.vols[i];

		/* Also one a failure left half open (opened, not yet formatted or mounted). */
		if (!v->name)
			continue;
		umount2(v->mountpoint, MNT_DETACH);
		close_mapping(v->name);
	}
	close_mapping("swap");
}
