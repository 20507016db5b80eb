/* SPDX-License-Identifier: MIT */
#include "os_release.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Unquotes @raw (@n bytes) into @out as os-release(5) and the shell do. */
static int unquote(const char *raw, size_t n, char out[OS_RELEASE_VALUE_MAX])
{
	char quote = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = raw[i];

		/* Control characters (NUL included) never belong in a version. */
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return -EBADMSG;
		if (!quote && (c == '"' || c == '\'')) {
			quote = c;
			continue;
		}
		if (quote && c == quote) {
			quote = 0;
			continue;
		}
		if (quote == '"' && c == '\\' && i + 1 < n && raw[i + 1] && strchr("\"\\`$", raw[i + 1]))
			c = raw[++i];
		else if (!quote && (c == ' ' || strchr("\\`$;&|<>()", c)))
			return -EBADMSG;
		if (o + 1 >= OS_RELEASE_VALUE_MAX)
			return -E2BIG;
		out[o++] = c;
	}
	out[o] = '\0';
	return quote ? -EBADMSG : 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int os_release_parse(const char *text, size_t len, struct os_release *out, struct reason *why)
{
	bool have_image = false, have_security = false;
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	for (size_t pos = 0; pos < len;) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos, key_len;
		const char *eq, *p = start;
		char value[OS_RELEASE_VALUE_MAX];
		int r;

		pos += n + (nl ? 1 : 0);
		line++;
		while (n && isspace((unsigned char)*p))
			p++, n--;
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || *p == '#')
			continue;
		eq = memchr(p, '=', n);
		if (!eq || eq == p)
			return reason_set(why, -EBADMSG, "line %u is not KEY=VALUE", line);
		key_len = (size_t)(eq - p);
		for (size_t i = 0; i < key_len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_')
				return reason_set(why, -EBADMSG, "line %u: not a variable name", line);
		r = unquote(eq + 1, n - key_len - 1, value);
		if (r == -E2BIG)
			return reason_set(why, -EBADMSG, "line %u: value longer than %d bytes", line,
					  OS_RELEASE_VALUE_MAX - 1);
		if (r < 0)
			return reason_set(why, -EBADMSG, "line %u: malformed value", line);

		if (key_len == 13 && !memcmp(p, "IMAGE_VERSION", 13)) {
			if (have_image)
				return reason_set(why, -EBADMSG, "IMAGE_VERSION given twice");
			have_image = true;
			memcpy(out->image_version, value, sizeof(value));
		} else if (key_len == 24 && !memcmp(p, "RAMPART_SECURITY_VERSION", 24)) {
			if (have_security)
				return reason_set(why, -EBADMSG, "RAMPART_SECURITY_VERSION given twice");
			have_security = true;
			if (parse_u32(value, &out->security_version) < 0)
				return reason_set(why, -EBADMSG, "RAMPART_SECURITY_VERSION is not a number below 2^32");
		}
	}
	return 0;
}
