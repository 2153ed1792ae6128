/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame classifier run by every worker on every received frame. Decides
 * between the ESP datapath, the punt ring to the control core and transit
 * forwarding. Bounded: each header is length-checked against the bytes that
 * are present before any field of it is read; IP length fields are checked
 * against the frame, never trusted.
 */
#include "net/net.h"

#include <string.h>

#include "net_priv.h"

const char *const net_class_names[NET_CL__COUNT] = {
	[NET_CL_DROP] = "drop",
	[NET_CL_ESP] = "esp",
	[NET_CL_IKE] = "ike",
	[NET_CL_NATT_KA] = "natt_keepalive",
	[NET_CL_ARP] = "arp",
	[NET_CL_ICMP] = "icmp",
	[NET_CL_ND] = "nd",
	[NET_CL_LOCAL] = "local",
	[NET_CL_FWD] = "forward",
};

bool
net_prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & net_prefix_byte_mask(bits, bytes)) == 0;
}

bool
net_if_has_addr(const struct net_if_addrs *ifa, uint8_t af, const uint8_t *addr)
{
	unsigned i;

	if (af == 4) {
		uint32_t a;

		memcpy(&a, addr, 4);
		for (i = 0; i < ifa->n_v4; i++)
			if (ifa->v4_be[i] == a)
				return true;
	} else {
		for (i = 0; i < ifa->n_v6; i++)
			if (memcmp(ifa->v6[i], addr, 16) == 0)
				return true;
	}
	return false;
}

bool
net_if_on_link(const struct net_if_addrs *ifa, uint8_t af, const uint8_t *addr)
{
	unsigned i;

	if (af == 4) {
		for (i = 0; i < ifa->n_v4; i++)
			if (net_prefix_match((const uint8_t *)&ifa->v4_be[i], addr, ifa->v4_len[i]))
				return true;
	} else {
		for (i = 0; i < ifa->n_v6; i++)
			if (net_prefix_match(ifa->v6[i], addr, ifa->v6_len[i]))
				return true;
	}
	return false;
}

/* UDP to one of our addresses: IKE on 500, and 4500 split by RFC 3948 2.2. */
static int
classify_udp(const uint8_t *frame, uint16_t l4_off, uint32_t l4_len, struct net_pkt_info *pi)
{
	const uint8_t *u = frame + l4_off;
	uint32_t ulen, plen;
	const uint8_t *pl;

	if (l4_len < NET_UDP_HLEN)
		return NET_CL_DROP;
	ulen = net_rd16(u + 4);
	if (ulen < NET_UDP_HLEN || ulen > l4_len)
		return NET_CL_DROP;
	pi->sport = net_rd16(u);
	pi->dport = net_rd16(u + 2);
	pl = u + NET_UDP_HLEN;
	plen = ulen - NET_UDP_HLEN;
	if (pi->dport == NET_PORT_IKE) {
		pi->ike_off = (uint16_t)(l4_off + NET_UDP_HLEN);
		pi->ike_len = (uint16_t)plen;
		return NET_CL_IKE;
	}
	if (pi->dport != NET_PORT_NATT)
		return NET_CL_LOCAL;
	if (plen == 1 && pl[0] == 0xff)
		return NET_CL_NATT_KA;
	if (plen < NET_NATT_MARKER_LEN)
		return NET_CL_DROP;
	if (net_rd32(pl) == 0) {
		pi->ike_off = (uint16_t)(l4_off + NET_UDP_HLEN + NET_NATT_MARKER_LEN);
		pi->ike_len = (uint16_t)(plen - NET_NATT_MARKER_LEN);
		return NET_CL_IKE;
	}
	/* ESP-in-UDP: SPI, sequence number, at least. */
	if (plen < 8)
		return NET_CL_DROP;
	pi->spi = net_rd32(pl);
	return pi->spi < 256 ? NET_CL_DROP : NET_CL_ESP;
}

static int
classify_l4(const uint8_t *frame, struct net_pkt_info *pi, uint32_t l4_len)
{
	const uint8_t *l4 = frame + pi->l4_off;

	switch (pi->l4_proto) {
	case IPPROTO_ESP_:
		if (l4_len < 8)
			return NET_CL_DROP;
		pi->spi = net_rd32(l4);
		/* RFC 4303 2.1: SPIs 1..255 are reserved, 0 is local use only. */
		return pi->spi < 256 ? NET_CL_DROP : NET_CL_ESP;
	case IPPROTO_UDP_:
		return classify_udp(frame, pi->l4_off, l4_len, pi);
	case IPPROTO_ICMP_:
		return pi->af == 4 && l4_len >= 8 ? NET_CL_ICMP : NET_CL_DROP;
	case IPPROTO_ICMPV6_:
		return pi->af == 6 && l4_len >= 8 ? NET_CL_ICMP : NET_CL_DROP;
	default:
		return NET_CL_LOCAL;
	}
}

static bool
is_directed_bcast(const struct net_if_addrs *ifa, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < ifa->n_v4; i++) {
		uint32_t host = ifa->v4_len[i] >= 31 ? 0 : 0xffffffffu >> ifa->v4_len[i];

		if (host && (net_rd32(a) & host) == host &&
		    net_prefix_match((const uint8_t *)&ifa->v4_be[i], a, ifa->v4_len[i]))
			return true;
	}
	return false;
}

static int
classify_ipv4(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
	      unsigned l3ck, struct net_pkt_info *pi)
{
	const uint8_t *ip = frame + NET_ETH_HLEN;
	uint32_t avail = len - NET_ETH_HLEN, hlen, tot;

	if (avail < NET_IPV4_HLEN || (ip[0] >> 4) != 4)
		return NET_CL_DROP;
	hlen = (uint32_t)(ip[0] & 0xf) * 4;
	if (hlen < NET_IPV4_HLEN || hlen > avail)
		return NET_CL_DROP;
	tot = net_rd16(ip + 2);
	if (tot < hlen || tot > avail)
		return NET_CL_DROP;
	if (l3ck == NET_L3CK_BAD ||
	    (l3ck != NET_L3CK_GOOD && net_ipv4_cksum(ip, hlen) != net_rd16(ip + 10)))
		return NET_CL_DROP;
	pi->af = 4;
	pi->l3_off = NET_ETH_HLEN;
	pi->l3_len = (uint16_t)tot;
	pi->l4_proto = ip[9];
	pi->l4_off = (uint16_t)(NET_ETH_HLEN + hlen);
	if (!net_if_has_addr(ifa, 4, ip + 16)) {
		/* Transit only for unicast frames to unicast destinations. */
		if ((frame[0] & 1) || ip[16] >= 224 || is_directed_bcast(ifa, ip + 16))
			return NET_CL_DROP;
		return NET_CL_FWD;
	}
	/* Fragments addressed to us are not reassembled. */
	if (net_rd16(ip + 6) & 0x3fff)
		return NET_CL_LOCAL;
	return classify_l4(frame, pi, tot - hlen);
}

static int
classify_ipv6(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
	      struct net_pkt_info *pi)
{
	const uint8_t *ip = frame + NET_ETH_HLEN;
	uint32_t avail = len - NET_ETH_HLEN, plen;
	const uint8_t *l4;

	if (avail < NET_IPV6_HLEN || (ip[0] >> 4) != 6)
		return NET_CL_DROP;
	plen = net_rd16(ip + 4);
	if (plen > avail - NET_IPV6_HLEN)
		return NET_CL_DROP;
	pi->af = 6;
	pi->l3_off = NET_ETH_HLEN;
	pi->l3_len = (uint16_t)(plen + NET_IPV6_HLEN);
	pi->l4_proto = ip[6];
	pi->l4_off = NET_ETH_HLEN + NET_IPV6_HLEN;
	l4 = frame + pi->l4_off;
	/* RFC 4861 7.1.1: ND messages come with hop limit 255 and code 0. */
	if (pi->l4_proto == IPPROTO_ICMPV6_ && plen >= ND_HLEN && (l4[0] == ND_NS || l4[0] == ND_NA))
		return ip[7] == 255 && l4[1] == 0 ? NET_CL_ND : NET_CL_DROP;
	if (!net_if_has_addr(ifa, 6, ip + 24))
		return (frame[0] & 1) || ip[24] == 0xff || ip[8] == 0xff ?
			NET_CL_DROP : NET_CL_FWD;
	return classify_l4(frame, pi, plen);
}

int
net_classify(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
	     struct net_pkt_info *pi)
{
	return net_classify_ck(frame, len, ifa, NET_L3CK_UNKNOWN, pi);
}

int
net_classify_ck(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
		unsigned l3ck, struct net_pkt_info *pi)
{
	uint16_t type;

	memset(pi, 0, sizeof(*pi));
	if (len < NET_ETH_HLEN)
		return pi->cls = NET_CL_DROP;
	/* Promiscuous ports see other hosts' unicast: only ours, or group frames. */
	if (!(frame[0] & 1) && memcmp(frame, ifa->mac, 6) != 0)
		return pi->cls = NET_CL_DROP;
	type = net_rd16(frame + 12);
	switch (type) {
	case NET_ETHER_ARP:
		pi->cls = len >= NET_ETH_HLEN + NET_ARP_LEN ? NET_CL_ARP : NET_CL_DROP;
		break;
	case NET_ETHER_IPV4:
		pi->cls = (uint8_t)classify_ipv4(frame, len, ifa, l3ck, pi);
		break;
	case NET_ETHER_IPV6:
		pi->cls = (uint8_t)classify_ipv6(frame, len, ifa, pi);
		break;
	default:
		pi->cls = NET_CL_DROP;
	}
	return pi->cls;
}
