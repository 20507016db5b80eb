/* SPDX-License-Identifier: MIT */
/*
 * Hex, as the signed root-hash document, the systemd-tpm2 token, the boot
 * report and the logs spell bytes.  Pure functions, whole in this header:
 * the lib-unit-test binaries link only the .c files test/libs.mk names for
 * them, and a lib/encoding.c would have to be added to each.
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

#endif
