/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unaligned big-endian loads and stores, and the incremental update of an
 * Internet checksum (RFC 1624): the one home of these helpers for lib/net and
 * lib/esp (header only, no DPDK).
 */
#ifndef RAMPART_NET_BYTES_H
#define RAMPART_NET_BYTES_H

#include <stdint.h>

static inline uint16_t
net_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
net_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
net_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
net_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * The 16-bit word of a checksummed header changed from @old to @new: update
 * the checksum field at @ck in place, RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
 */
static inline void
net_cksum_adjust16(uint8_t *ck, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~net_rd16(ck);

	s += (uint16_t)~old;
	s += new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	net_wr16(ck, (uint16_t)~s);
}

#endif
