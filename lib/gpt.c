/* SPDX-License-Identifier: MIT */
#include "gpt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct {
	const char *type, *name;
} roles[ROLE__COUNT] = {
	[ROLE_OTHER] = { NULL, "other" },
	[ROLE_ESP] = { GPT_TYPE_ESP, "esp" },
	[ROLE_ROOT] = { GPT_TYPE_ROOT, "root" },
	[ROLE_ROOT_VERITY] = { GPT_TYPE_ROOT_VERITY, "root-verity" },
	[ROLE_ROOT_VERITY_SIG] = { GPT_TYPE_ROOT_VERITY_SIG, "root-verity-sig" },
	[ROLE_SWAP] = { GPT_TYPE_SWAP, "swap" },
	[ROLE_VAR] = { GPT_TYPE_VAR, "var" },
	[ROLE_TMP] = { GPT_TYPE_TMP, "tmp" },
};

enum part_role gpt_role_from_type(const char *type)
{
	for (int r = ROLE_OTHER + 1; r < ROLE__COUNT; r++)
		if (strcasecmp(type, roles[r].type) == 0)
			return (enum part_role)r;
	return ROLE_OTHER;
}

const char *gpt_role_name(enum part_role role)
{
	return role < ROLE__COUNT ? roles[role].name : "?";
}

const char *gpt_type_of_role(enum part_role role)
{
	return role < ROLE__COUNT ? roles[role].type : NULL;
}

int partition_devnode(char *buf, size_t size, const char *disk, int number)
{
	size_t len = disk ? strlen(disk) : 0;
	int n;

	if (!len || number < 1)
		return -EINVAL;
	n = snprintf(buf, size, "%s%s%d", disk, disk[len - 1] >= '0' && disk[len - 1] <= '9' ? "p" : "",
		     number);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
