/* SPDX-License-Identifier: MIT */
/*
 * Taking typed values from a fuzzer's input, front to back; once it runs
 * out, every value is 0 and every string empty, so a target never reads
 * past the input and short inputs still make whole (small) cases.
 */
#ifndef RAMPART_FUZZ_INPUT_H
#define RAMPART_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t take_u8(struct fuzz_input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint64_t take_u64(struct fuzz_input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)take_u8(in) << (8 * i);
	return v;
}

/* Up to @max - 1 bytes (the count from the input) into @buf, NUL-terminated. */
static inline size_t take_str(struct fuzz_input *in, char *buf, size_t max)
{
	size_t len = take_u8(in) % max;

	if (len > in->n)
		len = in->n;
	memcpy(buf, in->p, len);
	buf[len] = '\0';
	in->p += len;
	in->n -= len;
	return len;
}

/* What an invariant that failed says, then abort(): libFuzzer keeps the input. */
#define fuzz_assert(cond)                                                                     \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                              \
		}                                                                             \
	} while (0)

#endif
