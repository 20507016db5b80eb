/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_GPT_H
#define RAMPART_GPT_H

#include <stddef.h>
#include <stdint.h>

/* Partition roles of the UAPI Discoverable Partitions Specification (x86-64). */
enum part_role {
	ROLE_OTHER,
	ROLE_ESP,
	ROLE_ROOT,
	ROLE_ROOT_VERITY,
	ROLE_ROOT_VERITY_SIG,
	ROLE_SWAP,
	ROLE_VAR,
	ROLE_TMP,
	ROLE__COUNT,
};

/*
 * The one spelling of these GUIDs in the tree: tools/ read them from here
 * (gpt_type in tools/lib.sh); test/check-gpt-guids.sh fails on a copy
 * anywhere but in the tests.
 */
#define GPT_TYPE_ESP             "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_TYPE_ROOT            "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define GPT_TYPE_ROOT_VERITY     "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"
#define GPT_TYPE_ROOT_VERITY_SIG "41092b05-9fc8-4523-994f-2def0408b176"
#define GPT_TYPE_SWAP            "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"
#define GPT_TYPE_VAR             "4d21b016-b534-45c2-a9fb-5c16e091fd2d"
#define GPT_TYPE_TMP             "7ec6f557-3bc5-4aca-b293-16ef5df639d1"
#define GPT_TYPE_LINUX_GENERIC   "0fc63daf-8483-4772-8e79-3d69d8477de4"

#define GPT_ATTR_NO_AUTO   (UINT64_C(1) << 63)
#define GPT_ATTR_READ_ONLY (UINT64_C(1) << 60)
#define GPT_ATTR_GROW_FS   (UINT64_C(1) << 59)

#define GPT_LABEL_CHARS 36 /* UTF-16 code units */
#define GPT_LABEL_MAX 72   /* 36 UTF-16 code units as UTF-8, ASCII in practice */
#define GPT_EMPTY_LABEL "_empty"

struct partition {
	char devnode[64];  /* /dev/vda2 */
	char disk[64];     /* /dev/vda */
	int number;        /* 1-based */
	enum part_role role;
	char type[37];     /* lowercase */
	char uuid[37];     /* lowercase */
	char label[GPT_LABEL_MAX];
	uint64_t start;    /* bytes */
	uint64_t size;     /* bytes */
	uint64_t attrs;
};

/* Role of a GPT type GUID (any case), ROLE_OTHER if not ours. */
enum part_role gpt_role_from_type(const char *type);
const char *gpt_role_name(enum part_role role);
const char *gpt_type_of_role(enum part_role role);

/*
 * The kernel's name of partition @number of @disk, a device node or a bare
 * kernel name alike: "/dev/vda" -> "/dev/vda2", "sda" -> "sda2", but a
 * name ending in a digit takes a "p": "/dev/nvme0n1" -> "/dev/nvme0n1p2",
 * "mmcblk0" -> "mmcblk0p2".  Returns 0, -EINVAL (empty @disk, @number < 1)
 * or -ENAMETOOLONG (it does not fit @size).  Pure.
 */
int partition_devnode(char *buf, size_t size, const char *disk, int number);

#endif
