/* SPDX-License-Identifier: MIT */
#include "slot_sigs.h"

#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "util.h"

static int read_one(const struct partition *p, struct root_signature *doc, struct reason *why, bool *unreadable)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_full(p->devnode, p->size < SLOT_SIG_READ_MAX ? (size_t)p->size : SLOT_SIG_READ_MAX, 0, &buf, &len);
	if (r < 0) {
		*unreadable = true;
		return reason_set(why, r, "%s", strerror(-r));
	}
	*unreadable = false;
	return rootsig_parse(buf, len, doc, why);
}

void slot_sigs_read(struct slot_sig_set *set, const struct partition *parts, size_t n, const char *disk,
		    slot_sig_bad_fn bad, void *userdata)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < n; i++) {
		const struct partition *p = &parts[i];
		struct slot_sig *g = &set->sigs[set->n];
		struct root_signature *doc = &set->docs[set->n];
		struct reason why = { "" };
		bool unreadable = false;

		if (p->role != ROLE_ROOT_VERITY_SIG || strcmp(p->disk, disk) != 0)
			continue;
		if (set->n == SLOT_SIGS_MAX) {
			if (bad)
				bad(userdata, p, false, "more signature partitions than rampart reads");
			continue;
		}
		set->n++;
		g->part = p;
		if (!strcmp(p->label, GPT_EMPTY_LABEL))
			continue;
		if (read_one(p, doc, &why, &unreadable) < 0) {
			if (bad)
				bad(userdata, p, unreadable, why.text);
			continue;
		}
		rootsig_partition_uuids(doc, g->root_uuid, g->verity_uuid);
		g->doc = doc;
	}
}

void slot_sigs_free(struct slot_sig_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		rootsig_free(&set->docs[i]);
	memset(set, 0, sizeof(*set));
}

void slot_sigs_freep(struct slot_sig_set **set)
{
	if (*set)
		slot_sigs_free(*set);
}
