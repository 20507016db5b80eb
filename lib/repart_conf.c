/* SPDX-License-Identifier: MIT */
/* The repart.d format: parsing one definition, loading a directory of them (see repart_conf.h). */
#include "repart_conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "reason.h"
#include "parse_util.h"
#include "util.h"

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

static int fail(struct reason *why, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Every parse error is "FILE:LINE: what" (or "FILE: what"). */
static int fail(struct reason *why, const char *name, unsigned line, const char *fmt, ...)
{
	char what[sizeof(why->text)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		return reason_set(why, -EINVAL, "%s:%u: %s", name, line, what);
	return reason_set(why, -EINVAL, "%s: %s", name, what);
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

/* The type GUID for a name or a GUID (lowercased into @type), and the default label. */
static int parse_type(const char *s, char type[37], const char **default_label)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (!strcmp(s, type_names[i].name)) {
			s = type_names[i].type;
			break;
		}
	if (!uuid_is_valid(s))
		return -EINVAL;
	copy_lower(type, UUID_STR_LEN, s);
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
		      struct reason *why)
{
	unsigned seen_line[KEY__COUNT] = { 0 };
	unsigned line = 0, section_line = 0;
	const char *p = text, *end = text + len, *default_label = NULL;
	uint64_t flags = 0;
	int bits[3] = { -1, -1, -1 }; /* NoAuto, ReadOnly, GrowFileSystem: -1 not given */
	bool has_label = false;

	memset(out, 0, sizeof(*out));
	if (!name || !name[0] || strlen(name) >= sizeof(out->file))
		return fail(why, name ? name : "(null)", 0, "file name empty or longer than %d",
			    REPART_FILE_MAX - 1);
	snprintf(out->file, sizeof(out->file), "%s", name);
	if (!len)
		p = end = text = "";
	if (memchr(text, '\0', len))
		return fail(why, name, 0, "contains a NUL byte");
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
			return fail(why, name, line, "line too long");
		if (buf[strlen(buf) - 1] == '\\')
			return fail(why, name, line, "line continuations are not supported");
		if (buf[0] == '[') {
			if (strcmp(buf, "[Partition]") != 0)
				return fail(why, name, line, "unknown section %s (only [Partition])", buf);
			if (section_line)
				return fail(why, name, line,
					    "second [Partition] section (the first is on line %u): "
					    "one partition per file", section_line);
			section_line = line;
			continue;
		}
		eq = strchr(buf, '=');
		if (!eq)
			return fail(why, name, line, "expected KEY=VALUE or [Partition]");
		if (!copy_trimmed(buf, eq, key, sizeof(key)) || !copy_trimmed(eq + 1, buf + strlen(buf), value,
										   sizeof(value)))
			return fail(why, name, line, "key or value too long");
		if (!key[0])
			return fail(why, name, line, "no key before '='");
		if (!section_line)
			return fail(why, name, line, "%s= outside a [Partition] section", key);

		k = key_lookup(key);
		if (k < 0) {
			/* Extension keys are for other tools, except our own. */
			if (!strncmp(key, "X-", 2) && strncmp(key, "X-Rampart", 9) != 0)
				continue;
			return fail(why, name, line, "unknown or unsupported key %s=", key);
		}
		if (seen_line[k])
			return fail(why, name, line, "%s= given twice (first on line %u)", key, seen_line[k]);
		seen_line[k] = line;
		if (!value[0])
			return fail(why, name, line, "%s= needs a value", key);

		switch (k) {
		case KEY_TYPE:
			if (parse_type(value, out->type, &default_label) < 0)
				return fail(why, name, line,
					    "Type=%s: not a GPT type GUID or a known name (esp, root, root-verity, "
					    "root-verity-sig, swap, var, tmp, linux-generic)", value);
			out->role = gpt_role_from_type(out->type);
			break;
		case KEY_LABEL:
			if (!repart_label_ok(value) || strchr(value, '%'))
				return fail(why, name, line,
					    "Label=%s: must be 1-%d printable ASCII characters without '%%'", value,
					    REPART_LABEL_CHARS);
			if (!strncmp(value, REPART_PENDING_PREFIX, strlen(REPART_PENDING_PREFIX)))
				return fail(why, name, line,
					    "Label=%s: the prefix \"" REPART_PENDING_PREFIX "\" is reserved for "
					    "partitions waiting to be formatted", value);
			copy_str(out->label, sizeof(out->label), value);
			has_label = true;
			break;
		case KEY_SIZE_MIN:
		case KEY_SIZE_MAX:
			r = parse_size(value, k == KEY_SIZE_MIN ? &out->size_min : &out->size_max);
			if (r < 0)
				return fail(why, name, line, "%s=%s: %s", key, value,
					    r == -ERANGE ? "too large"
							 : "expected a number with an optional K, M, G or T");
			if (k == KEY_SIZE_MAX && out->size_max < 4096)
				return fail(why, name, line, "%s=%s: less than 4096 bytes", key, value);
			break;
		case KEY_WEIGHT: {
			uint64_t w;
			const char *e;

			if (parse_u64_digits(value, 10, &w, &e) < 0 || *e || w > REPART_WEIGHT_MAX)
				return fail(why, name, line, "Weight=%s: expected 0-%d", value,
					    REPART_WEIGHT_MAX);
			out->weight = (uint32_t)w;
			break;
		}
		case KEY_FLAGS:
			r = parse_flags(value, &flags);
			if (r < 0)
				return fail(why, name, line, "Flags=%s: %s", value,
					    r == -ERANGE ? "more than 64 bits"
							 : "expected a decimal, 0x hexadecimal or 0b binary number");
			break;
		case KEY_NO_AUTO:
		case KEY_READ_ONLY:
		case KEY_GROW_FS:
		case KEY_MUST_EXIST:
			r = parse_boolean(value);
			if (r < 0)
				return fail(why, name, line, "%s=%s: expected a boolean (yes/no)", key,
					    value);
			if (k == KEY_MUST_EXIST)
				out->must_exist = r;
			else
				bits[k - KEY_NO_AUTO] = r;
			break;
		case KEY_SIZE_FROM:
			if (strlen(value) >= sizeof(out->size_from) || strchr(value, '/'))
				return fail(why, name, line, "%s=%s: expected a definition file name", key,
					    value);
			if (!strcmp(value, name))
				return fail(why, name, line, "%s=%s: names this file itself", key, value);
			copy_str(out->size_from, sizeof(out->size_from), value);
			break;
		}
	}

	if (!section_line)
		return fail(why, name, 0, "no [Partition] section");
	if (!seen_line[KEY_TYPE])
		return fail(why, name, section_line, "no Type= (rampart has no default type)");
	if (out->size_min > out->size_max)
		return fail(why, name, seen_line[KEY_SIZE_MAX],
			    "SizeMaxBytes= is smaller than SizeMinBytes=");
	if (seen_line[KEY_SIZE_FROM]) {
		static const enum key excluded[] = { KEY_SIZE_MIN, KEY_SIZE_MAX, KEY_WEIGHT, KEY_MUST_EXIST };

		for (size_t i = 0; i < ARRAY_SIZE(excluded); i++)
			if (seen_line[excluded[i]])
				return fail(why, name, seen_line[excluded[i]],
					    "%s= cannot be combined with X-RampartSizeFrom= (the size is copied)",
					    key_names[excluded[i]]);
	}

	/* The var/tmp label gets the pending prefix while it waits to be formatted. */
	if (!has_label)
		snprintf(out->label, sizeof(out->label), "%s", default_label ? default_label : out->type);
	if (repart_role_formatted(out->role) &&
	    strlen(out->label) + strlen(REPART_PENDING_PREFIX) > REPART_LABEL_CHARS)
		return fail(why, name, seen_line[KEY_LABEL],
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

const struct repart_def *repart_def_by_file(const struct repart_def *defs, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(defs[i].file, file))
			return &defs[i];
	return NULL;
}

int repart_check_defs(const struct repart_def *defs, size_t n, struct reason *why)
{
	for (size_t i = 0; i < n; i++) {
		const struct repart_def *d = &defs[i], *src;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(defs[j].file, d->file))
				return fail(why, d->file, 0, "two definitions with this name");
		if (!d->size_from[0])
			continue;
		src = repart_def_by_file(defs, n, d->size_from);
		if (!src)
			return fail(why, d->file, d->line, "X-RampartSizeFrom=%s: no such definition",
				    d->size_from);
		if (strcmp(src->type, d->type) != 0)
			return fail(why, d->file, d->line,
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

static int read_def(int dirfd, const char *name, struct repart_def *def, struct reason *why)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = read_full_at(dirfd, name, DEF_FILE_SIZE_MAX, READ_FULL_REGULAR, &text, &len);
	if (r == -EISDIR || r == -EBADFD)
		return reason_set(why, -EISDIR, "%s is not a regular file", name);
	if (r == -EFBIG)
		return reason_set(why, -EFBIG, "%s is larger than %d bytes", name, DEF_FILE_SIZE_MAX);
	if (r < 0)
		return reason_set(why, r, "cannot read %s", name);
	return repart_parse_file(name, text, len, def, why);
}

int repart_load_dir(const char *dir, struct repart_def *defs, size_t max, size_t *n, struct reason *why)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	_cleanup_free_ char(*names)[REPART_FILE_MAX] = NULL;
	size_t count = 0;
	struct dirent *de;
	int r;

	*n = 0;
	if (!d)
		return reason_set(why, -errno, "cannot open the directory");
	names = calloc(max ? max : 1, sizeof(*names));
	if (!names)
		return reason_set(why, -ENOMEM, "cannot list it");
	while ((errno = 0, de = readdir(d))) {
		if (!is_conf_name(de->d_name))
			continue;
		if (strlen(de->d_name) >= REPART_FILE_MAX)
			return reason_set(why, -ENAMETOOLONG, "%s: name longer than %d", de->d_name,
					  REPART_FILE_MAX - 1);
		if (count == max)
			return reason_set(why, -E2BIG, "more than %zu partition definitions", max);
		copy_str(names[count++], REPART_FILE_MAX, de->d_name);
	}
	if (errno)
		return reason_set(why, -errno, "cannot list it");
	qsort(names, count, sizeof(*names), compare_names);

	for (size_t i = 0; i < count; i++) {
		r = read_def(dirfd(d), names[i], &defs[i], why);
		if (r < 0)
			return r;
	}
	r = repart_check_defs(defs, count, why);
	if (r < 0)
		return r;
	log_debug("%zu partition definitions in %s", count, dir);
	*n = count;
	return 0;
}
