/* SPDX-License-Identifier: MIT */
/*
 * lib/modules.c: load lists read, counted and waited for by stage.  The
 * "modules" are files of garbage, which finit_module() refuses whoever
 * runs this (ENOEXEC as root, EPERM otherwise): every entry counts as not
 * loaded, and nothing is ever loaded into the host's kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "modules.h"

static const char *const made[] = { "a.ko", "b.ko", "c.ko", "one.load", "two.load", "three.load", "empty.load" };
static char tmpdir[64];

static const char *path_of(const char *name)
{
	static char path[8][128];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void put(const char *name, const char *content)
{
	FILE *f = fopen(path_of(name), "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/test_modules.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	put("a.ko", "not an ELF file");
	put("b.ko", "\177ELF but nothing else");
	put("c.ko", "");
	/* Comments and blank lines are skipped; a missing file counts as not loaded. */
	put("one.load", "a.ko\n# a comment\n\nb.ko\n");
	put("two.load", "c.ko\nmissing.ko\na.ko");
	put("three.load", "b.ko\n");
	put("empty.load", "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		unlink(path_of(made[i]));
	return rmdir(tmpdir);
}

static void one_list_in_the_caller(void **state)
{
	int failed = -1;

	(void)state;
	assert_int_equal(modules_load_list(tmpdir, path_of("one.load"), &failed), 0);
	assert_int_equal(failed, 2);
	assert_int_equal(modules_load_list(tmpdir, path_of("empty.load"), &failed), 0);
	assert_int_equal(failed, 0);
	/* A list that is missing or cannot be read: the initramfs is not what the builder made. */
	assert_int_equal(modules_load_list(tmpdir, path_of("none.load"), &failed), -ENOENT);
	assert_int_equal(modules_load_list(tmpdir, path_of("a.ko/x.load"), &failed), -ENOTDIR);
}

/* Each wait returns what the lists up to it gave, in order, whenever it is called. */
static void stages_waited_for_in_order(void **state)
{
	const char *lists[] = { path_of("one.load"), path_of("empty.load"), path_of("two.load"), path_of("three.load") };
	struct modules_job job;
	int failed = -1;

	(void)state;
	assert_int_equal(modules_load_start(&job, tmpdir, lists, 4), 0);
	assert_int_equal(modules_load_wait(&job, 1, &failed), 0);
	assert_int_equal(failed, 2);
	assert_int_equal(modules_load_wait(&job, 3, &failed), 0);
	assert_int_equal(failed, 5);
	/* Again, and past the last list: all of them. */
	assert_int_equal(modules_load_wait(&job, 1, &failed), 0);
	assert_int_equal(failed, 2);
	assert_int_equal(modules_load_wait(&job, 9, &failed), 0);
	assert_int_equal(failed, 6);
	modules_load_end(&job);
	modules_load_end(&job);
}

static void unreadable_list_refused_at_start(void **state)
{
	const char *lists[] = { path_of("one.load"), path_of("a.ko/x.load") };
	const char *missing[] = { path_of("one.load"), path_of("none.load") };
	const char *five[] = { lists[0], lists[0], lists[0], lists[0], lists[0] };
	struct modules_job job;
	int failed = -1;

	(void)state;
	assert_int_equal(modules_load_start(&job, tmpdir, lists, 2), -ENOTDIR);
	/* Nothing runs: a wait returns at once with nothing. */
	assert_int_equal(modules_load_wait(&job, 2, &failed), 0);
	assert_int_equal(failed, 0);
	modules_load_end(&job);
	assert_int_equal(modules_load_start(&job, tmpdir, missing, 2), -ENOENT);
	modules_load_end(&job);
	assert_int_equal(modules_load_start(&job, tmpdir, five, 5), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_list_in_the_caller),
		cmocka_unit_test(stages_waited_for_in_order),
		cmocka_unit_test(unreadable_list_refused_at_start),
	};

	log_set_max_level(LOG_ERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
