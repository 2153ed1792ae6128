/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound anti-replay window (RFC 4303 3.4.3) with extended sequence numbers
 * (RFC 4303 appendix A2). A ring bitmap of `size` bits (a power of two,
 * 64..4096) indexed by seq mod size: the window covers (top - size, top] and
 * those `size` numbers map to distinct bits. Sliding the window right clears
 * the bits of the numbers it skips. No allocation; runs on the owner worker.
 *
 * Split in two on purpose: esp_replay_check() is the pre-decryption test (no
 * state change); esp_replay_update() runs only after the ICV verified and
 * re-checks, because one burst may carry the same sequence number twice.
 */
#ifndef RAMPART_ESP_REPLAY_H
#define RAMPART_ESP_REPLAY_H

#include <stdint.h>
#include <string.h>

#include "esp/esp.h"

struct esp_replay {
	uint64_t top;			/* highest authenticated sequence number */
	uint32_t size;			/* window in packets, power of two */
	uint32_t pad;
	uint64_t bits[ESP_REPLAY_MAX / 64];
};

/* @size: 0 = default; otherwise 64..4096, rounded up to a power of two. */
static inline int
esp_replay_init(struct esp_replay *r, uint32_t size)
{
	uint32_t s = ESP_REPLAY_MIN;

	if (size == 0)
		size = ESP_REPLAY_DEFAULT;
	if (size < ESP_REPLAY_MIN || size > ESP_REPLAY_MAX)
		return -1;
	while (s < size)
		s <<= 1;
	memset(r, 0, sizeof(*r));
	r->size = s;
	return 0;
}

/*
 * RFC 4303 A2.2: infer the high 32 bits of an ESN from the low 32 bits on
 * the wire and the window position. Returns 0 and the 64-bit number, or -1
 * when the guess would fall below 0 or above 2^64-1 (a replay/garbage).
 */
static inline int
esp_replay_esn(const struct esp_replay *r, uint32_t sl, uint64_t *seq)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t bl = tl - (r->size - 1);	/* bottom of the window, mod 2^32 */
	uint32_t sh;

	if (tl >= r->size - 1) {
		/* window inside one 2^32 subspace */
		if (sl >= bl) {
			sh = th;
		} else {
			if (th == UINT32_MAX)
				return -1;
			sh = th + 1;
		}
	} else {
		/* window straddles a subspace boundary */
		if (sl >= bl) {
			if (th == 0)
				return -1;
			sh = th - 1;
		} else {
			sh = th;
		}
	}
	*seq = ((uint64_t)sh << 32) | sl;
	return 0;
}

/* 0 when @seq may be new, -1 when it is 0, seen, or left of the window. */
static inline int
esp_replay_check(const struct esp_replay *r, uint64_t seq)
{
	uint64_t b;

	if (seq == 0)
		return -1;
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->size)
		return -1;
	b = seq & (r->size - 1);
	return (r->bits[b >> 6] >> (b & 63)) & 1 ? -1 : 0;
}

/* After the ICV verified: re-check, slide, mark. 0 or -1 (replay). */
static inline int
esp_replay_update(struct esp_replay *r, uint64_t seq)
{
	uint64_t s, b;

	if (esp_replay_check(r, seq) != 0)
		return -1;
	if (seq > r->top) {
		if (seq - r->top >= r->size) {
			memset(r->bits, 0, r->size / 8);
		} else {
			for (s = r->top + 1; s < seq; s++) {
				b = s & (r->size - 1);
				if ((b & 63) == 0 && seq - s > 64) {
					r->bits[b >> 6] = 0;	/* whole word skipped */
					s += 63;
				} else {
					r->bits[b >> 6] &= ~(1ULL << (b & 63));
				}
			}
		}
		r->top = seq;
	}
	b = seq & (r->size - 1);
	r->bits[b >> 6] |= 1ULL << (b & 63);
	return 0;
}

#endif
