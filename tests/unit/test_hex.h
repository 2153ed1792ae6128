/* SPDX-License-Identifier: BSD-3-Clause */
/* Hex decoding: the one decoder of the unit test binaries. */
#ifndef RAMPART_TEST_HEX_H
#define RAMPART_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode @s into @out (capacity @cap); returns bytes written or -1. */
static inline int
hex2bin(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s != '\0' && *s != '\n') {
		int hi = hexval(s[0]), lo;

		if (hi < 0 || s[1] == '\0')
			return -1;
		lo = hexval(s[1]);
		if (lo < 0 || n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

#endif
