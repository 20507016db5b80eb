/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libcryptsetup.h>

#include "testutil.h"

/* ---- allocation accounting -------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define TESTUTIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TESTUTIL_ASAN 1
#endif
#endif

#ifdef TESTUTIL_ASAN
/*
 * The glibc + ASan build (test/stack.mk, lib-unit-test-asan): LeakSanitizer
 * knows every block, whoever allocated it, so each case ends with its leak
 * check instead of the counting below (which would miss what Debian's
 * shared libraries allocate).
 */
#include <sanitizer/lsan_interface.h>

void testutil_run_checked(void **state)
{
	void (*f)(void) = (void (*)(void))(uintptr_t)*state;

	f();
	if (__lsan_do_recoverable_leak_check())
		fail_msg("memory leaked (LeakSanitizer's report above)");
}
#else
/*
 * In musl 1.2.3, calloc, strdup and friends allocate through malloc, but
 * realloc and aligned_alloc (and posix_memalign, memalign on top of it) go
 * to the allocator directly; everything is released through free.  So
 * these four see every allocation made in the process: realloc counts
 * only when it starts a new block.  A weak __real_malloc cannot make the
 * wrapping optional: nothing would then pull musl's malloc out of libc.a,
 * hence test/stack.mk links every test with --wrap.
 */
void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
void __wrap_free(void *p);

static long live_allocs;

void *__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);

	if (p)
		live_allocs++;
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = __real_realloc(p, n);

	if (!p && q)
		live_allocs++;
	return q;
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	void *p = __real_aligned_alloc(align, n);

	if (p)
		live_allocs++;
	return p;
}

void __wrap_free(void *p)
{
	if (p)
		live_allocs--;
	__real_free(p);
}

/*
 * What the process allocates once and keeps, before any case counts:
 * musl allocates the environment array on the first setenv() (tpm2_open()
 * sets TSS2_LOG), which belongs to no case.
 */
static void allocate_process_state(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	setenv("RAMPART_TESTUTIL", "1", 1);
	unsetenv("RAMPART_TESTUTIL");
}

void testutil_run_checked(void **state)
{
	void (*f)(void) = (void (*)(void))(uintptr_t)*state;
	long before;

	allocate_process_state();
	before = live_allocs;

	f();
	if (live_allocs != before)
		fail_msg("%ld allocation(s) not freed", live_allocs - before);
}
#endif

/* ---- files and time ------------------------------------------------------------------------ */

uint64_t testutil_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool testutil_mkdtemp(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, size, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);

	return n > 0 && (size_t)n < size && mkdtemp(dir);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void testutil_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *testutil_capture_log(int (*fn)(void *), void *arg, int *ret)
{
	char path[] = "/tmp/testutil_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *text;
	off_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	*ret = fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = lseek(fd, 0, SEEK_END);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)n, 0), n);
	text[n] = '\0';
	close(fd);
	fputs(text, stderr);
	return text;
}

/* ---- ports ------------------------------------------------------------------------------- */

/*
 * Binds and lets go, with SO_REUSEADDR like swtpm's own listening sockets:
 * the swtpm TCTI opens a connection per command, so after a few thousand
 * commands many ports are in TIME_WAIT, which a listener may reuse.
 */
static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

/*
 * Below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range,
 * 32768 and up by default): the swtpm TCTI opens a connection per command,
 * a run of test_tpm2 some ten thousand, and their client ports linger in
 * TIME_WAIT, where no listener can take them.
 */
int testutil_free_port_pair(void)
{
	static unsigned seed;

	if (!seed)
		seed = (unsigned)getpid() * 2654435761u;
	for (int i = 0; i < 200; i++) {
		int p;

		seed = seed * 1103515245u + 12345u;
		p = 20000 + (int)((seed >> 8) % 12000);
		if (bind_port(p) == p && bind_port(p + 1) == p + 1)
			return p;
	}
	return -1;
}

static bool port_answers(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- swtpm ------------------------------------------------------------------------------- */

/* Runs a program to completion, its output into @log; returns its exit status or -1. */
static int run(const char *log, char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	/* swtpm_setup does not wait for the swtpm it runs; as subreaper we inherit and reap it. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void test_swtpm_stop(struct test_swtpm *s)
{
	uint64_t until = testutil_mono_ms() + 3000;
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, WNOHANG) == 0) {
		if (testutil_mono_ms() > until) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	s->pid = 0;
}

__attribute__((format(printf, 2, 3))) static int start_failed(struct test_swtpm *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return -1;
}

int test_swtpm_start(struct test_swtpm *s, const char *parent, const char *name, const char *banks)
{
	char log[320], server[80], ctrl[80], state[300];
	pid_t parent_pid = getpid();

	s->pid = 0;
	s->error[0] = '\0';
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/%s", parent, name) >= sizeof(s->dir))
		return start_failed(s, "%s/%s: name too long", parent, name);
	snprintf(log, sizeof(log), "%s/swtpm.log", s->dir);
	if (mkdir(s->dir, 0700) < 0)
		return start_failed(s, "cannot make %s", s->dir);
	char *setup[] = { "swtpm_setup", "--tpm2", "--tpmstate", s->dir, "--pcr-banks", (char *)banks, NULL };
	if (run(log, setup) != 0)
		return start_failed(s, "swtpm_setup failed or is missing (log: %s)", log);
	s->port = testutil_free_port_pair();
	if (s->port < 0)
		return start_failed(s, "no free loopback ports");
	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", s->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", s->port + 1);
	snprintf(state, sizeof(state), "dir=%s", s->dir);
	snprintf(s->conf, sizeof(s->conf), "swtpm:host=127.0.0.1,port=%d", s->port);

	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		return start_failed(s, "fork failed");
	}
	if (s->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* Dies with the test, however the test ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent_pid)
			_exit(1);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl, "--tpmstate",
		       state, "--flags", "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	for (uint64_t until = testutil_mono_ms() + 10000; testutil_mono_ms() < until; usleep(20000)) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return start_failed(s, "swtpm exited at once or is missing (log: %s)", log);
		}
		if (port_answers(s->port))
			return 0;
	}
	test_swtpm_stop(s);
	return start_failed(s, "swtpm did not listen within 10 s (log: %s)", log);
}

const char *test_swtpm_tcti(const struct test_swtpm *s)
{
	if (s->pid <= 0)
		fail_msg("swtpm %s is not running: %s", s->dir[0] ? s->dir : "(not started)",
			 s->error[0] ? s->error : "never started");
	return s->conf;
}

/*
 * libcryptsetup's mbedtls backend seeds a DRBG when it first reads a
 * volume and keeps it for the life of the process: done here, so that
 * allocation is not counted against a case.
 */
static void warm_up_libcryptsetup(const char *workdir)
{
	struct crypt_device *cd = NULL;
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/warm-up.img", workdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, 16 << 20) == 0 && crypt_init(&cd, path) == 0) {
		crypt_load(cd, CRYPT_LUKS2, NULL);
		crypt_free(cd);
	}
	close(fd);
	unlink(path);
}

struct test_swtpm test_tpm;
char test_workdir[256];

int test_swtpm_group_setup(void **state)
{
	(void)state;
	if (!testutil_mkdtemp(test_workdir, sizeof(test_workdir), program_invocation_short_name)) {
		test_workdir[0] = '\0';
		snprintf(test_tpm.error, sizeof(test_tpm.error), "mkdtemp failed");
		return 0;
	}
	test_swtpm_start(&test_tpm, test_workdir, "tpm", "sha256");
	warm_up_libcryptsetup(test_workdir);
	return 0;
}

int test_swtpm_group_teardown(void **state)
{
	(void)state;
	test_swtpm_stop(&test_tpm);
	if (getenv("RAMPART_KEEP_SWTPM") || test_tpm.error[0])
		fprintf(stderr, "# swtpm state, logs and files kept in %s\n", test_workdir);
	else if (test_workdir[0])
		testutil_rmtree(test_workdir);
	return 0;
}
