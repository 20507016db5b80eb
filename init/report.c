/* SPDX-License-Identifier: MIT */
/*
 * The boot report: /run/rampart/boot.json, handed to the root with /run.
 * It says what rampart did and why, for the OS, for operators and for
 * tests; it holds no secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "report.h"
#include "json_util.h"
#include "log.h"
#include "util.h"

#define REPORT_PATH RAMPART_RUN_DIR "/boot.json"

static json_object *json_str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static json_object *report_states(const struct boot *b, const struct machine_state *table)
{
	json_object *states = json_object_new_array();

	for (int s = 0; s < ST__COUNT; s++) {
		json_object *o;

		if (!b->state_start_usec[s])
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_str(table[s].name));
		json_object_object_add(o, "start_usec", json_object_new_int64((int64_t)b->state_start_usec[s]));
		/* The state writing the report is still running. */
		if (s != b->current)
			json_object_object_add(o, "duration_usec", json_object_new_int64((int64_t)b->state_usec[s]));
		json_object_array_add(states, o);
	}
	return states;
}

static json_object *report_root(const struct boot *b)
{
	json_object *root = json_object_new_object(), *refused = json_object_new_array();

	json_object_object_add(root, "boot_disk", json_str(b->boot_disk));
	json_object_object_add(root, "esp_partition_uuid", json_str(b->esp_uuid));
	json_object_object_add(root, "slot", json_str(b->root_label));
	json_object_object_add(root, "root_hash", json_str(b->root_hash));
	json_object_object_add(root, "why", json_str(b->root_choice));
	json_object_object_add(root, "slots_considered", json_object_new_int((int)b->n_slots));
	for (size_t i = 0; i < b->n_slot_refusals; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "slot", json_str(b->slot_refusals[i].label));
		json_object_object_add(o, "id", json_str(refusal_name(b->slot_refusals[i].id)));
		json_object_object_add(o, "reason", json_str(b->slot_refusals[i].reason));
		json_object_array_add(refused, o);
	}
	json_object_object_add(root, "refused", refused);
	return root;
}

static json_object *report_storage(const struct boot *b)
{
	json_object *st = json_object_new_object(), *created = json_object_new_array();
	json_object *vols = json_object_new_array();

	for (size_t i = 0; i < b->storage.n_created; i++)
		json_object_array_add(created, json_str(b->storage.created[i]));
	json_object_object_add(st, "partitions_created", created);
	for (size_t i = 0; i < ARRAY_SIZE(b->storage.vols); i++) {
		const struct volume *v = &b->storage.vols[i];
		json_object *o;

		if (!v->name)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_str(v->name));
		json_object_object_add(o, "device", json_str(v->part ? v->part->devnode : NULL));
		json_object_object_add(o, "outcome", json_str(v->outcome ? v->outcome : "not opened"));
		if (v->sealed_under)
			json_object_object_add(o, "sealed_under", json_str(v->sealed_under));
		if (v->recovered)
			json_object_object_add(o, "recovered", json_object_new_boolean(1));
		json_object_array_add(vols, o);
	}
	json_object_object_add(st, "volumes", vols);
	json_object_object_add(st, "swap", json_str(b->storage.swap ? b->storage.swap : "none"));
	json_object_object_add(st, "tpm", json_str(b->storage.tpm_outcome ? b->storage.tpm_outcome : "not used"));
	json_object_object_add(st, "recovery", json_str(b->storage.recovery_outcome ? b->storage.recovery_outcome
									    : b->opts.recovery_prompt ? "not needed" : "off"));
	json_object_object_add(st, "pcr7_before_lock", json_str(b->storage.pcr7_before));
	json_object_object_add(st, "pcr7_after_lock", json_str(b->storage.pcr7_after));
	return st;
}

int boot_report_write(const struct boot *b, const struct machine_state *table)
{
	_cleanup_(json_object_putp) json_object *report = json_object_new_object();
	_cleanup_close_ int fd = -1;
	const char *text;
	size_t len;

	struct rusage self, children;

	json_object_object_add(report, "rampart_version", json_str(RAMPART_VERSION));
	/* Peak memory, for make bench: rampart itself, and the largest child (mke2fs). */
	if (getrusage(RUSAGE_SELF, &self) == 0 && getrusage(RUSAGE_CHILDREN, &children) == 0) {
		json_object_object_add(report, "peak_rss_kib", json_object_new_int64(self.ru_maxrss));
		json_object_object_add(report, "children_peak_rss_kib", json_object_new_int64(children.ru_maxrss));
	}
	json_object_object_add(report, "states", report_states(b, table));
	json_object_object_add(report, "root", report_root(b));
	json_object_object_add(report, "storage", report_storage(b));

	if (mkdir(RAMPART_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return log_errno(LOG_WARNING, errno, "cannot create %s", RAMPART_RUN_DIR);
	text = json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	fd = open(REPORT_PATH, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return log_errno(LOG_WARNING, errno, "cannot write %s", REPORT_PATH);
	return 0;
}
