/* SPDX-License-Identifier: MIT */
/* Partition definitions (repart.d subset) and first-boot planning: see repart.h. */
#include "repart.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define GPT_TYPE_LINUX_GENERIC "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define DEF_FILE_SIZE_MAX (64 * 1024)
#define VALUE_MAX 256

/* systemd's symbolic type names for x86-64; the first name of a GUID is its default label. */
static const struct {
	const char *name, *type;
} type_names[] = {
	{ "esp", GPT_TYPE_ESP },
	{ "root", GPT_TYPE_ROOT },
	{ "root-x86-64", GPT_TYPE_ROOT },
	{ "root-verity", GPT_TYPE_ROOT_VERITY },
	{ "root-x86-64-verity", GPT_TYPE_ROOT_VERITY },
	{ "root-verity-sig", GPT_TYPE_ROOT_VERITY_SIG },
	{ "root-x86-64-verity-sig", GPT_TYPE_ROOT_VERITY_SIG },
	{ "swap", GPT_TYPE_SWAP },
	{ "var", GPT_TYPE_VAR },
	{ "tmp", GPT_TYPE_TMP },
	{ "linux-generic", GPT_TYPE_LINUX_GENERIC },
};

enum key {
	KEY_TYPE,
	KEY_LABEL,
	KEY_SIZE_MIN,
	KEY_SIZE_MAX,
	KEY_WEIGHT,
	KEY_FLAGS,
	KEY_NO_AUTO,
	KEY_READ_ONLY,
	KEY_GROW_FS,
	KEY_MUST_EXIST,
	KEY_SIZE_FROM,
	KEY__COUNT,
};

static const char *const key_names[KEY__COUNT] = {
	[KEY_TYPE] = "Type",
	[KEY_LABEL] = "Label",
	[KEY_SIZE_MIN] = "SizeMinBytes",
	[KEY_SIZE_MAX] = "SizeMaxBytes",
	[KEY_WEIGHT] = "Weight",
	[KEY_FLAGS] = "Flags",
	[KEY_NO_AUTO] = "NoAuto",
	[KEY_READ_ONLY] = "ReadOnly",
	[KEY_GROW_FS] = "GrowFileSystem",
	[KEY_MUST_EXIST] = "X-RampartMustExist",
	[KEY_SIZE_FROM] = "X-RampartSizeFrom",
};

static int fail(char *why, size_t why_size, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(char *why, size_t why_size, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!why || !why_size)
		return -EINVAL;
	n = line ? snprintf(why, why_size, "%s:%u: ", name, line) : snprintf(why, why_size, "%s: ", name);
	if (n >= 0 && (size_t)n < why_size) {
		va_start(ap, fmt);
		vsnprintf(why + n, why_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void set_why(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_size)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
}

/* ---- values ------------------------------------------------------------------------ */

static int parse_u64_digits(const char *s, unsigned base, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (p == s)
		return -EINVAL;
	*out = v;
	*end = p;
	return 0;
}

/* "1234", "64M": K, M, G, T are powers of 1024, as systemd. */
static int parse_size(const char *s, uint64_t *out)
{
	const char *end;
	unsigned shift = 0;
	uint64_t v;
	int r;

	r = parse_u64_digits(s, 10, &v, &end);
	if (r < 0)
		return r;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] != '\0')
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* Decimal, 0x hexadecimal or 0b binary, as systemd's Flags=. */
static int parse_flags(const char *s, uint64_t *out)
{
	unsigned base = 10;
	const char *end;
	int r;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	}
	r = parse_u64_digits(s, base, out, &end);
	if (r < 0)
		return r;
	return *end ? -EINVAL : 0;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

static bool is_guid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return s[36] == '\0';
}

/* The type GUID for a name or a GUID (lowercased into @type), and the default label. */
static int parse_type(const char *s, char type[37], const char **default_label)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (!strcmp(s, type_names[i].name)) {
			s = type_names[i].type;
			break;
		}
	if (!is_guid(s))
		return -EINVAL;
	for (int i = 0; i < 37; i++)
		type[i] = (char)tolower((unsigned char)s[i]);
	*default_label = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(type_names) && !*default_label; i++)
		if (!strcmp(type, type_names[i].type))
			*default_label = type_names[i].name;
	return 0;
}

bool repart_label_ok(const char *label)
{
	size_t n = strlen(label);

	if (n == 0 || n > REPART_LABEL_CHARS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (label[i] < 0x20 || label[i] > 0x7e)
			return false;
	return true;
}

const char *repart_pending_final(const char *label)
{
	size_t n = strlen(REPART_PENDING_PREFIX);

	if (strncmp(label, REPART_PENDING_PREFIX, n) != 0 || !label[n])
		return NULL;
	return label + n;
}

bool repart_role_formatted(enum part_role role)
{
	return role == ROLE_VAR || role == ROLE_TMP;
}

/* ---- parsing ------------------------------------------------------------------------- */

/* @src is known to fit (checked where it is parsed); truncates otherwise. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* [s, e) without surrounding blanks, copied to @buf; false if it does not fit. */
static bool copy_trimmed(const char *s, const char *e, char *buf, size_t size)
{
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if ((size_t)(e - s) >= size)
		return false;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return true;
}

static int key_lookup(const char *key)
{
	for (int k = 0; k < KEY__COUNT; k++)
		if (!strcmp(key, key_names[k]))
			return k;
	return -1;
}

int repart_parse_file(const char *name, const char *text, size_t len, struct repart_def *out,
		      char *why, size_t why_size)
{
	unsigned seen_line[KEY__COUNT] = { 0 };
	unsigned line = 0, section_line = 0;
	const char *p = text, *end = text + len, *default_label = NULL;
	uint64_t flags = 0;
	int bits[3] = { -1, -1, -1 }; /* NoAuto, ReadOnly, GrowFileSystem: -1 not given */
	bool has_label = false;

	memset(out, 0, sizeof(*out));
	if (!name || !name[0] || strlen(name) >= sizeof(out->file))
		return fail(why, why_size, name ? name : "(null)", 0, "file name empty or longer than %d",
			    REPART_FILE_MAX - 1);
	snprintf(out->file, sizeof(out->file), "%s", name);
	if (!len)
		p = end = text = "";
	if (memchr(text, '\0', len))
		return fail(why, why_size, name, 0, "contains a NUL byte");
	out->size_min = REPART_DEFAULT_MIN;
	out->size_max = UINT64_MAX;
	out->weight = REPART_DEFAULT_WEIGHT;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *first = p, *eq;
		char buf[VALUE_MAX + 64], key[64], value[VALUE_MAX];
		int k, r;

		line++;
		p = nl ? nl + 1 : end;
		while (first < eol && is_blank(*first))
			first++;
		/* Comments may be as long as they like. */
		if (first == eol || *first == '#' || *first == ';')
			continue;
		if (!copy_trimmed(first, eol, buf, sizeof(buf)))
			return fail(why, why_size, name, line, "line too long");
		if (buf[strlen(buf) - 1] == '\\')
			return fail(why, why_size, name, line, "line continuations are not supported");
		if (buf[0] == '[') {
			if (strcmp(buf, "[Partition]") != 0)
				return fail(why, why_size, name, line, "unknown section %s (only [Partition])", buf);
			if (section_line)
				return fail(why, why_size, name, line,
					    "second [Partition] section (the first is on line %u): "
					    "one partition per file", section_line);
			section_line = line;
			continue;
		}
		eq = strchr(buf, '=');
		if (!eq)
			return fail(why, why_size, name, line, "expected KEY=VALUE or [Partition]");
		if (!copy_trimmed(buf, eq, key, sizeof(key)) || !copy_trimmed(eq + 1, buf + strlen(buf), value,
										   sizeof(value)))
			return fail(why, why_size, name, line, "key or value too long");
		if (!key[0])
			return fail(why, why_size, name, line, "no key before '='");
		if (!section_line)
			return fail(why, why_size, name, line, "%s= outside a [Partition] section", key);

		k = key_lookup(key);
		if (k < 0) {
			/* Extension keys are for other tools, except our own. */
			if (!strncmp(key, "X-", 2) && strncmp(key, "X-Rampart", 9) != 0)
				continue;
			return fail(why, why_size, name, line, "unknown or unsupported key %s=", key);
		}
		if (seen_line[k])
			return fail(why, why_size, name, line, "%s= given twice (first on line %u)", key, seen_line[k]);
		seen_line[k] = line;
		if (!value[0])
			return fail(why, why_size, name, line, "%s= needs a value", key);

		switch (k) {
		case KEY_TYPE:
			if (parse_type(value, out->type, &default_label) < 0)
				return fail(why, why_size, name, line,
					    "Type=%s: not a GPT type GUID or a known name (esp, root, root-verity, "
					    "root-verity-sig, swap, var, tmp, linux-generic)", value);
			out->role = gpt_role_from_type(out->type);
			break;
		case KEY_LABEL:
			if (!repart_label_ok(value) || strchr(value, '%'))
				return fail(why, why_size, name, line,
					    "Label=%s: must be 1-%d printable ASCII characters without '%%'", value,
					    REPART_LABEL_CHARS);
			if (!strncmp(value, REPART_PENDING_PREFIX, strlen(REPART_PENDING_PREFIX)))
				return fail(why, why_size, name, line,
					    "Label=%s: the prefix \"" REPART_PENDING_PREFIX "\" is reserved for "
					    "partitions waiting to be formatted", value);
			copy_str(out->label, sizeof(out->label), value);
			has_label = true;
			break;
		case KEY_SIZE_MIN:
		case KEY_SIZE_MAX:
			r = parse_size(value, k == KEY_SIZE_MIN ? &out->size_min : &out->size_max);
			if (r < 0)
				return fail(why, why_size, name, line, "%s=%s: %s", key, value,
					    r == -ERANGE ? "too large"
							 : "expected a number with an optional K, M, G or T");
			if (k == KEY_SIZE_MAX && out->size_max < 4096)
				return fail(why, why_size, name, line, "%s=%s: less than 4096 bytes", key, value);
			break;
		case KEY_WEIGHT: {
			uint64_t w;
			const char *e;

			if (parse_u64_digits(value, 10, &w, &e) < 0 || *e || w > REPART_WEIGHT_MAX)
				return fail(why, why_size, name, line, "Weight=%s: expected 0-%d", value,
					    REPART_WEIGHT_MAX);
			out->weight = (uint32_t)w;
			break;
		}
		case KEY_FLAGS:
			r = parse_flags(value, &flags);
			if (r < 0)
				return fail(why, why_size, name, line, "Flags=%s: %s", value,
					    r == -ERANGE ? "more than 64 bits"
							 : "expected a decimal, 0x hexadecimal or 0b binary number");
			break;
		case KEY_NO_AUTO:
		case KEY_READ_ONLY:
		case KEY_GROW_FS:
		case KEY_MUST_EXIST:
			r = parse_bool(value);
			if (r < 0)
				return fail(why, why_size, name, line, "%s=%s: expected a boolean (yes/no)", key,
					    value);
			if (k == KEY_MUST_EXIST)
				out->must_exist = r;
			else
				bits[k - KEY_NO_AUTO] = r;
			break;
		case KEY_SIZE_FROM:
			if (strlen(value) >= sizeof(out->size_from) || strchr(value, '/'))
				return fail(why, why_size, name, line, "%s=%s: expected a definition file name", key,
					    value);
			if (!strcmp(value, name))
				return fail(why, why_size, name, line, "%s=%s: names this file itself", key, value);
			copy_str(out->size_from, sizeof(out->size_from), value);
			break;
		}
	}

	if (!section_line)
		return fail(why, why_size, name, 0, "no [Partition] section");
	if (!seen_line[KEY_TYPE])
		return fail(why, why_size, name, section_line, "no Type= (rampart has no default type)");
	if (out->size_min > out->size_max)
		return fail(why, why_size, name, seen_line[KEY_SIZE_MAX],
			    "SizeMaxBytes= is smaller than SizeMinBytes=");
	if (seen_line[KEY_SIZE_FROM]) {
		static const enum key excluded[] = { KEY_SIZE_MIN, KEY_SIZE_MAX, KEY_WEIGHT, KEY_MUST_EXIST };

		for (size_t i = 0; i < ARRAY_SIZE(excluded); i++)
			if (seen_line[excluded[i]])
				return fail(why, why_size, name, seen_line[excluded[i]],
					    "%s= cannot be combined with X-RampartSizeFrom= (the size is copied)",
					    key_names[excluded[i]]);
	}

	/* The var/tmp label gets the pending prefix while it waits to be formatted. */
	if (!has_label)
		snprintf(out->label, sizeof(out->label), "%s", default_label ? default_label : out->type);
	if (repart_role_formatted(out->role) &&
	    strlen(out->label) + strlen(REPART_PENDING_PREFIX) > REPART_LABEL_CHARS)
		return fail(why, why_size, name, seen_line[KEY_LABEL],
			    "Label=%s: a %s partition's label can have at most %zu characters (it is created as "
			    REPART_PENDING_PREFIX "%s)", out->label, gpt_role_name(out->role),
			    REPART_LABEL_CHARS - strlen(REPART_PENDING_PREFIX), out->label);

	out->attrs = flags;
	for (int i = 0; i < 3; i++) {
		static const uint64_t bit[3] = { GPT_ATTR_NO_AUTO, GPT_ATTR_READ_ONLY, GPT_ATTR_GROW_FS };

		if (bits[i] == 1)
			out->attrs |= bit[i];
		else if (bits[i] == 0)
			out->attrs &= ~bit[i];
	}
	out->line = section_line;
	return 0;
}

static const struct repart_def *def_by_file(const struct repart_def *defs, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(defs[i].file, file))
			return &defs[i];
	return NULL;
}

int repart_check_defs(const struct repart_def *defs, size_t n, char *why, size_t why_size)
{
	for (size_t i = 0; i < n; i++) {
		const struct repart_def *d = &defs[i], *src;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(defs[j].file, d->file))
				return fail(why, why_size, d->file, 0, "two definitions with this name");
		if (!d->size_from[0])
			continue;
		src = def_by_file(defs, n, d->size_from);
		if (!src)
			return fail(why, why_size, d->file, d->line, "X-RampartSizeFrom=%s: no such definition",
				    d->size_from);
		if (strcmp(src->type, d->type) != 0)
			return fail(why, why_size, d->file, d->line,
				    "X-RampartSizeFrom=%s: that definition is of another type (%s, not %s)",
				    d->size_from, src->type, d->type);
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool is_conf_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".conf");
}

static int read_def(int dirfd, const char *dir, const char *name, struct repart_def *def)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	char why[256];
	struct stat st;
	size_t have = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return log_errno(LOG_ERR, errno, "cannot read partition definition %s/%s", dir, name);
	if (!S_ISREG(st.st_mode))
		return log_errno(LOG_ERR, EISDIR, "partition definition %s/%s is not a regular file", dir, name);
	if (st.st_size > DEF_FILE_SIZE_MAX)
		return log_errno(LOG_ERR, EFBIG, "partition definition %s/%s is larger than %d bytes", dir, name,
				 DEF_FILE_SIZE_MAX);
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return log_errno(LOG_ERR, ENOMEM, "cannot read partition definition %s/%s", dir, name);
	while (have < (size_t)st.st_size) {
		ssize_t k = read(fd, text + have, (size_t)st.st_size - have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return log_errno(LOG_ERR, errno, "cannot read partition definition %s/%s", dir, name);
		if (k == 0)
			break;
		have += (size_t)k;
	}
	if (repart_parse_file(name, text, have, def, why, sizeof(why)) < 0) {
		log_error("bad partition definition %s/%s", dir, why);
		return -EINVAL;
	}
	return 0;
}

int repart_load_dir(const char *dir, struct repart_def *defs, size_t max, size_t *n)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	_cleanup_free_ char(*names)[REPART_FILE_MAX] = NULL;
	size_t count = 0;
	struct dirent *de;
	char why[256];
	int r;

	*n = 0;
	if (!d)
		return log_errno(LOG_ERR, errno, "cannot open the partition definitions %s", dir);
	names = calloc(max ? max : 1, sizeof(*names));
	if (!names)
		return log_errno(LOG_ERR, ENOMEM, "cannot list %s", dir);
	while ((errno = 0, de = readdir(d))) {
		if (!is_conf_name(de->d_name))
			continue;
		if (strlen(de->d_name) >= REPART_FILE_MAX)
			return log_errno(LOG_ERR, ENAMETOOLONG, "partition definition %s/%s: name longer than %d",
					 dir, de->d_name, REPART_FILE_MAX - 1);
		if (count == max)
			return log_errno(LOG_ERR, E2BIG, "more than %zu partition definitions in %s", max, dir);
		copy_str(names[count++], REPART_FILE_MAX, de->d_name);
	}
	if (errno)
		return log_errno(LOG_ERR, errno, "cannot list %s", dir);
	qsort(names, count, sizeof(*names), compare_names);

	for (size_t i = 0; i < count; i++) {
		r = read_def(dirfd(d), dir, names[i], &defs[i]);
		if (r < 0)
			return r;
	}
	if (repart_check_defs(defs, count, why, sizeof(why)) < 0) {
		log_error("bad partition definition %s/%s", dir, why);
		return -EINVAL;
	}
	log_debug("%zu partition definitions in %s", count, dir);
	*n = count;
	return 0;
}

/* ---- planning ------------------------------------------------------------------------- */

struct def_state {
	const struct partition *match; /* the existing partition this definition describes */
	uint64_t size;                 /* bytes, for a new partition */
	uint64_t min_u, max_u, extra_u; /* in REPART_ALIGN units */
	bool active;                   /* still growing */
	bool bumped;                   /* got one of the units left over by rounding */
	uint64_t frac;                 /* remainder of its last share, to hand those out */
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static uint64_t mib(uint64_t bytes)
{
	return bytes >> 20;
}

/* The existing partition that is the @k-th (0-based) of @type by partition number. */
static const struct partition *nth_of_type(const struct partition *parts, size_t n, const char *type, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		size_t before = 0;

		if (strcasecmp(parts[i].type, type) != 0)
			continue;
		for (size_t j = 0; j < n; j++)
			before += j != i && !strcasecmp(parts[j].type, type) && parts[j].number < parts[i].number;
		if (before == k)
			return &parts[i];
	}
	return NULL;
}

/*
 * The largest free area: candidates start at the first usable byte and
 * at the end of each partition, if no partition covers that byte, and end
 * at the next partition or the last usable byte.
 */
static void largest_gap(const struct partition *parts, size_t n, const struct repart_geometry *geo,
			uint64_t *gap_start, uint64_t *gap_units)
{
	*gap_start = 0;
	*gap_units = 0;
	for (size_t c = 0; c <= n; c++) {
		uint64_t from = c == n ? geo->first_usable : parts[c].start + parts[c].size;
		uint64_t start, end = geo->last_usable + 1, units;
		bool covered = false;

		for (size_t i = 0; i < n; i++) {
			if (parts[i].start <= from && from < parts[i].start + parts[i].size)
				covered = true;
			if (parts[i].start >= from && parts[i].start < end)
				end = parts[i].start;
		}
		if (covered || from < geo->first_usable || from > UINT64_MAX - REPART_ALIGN)
			continue;
		start = div_up(from, REPART_ALIGN) * REPART_ALIGN;
		if (start >= end)
			continue;
		units = (end - start) / REPART_ALIGN;
		if (units > *gap_units || (units == *gap_units && units && start < *gap_start)) {
			*gap_start = start;
			*gap_units = units;
		}
	}
}

/*
 * Shares @surplus units among the active states by weight: a partition
 * whose share reaches its room gets the room and leaves; when none does,
 * each gets the floor of its share, and the units left over go to the
 * largest fractional parts (ties: definition order).
 */
static void share_by_weight(const struct repart_def *defs, struct def_state *st, size_t n, uint64_t surplus)
{
	for (;;) {
		unsigned __int128 total_w = 0;
		uint64_t given = 0, left;
		bool capped = false;

		for (size_t i = 0; i < n; i++)
			if (st[i].active)
				total_w += defs[i].weight;
		if (!total_w || !surplus)
			return;

		for (size_t i = 0; i < n; i++) {
			uint64_t room;

			if (!st[i].active)
				continue;
			room = st[i].max_u - st[i].min_u - st[i].extra_u;
			if ((unsigned __int128)surplus * defs[i].weight >= (unsigned __int128)room * total_w) {
				st[i].extra_u += room;
				st[i].active = false;
				given += room;
				capped = true;
			}
		}
		if (capped) {
			surplus -= given;
			continue;
		}

		for (size_t i = 0; i < n; i++) {
			unsigned __int128 x;

			if (!st[i].active)
				continue;
			x = (unsigned __int128)surplus * defs[i].weight;
			st[i].extra_u += (uint64_t)(x / total_w);
			st[i].frac = (uint64_t)(x % total_w);
			given += (uint64_t)(x / total_w);
		}
		for (left = surplus - given; left > 0; left--) {
			size_t best = n;

			for (size_t i = 0; i < n; i++)
				if (st[i].active && !st[i].bumped && (best == n || st[i].frac > st[best].frac))
					best = i;
			if (best == n)
				break;
			st[best].extra_u++;
			st[best].bumped = true;
		}
		return;
	}
}

static bool overlaps(uint64_t a_start, uint64_t a_size, uint64_t b_start, uint64_t b_size)
{
	return a_start < b_start + b_size && b_start < a_start + a_size;
}

int repart_plan(const struct partition *existing, size_t n_existing, const struct repart_geometry *geo,
		const struct repart_def *defs, size_t n_defs, struct repart_new *out, size_t max,
		size_t *n_out, char *why, size_t why_size)
{
	_cleanup_free_ struct def_state *st = NULL;
	uint64_t gap_start, gap_units, need_u = 0, pos;
	size_t n_new = 0, k = 0;
	int highest = 0, r;

	*n_out = 0;
	if (why && why_size)
		why[0] = '\0';
	r = repart_check_defs(defs, n_defs, why, why_size);
	if (r < 0)
		return r;
	if (!geo->sector_size || (geo->sector_size & (geo->sector_size - 1)) || geo->sector_size > REPART_ALIGN ||
	    geo->first_usable > geo->last_usable || geo->last_usable == UINT64_MAX || !geo->max_partitions) {
		set_why(why, why_size, "bad disk geometry");
		return -EINVAL;
	}
	for (size_t i = 0; i < n_existing; i++) {
		if (strcmp(existing[i].disk, existing[0].disk) != 0) {
			set_why(why, why_size, "partitions of two disks (%s, %s) given", existing[0].disk,
				existing[i].disk);
			return -EINVAL;
		}
		if (existing[i].number < 1) {
			set_why(why, why_size, "partition without a number");
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (existing[j].number == existing[i].number) {
				set_why(why, why_size, "partition number %d given twice", existing[i].number);
				return -EINVAL;
			}
		if (existing[i].number > highest)
			highest = existing[i].number;
	}

	st = calloc(n_defs ? n_defs : 1, sizeof(*st));
	if (!st) {
		set_why(why, why_size, "out of memory");
		return -ENOMEM;
	}

	/* Matching: the Nth definition of a type is the Nth partition of that type. */
	for (size_t i = 0; i < n_defs; i++) {
		size_t nth = 0;

		for (size_t j = 0; j < i; j++)
			nth += !strcmp(defs[j].type, defs[i].type);
		st[i].match = nth_of_type(existing, n_existing, defs[i].type, nth);
		if (st[i].match)
			continue;
		if (defs[i].must_exist) {
			set_why(why, why_size,
				"%s: the disk has no %s partition #%zu (type %s), which the image must have "
				"(X-RampartMustExist=)", defs[i].file, gpt_role_name(defs[i].role), nth + 1,
				defs[i].type);
			return -ENOENT;
		}
		n_new++;
	}
	if (!n_new)
		return 0;

	/* Sizes in units: minimum, maximum; copied sizes are fixed. */
	for (size_t i = 0; i < n_defs; i++) {
		const struct repart_def *d = &defs[i];

		if (st[i].match)
			continue;
		if (d->size_from[0]) {
			const struct repart_def *src = def_by_file(defs, n_defs, d->size_from);
			const struct partition *p = st[src - defs].match;

			if (!p) {
				set_why(why, why_size,
					"%s: X-RampartSizeFrom=%s: that partition does not exist on the disk to copy "
					"its size from", d->file, d->size_from);
				return -EINVAL;
			}
			if (!p->size || p->size % geo->sector_size) {
				set_why(why, why_size, "%s: X-RampartSizeFrom=%s: partition %d has size %llu",
					d->file, d->size_from, p->number, (unsigned long long)p->size);
				return -EINVAL;
			}
			st[i].size = p->size;
			st[i].min_u = st[i].max_u = div_up(p->size, REPART_ALIGN);
		} else {
			st[i].min_u = div_up(d->size_min, REPART_ALIGN);
			if (!st[i].min_u)
				st[i].min_u = 1;
			st[i].max_u = d->size_max == UINT64_MAX ? UINT64_MAX : d->size_max / REPART_ALIGN;
			if (st[i].max_u < st[i].min_u)
				st[i].max_u = st[i].min_u;
			st[i].active = d->weight > 0 && st[i].max_u > st[i].min_u;
		}
		need_u = need_u > UINT64_MAX - st[i].min_u ? UINT64_MAX : need_u + st[i].min_u;
	}

	if ((uint64_t)highest + n_new > geo->max_partitions) {
		set_why(why, why_size,
			"no room in the partition table: %zu new partitions after number %d need %llu entries, "
			"the GPT has %u", n_new, highest, (unsigned long long)highest + n_new, geo->max_partitions);
		return -ENOSPC;
	}
	if (n_new > max) {
		set_why(why, why_size, "%zu new partitions, room for %zu", n_new, max);
		return -ENOBUFS;
	}

	largest_gap(existing, n_existing, geo, &gap_start, &gap_units);
	if (need_u > gap_units) {
		if (gap_units)
			set_why(why, why_size,
				"disk too small: the %zu new partitions need at least %llu MiB, the largest free "
				"area (at %llu MiB) has %llu MiB: %llu MiB more needed", n_new,
				(unsigned long long)mib(need_u * REPART_ALIGN), (unsigned long long)mib(gap_start),
				(unsigned long long)mib(gap_units * REPART_ALIGN),
				(unsigned long long)mib((need_u - gap_units) * REPART_ALIGN));
		else
			set_why(why, why_size,
				"disk too small: the %zu new partitions need at least %llu MiB, the disk has no "
				"free area", n_new, (unsigned long long)mib(need_u * REPART_ALIGN));
		return -ENOSPC;
	}
	share_by_weight(defs, st, n_defs, gap_units - need_u);

	/* Layout: definition order, each start aligned; numbers after the highest in use. */
	pos = gap_start;
	for (size_t i = 0; i < n_defs; i++) {
		const struct repart_def *d = &defs[i];
		struct repart_new *o = &out[k];

		if (st[i].match)
			continue;
		if (!d->size_from[0])
			st[i].size = (st[i].min_u + st[i].extra_u) * REPART_ALIGN;
		memset(o, 0, sizeof(*o));
		o->def = d;
		o->number = highest + 1 + (int)k;
		o->start = pos;
		o->size = st[i].size;
		snprintf(o->label, sizeof(o->label), "%s%s",
			 repart_role_formatted(d->role) ? REPART_PENDING_PREFIX : "", d->label);
		pos += div_up(o->size, REPART_ALIGN) * REPART_ALIGN;
		k++;
	}

	/* What the rest of the boot relies on, checked rather than assumed. */
	for (size_t i = 0; i < k; i++) {
		const struct repart_new *o = &out[i];
		bool bad = o->start < geo->first_usable || o->size == 0 || o->start + o->size - 1 > geo->last_usable ||
			   o->start % geo->sector_size || o->size % geo->sector_size;

		for (size_t j = 0; j < n_existing && !bad; j++)
			bad = overlaps(o->start, o->size, existing[j].start, existing[j].size);
		if (bad) {
			set_why(why, why_size, "internal error: %s would be placed at %llu+%llu", o->def->file,
				(unsigned long long)o->start, (unsigned long long)o->size);
			return -EINVAL;
		}
	}
	*n_out = k;
	return 0;
}
