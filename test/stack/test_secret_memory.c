/* SPDX-License-Identifier: MIT */
/*
 * No copy of the volume secret outlives its use.  The test does with the
 * secret what init/storage.c does (first boot: getrandom, seal to PCR 7,
 * luks_format with its base64 as the passphrase, token added; later boot:
 * unseal, luks_open) against its own swtpm and a plain file, wipes its own
 * copies, closes the TPM, and then reads every writable mapping of the
 * process (/proc/self/maps, /proc/self/mem) looking for the 32 secret
 * bytes, the 44-byte passphrase and the 64-byte LUKS volume key: tpm2-tss,
 * mbedtls and libcryptsetup buffers, freed heap, dead stack frames, libc.
 *
 * The test never holds those values while it scans: it keeps each as
 * (value XOR random mask, mask) and compares memory against that on the
 * fly, so the scanner cannot find its own copy.  The volume key is read
 * in a child process, which sends back only its masked form.  The scanner
 * proves first that it finds what is there (a planted copy in the heap
 * and on the stack), and lib/wipe.h's two parts are checked on their own:
 * free() and realloc() leave no copy (lib/wipe_alloc.c, linked in by
 * test/stack.mk), and each call that handles a secret leaves nothing but
 * zeros in the stack below its caller, measured on a painted stack.  Those
 * two do not depend on luck: without them the scan after each step may
 * well come out clean, because musl unmapped the freed block or a later
 * call wrote over the dead frame.
 *
 * The log level is /init's default (notice): log_debug() calls, which
 * write over dead frames, return at once.  musl static, UBSan in trap
 * mode; every case fails when it leaves allocations behind
 * (testutil_run_checked()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libcryptsetup.h>
#include <mbedtls/base64.h>

#include "cryptsetup_util.h"
#include "log.h"
#include "luks.h"
#include "testutil.h"
#include "tpm2.h"
#include "tpm2_token.h"
#include "util.h"
#include "wipe.h"

#define MiB (1024 * 1024)
#define VOLUME_SIZE (64 * MiB)
#define SECRET_LEN 32 /* what init/storage.c seals */
#define PASS_LEN 44   /* its base64 */
#define VK_LEN 64     /* lib/luks.c's volume key */
#define VALUE_MAX 64
#define SEAL_PCR 7


/* ---- masked values ----------------------------------------------------------------------- */

/* A value the test must not hold in clear: value XOR mask, and the mask. */
struct masked {
	const char *what;
	size_t len;
	uint8_t masked[VALUE_MAX];
	uint8_t mask[VALUE_MAX];
};

static void mask_init(struct masked *m, const char *what, size_t len)
{
	m->what = what;
	m->len = len;
	assert_true(len <= VALUE_MAX);
	assert_int_equal(getrandom(m->mask, len, 0), (ssize_t)len);
}

/* Masks @plain (m->len bytes) with the mask mask_init() chose. */
static void mask_set(struct masked *m, const void *plain)
{
	const uint8_t *p = plain;

	for (size_t i = 0; i < m->len; i++)
		m->masked[i] = p[i] ^ m->mask[i];
}

/* The value in clear, in the caller's buffer, to be wiped after use. */
static void mask_reveal(const struct masked *m, void *out)
{
	uint8_t *o = out;

	for (size_t i = 0; i < m->len; i++)
		o[i] = m->masked[i] ^ m->mask[i];
}

static bool mask_matches(const struct masked *m, const uint8_t *p)
{
	for (size_t i = 0; i < m->len; i++)
		if ((p[i] ^ m->mask[i]) != m->masked[i])
			return false;
	return true;
}

/* ---- the scanner ------------------------------------------------------------------------- */

#define MAPS_MAX (256 * 1024)
#define CHUNK (256 * 1024)
#define HITS_MAX 32

struct hit {
	const struct masked *m;
	uintptr_t addr;
	char where[160];
};

struct scan {
	struct hit hits[HITS_MAX];
	size_t n_hits;     /* all of them, even beyond HITS_MAX */
	size_t regions;
	uint64_t bytes;    /* read */
	uint64_t unreadable;
};

static char maps[MAPS_MAX];

static void read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	assert_true(n == 0 && len < sizeof(maps) - 1);
	maps[len] = '\0';
}

static void hit_add(struct scan *s, const struct masked *m, uintptr_t addr, const char *line, uintptr_t start)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	struct hit *h;
	int n;

	if (s->n_hits++ >= HITS_MAX)
		return;
	h = &s->hits[s->n_hits - 1];
	h->m = m;
	h->addr = addr;
	/* "start-end perms offset dev inode   path": the path, or what the kernel calls it, or nothing. */
	for (int field = 0; field < 5; field++)
		line += strcspn(line, " \n"), line += strspn(line, " ");
	n = (int)strcspn(line, "\n");
	snprintf(h->where, sizeof(h->where), "%.*s+0x%" PRIxPTR, n ? n : 9, n ? line : "anonymous", addr - start);
	if (n == 7 && strncmp(line, "[stack]", 7) == 0 && addr < sp)
		snprintf(h->where + strlen(h->where), sizeof(h->where) - strlen(h->where),
			 ", %zu bytes below the scanner's frame", (size_t)(sp - addr));
}

/* Looks for every value of @ms in @buf[0..@len), at start offsets below @limit. */
static void scan_buffer(struct scan *s, const struct masked *const *ms, size_t n_ms, const uint8_t *buf,
			size_t len, size_t limit, uintptr_t addr, const char *line, uintptr_t start)
{
	for (size_t i = 0; i < limit; i++)
		for (size_t k = 0; k < n_ms; k++) {
			const struct masked *m = ms[k];

			if (i + m->len <= len && (buf[i] ^ m->mask[0]) == m->masked[0] && mask_matches(m, buf + i))
				hit_add(s, m, addr + i, line, start);
		}
}

static void scan_range(struct scan *s, const struct masked *const *ms, size_t n_ms, int fd, uint8_t *chunk,
		       uintptr_t from, uintptr_t to, const char *line, uintptr_t start)
{
	for (uintptr_t at = from; at < to; at += CHUNK) {
		size_t want = to - at < CHUNK + VALUE_MAX - 1 ? to - at : CHUNK + VALUE_MAX - 1;
		ssize_t got = pread(fd, chunk, want, (off_t)at);
		size_t limit;

		if (got <= 0) {
			s->unreadable += to - at < CHUNK ? to - at : CHUNK;
			continue;
		}
		limit = (size_t)got < CHUNK ? (size_t)got : CHUNK;
		s->bytes += limit;
		scan_buffer(s, ms, n_ms, chunk, (size_t)got, limit, at, line, start);
	}
}

/*
 * Reads each writable mapping through /proc/self/mem in chunks that
 * overlap by VALUE_MAX - 1 bytes, so no value is cut in two.  The chunk
 * buffer is mapped for the scan, left out of it (the kernel may merge it
 * with a neighbouring mapping) and wiped after.
 */
static void scan_memory(struct scan *s, const struct masked *const *ms, size_t n_ms)
{
	const size_t chunk_size = CHUNK + VALUE_MAX;
	uint8_t *chunk = mmap(NULL, chunk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t c0 = (uintptr_t)chunk, c1 = c0 + chunk_size;
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	char *line, *next;

	memset(s, 0, sizeof(*s));
	assert_true(chunk != MAP_FAILED);
	assert_true(fd >= 0);
	read_maps();
	for (line = maps; *line; line = next) {
		uintptr_t start, end;
		char perms[8];

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		assert_int_equal(sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &start, &end, perms), 3);
		if (perms[0] != 'r' || perms[1] != 'w')
			continue;
		s->regions++;
		if (c1 <= start || c0 >= end) {
			scan_range(s, ms, n_ms, fd, chunk, start, end, line, start);
			continue;
		}
		scan_range(s, ms, n_ms, fd, chunk, start, c0 > start ? c0 : start, line, start);
		scan_range(s, ms, n_ms, fd, chunk, c1 < end ? c1 : end, end, line, start);
	}
	close(fd);
	explicit_wipe(chunk, chunk_size);
	munmap(chunk, chunk_size);
}

static void scan_print(const struct scan *s, const char *phase)
{
	print_message("# %s: %zu writable mappings, %" PRIu64 " KiB read, %" PRIu64 " KiB unreadable, %zu hit(s)\n",
		      phase, s->regions, s->bytes / 1024, s->unreadable / 1024, s->n_hits);
	for (size_t i = 0; i < s->n_hits && i < HITS_MAX; i++)
		print_message("#   %s (%zu bytes) at 0x%" PRIxPTR ": %s\n", s->hits[i].m->what, s->hits[i].m->len,
			      s->hits[i].addr, s->hits[i].where);
}

/* Scans for @ms; true if nothing is found (what was found is printed). */
static bool scan_clean(const char *phase, const struct masked *const *ms, size_t n_ms)
{
	static struct scan s;

	scan_memory(&s, ms, n_ms);
	scan_print(&s, phase);
	assert_true(s.regions > 0 && s.bytes > 0);
	return s.n_hits == 0;
}

/* ---- the scanner finds what is there ----------------------------------------------------- */

static struct masked planted;

/* Leaves the value in clear deep in a frame that is gone when this returns. */
static __attribute__((noinline)) void plant_on_stack(const struct masked *m)
{
	uint8_t frame[16 * 1024];

	mask_reveal(m, frame);
	__asm__ __volatile__("" : : "r"(frame) : "memory");
}

static void fresh_plant(void)
{
	uint8_t value[SECRET_LEN];

	mask_init(&planted, "planted value", sizeof(value));
	assert_int_equal(getrandom(value, sizeof(value), 0), (ssize_t)sizeof(value));
	mask_set(&planted, value);
	explicit_wipe(value, sizeof(value));
}

/* A new heap block of @size with the planted value at @off. */
static uint8_t *plant_in_heap(size_t size, size_t off)
{
	uint8_t *p = malloc(size);

	assert_non_null(p);
	mask_reveal(&planted, p + off);
	return p;
}

static void planted_gone(const char *phase)
{
	const struct masked *ms[] = { &planted };

	assert_true(scan_clean(phase, ms, 1));
}

/* The planted value is found once: at @at, or on the stack for NULL. */
static void planted_found_once(const char *phase, const void *at)
{
	const struct masked *ms[] = { &planted };
	static struct scan s;

	scan_memory(&s, ms, 1);
	scan_print(&s, phase);
	assert_int_equal(s.n_hits, 1);
	if (at)
		assert_true(s.hits[0].addr == (uintptr_t)at);
	else
		assert_non_null(strstr(s.hits[0].where, "[stack]"));
}

static void scanner_finds_a_planted_copy(void)
{
	uint8_t *heap;

	fresh_plant();
	planted_gone("nothing planted");

	/* In the heap: found, at that address. */
	heap = plant_in_heap(100, 7);
	planted_found_once("planted in the heap", heap + 7);
	explicit_wipe(heap, 100);
	free(heap);
	planted_gone("heap copy wiped");

	/* In a dead stack frame: found, and gone after wipe_stack(). */
	plant_on_stack(&planted);
	planted_found_once("planted on the stack", NULL);
	wipe_stack();
	planted_gone("after wipe_stack()");
}

/* lib/wipe_alloc.c: free() wipes, realloc() leaves no old copy. */
static void freed_memory_is_wiped(void)
{
	uint8_t *p, *q;

	fresh_plant();
	free(plant_in_heap(48, 3));
	planted_gone("freed without wiping");

	/* Grown: musl copies the block and frees the old one. */
	p = plant_in_heap(40, 1);
	q = realloc(p, 8192);
	assert_non_null(q);
	planted_found_once("realloc'ed larger", q + 1);
	explicit_wipe(q, 8192);
	free(q);

	/* Shrunk within its size class: musl would keep the block, and the value in the tail cut off. */
	p = plant_in_heap(8192, 8000);
	q = realloc(p, 7000);
	assert_non_null(q);
	planted_gone("realloc'ed smaller, the value in the part cut off");
	free(q);
}

/* ---- the secret, as /init handles it ----------------------------------------------------- */

static void new_volume(char *path, size_t size, const char *name)
{
	int fd;

	assert_true((size_t)snprintf(path, size, "%s/%s", test_workdir, name) < size);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VOLUME_SIZE), 0);
	close(fd);
}

static struct tpm2 *open_tpm(void)
{
	struct tpm2 *t = NULL;

	assert_int_equal(tpm2_open(&t, test_swtpm_tcti(&test_tpm)), 0);
	return t;
}

static void passphrase(const uint8_t secret[SECRET_LEN], char pass[PASS_LEN + 1])
{
	size_t len = 0;

	assert_int_equal(mbedtls_base64_encode((unsigned char *)pass, PASS_LEN + 1, &len, secret, SECRET_LEN), 0);
	assert_int_equal(len, PASS_LEN);
}

/*
 * The volume key, masked with @vk's mask: read in a child, which sends
 * back only the masked bytes, so no clear copy is ever in this process.
 */
static void volume_key_masked(const char *path, const struct masked *pass, struct masked *vk)
{
	uint8_t masked[VK_LEN];
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
		char key[VK_LEN], p[PASS_LEN];
		size_t len = sizeof(key);
		bool ok;

		close(fds[0]);
		mask_reveal(pass, p);
		ok = crypt_init(&cd, path) == 0 && crypt_load(cd, CRYPT_LUKS2, NULL) == 0 &&
		     crypt_volume_key_get(cd, CRYPT_ANY_SLOT, key, &len, p, sizeof(p)) >= 0 && len == VK_LEN;
		for (size_t i = 0; i < VK_LEN; i++)
			masked[i] = (uint8_t)key[i] ^ vk->mask[i];
		_exit(ok && write(fds[1], masked, sizeof(masked)) == (ssize_t)sizeof(masked) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], vk->masked, VK_LEN), VK_LEN);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- dead stack frames --------------------------------------------------------------------- */

#define PAINT_BYTES (256 * 1024)
#define PAINT 0xa5
/*
 * Between the caller's stack pointer and wipe_stack()'s array: the frame
 * of the function called (lib/wipe.h's WIPE_STACK_AFTER), wipe_stack()'s
 * return address, saved registers and canary, and stack_measure()'s own
 * frame and open()'s and pread()'s.
 */
#define FRAME_SLACK 512

static __attribute__((noinline)) uintptr_t stack_top(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

/* Fills PAINT_BYTES below the caller's frame with PAINT. */
static __attribute__((noinline)) void stack_paint(void)
{
	uint8_t below[PAINT_BYTES];

	memset(below, PAINT, sizeof(below));
	__asm__ __volatile__("" : : "r"(below) : "memory");
}

/*
 * After a call made on a painted stack (@top from stack_top() before
 * stack_paint()): how deep the stack was written (the call's frames, and
 * wipe_stack()'s) and the deepest byte that is neither PAINT nor zero;
 * false if that one lies below the frames the caller may leave.
 */
static __attribute__((noinline)) bool stack_measure(uintptr_t top, const char *what)
{
	static uint8_t copy[PAINT_BYTES];
	uintptr_t from = top - PAINT_BYTES + 1024;
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	size_t written = 0, unwiped = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, copy, top - from, (off_t)from), (ssize_t)(top - from));
	close(fd);
	for (size_t i = 0; i < top - from && !unwiped; i++) {
		if (copy[i] == PAINT)
			continue;
		if (!written)
			written = top - (from + i);
		if (copy[i])
			unwiped = top - (from + i);
	}
	explicit_wipe(copy, sizeof(copy));
	print_message("# %s: stack written down to %zu bytes below the caller, the deepest byte left neither "
		      "painted nor zero %zu bytes down (%d allowed)\n", what, written, unwiped, FRAME_SLACK);
	assert_true(written > FRAME_SLACK && written < PAINT_BYTES - 1024);
	return unwiped <= FRAME_SLACK;
}

/*
 * Every call that handles the secret, its passphrase or the volume key
 * wipes the stack its callees used before it returns, however deep they
 * went: measured on a painted stack, so it does not depend on what later
 * calls happen to write over.
 */
static void dead_frames_are_wiped(void)
{
	struct tpm2_sealed sealed = { 0 };
	uint8_t secret[SECRET_LEN], identity[VOLUME_IDENTITY_SIZE];
	char path[320], pass[PASS_LEN + 1];
	struct reason why = { "" };
	size_t len = sizeof(secret);
	bool clean = true;
	struct tpm2 *t;
	uintptr_t top;
	int r;

	new_volume(path, sizeof(path), "frames.img");
	assert_int_equal(getrandom(secret, sizeof(secret), 0), (ssize_t)sizeof(secret));
	passphrase(secret, pass);

	t = open_tpm();
	top = stack_top();
	stack_paint();
	r = tpm2_seal(t, secret, sizeof(secret), 1u << SEAL_PCR, &sealed);
	clean &= stack_measure(top, "tpm2_seal()");
	assert_int_equal(r, 0);
	stack_paint();
	r = tpm2_unseal(t, &sealed, secret, &len, &why);
	clean &= stack_measure(top, "tpm2_unseal()");
	assert_int_equal(r, 0);
	tpm2_close(t);
	tpm2_sealed_free(&sealed);

	stack_paint();
	r = luks_format(path, "var", pass, PASS_LEN);
	clean &= stack_measure(top, "luks_format()");
	assert_true(r >= 0);
	stack_paint();
	r = luks_open(path, NULL, LUKS_ANY_KEYSLOT, pass, PASS_LEN, identity);
	clean &= stack_measure(top, "luks_open()");
	assert_int_equal(r, 0);

	explicit_wipe(secret, sizeof(secret));
	explicit_wipe(pass, sizeof(pass));
	if (!clean)
		fail_msg("dead stack frames left unwiped (listed above)");
}

static struct masked secret_m, pass_m, vk_m;
static const struct masked *const all[] = { &secret_m, &pass_m, &vk_m };

/* Unseals into @secret (the caller wipes it) and checks it against the masked copy. */
static void unseal_and_check(struct tpm2 *t, const struct tpm2_sealed *sealed, uint8_t secret[SECRET_LEN])
{
	struct reason why = { "" };
	size_t len = SECRET_LEN;
	int r;

	r = tpm2_unseal(t, sealed, secret, &len, &why);
	if (r < 0)
		fail_msg("unseal: %d (%s)", r, reason_or(&why, "-"));
	assert_int_equal(len, SECRET_LEN);
	assert_true(mask_matches(&secret_m, secret));
}

static void secret_leaves_no_copy(void)
{
	struct tpm2_sealed sealed = { 0 };
	uint8_t secret[SECRET_LEN], identity[VOLUME_IDENTITY_SIZE];
	char path[320], pass[PASS_LEN + 1], *json = NULL;
	bool clean = true;
	struct tpm2 *t;
	int keyslot, r;

	mask_init(&secret_m, "volume secret", SECRET_LEN);
	mask_init(&pass_m, "passphrase (base64)", PASS_LEN);
	mask_init(&vk_m, "LUKS volume key", VK_LEN);
	new_volume(path, sizeof(path), "var.img");

	/* First boot: a new secret, sealed to PCR 7. */
	assert_int_equal(getrandom(secret, sizeof(secret), 0), (ssize_t)sizeof(secret));
	mask_set(&secret_m, secret);
	passphrase(secret, pass);
	mask_set(&pass_m, pass);
	explicit_wipe(pass, sizeof(pass));
	t = open_tpm();
	assert_int_equal(tpm2_seal(t, secret, sizeof(secret), 1u << SEAL_PCR, &sealed), 0);
	tpm2_close(t);
	explicit_wipe(secret, sizeof(secret));
	clean &= scan_clean("after tpm2_seal() and tpm2_close()", all, 2);

	/* The volume formatted with its base64, the token added. */
	mask_reveal(&pass_m, pass);
	keyslot = luks_format(path, "var", pass, PASS_LEN);
	explicit_wipe(pass, sizeof(pass));
	assert_true(keyslot >= 0);
	assert_int_equal(tpm2_token_build(&sealed, keyslot, &json), 0);
	assert_true(luks_add_token(path, json, keyslot) >= 0);
	free(json);
	volume_key_masked(path, &pass_m, &vk_m);
	clean &= scan_clean("after luks_format()", all, 3);

	/* A later boot: unsealed, checked, wiped. */
	t = open_tpm();
	unseal_and_check(t, &sealed, secret);
	explicit_wipe(secret, sizeof(secret));
	tpm2_close(t);
	clean &= scan_clean("after tpm2_unseal() and tpm2_close()", all, 3);

	/* The volume opened (passphrase checked, no device-mapper). */
	mask_reveal(&pass_m, pass);
	r = luks_open(path, NULL, LUKS_ANY_KEYSLOT, pass, PASS_LEN, identity);
	explicit_wipe(pass, sizeof(pass));
	assert_int_equal(r, 0);
	clean &= scan_clean("after luks_open()", all, 3);

	/* All of it in the order init/storage.c goes: unseal, base64, open, wipe, close. */
	t = open_tpm();
	unseal_and_check(t, &sealed, secret);
	passphrase(secret, pass);
	explicit_wipe(secret, sizeof(secret));
	r = luks_open(path, NULL, LUKS_ANY_KEYSLOT, pass, PASS_LEN, identity);
	explicit_wipe(pass, sizeof(pass));
	assert_int_equal(r, 0);
	tpm2_close(t);
	clean &= scan_clean("after unseal, luks_open() and tpm2_close(), as /init", all, 3);

	tpm2_sealed_free(&sealed);
	if (!clean)
		fail_msg("copies of the secret, its passphrase or the volume key left in memory (listed above)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(scanner_finds_a_planted_copy),
		T(freed_memory_is_wiped),
		T(dead_frames_are_wiped),
		T(secret_leaves_no_copy),
	};

	log_set_max_level(LOG_NOTICE);
	return cmocka_run_group_tests(tests, test_swtpm_group_setup, test_swtpm_group_teardown);
}
