/* SPDX-License-Identifier: MIT */
/*
 * lib/tpm2 against swtpm: the test starts two swtpm instances of its own
 * (testutil.h; A: sha256 bank only, as the QEMU harness makes it; B: sha1
 * and sha256, and a second SRK) in a temporary directory, and kills them
 * at the end.  Without swtpm every case that needs it fails: nothing is
 * skipped.  Two cases put a recording, tampering proxy process between
 * lib/tpm2 and A.
 *
 * The cases run in order and share the TPMs: the first seal is the one
 * that makes A's SRK.  RAMPART_KEEP_SWTPM=1 keeps the state and logs.
 *
 * Built static with musl, UBSan in trap mode; every case is run by
 * testutil_run_checked(), which fails a case that leaves allocations
 * behind.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "log.h"
#include "testutil.h"
#include "tpm2.h"
#include "util.h"

static char workdir[256];
static struct test_swtpm tpm_a, tpm_b;

static int group_setup(void **state)
{
	(void)state;
	/* Failures are reported by each case that needs the TPM, as a failure. */
	if (!testutil_mkdtemp(workdir, sizeof(workdir), "test_tpm2")) {
		snprintf(tpm_a.error, sizeof(tpm_a.error), "mkdtemp failed");
		snprintf(tpm_b.error, sizeof(tpm_b.error), "mkdtemp failed");
		return 0;
	}
	test_swtpm_start(&tpm_a, workdir, "a", "sha256");
	test_swtpm_start(&tpm_b, workdir, "b", "sha1,sha256");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	test_swtpm_stop(&tpm_a);
	test_swtpm_stop(&tpm_b);
	if (getenv("RAMPART_KEEP_SWTPM") || tpm_a.error[0] || tpm_b.error[0])
		fprintf(stderr, "# swtpm state and logs kept in %s\n", workdir);
	else if (workdir[0])
		testutil_rmtree(workdir);
	return 0;
}

static struct tpm2 *open_tpm(struct test_swtpm *s)
{
	struct tpm2 *t = NULL;

	assert_int_equal(tpm2_open(&t, test_swtpm_tcti(s)), 0);
	return t;
}

/* ---- a man in the middle ------------------------------------------------------------------------ */

/*
 * Sits between lib/tpm2 and swtpm A, in a process of its own: records
 * every byte of the TPM traffic to a file, and can alter the first
 * successful response to one command.  The swtpm TCTI opens a connection
 * per command on the data port (raw TPM 2.0 framing) and one per control
 * command on the next port, which is passed through untouched.
 */
struct proxy {
	pid_t pid;
	int port;
	char conf[64];
	char record[320];
};

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, buf, n);

		if (k <= 0)
			return false;
		buf += k;
		n -= (size_t)k;
	}
	return true;
}

static bool write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);

		if (k <= 0)
			return false;
		buf += k;
		n -= (size_t)k;
	}
	return true;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One TPM command: [tag:2 size:4 code:4 ...], its response likewise with the return code. */
static bool relay_command(int client, int upstream_port, int record, uint32_t alter_cc, bool *altered)
{
	uint8_t buf[8192];
	uint32_t size, cc;
	int up;
	bool ok;

	if (!read_full(client, buf, 10) || (size = be32(buf + 2)) < 10 || size > sizeof(buf) ||
	    !read_full(client, buf + 10, size - 10))
		return false;
	cc = be32(buf + 6);
	write_full(record, buf, size);
	up = connect_to(upstream_port);
	if (up < 0)
		return false;
	ok = write_full(up, buf, size) && read_full(up, buf, 10) && (size = be32(buf + 2)) >= 10 &&
	     size <= sizeof(buf) && read_full(up, buf + 10, size - 10);
	close(up);
	if (!ok)
		return false;
	write_full(record, buf, size);
	/* The last byte of a response with sessions is its HMAC's. */
	if (cc == alter_cc && be32(buf + 6) == 0 && !*altered) {
		buf[size - 1] ^= 0x01;
		*altered = true;
	}
	return write_full(client, buf, size);
}

/* Anything, both ways, until one side closes. */
static void relay_bytes(int a, int b)
{
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	uint8_t buf[4096];

	while (poll(p, 2, 5000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t k;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(p[i].fd, buf, sizeof(buf));
			if (k <= 0 || !write_full(p[1 - i].fd, buf, (size_t)k))
				return;
		}
	}
}

static __attribute__((noreturn)) void proxy_run(int data, int ctrl, int upstream, int record, uint32_t alter_cc)
{
	struct pollfd p[2] = { { .fd = data, .events = POLLIN }, { .fd = ctrl, .events = POLLIN } };
	bool altered = false;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[0].revents & POLLIN) {
			int c = accept(data, NULL, NULL);

			if (c >= 0) {
				relay_command(c, upstream, record, alter_cc, &altered);
				close(c);
			}
		}
		if (p[1].revents & POLLIN) {
			int c = accept(ctrl, NULL, NULL), up = connect_to(upstream + 1);

			if (c >= 0 && up >= 0)
				relay_bytes(c, up);
			if (c >= 0)
				close(c);
			if (up >= 0)
				close(up);
		}
	}
}

/* @alter_cc: the command whose first successful response gets one bit flipped, or 0. */
static void proxy_start(struct proxy *px, struct test_swtpm *s, uint32_t alter_cc)
{
	pid_t parent = getpid();
	int data = -1, ctrl = -1, record;

	test_swtpm_tcti(s); /* fails the case when it is not running */
	for (int i = 0; i < 20 && ctrl < 0; i++) {
		if (data >= 0)
			close(data);
		px->port = testutil_free_port_pair();
		data = px->port > 0 ? listen_on(px->port) : -1;
		ctrl = data >= 0 ? listen_on(px->port + 1) : -1;
	}
	assert_true(data >= 0 && ctrl >= 0);
	snprintf(px->conf, sizeof(px->conf), "swtpm:host=127.0.0.1,port=%d", px->port);
	snprintf(px->record, sizeof(px->record), "%s/wire.%d", workdir, px->port);
	record = open(px->record, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(record >= 0);
	px->pid = fork();
	assert_true(px->pid >= 0);
	if (px->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		proxy_run(data, ctrl, s->port, record, alter_cc);
	}
	close(data);
	close(ctrl);
	close(record);
}

static void proxy_stop(struct proxy *px)
{
	if (px->pid > 0) {
		kill(px->pid, SIGKILL);
		waitpid(px->pid, NULL, 0);
	}
	px->pid = 0;
}

/* What went over the wire. */
static uint8_t *proxy_recorded(struct proxy *px, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(px->record, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len + 1);
	assert_true(read_full(fd, buf, *len) || *len == 0);
	close(fd);
	return buf;
}

/* ---- helpers ------------------------------------------------------------------------------- */

struct seal_args {
	struct tpm2 *t;
	const void *secret;
	size_t len;
	uint32_t mask;
	struct tpm2_sealed *out;
};

static int do_seal(void *p)
{
	struct seal_args *a = p;

	return tpm2_seal(a->t, a->secret, a->len, a->mask, a->out);
}

struct unseal_args {
	struct tpm2 *t;
	const struct tpm2_sealed *s;
	uint8_t buf[TPM2_SECRET_MAX];
	size_t len;
	struct reason why;
};

static int do_unseal(void *p)
{
	struct unseal_args *a = p;

	a->len = sizeof(a->buf);
	a->why.text[0] = '\0';
	return tpm2_unseal(a->t, a->s, a->buf, &a->len, &a->why);
}

/* Unseals @s and expects @want; the secret must come back on success, the reason is shown on a surprise. */
static void unseal_expect(struct tpm2 *t, const struct tpm2_sealed *s, const void *secret, size_t len, int want)
{
	uint8_t buf[TPM2_SECRET_MAX];
	size_t n = sizeof(buf);
	struct reason why = { "" };
	int r = tpm2_unseal(t, s, buf, &n, &why);

	if (r != want)
		fail_msg("unseal returned %d (%s), expected %d", r, reason_or(&why, "-"), want);
	if (r == 0) {
		assert_int_equal(n, len);
		assert_memory_equal(buf, secret, len);
	}
}

static void sha256(const void *a, size_t na, const void *b, size_t nb, uint8_t out[32])
{
	mbedtls_sha256_context c;

	mbedtls_sha256_init(&c);
	assert_int_equal(mbedtls_sha256_starts(&c, 0), 0);
	assert_int_equal(mbedtls_sha256_update(&c, a, na), 0);
	if (nb)
		assert_int_equal(mbedtls_sha256_update(&c, b, nb), 0);
	assert_int_equal(mbedtls_sha256_finish(&c, out), 0);
	mbedtls_sha256_free(&c);
}

/* PolicyPCR over sha256 PCR 7 alone, spelled out byte by byte as systemd computes it. */
static void expected_policy_pcr7(const uint8_t pcr7[32], uint8_t out[32])
{
	uint8_t pcr_digest[32], buf[32 + 4 + 4 + 2 + 1 + 3 + 32] = { 0 };
	static const uint8_t cmd_and_selection[] = {
		0x00, 0x00, 0x01, 0x7f,      /* TPM_CC_PolicyPCR */
		0x00, 0x00, 0x00, 0x01,      /* one selection */
		0x00, 0x0b,                  /* sha256 */
		0x03, 0x80, 0x00, 0x00,      /* three bytes: PCR 7 */
	};

	sha256(pcr7, 32, NULL, 0, pcr_digest);
	memcpy(buf + 32, cmd_and_selection, sizeof(cmd_and_selection));
	memcpy(buf + 32 + sizeof(cmd_and_selection), pcr_digest, 32);
	sha256(buf, sizeof(buf), NULL, 0, out);
}

static void random_secret(struct tpm2 *t, uint8_t *buf, size_t n)
{
	assert_int_equal(tpm2_get_random(t, buf, n), 0);
}

/* ---- cases ----------------------------------------------------------------------------------- */

static void rc_mapping(void)
{
	/* TPM codes, with and without the handle/parameter/session they name. */
	assert_int_equal(tpm2_rc_to_errno(TSS2_RC_SUCCESS), 0);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_LOCKOUT), -ENOLCK);
	assert_int_equal(tpm2_rc_to_errno(TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_LOCKOUT), -ENOLCK);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_POLICY_FAIL), -EPERM);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_POLICY_FAIL | TPM2_RC_S | TPM2_RC_1), -EPERM); /* 0x99d */
	assert_int_equal(tpm2_rc_to_errno(0x99d), -EPERM);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_POLICY_FAIL | TPM2_RC_P | TPM2_RC_2), -EPERM);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_PCR_CHANGED), -EPERM);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_VALUE | TPM2_RC_P | TPM2_RC_1), -EREMOTEIO);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_INTEGRITY | TPM2_RC_P | TPM2_RC_1), -EREMOTEIO);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_HANDLE | TPM2_RC_1), -EREMOTEIO);
	/* ESAPI resubmits these itself; what is left after that is a TPM error. */
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_RETRY), -EREMOTEIO);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_YIELDED), -EREMOTEIO);
	assert_int_equal(tpm2_rc_to_errno(TPM2_RC_TESTING), -EREMOTEIO);
	/* A lockout code from another layer is not the TPM's. */
	assert_int_equal(tpm2_rc_to_errno(TSS2_ESAPI_RC_LAYER | 0x921), -EREMOTEIO);
	/* tpm2-tss' own. */
	assert_int_equal(tpm2_rc_to_errno(TSS2_ESYS_RC_MEMORY), -ENOMEM);
	assert_int_equal(tpm2_rc_to_errno(TSS2_ESYS_RC_RSP_AUTH_FAILED), -EREMOTEIO);
	assert_int_equal(tpm2_rc_to_errno(TSS2_MU_RC_INSUFFICIENT_BUFFER), -EBADMSG);
	assert_int_equal(tpm2_rc_to_errno(TSS2_TCTI_RC_IO_ERROR), -EREMOTEIO);
}

static void open_errors(void)
{
	struct tpm2 *t = (struct tpm2 *)1;
	int closed = testutil_free_port_pair();

	char conf[64];

	assert_int_equal(tpm2_open(&t, NULL), -EINVAL);
	assert_null(t);
	assert_int_equal(tpm2_open(&t, ""), -EINVAL);
	/* The device TCTI is linked in (nodl) and reports a missing node as no TPM. */
	assert_int_equal(tpm2_open(&t, "device:/nonexistent/tpmrm0"), -ENODEV);
	assert_null(t);
	assert_int_equal(tpm2_open(&t, "nosuchtcti:whatever"), -ENODEV);
	assert_true(closed > 0);
	snprintf(conf, sizeof(conf), "swtpm:host=127.0.0.1,port=%d", closed);
	assert_int_equal(tpm2_open(&t, conf), -ENODEV);
	tpm2_close(NULL);
	{
		struct tpm2_sealed s = { 0 };
		uint8_t b[32];
		size_t n = sizeof(b);
		struct reason why = { "" };

		assert_int_equal(tpm2_seal(NULL, b, sizeof(b), 1u << 7, &s), -EINVAL);
		assert_int_equal(tpm2_unseal(NULL, &s, b, &n, &why), -EINVAL);
		assert_int_equal(tpm2_pcr_read(NULL, 7, b), -EINVAL);
		assert_int_equal(tpm2_pcr_extend_event(NULL, 7, b, 1), -EINVAL);
		assert_int_equal(tpm2_get_random(NULL, b, 1), -EINVAL);
		assert_int_equal(tpm2_mix_into_kernel_rng(NULL, 32), -EINVAL);
	}
	/* The TSS2_LOG this module sets while a context is open is gone again. */
	assert_null(getenv("TSS2_LOG"));
}

static void random_bytes(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	uint8_t a[200], b[200], zero[200] = { 0 };

	/* More than one GetRandom's worth. */
	assert_int_equal(tpm2_get_random(t, a, sizeof(a)), 0);
	assert_int_equal(tpm2_get_random(t, b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(tpm2_get_random(t, a, 0), 0);
	assert_int_equal(tpm2_get_random(t, NULL, 1), -EINVAL);
	tpm2_close(t);
}

static void kernel_rng(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);

	assert_int_equal(tpm2_mix_into_kernel_rng(t, 0), -EINVAL);
	assert_int_equal(tpm2_mix_into_kernel_rng(t, 513), -EINVAL);
	/* Mixing needs no privilege: nothing is credited. */
	assert_int_equal(tpm2_mix_into_kernel_rng(t, 64), 0);
	tpm2_close(t);
}

static void pcr_extend_and_read(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	static const char event[] = "rampart test event";
	uint8_t before[32], after[32], digest[32], want[32];

	assert_int_equal(tpm2_pcr_read(t, 7, before), 0);
	assert_int_equal(tpm2_pcr_extend_event(t, 7, event, strlen(event)), 0);
	assert_int_equal(tpm2_pcr_read(t, 7, after), 0);
	/* new = sha256(old || sha256(event)) */
	sha256(event, strlen(event), NULL, 0, digest);
	sha256(before, 32, digest, 32, want);
	assert_memory_equal(after, want, 32);

	/* An empty event is an event too. */
	assert_int_equal(tpm2_pcr_extend_event(t, 7, NULL, 0), 0);
	assert_int_equal(tpm2_pcr_read(t, 7, before), 0);
	sha256("", 0, NULL, 0, digest);
	sha256(after, 32, digest, 32, want);
	assert_memory_equal(before, want, 32);

	assert_int_equal(tpm2_pcr_read(t, 24, after), -EINVAL);
	assert_int_equal(tpm2_pcr_extend_event(t, 24, event, 1), -EINVAL);
	assert_int_equal(tpm2_pcr_extend_event(t, 7, NULL, 1), -EINVAL);
	tpm2_close(t);
}

/* Runs first among the sealing cases: TPM A has no SRK before it. */
static void srk_made_once_then_reused(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s1, s2;
	uint8_t secret[32];
	struct seal_args a = { t, secret, sizeof(secret), 1u << 7, &s1 };
	char *log;
	int r;

	random_secret(t, secret, sizeof(secret));
	log = testutil_capture_log(do_seal, &a, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(log, "made the SRK (ECC P-256) and persisted it at 0x81000001"));
	free(log);

	a.out = &s2;
	log = testutil_capture_log(do_seal, &a, &r);
	assert_int_equal(r, 0);
	assert_null(strstr(log, "made the SRK"));
	free(log);

	/* The same key, serialized the same: handle 0x81000001 first. */
	assert_int_equal(s1.srk_len, s2.srk_len);
	assert_memory_equal(s1.srk, s2.srk, s1.srk_len);
	assert_true(s1.srk_len > 4);
	assert_memory_equal(s1.srk, "\x81\x00\x00\x01", 4);
	/* Two sealings of one secret are two objects. */
	assert_memory_not_equal(s1.blob, s2.blob, s1.blob_len < s2.blob_len ? s1.blob_len : s2.blob_len);
	unseal_expect(t, &s1, secret, sizeof(secret), 0);
	unseal_expect(t, &s2, secret, sizeof(secret), 0);

	/* A new context finds the persisted SRK. */
	tpm2_close(t);
	t = open_tpm(&tpm_a);
	unseal_expect(t, &s1, secret, sizeof(secret), 0);
	tpm2_sealed_free(&s1);
	tpm2_sealed_free(&s2);
	tpm2_close(t);
}

static void seal_unseal_round_trip(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s;
	uint8_t secret[32], pcr7[32], policy[32], small[16];
	size_t n;
	struct reason why = { "" };
	uint64_t t0, t1, t2;

	random_secret(t, secret, sizeof(secret));
	t0 = testutil_mono_ms();
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	t1 = testutil_mono_ms();
	unseal_expect(t, &s, secret, sizeof(secret), 0);
	t2 = testutil_mono_ms();
	print_message("# swtpm: seal %llu ms, unseal %llu ms\n", (unsigned long long)(t1 - t0),
		      (unsigned long long)(t2 - t1));

	/* The policy hash is systemd's formula over the current PCR 7. */
	assert_int_equal(s.pcr_mask, 1u << 7);
	assert_int_equal(tpm2_pcr_read(t, 7, pcr7), 0);
	expected_policy_pcr7(pcr7, policy);
	assert_memory_equal(s.policy_hash, policy, 32);

	/* Other PCRs may change. */
	assert_int_equal(tpm2_pcr_extend_event(t, 8, "other", 5), 0);
	unseal_expect(t, &s, secret, sizeof(secret), 0);

	/* The caller's buffer is too small: said, and the size needed given. */
	n = sizeof(small);
	assert_int_equal(tpm2_unseal(t, &s, small, &n, &why), -ENOBUFS);
	assert_int_equal(n, sizeof(secret));

	/* The smallest and largest secrets. */
	tpm2_sealed_free(&s);
	assert_int_equal(tpm2_seal(t, secret, 1, 1u << 7, &s), 0);
	unseal_expect(t, &s, secret, 1, 0);
	tpm2_sealed_free(&s);
	{
		uint8_t big[TPM2_SECRET_MAX];

		random_secret(t, big, sizeof(big));
		assert_int_equal(tpm2_seal(t, big, sizeof(big), 1u << 7, &s), 0);
		unseal_expect(t, &s, big, sizeof(big), 0);
		tpm2_sealed_free(&s);
	}

	/* Many PCRs: more than one PCR_Read (at most 8 per call). */
	t0 = testutil_mono_ms();
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 0xffffff, &s), 0);
	unseal_expect(t, &s, secret, sizeof(secret), 0);
	print_message("# 24 PCRs: seal and unseal %llu ms\n", (unsigned long long)(testutil_mono_ms() - t0));
	tpm2_sealed_free(&s);

	assert_int_equal(tpm2_seal(t, secret, 0, 1u << 7, &s), -EINVAL);
	assert_int_equal(tpm2_seal(t, secret, TPM2_SECRET_MAX + 1, 1u << 7, &s), -EINVAL);
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 0, &s), -EINVAL);
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 24, &s), -EINVAL);
	tpm2_sealed_free(&s);
	tpm2_close(t);
}

static void timing(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s;
	uint8_t secret[32];
	uint64_t seal_ms = 0, unseal_ms = 0, t0;
	const int rounds = 10;

	random_secret(t, secret, sizeof(secret));
	for (int i = 0; i < rounds; i++) {
		t0 = testutil_mono_ms();
		assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
		seal_ms += testutil_mono_ms() - t0;
		t0 = testutil_mono_ms();
		unseal_expect(t, &s, secret, sizeof(secret), 0);
		unseal_ms += testutil_mono_ms() - t0;
		tpm2_sealed_free(&s);
	}
	print_message("# swtpm, mean of %d: seal %.1f ms, unseal %.1f ms (SRK present)\n", rounds,
		      (double)seal_ms / rounds, (double)unseal_ms / rounds);
	tpm2_close(t);
}

/*
 * Every salted session is an ECDH with a fresh key; in about one of 256 the
 * shared secret's x coordinate starts with a zero byte.  A thousand
 * unseals find a mishandled leading zero with probability 98%.
 */
static void salted_sessions_are_reliable(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s;
	uint8_t secret[32], buf[32];
	struct reason why = { "" };
	int failed = 0;
	uint64_t t0 = testutil_mono_ms();

	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	for (int i = 0; i < 1000; i++) {
		size_t n = sizeof(buf);

		failed += tpm2_unseal(t, &s, buf, &n, &why) != 0 || n != sizeof(secret) || memcmp(buf, secret, n) != 0;
	}
	print_message("# 1000 unseals in %llu ms, %d failed\n", (unsigned long long)(testutil_mono_ms() - t0), failed);
	assert_int_equal(failed, 0);
	tpm2_sealed_free(&s);
	tpm2_close(t);
}

static void pcr_change_locks_the_secret(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s, again;
	struct unseal_args u = { .t = t, .s = &s };
	uint8_t secret[32];
	char *log;
	int r;

	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	unseal_expect(t, &s, secret, sizeof(secret), 0);

	/* What rampart's lock step does. */
	assert_int_equal(tpm2_pcr_extend_event(t, 7, "lock", 4), 0);
	log = testutil_capture_log(do_unseal, &u, &r);
	assert_int_equal(r, -EPERM);
	assert_string_equal(u.why.text, "PCR values differ from those sealed to");
	/* Found by comparing digests: Unseal was never sent, so the TPM printed nothing either. */
	assert_non_null(strstr(log, "PCRs 7 (sha256) differ from those sealed to: policy "));
	assert_null(strstr(log, "WARNING"));
	assert_null(strstr(log, "ERROR"));
	free(log);
	/* It stays that way. */
	unseal_expect(t, &s, secret, sizeof(secret), -EPERM);

	/* Sealed again now, it unseals now. */
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &again), 0);
	unseal_expect(t, &again, secret, sizeof(secret), 0);
	tpm2_sealed_free(&s);
	tpm2_sealed_free(&again);
	tpm2_close(t);
}

static void damaged_blob(void)
{
	struct tpm2 *t = open_tpm(&tpm_a);
	struct tpm2_sealed s, bad;
	uint8_t secret[32], *blob;
	int counts[3] = { 0 };
	uint64_t t0 = testutil_mono_ms();

	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	blob = malloc(s.blob_len + 1);
	bad = s;
	bad.blob = blob;

	/* Every byte of the blob, flipped: refused as damaged, never unsealed, nothing left loaded. */
	for (size_t i = 0; i < s.blob_len; i++) {
		uint8_t buf[TPM2_SECRET_MAX];
		size_t n = sizeof(buf);
		struct reason why = { "" };
		int r;

		memcpy(blob, s.blob, s.blob_len);
		blob[i] ^= 0x01;
		r = tpm2_unseal(t, &bad, buf, &n, &why);
		if (r != -EBADMSG)
			fail_msg("blob byte %zu flipped: %d (%s)", i, r, reason_or(&why, "-"));
		assert_true(why.text[0] != '\0');
		counts[strstr(why.text, "TPM finds") ? 0 : strstr(why.text, "policy") ? 1 : 2]++;
	}
	print_message("# %zu flipped bytes in %llu ms: %d refused by the TPM, %d by the policy check, %d by "
		      "parsing\n", s.blob_len, (unsigned long long)(testutil_mono_ms() - t0), counts[0], counts[1], counts[2]);
	assert_true(counts[0] > 0);

	/* Short, long, empty. */
	memcpy(blob, s.blob, s.blob_len);
	for (size_t len = 0; len < s.blob_len; len += 7) {
		bad.blob_len = len;
		unseal_expect(t, &bad, secret, sizeof(secret), len ? -EBADMSG : -EINVAL);
	}
	blob[s.blob_len] = 0;
	bad.blob_len = s.blob_len + 1;
	unseal_expect(t, &bad, secret, sizeof(secret), -EBADMSG);

	/* The policy hash must be the object's. */
	bad = s;
	bad.policy_hash[0] ^= 1;
	unseal_expect(t, &bad, secret, sizeof(secret), -EBADMSG);
	/* So must the PCRs: another selection is another policy. */
	bad = s;
	bad.pcr_mask = 1u << 8;
	unseal_expect(t, &bad, secret, sizeof(secret), -EPERM);

	/* The SRK serialization: cut, garbage, another handle. */
	{
		uint8_t *srk = malloc(s.srk_len);

		bad = s;
		bad.srk = srk;
		for (size_t len = 1; len < s.srk_len; len += 5) {
			memcpy(srk, s.srk, s.srk_len);
			bad.srk_len = len;
			unseal_expect(t, &bad, secret, sizeof(secret), -EBADMSG);
		}
		bad.srk_len = s.srk_len;
		memset(srk, 0xa5, s.srk_len);
		unseal_expect(t, &bad, secret, sizeof(secret), -EBADMSG);
		memcpy(srk, s.srk, s.srk_len);
		srk[0] = 0x80; /* a transient handle */
		unseal_expect(t, &bad, secret, sizeof(secret), -EBADMSG);
		memcpy(srk, s.srk, s.srk_len);
		srk[3] = 0x02; /* another persistent handle, where there is nothing */
		unseal_expect(t, &bad, secret, sizeof(secret), -ENOKEY);
		free(srk);
	}

	/* After all that the TPM has nothing left loaded: the original still unseals. */
	unseal_expect(t, &s, secret, sizeof(secret), 0);
	free(blob);
	tpm2_sealed_free(&s);
	tpm2_close(t);
}

static void foreign_srk(void)
{
	struct tpm2 *a = open_tpm(&tpm_a), *b;
	struct tpm2_sealed sa, sb, swapped;
	struct unseal_args u = { .t = a, .s = &swapped };
	uint8_t secret[32];
	char *log;
	int r;

	random_secret(a, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(a, secret, sizeof(secret), 1u << 7, &sa), 0);
	/* swtpm serves one connection at a time. */
	tpm2_close(a);
	b = open_tpm(&tpm_b);
	assert_int_equal(tpm2_seal(b, secret, sizeof(secret), 1u << 7, &sb), 0);
	unseal_expect(b, &sb, secret, sizeof(secret), 0);
	assert_memory_not_equal(sa.srk + 4, sb.srk + 4, 32); /* the names differ */

	/* A's whole token on B: B's SRK is not the one it names. */
	unseal_expect(b, &sa, secret, sizeof(secret), -ENOKEY);
	tpm2_close(b);

	/*
	 * A's blob with B's SRK, on A: the blob loads (A's SRK is at
	 * 0x81000001), but the policy session is salted to B's key: A derives
	 * another session key and refuses the command's HMAC.
	 */
	a = open_tpm(&tpm_a);
	u.t = a;
	swapped = sa;
	swapped.srk = sb.srk;
	swapped.srk_len = sb.srk_len;
	log = testutil_capture_log(do_unseal, &u, &r);
	assert_int_equal(r, -ENOKEY);
	assert_non_null(strstr(log, "cannot unseal"));
	assert_non_null(strstr(log, "is not the SRK the secret was sealed under"));
	free(log);
	/* The TPM refused the session (BAD_AUTH, no dictionary-attack count); A's own token still opens. */
	unseal_expect(a, &sa, secret, sizeof(secret), 0);

	tpm2_sealed_free(&sa);
	tpm2_sealed_free(&sb);
	tpm2_close(a);
}

/* Neither the secret nor the unsealed copy crosses the wire in clear: both travel encrypted. */
static void wire_carries_no_secret(void)
{
	struct proxy px = { 0 };
	struct tpm2_sealed s;
	struct tpm2 *t;
	uint8_t secret[32], rnd[32], *wire;
	size_t len;

	/* Not from the TPM: GetRandom's answer crosses the wire in clear (tpm2.h says so). */
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0xa7 ^ (i * 29));
	proxy_start(&px, &tpm_a, 0);
	assert_int_equal(tpm2_open(&t, px.conf), 0);
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	unseal_expect(t, &s, secret, sizeof(secret), 0);
	assert_int_equal(tpm2_get_random(t, rnd, sizeof(rnd)), 0);
	tpm2_close(t);
	proxy_stop(&px);

	wire = proxy_recorded(&px, &len);
	print_message("# %zu bytes of TPM traffic recorded for a seal and an unseal\n", len);
	/* The recording works: GetRandom's answer is there in clear. */
	assert_non_null(memmem(wire, len, rnd, sizeof(rnd)));
	/* So is the policy hash, inside the object's template. */
	assert_non_null(memmem(wire, len, s.policy_hash, sizeof(s.policy_hash)));
	assert_null(memmem(wire, len, secret, sizeof(secret)));
	for (size_t i = 0; i + 8 <= sizeof(secret); i++)
		assert_null(memmem(wire, len, secret + i, 8));
	free(wire);
	tpm2_sealed_free(&s);
}

/*
 * Something between us and the TPM alters the Unseal response: its HMAC
 * no longer verifies, ESAPI refuses the response and its context, and the
 * unseal fails without a secret.  The context is remade, what the
 * operation had loaded is flushed by handle, and the next unseal works.
 */
static void interposer_is_detected(void)
{
	struct proxy px = { 0 };
	struct tpm2_sealed s;
	struct unseal_args u = { 0 };
	struct tpm2 *t;
	uint8_t secret[32];
	char *log;
	int r;

	proxy_start(&px, &tpm_a, TPM2_CC_Unseal);
	assert_int_equal(tpm2_open(&t, px.conf), 0);
	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);

	u.t = t;
	u.s = &s;
	log = testutil_capture_log(do_unseal, &u, &r);
	assert_int_equal(r, -EREMOTEIO);
	assert_string_equal(u.why.text, "TPM response failed authentication");
	assert_non_null(strstr(log, "the response failed its HMAC check although the SRK matches"));
	assert_memory_not_equal(u.buf, secret, sizeof(secret));
	free(log);

	unseal_expect(t, &s, secret, sizeof(secret), 0);
	tpm2_close(t);
	proxy_stop(&px);
	tpm2_sealed_free(&s);
}

/* ---- raw ESAPI, for what lib/tpm2 does not do ----------------------------------------------- */

struct raw {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

static void raw_open(struct raw *r, struct test_swtpm *s)
{
	assert_int_equal(Tss2_TctiLdr_Initialize(test_swtpm_tcti(s), &r->tcti), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&r->esys, r->tcti, NULL), TSS2_RC_SUCCESS);
}

static void raw_close(struct raw *r)
{
	Esys_Finalize(&r->esys);
	Tss2_TctiLdr_Finalize(&r->tcti);
}

static void raw_pcr_read(struct raw *r, TPMI_ALG_HASH alg, unsigned pcr, uint8_t *out, size_t size)
{
	TPML_PCR_SELECTION sel = { .count = 1, .pcrSelections[0] = { .hash = alg, .sizeofSelect = 3 } };
	TPML_PCR_SELECTION *got = NULL;
	TPML_DIGEST *d = NULL;

	sel.pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	assert_int_equal(Esys_PCR_Read(r->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL, &got, &d),
			 TSS2_RC_SUCCESS);
	assert_int_equal(d->count, 1);
	assert_int_equal(d->digests[0].size, size);
	memcpy(out, d->digests[0].buffer, size);
	Esys_Free(got);
	Esys_Free(d);
}

static void md(mbedtls_md_type_t type, const void *a, size_t na, const void *b, size_t nb, uint8_t *out)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
	mbedtls_md_context_t c;

	mbedtls_md_init(&c);
	assert_int_equal(mbedtls_md_setup(&c, info, 0), 0);
	assert_int_equal(mbedtls_md_starts(&c), 0);
	assert_int_equal(mbedtls_md_update(&c, a, na), 0);
	if (nb)
		assert_int_equal(mbedtls_md_update(&c, b, nb), 0);
	assert_int_equal(mbedtls_md_finish(&c, out), 0);
	mbedtls_md_free(&c);
}

/* TPM B has sha1 and sha256 banks: an event extends both, each with its own hash of the event. */
static void extend_every_bank(void)
{
	static const char event[] = "rampart: both banks";
	uint8_t sha1_before[20], sha1_after[20], sha1_want[20], h1[20];
	uint8_t before[32], after[32], want[32], h256[32];
	struct raw raw = { 0 };
	struct tpm2 *t;

	raw_open(&raw, &tpm_b);
	raw_pcr_read(&raw, TPM2_ALG_SHA1, 16, sha1_before, 20);
	raw_close(&raw);

	t = open_tpm(&tpm_b);
	assert_int_equal(tpm2_pcr_read(t, 16, before), 0);
	assert_int_equal(tpm2_pcr_extend_event(t, 16, event, strlen(event)), 0);
	assert_int_equal(tpm2_pcr_read(t, 16, after), 0);
	tpm2_close(t);

	raw_open(&raw, &tpm_b);
	raw_pcr_read(&raw, TPM2_ALG_SHA1, 16, sha1_after, 20);
	raw_close(&raw);

	md(MBEDTLS_MD_SHA256, event, strlen(event), NULL, 0, h256);
	md(MBEDTLS_MD_SHA256, before, 32, h256, 32, want);
	assert_memory_equal(after, want, 32);
	md(MBEDTLS_MD_SHA1, event, strlen(event), NULL, 0, h1);
	md(MBEDTLS_MD_SHA1, sha1_before, 20, h1, 20, sha1_want);
	assert_memory_equal(sha1_after, sha1_want, 20);
}

/*
 * Dictionary-attack lockout, provoked on TPM B: maxTries 1, then one
 * wrong password for a DA-protected key.  The TPM's answer to the next
 * try is the real TPM2_RC_LOCKOUT (with its session number), which maps
 * to -ENOLCK.  A PCR-policy-only object involves no authValue, so the TPM
 * does not check lockout for it: unsealing goes on working, as the spec
 * says (Part 1, "Dictionary Attack Protection").
 */
static void lockout(void)
{
	static const TPM2B_SENSITIVE_CREATE sens = { .sensitive.userAuth = { .size = 4, .buffer = "good" } };
	static const TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			/* No NODA: subject to dictionary-attack protection. */
			.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT |
					    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN,
			.parameters.keyedHashDetail.scheme = {
				.scheme = TPM2_ALG_HMAC,
				.details.hmac.hashAlg = TPM2_ALG_SHA256,
			},
		},
	};
	static const TPM2B_AUTH wrong = { .size = 3, .buffer = "bad" };
	const TPM2B_MAX_BUFFER msg = { .size = 2, .buffer = "hi" };
	TPM2B_DIGEST *mac = NULL;
	struct tpm2_sealed s;
	struct raw raw = { 0 };
	struct tpm2 *t;
	uint8_t secret[32];
	ESYS_TR key = ESYS_TR_NONE;
	TSS2_RC rc;

	t = open_tpm(&tpm_b);
	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	tpm2_close(t);

	raw_open(&raw, &tpm_b);
	assert_int_equal(Esys_DictionaryAttackParameters(raw.esys, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
							 ESYS_TR_NONE, 1, 600, 600),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_CreatePrimary(raw.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					    &sens, &tmpl, &(const TPM2B_DATA){ 0 },
					    &(const TPML_PCR_SELECTION){ 0 }, &key, NULL, NULL, NULL, NULL),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_TR_SetAuth(raw.esys, key, &wrong), TSS2_RC_SUCCESS);
	rc = Esys_HMAC(raw.esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &msg, TPM2_ALG_SHA256, &mac);
	print_message("# wrong password: %s (0x%x)\n", Tss2_RC_Decode(rc), rc);
	assert_int_equal(rc & ~TPM2_RC_N_MASK, TPM2_RC_AUTH_FAIL);
	rc = Esys_HMAC(raw.esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &msg, TPM2_ALG_SHA256, &mac);
	print_message("# once more: %s (0x%x)\n", Tss2_RC_Decode(rc), rc);
	assert_int_equal(rc, TPM2_RC_LOCKOUT);
	assert_int_equal(tpm2_rc_to_errno(rc), -ENOLCK);
	assert_int_equal(Esys_FlushContext(raw.esys, key), TSS2_RC_SUCCESS);
	raw_close(&raw);

	/* Locked out: the PCR-policy object unseals all the same. */
	t = open_tpm(&tpm_b);
	unseal_expect(t, &s, secret, sizeof(secret), 0);
	tpm2_close(t);

	raw_open(&raw, &tpm_b);
	assert_int_equal(Esys_DictionaryAttackLockReset(raw.esys, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
							ESYS_TR_NONE),
			 TSS2_RC_SUCCESS);
	raw_close(&raw);
	tpm2_sealed_free(&s);
}

/* A caller that drops its context mid-way leaves nothing in the TPM it cannot recover from. */
/* ---- NV records --------------------------------------------------------------------------------- */

/* PCR 16, the debug PCR, can be reset: a reset stands for the next boot. */
#define NV_PCR 16
#define NV_MASK (1u << NV_PCR)

/*
 * The write policy of a record, spelled out: PolicyCommandCode(NV_Write)
 * then PolicyPCR over sha256 PCR 16.
 */
static void expected_nv_write_policy(const uint8_t pcr[32], uint8_t out[32])
{
	static const uint8_t cc[] = { 0x00, 0x00, 0x01, 0x6c, 0x00, 0x00, 0x01, 0x37 };
	static const uint8_t pcr_cmd[] = { 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x00, 0x01,
					   0x00, 0x0b, 0x03, 0x00, 0x00, 0x01 };
	uint8_t zero[32] = { 0 }, after_cc[32], pcr_digest[32], buf[32 + sizeof(pcr_cmd) + 32];

	md(MBEDTLS_MD_SHA256, zero, 32, cc, sizeof(cc), after_cc);
	md(MBEDTLS_MD_SHA256, pcr, 32, NULL, 0, pcr_digest);
	memcpy(buf, after_cc, 32);
	memcpy(buf + 32, pcr_cmd, sizeof(pcr_cmd));
	memcpy(buf + 32 + sizeof(pcr_cmd), pcr_digest, 32);
	md(MBEDTLS_MD_SHA256, buf, sizeof(buf), NULL, 0, out);
}

static void raw_nv_define(struct raw *r, uint32_t index, TPMA_NV attrs, const uint8_t *policy, UINT16 size,
			  ESYS_TR *tr)
{
	TPM2B_NV_PUBLIC pub = {
		.nvPublic = { .nvIndex = index, .nameAlg = TPM2_ALG_SHA256, .attributes = attrs, .dataSize = size },
	};

	if (policy) {
		pub.nvPublic.authPolicy.size = 32;
		memcpy(pub.nvPublic.authPolicy.buffer, policy, 32);
	}
	assert_int_equal(Esys_NV_DefineSpace(r->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					     ESYS_TR_NONE, &(const TPM2B_AUTH){ 0 }, &pub, tr),
			 TSS2_RC_SUCCESS);
}

static void nv_read_expect(struct tpm2 *t, uint32_t index, const uint8_t *want, size_t len, int err)
{
	uint8_t got[64] = { 0 };
	struct reason why = { "" };

	assert_true(len <= sizeof(got));
	assert_int_equal(tpm2_nv_record_read(t, index, NV_MASK, got, len, &why), err);
	if (err == 0)
		assert_memory_equal(got, want, len);
	else
		assert_true(why.text[0] != '\0');
}

static void nv_record_round_trip(void)
{
	struct tpm2 *t = open_tpm(&tpm_b);
	uint8_t one[40], two[40];

	memset(one, 0x5a, sizeof(one));
	memset(two, 0xa5, sizeof(two));
	nv_read_expect(t, 0x01d10390, one, sizeof(one), -ENOENT);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10390, NV_MASK, one, sizeof(one)), 0);
	nv_read_expect(t, 0x01d10390, one, sizeof(one), 0);
	/* Written over in place. */
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10390, NV_MASK, two, sizeof(two)), 0);
	nv_read_expect(t, 0x01d10390, two, sizeof(two), 0);
	/* Another size is another public area: not the record asked for. */
	nv_read_expect(t, 0x01d10390, two, sizeof(two) - 1, -EKEYREJECTED);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10390, NV_MASK, NULL, 4), -EINVAL);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10390, 0, one, sizeof(one)), -EINVAL);
	tpm2_close(t);
}

/*
 * After the lock, whoever holds the owner authorisation (this module
 * included) can replace the index and write it, but only under a policy
 * over the locked PCR value: the next boot, back at the value before the
 * lock, refuses it.
 */
static void nv_record_bound_to_the_pcr(void)
{
	struct tpm2 *t = open_tpm(&tpm_b);
	uint8_t rec[32], forged[32];
	struct raw r;

	memset(rec, 0x11, sizeof(rec));
	memset(forged, 0x22, sizeof(forged));
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10391, NV_MASK, rec, sizeof(rec)), 0);
	nv_read_expect(t, 0x01d10391, rec, sizeof(rec), 0);
	assert_int_equal(tpm2_pcr_extend_event(t, NV_PCR, "lock", 4), 0);
	/* What was written no longer counts under the locked value either (as after a db change). */
	nv_read_expect(t, 0x01d10391, rec, sizeof(rec), -ESTALE);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10391, NV_MASK, forged, sizeof(forged)), 0);

	raw_open(&r, &tpm_b);
	assert_int_equal(Esys_PCR_Reset(r.esys, ESYS_TR_PCR0 + NV_PCR, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
			 TSS2_RC_SUCCESS);
	raw_close(&r);
	nv_read_expect(t, 0x01d10391, forged, sizeof(forged), -ESTALE);
	tpm2_close(t);
}

/*
 * After a Secure Boot update the record the initrd wrote is read under the
 * old PCR value (from the signed command line); one written since under
 * any other value, the lock's included, is not taken for it.
 */
static void nv_record_read_under_old_values(void)
{
	struct tpm2 *t = open_tpm(&tpm_b);
	uint8_t rec[32], forged[32], got[32], before[32], locked[32], other[32];
	struct reason why = { "" };
	struct raw r;

	memset(rec, 0x33, sizeof(rec));
	memset(other, 0x55, sizeof(other));
	memset(forged, 0x44, sizeof(forged));
	assert_int_equal(tpm2_pcr_read(t, NV_PCR, before), 0);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10394, NV_MASK, rec, sizeof(rec)), 0);
	assert_int_equal(tpm2_pcr_extend_event(t, NV_PCR, "db update", 9), 0);
	nv_read_expect(t, 0x01d10394, rec, sizeof(rec), -ESTALE);
	assert_int_equal(tpm2_nv_record_read_under(t, 0x01d10394, NV_MASK, before, got, sizeof(got), &why), 0);
	assert_memory_equal(got, rec, sizeof(rec));
	/* Other values than those it was written under: refused, the current ones included. */
	assert_int_equal(tpm2_nv_record_read_under(t, 0x01d10394, NV_MASK, other, got, sizeof(got), &why), -ESTALE);
	assert_int_equal(tpm2_pcr_read(t, NV_PCR, locked), 0);
	assert_int_equal(tpm2_nv_record_read_under(t, 0x01d10394, NV_MASK, locked, got, sizeof(got), &why), -ESTALE);
	/* Replaced after the "lock" and written under the value then: not the record of @before. */
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10394, NV_MASK, forged, sizeof(forged)), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(tpm2_nv_record_read_under(t, 0x01d10394, NV_MASK, before, got, sizeof(got), &why), -ESTALE);
	assert_int_equal(tpm2_nv_record_read_under(t, 0x01d10394, NV_MASK, locked, got, sizeof(got), &why), 0);
	assert_memory_equal(got, forged, sizeof(forged));
	tpm2_close(t);
	raw_open(&r, &tpm_b);
	assert_int_equal(Esys_PCR_Reset(r.esys, ESYS_TR_PCR0 + NV_PCR, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
			 TSS2_RC_SUCCESS);
	raw_close(&r);
}

/*
 * Indices someone else defined at the record's handle: one its owner can
 * write (refused, then replaced by a write), and one exactly like
 * rampart's but never written (-ENODATA: the name differs only in the
 * WRITTEN bit, which also shows the write policy is computed as spelled
 * out above).
 */
static void nv_record_not_ours(void)
{
	struct tpm2 *t = open_tpm(&tpm_b);
	uint8_t mine[32], theirs[32], pcr[32], policy[32];
	struct raw r;
	ESYS_TR tr;
	TPM2B_MAX_NV_BUFFER buf = { .size = sizeof(theirs) };

	memset(mine, 0x33, sizeof(mine));
	memset(theirs, 0x44, sizeof(theirs));
	memcpy(buf.buffer, theirs, sizeof(theirs));
	raw_open(&r, &tpm_b);
	raw_nv_define(&r, 0x01d10392, TPMA_NV_OWNERWRITE | TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA,
		      NULL, sizeof(theirs), &tr);
	assert_int_equal(Esys_NV_Write(r.esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf, 0),
			 TSS2_RC_SUCCESS);
	nv_read_expect(t, 0x01d10392, theirs, sizeof(theirs), -EKEYREJECTED);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10392, NV_MASK, mine, sizeof(mine)), 0);
	nv_read_expect(t, 0x01d10392, mine, sizeof(mine), 0);

	raw_pcr_read(&r, TPM2_ALG_SHA256, NV_PCR, pcr, sizeof(pcr));
	expected_nv_write_policy(pcr, policy);
	raw_nv_define(&r, 0x01d10393,
		      TPMA_NV_POLICYWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | TPMA_NV_WRITEALL, policy,
		      sizeof(mine), &tr);
	raw_close(&r);
	nv_read_expect(t, 0x01d10393, mine, sizeof(mine), -ENODATA);
	assert_int_equal(tpm2_nv_record_write(t, 0x01d10393, NV_MASK, mine, sizeof(mine)), 0);
	nv_read_expect(t, 0x01d10393, mine, sizeof(mine), 0);
	tpm2_close(t);
}

/*
 * A token as systemd before 254 writes it: the object sealed under a
 * transient primary made from systemd's legacy template, spelled here as
 * systemd's src/shared/tpm2-util.c spells it (not taken from lib/), the
 * sealed object's secret sent in clear as nothing here needs it secret.
 */
static void legacy_seal(struct test_swtpm *tpm, bool rsa, const uint8_t *secret, size_t len, struct tpm2_sealed *out)
{
	static const TPMA_OBJECT attrs = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
					 TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					 TPMA_OBJECT_USERWITHAUTH;
	static const TPMT_SYM_DEF_OBJECT aes128cfb = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
						       .mode.aes = TPM2_ALG_CFB };
	TPM2B_PUBLIC ecc = { .publicArea = { .type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
					     .objectAttributes = attrs,
					     .parameters.eccDetail = { .symmetric = aes128cfb,
								       .scheme.scheme = TPM2_ALG_NULL,
								       .curveID = TPM2_ECC_NIST_P256,
								       .kdf.scheme = TPM2_ALG_NULL } } };
	TPM2B_PUBLIC rsa2048 = { .publicArea = { .type = TPM2_ALG_RSA, .nameAlg = TPM2_ALG_SHA256,
						 .objectAttributes = attrs,
						 .parameters.rsaDetail = { .symmetric = aes128cfb,
									   .scheme.scheme = TPM2_ALG_NULL,
									   .keyBits = 2048 } } };
	TPM2B_SENSITIVE_CREATE empty = { 0 }, sensitive = { 0 };
	TPM2B_DATA no_info = { 0 };
	TPML_PCR_SELECTION no_pcrs = { 0 };
	TPM2B_PRIVATE *private = NULL;
	TPM2B_PUBLIC *public = NULL, tmpl;
	ESYS_TR primary = ESYS_TR_NONE;
	uint8_t pcr7[32];
	size_t max = sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC), off = 0;
	struct raw r;

	memset(out, 0, sizeof(*out));
	out->parent = rsa ? TPM2_PARENT_LEGACY_RSA : TPM2_PARENT_LEGACY_ECC;
	out->pcr_mask = 1u << 7;
	raw_open(&r, tpm);
	raw_pcr_read(&r, TPM2_ALG_SHA256, 7, pcr7, sizeof(pcr7));
	expected_policy_pcr7(pcr7, out->policy_hash);
	assert_int_equal(Esys_CreatePrimary(r.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					    &empty, rsa ? &rsa2048 : &ecc, &no_info, &no_pcrs, &primary, NULL, NULL,
					    NULL, NULL),
			 TSS2_RC_SUCCESS);
	tpm2_sealed_template(&tmpl, out->policy_hash);
	sensitive.sensitive.data.size = (UINT16)len;
	memcpy(sensitive.sensitive.data.buffer, secret, len);
	assert_int_equal(Esys_Create(r.esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
				     &no_info, &no_pcrs, &private, &public, NULL, NULL, NULL),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_FlushContext(r.esys, primary), TSS2_RC_SUCCESS);
	raw_close(&r);
	out->blob = malloc(max);
	assert_non_null(out->blob);
	assert_int_equal(Tss2_MU_TPM2B_PRIVATE_Marshal(private, out->blob, max, &off), TSS2_RC_SUCCESS);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(public, out->blob, max, &off), TSS2_RC_SUCCESS);
	out->blob_len = off;
	Esys_Free(private);
	Esys_Free(public);
}

/* Tokens of older systemd unseal under the primary their template makes, on this TPM and no other. */
static void legacy_tokens(void)
{
	struct tpm2_sealed ecc, rsa, wrong;
	struct unseal_args u = { 0 };
	struct proxy px = { 0 };
	uint8_t secret[32], *wire;
	struct tpm2 *t;
	size_t len;
	char *log;
	int r;

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0x5c ^ (i * 37));
	legacy_seal(&tpm_a, false, secret, sizeof(secret), &ecc);
	legacy_seal(&tpm_a, true, secret, sizeof(secret), &rsa);

	/* Through the recording proxy: the unsealed secret travels encrypted, as with the SRK. */
	proxy_start(&px, &tpm_a, 0);
	assert_int_equal(tpm2_open(&t, px.conf), 0);
	unseal_expect(t, &ecc, secret, sizeof(secret), 0);
	tpm2_close(t);
	proxy_stop(&px);
	wire = proxy_recorded(&px, &len);
	for (size_t i = 0; i + 8 <= sizeof(secret); i++)
		assert_null(memmem(wire, len, secret + i, 8));
	free(wire);

	t = open_tpm(&tpm_a);
	unseal_expect(t, &rsa, secret, sizeof(secret), 0);
	/* The ECC blob named as RSA's: it does not load under that key. */
	wrong = ecc;
	wrong.parent = TPM2_PARENT_LEGACY_RSA;
	u.t = t;
	u.s = &wrong;
	log = testutil_capture_log(do_unseal, &u, &r);
	assert_int_equal(r, -ENOKEY);
	assert_non_null(strstr(u.why.text, "does not load under this TPM's legacy RSA primary"));
	free(log);
	tpm2_close(t);

	/* Another TPM makes another primary from the same template. */
	t = open_tpm(&tpm_b);
	unseal_expect(t, &ecc, secret, sizeof(secret), -ENOKEY);
	tpm2_close(t);

	/* And PCR 7 binds it like any other token. */
	t = open_tpm(&tpm_a);
	assert_int_equal(tpm2_pcr_extend_event(t, 7, "legacy", 6), 0);
	unseal_expect(t, &ecc, secret, sizeof(secret), -EPERM);
	tpm2_close(t);
	tpm2_sealed_free(&ecc);
	tpm2_sealed_free(&rsa);
}

static void many_contexts(void)
{
	struct tpm2_sealed s;
	uint8_t secret[32];
	struct tpm2 *t = open_tpm(&tpm_a);

	random_secret(t, secret, sizeof(secret));
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << 7, &s), 0);
	tpm2_close(t);
	/* swtpm has three object slots and no resource manager: leaks would show within a few rounds. */
	for (int i = 0; i < 20; i++) {
		t = open_tpm(&tpm_a);
		unseal_expect(t, &s, secret, sizeof(secret), 0);
		tpm2_close(t);
	}
	tpm2_sealed_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(rc_mapping),
		T(open_errors),
		T(random_bytes),
		T(kernel_rng),
		T(pcr_extend_and_read),
		T(srk_made_once_then_reused),
		T(seal_unseal_round_trip),
		T(timing),
		T(salted_sessions_are_reliable),
		T(pcr_change_locks_the_secret),
		T(damaged_blob),
		T(foreign_srk),
		T(wire_carries_no_secret),
		T(interposer_is_detected),
		T(extend_every_bank),
		T(lockout),
		T(many_contexts),
		T(nv_record_round_trip),
		T(nv_record_bound_to_the_pcr),
		T(nv_record_read_under_old_values),
		T(nv_record_not_ours),
		T(legacy_tokens),
	};

	log_set_max_level(LOG_DEBUG);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
