/* SPDX-License-Identifier: MIT */
/*
 * rampart update: see init/tool_update.h.  The steps, and what a power
 * cut after each leaves:
 *   1. the signature document is checked: nothing written yet;
 *   2. the target slot's three partitions are labelled "_empty" in one
 *      GPT write: the old slot there (never the booted one) is gone, the
 *      booted slot still boots;
 *   3. data is written: "_empty" is never booted, whatever half-written
 *      data it holds;
 *   4. the written root is opened through dm-verity with the signed root
 *      hash and its os-release read: a write that went wrong stops here,
 *      the slot stays "_empty";
 *   5. labels NAME_VERSION, the partition UUIDs from the root hash and
 *      the boot-counting tries, in ONE GPT write: before it the slot is
 *      empty, after it the slot is complete and on trial.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot_count.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "luks.h"
#include "os_release.h"
#include "paths.h"
#include "repart_apply.h"
#include "rootsig.h"
#include "slot_sigs.h"
#include "tool_update.h"
#include "update_plan.h"
#include "util.h"
#include "verity.h"

#define SIG_READ_MAX (128 * 1024)
#define CHECK_DM_NAME "rampart-update"
#define CHECK_MOUNT RAMPART_RUN_DIR "/update-root"
#define COPY_CHUNK (256 * 1024)

static int refuse(const char *object, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(const char *object, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rampart update: refused: %s: ", object);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int size_of(const char *path, uint64_t *size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	return -EBADFD;
}

/*
 * For the power-cut scenario: with RAMPART_UPDATE_TEST_PAUSE=WHAT:PERCENT
 * the writer stops there (what it wrote is on the disk) and waits for the
 * harness to cut the power, so the cut falls mid-write every time.
 */
static void test_pause(const char *what, unsigned percent)
{
	const char *at = getenv("RAMPART_UPDATE_TEST_PAUSE");
	char here[32];

	snprintf(here, sizeof(here), "%s:%u", what, percent);
	if (!at || strcmp(at, here) != 0)
		return;
	printf("rampart update: test pause at %s, waiting for the power to go\n", here);
	fflush(stdout);
	for (;;)
		pause();
}

/* Copies @len bytes of @from to the start of @to, then zeroes up to @zero_to; says how far it got. */
static int copy_into(const char *what, const char *from, uint64_t len, const char *to, uint64_t zero_to)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = malloc(COPY_CHUNK);
	uint64_t done = 0, total = len > zero_to ? len : zero_to;
	unsigned said = 0;

	if (in < 0 || out < 0)
		return -errno;
	if (!buf)
		return -ENOMEM;
	while (done < total) {
		size_t want = total - done < COPY_CHUNK ? (size_t)(total - done) : COPY_CHUNK;
		size_t have = 0;

		if (done < len) {
			if (want > len - done)
				want = (size_t)(len - done);
			while (have < want) {
				ssize_t k = read(in, buf + have, want - have);

				if (k <= 0)
					return k < 0 ? -errno : -EIO;
				have += (size_t)k;
			}
		} else {
			memset(buf, 0, want);
			have = want;
		}
		if (write(out, buf, have) != (ssize_t)have)
			return -errno;
		done += have;
		/* Progress at each tenth, once it is on the disk. */
		if (done * 10 / total > said || done == total) {
			if (fdatasync(out) < 0)
				return -errno;
			said = (unsigned)(done * 10 / total);
			printf("rampart update: writing %s: %u%%\n", what, said * 10);
			fflush(stdout);
			test_pause(what, said * 10);
		}
	}
	return 0;
}

/* The IMAGE_VERSION of the root just written, read through dm-verity with the signed root hash. */
static int written_version(const struct update_target *t, const struct root_signature *sig,
			   char version[OS_RELEASE_VALUE_MAX], struct reason *why)
{
	_cleanup_close_ int root_fd = -1;
	_cleanup_free_ char *text = NULL;
	struct os_release osr;
	size_t len;
	int r;

	r = verity_open(CHECK_DM_NAME, t->root->devnode, t->verity->devnode, sig->root_hash, sig->root_hash_len, why);
	if (r < 0)
		return r;
	if (mkdir(CHECK_MOUNT, 0700) < 0 && errno != EEXIST) {
		r = reason_set(why, -errno, "cannot make %s", CHECK_MOUNT);
		goto out;
	}
	if (mount("/dev/mapper/" CHECK_DM_NAME, CHECK_MOUNT, "erofs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0) {
		r = reason_set(why, -errno, "the written root does not mount as erofs");
		goto out;
	}
	root_fd = open(CHECK_MOUNT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = read_full_at(root_fd, "usr/lib/os-release", 64 * 1024, READ_FULL_REGULAR | READ_FULL_IN_ROOT, &text,
			 &len);
	if (r == -ENOENT)
		r = read_full_at(root_fd, "etc/os-release", 64 * 1024, READ_FULL_REGULAR | READ_FULL_IN_ROOT, &text,
				 &len);
	if (r < 0)
		reason_set(why, r, "the written root has no readable os-release");
	else
		r = os_release_parse(text, len, &osr, why);
	if (r >= 0)
		snprintf(version, OS_RELEASE_VALUE_MAX, "%s", osr.image_version);
	umount2(CHECK_MOUNT, MNT_DETACH);
out:
	mapping_close(CHECK_DM_NAME);
	return r;
}

static int read_signature(const char *path, struct root_signature *sig, struct reason *why)
{
	_cleanup_(trust_store_freep) struct trust_store *trust = NULL;
	_cleanup_free_ char *doc = NULL;
	size_t len = 0;
	int r;

	r = read_full(path, SIG_READ_MAX, 0, &doc, &len);
	if (r < 0)
		return reason_set(why, r, "cannot read it");
	r = rootsig_parse(doc, len, sig, why);
	if (r < 0)
		return r;
	r = trust_store_load_dir(&trust, TRUSTED_HANDOVER_DIR);
	if (r < 0)
		return reason_set(why, r, "no trusted certificates in %s (not booted by rampart?)", TRUSTED_HANDOVER_DIR);
	return rootsig_verify(sig, trust, why);
}

int tool_update(const char *root_img, const char *verity_img, const char *sig_doc, unsigned tries)
{
	_cleanup_(rootsig_free) struct root_signature sig = { .root_hash_len = 0 };
	_cleanup_free_ char *handover = NULL;
	_cleanup_(slot_sigs_free) struct slot_sig_set sigs = { .n = 0 };
	struct partition parts[128]; /* GPT's usual number of entries */
	struct repart_geometry geo;
	struct update_target t;
	struct update_labels labels;
	struct reason why = { "" };
	char disk[64], version[OS_RELEASE_VALUE_MAX], root_uuid[37], verity_uuid[37];
	uint64_t root_size = 0, verity_size = 0, sig_size = 0;
	size_t n = 0, len;
	int booted, r;

	log_set_max_level(LOG_WARNING);
	cryptsetup_log_setup();
	r = read_full(ROOT_SLOT_HANDOVER, 256, READ_FULL_REGULAR, &handover, &len);
	if (r < 0 || sscanf(handover, "%63s %d", disk, &booted) != 2)
		return refuse(ROOT_SLOT_HANDOVER, "%s (not booted by rampart?)", r < 0 ? strerror(-r) : "malformed");

	/* 1. Nothing is written before the new version's signature verifies. */
	r = read_signature(sig_doc, &sig, &why);
	if (r < 0)
		return refuse(sig_doc, "%s; nothing written", why.text);
	if (size_of(root_img, &root_size) < 0 || size_of(verity_img, &verity_size) < 0 ||
	    size_of(sig_doc, &sig_size) < 0)
		return refuse(root_img, "cannot tell the size of an input; nothing written");
	r = repart_disk_read(disk, &geo, parts, ARRAY_SIZE(parts), &n);
	if (r < 0)
		return refuse(disk, "cannot read the partition table: %s; nothing written", strerror(-r));
	/* Unreadable signatures are no slot; the choice below says what it needs. */
	slot_sigs_read(&sigs, parts, n, disk, NULL, NULL);
	rootsig_partition_uuids(&sig, root_uuid, verity_uuid);
	r = update_choose_target(parts, n, sigs.sigs, sigs.n, booted, &t, &why);
	if (r >= 0)
		r = update_check_sizes(&t, root_size, verity_size, sig_size, &why);
	if (r >= 0)
		r = update_check_uuids(parts, n, &t, root_uuid, verity_uuid, &why);
	if (r < 0)
		return refuse(disk, "%s; nothing written", why.text);
	printf("rampart update: writing into %s (partitions %d, %d, %d; %s), the booted slot %s stays\n", disk,
	       t.root->number, t.verity->number, t.sig->number, t.replaces[0] ? t.replaces : "empty", t.booted.label);

	/* 2. The target is empty before a byte of it changes. */
	r = gpt_update_parts(disk,
			     (const struct gpt_part_update[]){
				     { .number = t.root->number, .label = GPT_EMPTY_LABEL, .set_attrs = true,
				       .attrs = boot_count_mark_good(t.root->attrs) },
				     { .number = t.verity->number, .label = GPT_EMPTY_LABEL },
				     { .number = t.sig->number, .label = GPT_EMPTY_LABEL },
			     },
			     3);
	if (r < 0)
		return refuse(disk, "cannot mark the target slot empty: %s; nothing written", strerror(-r));

	/* 3. Data. */
	r = copy_into("root", root_img, root_size, t.root->devnode, 0);
	if (r >= 0)
		r = copy_into("verity", verity_img, verity_size, t.verity->devnode, 0);
	if (r >= 0)
		r = copy_into("signature", sig_doc, sig_size, t.sig->devnode, t.sig->size);
	if (r < 0)
		return refuse(disk, "writing failed: %s; the slot stays empty, the booted slot still boots",
			      strerror(-r));

	/* 4. What was written is what was signed. */
	r = written_version(&t, &sig, version, &why);
	if (r >= 0)
		r = update_labels(&t.booted, version, &labels, &why);
	if (r < 0)
		return refuse(t.root->devnode, "%s; the slot stays empty, the booted slot still boots", why.text);

	/* 5. One write makes it a slot, on trial. */
	r = gpt_update_parts(disk,
			     (const struct gpt_part_update[]){
				     { .number = t.root->number, .label = labels.root, .uuid = root_uuid,
				       .set_attrs = true, .attrs = boot_count_new_trial(t.root->attrs, tries) },
				     { .number = t.verity->number, .label = labels.verity, .uuid = verity_uuid },
				     { .number = t.sig->number, .label = labels.sig },
			     },
			     3);
	if (r < 0)
		return refuse(disk, "cannot label the new slot: %s; it stays empty, the booted slot still boots",
			      strerror(-r));
	printf("rampart update: slot %s written (root hash %s), %u tries: reboot to boot it; mark it good with "
	       "'rampart mark-good'\n", labels.root, sig.root_hash_hex, tries);
	return 0;
}
