/* SPDX-License-Identifier: MIT */
/*
 * Hex, as the signed root-hash document, the systemd-tpm2 token, the boot
 * report and the logs spell bytes; UUIDs as GPT, efivarfs and repart.d
 * spell them.  Pure functions, small enough to live whole in this header.
 */
#ifndef RAMPART_ENCODING_H
#define RAMPART_ENCODING_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit of either case, or -1. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Writes 2 * @n lowercase digits and a NUL: @out holds 2 * @n + 1 chars. */
static inline void hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static inline int hex_decode_case(const char *in, size_t n, uint8_t *out, bool upper_ok)
{
	if (n % 2)
		return -EBADMSG;
	/* All checked before anything is written: on error @out is as it was. */
	for (size_t i = 0; i < n; i++)
		if (hex_digit(in[i]) < 0 || (!upper_ok && in[i] >= 'A' && in[i] <= 'F'))
			return -EBADMSG;
	for (size_t i = 0; i < n; i += 2)
		out[i / 2] = (uint8_t)(hex_digit(in[i]) << 4 | hex_digit(in[i + 1]));
	return 0;
}

/*
 * @n hex digits of either case (no prefix, no separators) into @n / 2
 * bytes at @out.  Returns 0, or -EBADMSG for an odd @n or any other char.
 */
static inline int hex_decode(const char *in, size_t n, uint8_t *out)
{
	return hex_decode_case(in, n, out, true);
}

/* The same, lowercase only: for text signed as it is spelt, which must have one spelling. */
static inline int hex_decode_lower(const char *in, size_t n, uint8_t *out)
{
	return hex_decode_case(in, n, out, false);
}

/* A UUID as text, 8-4-4-4-12 hex digits, with its NUL. */
#define UUID_STR_LEN 37

/*
 * 8-4-4-4-12 hex digits of either case, nothing before or after, into
 * the 16 bytes they spell, in text order.  Returns 0, or -EINVAL (@s NULL
 * or anything else); on error @out is as it was.
 */
static inline int uuid_from_string(const char *s, uint8_t out[16])
{
	uint8_t u[16];
	size_t j = 0;

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < UUID_STR_LEN - 1; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		/* A NUL is not a digit: nothing past the end of a short @s is read. */
		hi = hex_digit(s[i]);
		if (hi < 0)
			return -EINVAL;
		lo = hex_digit(s[++i]);
		if (lo < 0)
			return -EINVAL;
		u[j++] = (uint8_t)(hi << 4 | lo);
	}
	if (s[UUID_STR_LEN - 1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(u); i++)
		out[i] = u[i];
	return 0;
}

/* True if @s is a UUID as text (8-4-4-4-12 hex digits, either case). */
/* 16 bytes as a lowercase 8-4-4-4-12 UUID string (37 chars with the NUL), byte order as written. */
static inline void uuid_to_string(const uint8_t in[16], char out[37])
{
	static const int dashes_after[] = { 4, 6, 8, 10 };
	size_t o = 0, d = 0;

	for (int i = 0; i < 16; i++) {
		if (d < 4 && i == dashes_after[d]) {
			out[o++] = '-';
			d++;
		}
		hex_encode(out + o, in + i, 1);
		o += 2;
	}
	out[o] = '\0';
}

static inline bool uuid_is_valid(const char *s)
{
	uint8_t u[16];

	return uuid_from_string(s, u) == 0;
}

/*
 * Copies @src (NULL reads as "") to @dst with ASCII capitals lowered, at
 * most @size - 1 chars and a NUL: libblkid and libfdisk spell GUIDs as
 * they like, rampart keeps and compares them lowercase.
 */
static inline void copy_lower(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? (char)(src[i] - 'A' + 'a') : src[i];
	dst[i] = '\0';
}

#endif
