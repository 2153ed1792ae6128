/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net private helpers: unaligned big-endian loads and stores. */
#ifndef RAMPART_NET_PRIV_H
#define RAMPART_NET_PRIV_H

#include <stdint.h>
#include <string.h>

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

enum {
	IPPROTO_ICMP_ = 1,
	IPPROTO_UDP_ = 17,
	IPPROTO_ESP_ = 50,
	IPPROTO_ICMPV6_ = 58,
	ICMP_ECHO_REPLY = 0,
	ICMP_ECHO_REQUEST = 8,
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
	ND_NS = 135,
	ND_NA = 136,
	ND_OPT_SLLA = 1,
	ND_OPT_TLLA = 2,
	ND_HLEN = 24,		/* ICMPv6 header + reserved/flags + target */
};

#endif
