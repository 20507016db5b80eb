/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TESTUTIL_H
#define RAMPART_TESTUTIL_H

/*
 * What the tests in test/stack share: leak checking for cmocka cases (musl
 * has no ASan), temporary work directories, a captured log, and a swtpm
 * of the test's own.  Include after <cmocka.h>.
 *
 * Every musl test binary is linked with testutil.c and
 * -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free
 * (test/stack.mk), so the wrappers here see every allocation libc, json-c,
 * mbedtls, libcryptsetup, tpm2-tss ... make.  The glibc + ASan build of
 * the same tests (make lib-unit-test-asan) asks LeakSanitizer instead.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/*
 * Runs the case in *@state (a void (*)(void)) and fails it when it leaves
 * allocations behind.  Allocations of setup and teardown functions are
 * not counted: they belong to the fixture; nor is what libc keeps for the
 * life of the process (the environment array, allocated here first).
 */
void testutil_run_checked(void **state);

#define T(f) T_FIXTURE(f, NULL, NULL)
#define T_FIXTURE(f, setup, teardown) { #f, testutil_run_checked, setup, teardown, (void *)(uintptr_t)(f) }

uint64_t testutil_mono_ms(void);

/* Makes $TMPDIR/@name.XXXXXX (/tmp without TMPDIR) into @dir; false when it cannot. */
bool testutil_mkdtemp(char *dir, size_t size, const char *name);

/* Removes @dir and everything below it, without following links. */
void testutil_rmtree(const char *dir);

/*
 * What log lines say while @fn runs (stderr is where they go in tests):
 * returned malloc'ed, and also passed on to stderr.
 */
char *testutil_capture_log(int (*fn)(void *), void *arg, int *ret);

/*
 * A loopback port P with P+1 free too (swtpm's control channel), below the
 * kernel's ephemeral range; -1 when none is found.
 */
int testutil_free_port_pair(void);

/*
 * A swtpm of the test's own, on loopback ports, its state and log in a
 * directory of its own.  It dies with the test process however that ends
 * (PR_SET_PDEATHSIG); the test process becomes a subreaper and reaps what
 * swtpm_setup leaves behind.  A swtpm that does not start is not a reason
 * to skip: test_swtpm_tcti() fails every case that needs it.
 */
struct test_swtpm {
	char dir[256];   /* state and swtpm.log */
	char conf[64];   /* the TCTI configuration string: "swtpm:host=127.0.0.1,port=N" */
	int port;        /* data port; control is port + 1 */
	pid_t pid;       /* 0: not running */
	char error[512]; /* why it is not running */
};

/*
 * Sets up a new TPM with the PCR banks @banks (swtpm_setup's
 * --pcr-banks, e.g. "sha256" or "sha1,sha256") in @parent/@name (made
 * here) and starts swtpm on it.  Returns 0 or -1 with @s->error said.
 */
int test_swtpm_start(struct test_swtpm *s, const char *parent, const char *name, const char *banks);

/* SIGTERM, SIGKILL after 3 s; reaped.  The directory stays. */
void test_swtpm_stop(struct test_swtpm *s);

/* The TCTI configuration of a running swtpm; fails the current case when it is not running. */
const char *test_swtpm_tcti(const struct test_swtpm *s);

/*
 * The group fixture of a test that needs one swtpm (cmocka's group setup
 * and teardown): a work directory $TMPDIR/PROGRAM.XXXXXX in test_workdir
 * ("" when it cannot be made), a sha256 swtpm test_tpm in it, and
 * libcryptsetup's backend initialised (its DRBG lives as long as the
 * process: not a case's allocation).  A failure stays in test_tpm.error,
 * for each case that needs the TPM to report.  The teardown stops it and
 * removes the directory, unless RAMPART_KEEP_SWTPM is set or the swtpm
 * failed (then it says where the directory is).
 */
extern struct test_swtpm test_tpm;
extern char test_workdir[256];
int test_swtpm_group_setup(void **state);
int test_swtpm_group_teardown(void **state);

#endif
