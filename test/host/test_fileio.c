/* SPDX-License-Identifier: MIT */
/* lib/fileio.c: whole-file reads, on files made in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"

/* Every file the cases make, so the teardown removes exactly those. */
static const char *const made[] = { "a", "b", "c", "d", "e", "big", "fifo", "abs-link", "up-link", "secret" };
static char tmpdir[64];

static const char *put(const char *name, const char *content, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/test_fileio.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, made[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void whole_file_with_nul_after(void **state)
{
	char *buf = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(read_full(put("a", "hello\0world", 11), 64, READ_FULL_REGULAR, &buf, &len), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(buf, "hello\0world", 12);
	free(buf);

	/* Exactly at the limit is fine; an empty file is an empty buffer. */
	assert_int_equal(read_full(put("b", "12345678", 8), 8, READ_FULL_REGULAR, &buf, &len), 0);
	assert_int_equal(len, 8);
	assert_string_equal(buf, "12345678");
	free(buf);
	assert_int_equal(read_full(put("c", "", 0), 8, READ_FULL_REGULAR, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void regular_only_refusals(void **state)
{
	char *buf = (char *)1, path[128];
	size_t len = 99;

	(void)state;
	assert_int_equal(read_full(put("big", "123456789", 9), 8, READ_FULL_REGULAR, &buf, &len), -EFBIG);
	assert_int_equal(read_full(tmpdir, 8, READ_FULL_REGULAR, &buf, &len), -EISDIR);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_full(path, 8, READ_FULL_REGULAR, &buf, &len), -EBADFD);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(read_full(path, 8, READ_FULL_REGULAR, &buf, &len), -ENOENT);
	/* On error nothing is handed out. */
	assert_ptr_equal(buf, (char *)1);
	assert_int_equal(len, 99);
}

static void first_bytes_of_anything(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	/* Without READ_FULL_REGULAR: the first @max bytes, not a refusal. */
	assert_int_equal(read_full(put("d", "123456789", 9), 4, 0, &buf, &len), 0);
	assert_int_equal(len, 4);
	assert_string_equal(buf, "1234");
	free(buf);
	assert_int_equal(read_full("/dev/zero", 16, 0, &buf, &len), 0);
	assert_int_equal(len, 16);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
}

static void relative_to_a_directory(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int dir;

	(void)state;
	put("e", "in the directory", 16);
	dir = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	assert_int_equal(read_full_at(dir, "e", 64, READ_FULL_REGULAR, &buf, &len), 0);
	assert_string_equal(buf, "in the directory");
	free(buf);
	close(dir);
}

/*
 * READ_FULL_IN_ROOT: @dir_fd is the root.  An absolute symlink and ".."
 * resolve inside it, never to the caller's own files.
 */
static void resolved_in_root(void **state)
{
	char *buf = NULL, link_target[160];
	size_t len = 0;
	int dir;

	(void)state;
	put("secret", "outside", 7);
	put("e", "inside", 6);
	dir = open(tmpdir, O_PATH | O_DIRECTORY);
	assert_true(dir >= 0);
	/* "/e" from the root: tmpdir/e, not the host's /e. */
	assert_int_equal(symlinkat("/e", dir, "abs-link"), 0);
	assert_int_equal(read_full_at(dir, "abs-link", 64, READ_FULL_REGULAR | READ_FULL_IN_ROOT, &buf, &len), 0);
	assert_string_equal(buf, "inside");
	free(buf);
	/* Without the flag the same link leaves the tree (to the host's /e, absent). */
	assert_int_equal(read_full_at(dir, "abs-link", 64, READ_FULL_REGULAR, &buf, &len), -ENOENT);
	/* ".." cannot climb above the root: /../../e is /e. */
	snprintf(link_target, sizeof(link_target), "../../../e");
	assert_int_equal(symlinkat(link_target, dir, "up-link"), 0);
	assert_int_equal(read_full_at(dir, "up-link", 64, READ_FULL_REGULAR | READ_FULL_IN_ROOT, &buf, &len), 0);
	assert_string_equal(buf, "inside");
	free(buf);
	close(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_file_with_nul_after),
		cmocka_unit_test(regular_only_refusals),
		cmocka_unit_test(first_bytes_of_anything),
		cmocka_unit_test(relative_to_a_directory),
		cmocka_unit_test(resolved_in_root),
	};

	return cmocka_run_group_tests_name("fileio", tests, setup, teardown);
}
