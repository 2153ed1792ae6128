/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum (RFC 1071) over byte buffers, and the IPv4 / IPv6
 * pseudo-header sums of UDP and ICMPv6 (RFC 768, RFC 8200 8.1).
 */
#include "net/net.h"

#include <string.h>

#include "net_priv.h"

uint32_t
net_cksum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	while (len >= 2) {
		s += net_rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
net_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
net_ipv4_cksum(const uint8_t *ip, uint32_t hlen)
{
	uint32_t s;

	/* Sum around the checksum field (bytes 10-11) so it need not be zero. */
	s = net_cksum_add(0, ip, 10);
	s = net_cksum_add(s, ip + 12, hlen - 12);
	return net_cksum_fold(s);
}

uint16_t
net_l4_cksum(uint8_t af, const uint8_t *src, const uint8_t *dst, uint8_t proto,
	     const uint8_t *l4, uint32_t l4_len)
{
	uint8_t ph[8];
	uint32_t s;

	if (af == 4) {
		s = net_cksum_add(0, src, 4);
		s = net_cksum_add(s, dst, 4);
		ph[0] = 0;
		ph[1] = proto;
		net_wr16(ph + 2, (uint16_t)l4_len);
		s = net_cksum_add(s, ph, 4);
	} else {
		s = net_cksum_add(0, src, 16);
		s = net_cksum_add(s, dst, 16);
		net_wr32(ph, l4_len);
		ph[4] = ph[5] = ph[6] = 0;
		ph[7] = proto;
		s = net_cksum_add(s, ph, 8);
	}
	s = net_cksum_add(s, l4, l4_len);
	return net_cksum_fold(s);
}
