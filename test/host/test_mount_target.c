/* SPDX-License-Identifier: MIT */
/* lib/mount_target: targets resolve beneath their tree, never through a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mount_target.h"

static char tree[] = "/tmp/test_mount_target.XXXXXX";
static int root_fd = -1;

static void mk(const char *rel, int is_dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	if (is_dir)
		assert_int_equal(mkdir(p, 0755), 0);
	else
		assert_true(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0);
}

static void ln(const char *target, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	assert_int_equal(symlink(target, p), 0);
}

static void expect(const char *path, mode_t mode, int want)
{
	int fd = mount_target_open(root_fd, path, mode);

	if (want == 0) {
		if (fd < 0)
			fail_msg("%s: %d, expected a descriptor", path, fd);
		close(fd);
	} else if (fd != want) {
		fail_msg("%s: %d, expected %d", path, fd, want);
	}
}

static void directories_open(void **state)
{
	(void)state;
	expect("var", 0, 0);
	expect("var/real", 0, 0);
}

/* The attack: /var/tmp made a symlink to a directory of the verified root. */
static void symlinks_refused(void **state)
{
	(void)state;
	expect("var/tmp", 01777, -ELOOP);
	expect("var/abs", 01777, -ELOOP);
	expect("link/real", 0, -ELOOP);
}

static void leaving_the_tree_refused(void **state)
{
	(void)state;
	expect("var/../../etc", 0, -EXDEV);
	expect("/etc", 0, -EINVAL);
}

static void not_a_directory(void **state)
{
	(void)state;
	expect("var/file", 01777, -ENOTDIR);
}

static void missing_created_beneath(void **state)
{
	struct stat st;
	char p[256];

	(void)state;
	expect("var/new", 0, -ENOENT);
	expect("var/new", 01777, 0);
	snprintf(p, sizeof(p), "%s/var/new", tree);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Not through a symlinked parent. */
	expect("link/new", 01777, -ELOOP);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tree))
		return -1;
	mk("var", 1);
	mk("var/real", 1);
	mk("sbin", 1);
	mk("var/file", 0);
	ln("../sbin", "var/tmp");
	ln("/sbin", "var/abs");
	ln("var", "link");
	root_fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(directories_open),
		cmocka_unit_test(symlinks_refused),
		cmocka_unit_test(leaving_the_tree_refused),
		cmocka_unit_test(not_a_directory),
		cmocka_unit_test(missing_created_beneath),
	};

	return cmocka_run_group_tests_name("mount_target", tests, setup, teardown);
}
