/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builders and parsers for the few protocols rampartd answers itself:
 * ARP (RFC 826), ICMP and ICMPv6 echo (RFC 792, RFC 4443), IPv6 neighbour
 * discovery (RFC 4861 NS/NA), and the UDP datagrams that carry IKE and NAT
 * keepalives (RFC 768, RFC 3948). Bounded by the lengths passed in.
 */
#include "net/net.h"

#include <errno.h>
#include <string.h>

#include "net_priv.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void
net_eth_write(uint8_t *eth, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(eth, dst, 6);
	memcpy(eth + 6, src, 6);
	net_wr16(eth + 12, type);
}

/*
 * RFC 826 packet: hrd(2)=1 pro(2)=0x0800 hln(1)=6 pln(1)=4 op(2)
 *                 sha(6) spa(4) tha(6) tpa(4)
 */
int
net_arp_parse(const uint8_t *frame, uint32_t len, struct net_arp *a)
{
	const uint8_t *p = frame + NET_ETH_HLEN;

	if (len < NET_ETH_HLEN + NET_ARP_LEN || net_rd16(frame + 12) != NET_ETHER_ARP)
		return -EBADMSG;
	if (net_rd16(p) != 1 || net_rd16(p + 2) != NET_ETHER_IPV4 || p[4] != 6 || p[5] != 4)
		return -EPROTONOSUPPORT;
	a->op = net_rd16(p + 6);
	if (a->op != NET_ARP_REQUEST && a->op != NET_ARP_REPLY)
		return -EPROTONOSUPPORT;
	memcpy(a->sha, p + 8, 6);
	memcpy(&a->spa_be, p + 14, 4);
	memcpy(a->tha, p + 18, 6);
	memcpy(&a->tpa_be, p + 24, 4);
	return 0;
}

uint32_t
net_arp_build(uint8_t *buf, uint32_t cap, const uint8_t eth_dst[6], const uint8_t src[6],
	      const struct net_arp *a)
{
	uint8_t *p = buf + NET_ETH_HLEN;

	if (cap < NET_ETH_MIN_FRAME)
		return 0;
	memset(buf, 0, NET_ETH_MIN_FRAME);
	net_eth_write(buf, eth_dst ? eth_dst : bcast_mac, src, NET_ETHER_ARP);
	net_wr16(p, 1);
	net_wr16(p + 2, NET_ETHER_IPV4);
	p[4] = 6;
	p[5] = 4;
	net_wr16(p + 6, a->op);
	memcpy(p + 8, a->sha, 6);
	memcpy(p + 14, &a->spa_be, 4);
	memcpy(p + 18, a->tha, 6);
	memcpy(p + 24, &a->tpa_be, 4);
	return NET_ETH_MIN_FRAME;
}

static void
swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

int
net_icmp_echo_reply(uint8_t *frame, uint32_t len, const struct net_pkt_info *pi)
{
	uint8_t *ip = frame + pi->l3_off, *l4 = frame + pi->l4_off;
	uint32_t l4_len;

	if (pi->cls != NET_CL_ICMP || (uint32_t)pi->l3_off + pi->l3_len > len ||
	    pi->l4_off < pi->l3_off || pi->l4_off > pi->l3_off + pi->l3_len)
		return -EINVAL;
	l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	if (l4_len < 8 || l4[1] != 0)
		return -EINVAL;
	swap_bytes(frame, frame + 6, 6);
	if (pi->af == 4) {
		if (l4[0] != ICMP_ECHO_REQUEST)
			return -EINVAL;
		swap_bytes(ip + 12, ip + 16, 4);
		ip[8] = 64;
		net_wr16(ip + 10, net_ipv4_cksum(ip, pi->l4_off - pi->l3_off));
		l4[0] = ICMP_ECHO_REPLY;
		net_wr16(l4 + 2, 0);
		net_wr16(l4 + 2, net_cksum_fold(net_cksum_add(0, l4, l4_len)));
	} else {
		if (l4[0] != ICMP6_ECHO_REQUEST)
			return -EINVAL;
		swap_bytes(ip + 8, ip + 24, 16);
		ip[7] = 64;
		l4[0] = ICMP6_ECHO_REPLY;
		net_wr16(l4 + 2, 0);
		net_wr16(l4 + 2, net_l4_cksum(6, ip + 8, ip + 24, IPPROTO_ICMPV6_, l4, l4_len));
	}
	return (int)(pi->l3_off + pi->l3_len);
}

/* Walk ND options (RFC 4861 4.6) looking for a link-layer address option. */
static bool
nd_find_lla(const uint8_t *opt, uint32_t left, uint8_t want, uint8_t lla[6])
{
	while (left >= 8) {
		uint32_t olen = (uint32_t)opt[1] * 8;

		if (olen == 0 || olen > left)
			return false;
		if (opt[0] == want && olen >= 8) {
			memcpy(lla, opt + 2, 6);
			return true;
		}
		opt += olen;
		left -= olen;
	}
	return false;
}

/*
 * The IP headers lib/net builds (no options, traffic class or flow label):
 * all of the header is written, the IPv4 checksum too.
 */
static void
ip4_hdr_write(uint8_t *ip, uint16_t tot_len, uint16_t frag, uint8_t proto, uint8_t ttl,
	      const uint8_t src[4], const uint8_t dst[4])
{
	memset(ip, 0, NET_IPV4_HLEN);
	ip[0] = 0x45;
	net_wr16(ip + 2, tot_len);
	net_wr16(ip + 6, frag);
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	net_wr16(ip + 10, net_ipv4_cksum(ip, NET_IPV4_HLEN));
}

static void
ip6_hdr_write(uint8_t *ip, uint16_t plen, uint8_t proto, uint8_t hlim, const uint8_t src[16],
	      const uint8_t dst[16])
{
	memset(ip, 0, 4);
	ip[0] = 0x60;
	net_wr16(ip + 4, plen);
	ip[6] = proto;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

static uint32_t
nd_build(uint8_t *buf, uint32_t cap, const uint8_t dmac[6], const uint8_t smac[6],
	 const uint8_t src[16], const uint8_t dst[16], uint8_t type, uint8_t flags,
	 const uint8_t target[16], uint8_t opt_type)
{
	const uint32_t l4_len = ND_HLEN + 8;
	uint8_t *ip = buf + NET_ETH_HLEN, *l4 = ip + NET_IPV6_HLEN;

	if (cap < NET_ETH_HLEN + NET_IPV6_HLEN + l4_len)
		return 0;
	net_eth_write(buf, dmac, smac, NET_ETHER_IPV6);
	memset(l4, 0, l4_len);
	ip6_hdr_write(ip, (uint16_t)l4_len, IPPROTO_ICMPV6_, 255, src, dst);
	l4[0] = type;
	l4[4] = flags;
	memcpy(l4 + 8, target, 16);
	l4[ND_HLEN] = opt_type;
	l4[ND_HLEN + 1] = 1;
	memcpy(l4 + ND_HLEN + 2, smac, 6);
	net_wr16(l4 + 2, net_l4_cksum(6, src, dst, IPPROTO_ICMPV6_, l4, l4_len));
	return NET_ETH_HLEN + NET_IPV6_HLEN + l4_len;
}

/*
 * true if the classified frame of @len bytes holds, inside its IPv6 packet,
 * an ND message of @type at @l4 with its fixed part; @l4_len: its length.
 */
static bool
nd_msg(uint32_t len, const struct net_pkt_info *pi, const uint8_t *l4, uint8_t type,
       uint32_t *l4_len)
{
	if (pi->cls != NET_CL_ND || (uint32_t)pi->l3_off + pi->l3_len > len)
		return false;
	*l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	return *l4_len >= ND_HLEN && l4[0] == type;
}

int
net_nd_answer(const uint8_t *frame, uint32_t len, const struct net_pkt_info *pi,
	      const struct net_if_addrs *ifa, uint8_t *out, uint32_t cap,
	      uint8_t src_ip[16], uint8_t lla[6], bool *have_lla)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t unspec[16];
	const uint8_t *ip = frame + pi->l3_off, *l4 = frame + pi->l4_off;
	uint32_t l4_len, n;
	bool from_unspec;

	*have_lla = false;
	if (!nd_msg(len, pi, l4, ND_NS, &l4_len))
		return -EINVAL;
	memcpy(src_ip, ip + 8, 16);
	from_unspec = memcmp(src_ip, unspec, 16) == 0;
	if (!from_unspec)
		*have_lla = nd_find_lla(l4 + ND_HLEN, l4_len - ND_HLEN, ND_OPT_SLLA, lla);
	if (!net_if_has_addr(ifa, 6, l4 + 8))
		return 0;
	/* RFC 4861 7.2.4: solicited flag only when answering a unicast source. */
	n = nd_build(out, cap, frame + 6, ifa->mac, l4 + 8, from_unspec ? all_nodes : src_ip,
		     ND_NA, from_unspec ? 0x20 : 0x60, l4 + 8, ND_OPT_TLLA);
	if (from_unspec && n) {
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };

		memcpy(out, mc, 6);
	}
	return (int)n;
}

int
net_nd_parse_na(const uint8_t *frame, uint32_t len, const struct net_pkt_info *pi,
		uint8_t target[16], uint8_t lla[6])
{
	const uint8_t *l4 = frame + pi->l4_off;
	uint32_t l4_len;

	if (!nd_msg(len, pi, l4, ND_NA, &l4_len))
		return -EINVAL;
	memcpy(target, l4 + 8, 16);
	if (!nd_find_lla(l4 + ND_HLEN, l4_len - ND_HLEN, ND_OPT_TLLA, lla))
		memcpy(lla, frame + 6, 6);
	return 0;
}

uint32_t
net_nd_build_ns(uint8_t *buf, uint32_t cap, const uint8_t mac[6], const uint8_t src[16],
		const uint8_t target[16])
{
	uint8_t sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	uint8_t dmac[6] = { 0x33, 0x33, 0xff };

	/* Solicited-node multicast group ff02::1:ffXX:XXXX (RFC 4291 2.7.1). */
	memcpy(sn + 13, target + 13, 3);
	memcpy(dmac + 3, target + 13, 3);
	return nd_build(buf, cap, dmac, mac, src, sn, ND_NS, 0, target, ND_OPT_SLLA);
}

uint32_t
net_udp_build(uint8_t *buf, uint32_t cap, const uint8_t dmac[6], const uint8_t smac[6],
	      uint8_t af, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	      uint16_t dport, bool marker, const uint8_t *payload, uint32_t plen)
{
	uint32_t l3h = af == 4 ? NET_IPV4_HLEN : NET_IPV6_HLEN;
	uint32_t mlen = marker ? NET_NATT_MARKER_LEN : 0;
	uint32_t ulen = NET_UDP_HLEN + mlen + plen;
	uint8_t *ip = buf + NET_ETH_HLEN, *u = ip + l3h;
	uint16_t ck;

	if (plen > 65535 - NET_IPV6_HLEN - NET_UDP_HLEN - NET_NATT_MARKER_LEN ||
	    cap < NET_ETH_HLEN + l3h + ulen)
		return 0;
	net_eth_write(buf, dmac, smac, af == 4 ? NET_ETHER_IPV4 : NET_ETHER_IPV6);
	if (af == 4)		/* DF: IKE does its own fragmentation */
		ip4_hdr_write(ip, (uint16_t)(l3h + ulen), 0x4000, IPPROTO_UDP_, 64, src, dst);
	else
		ip6_hdr_write(ip, (uint16_t)ulen, IPPROTO_UDP_, 64, src, dst);
	net_wr16(u, sport);
	net_wr16(u + 2, dport);
	net_wr16(u + 4, (uint16_t)ulen);
	net_wr16(u + 6, 0);
	memset(u + NET_UDP_HLEN, 0, mlen);
	if (plen)
		memcpy(u + NET_UDP_HLEN + mlen, payload, plen);
	ck = net_l4_cksum(af, src, dst, IPPROTO_UDP_, u, ulen);
	net_wr16(u + 6, ck == 0 ? 0xffff : ck);
	return NET_ETH_HLEN + l3h + ulen;
}

int
net_ip_forward_ttl(uint8_t *ip, uint32_t len)
{
	if (len < 1)
		return -1;
	if ((ip[0] >> 4) == 4) {
		uint16_t w8;

		if (len < NET_IPV4_HLEN || ip[8] <= 1)
			return -1;
		w8 = net_rd16(ip + 8);	/* TTL is its high byte */
		ip[8]--;
		net_cksum_adjust16(ip + 10, w8, net_rd16(ip + 8));
		return 0;
	}
	if (len < NET_IPV6_HLEN || ip[7] <= 1)
		return -1;
	ip[7]--;
	return 0;
}

uint32_t
net_icmp_too_big(uint8_t *out, uint32_t cap, const uint8_t *inner, uint32_t inner_len,
		 const uint8_t *src, uint16_t mtu)
{
	uint32_t q, n;

	if (inner_len >= NET_IPV4_HLEN && (inner[0] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(inner[0] & 0xf) * 4;

		/* Never answer a non-first fragment or an ICMP error (RFC 1122 3.2.2). */
		if (ihl < NET_IPV4_HLEN || ihl > inner_len || (net_rd16(inner + 6) & 0x1fff) != 0)
			return 0;
		if (inner[9] == IPPROTO_ICMP_ && inner_len >= ihl + 1 && inner[ihl] != ICMP_ECHO_REQUEST &&
		    inner[ihl] != ICMP_ECHO_REPLY)
			return 0;
		q = ihl + 8 < inner_len ? ihl + 8 : inner_len;
		n = NET_IPV4_HLEN + 8 + q;
		if (cap < n)
			return 0;
		ip4_hdr_write(out, (uint16_t)n, 0, IPPROTO_ICMP_, 64, src, inner + 12);
		memset(out + NET_IPV4_HLEN, 0, 8);
		out[20] = 3;		/* destination unreachable */
		out[21] = 4;		/* fragmentation needed and DF set */
		net_wr16(out + 26, mtu);
		memcpy(out + 28, inner, q);
		net_wr16(out + 22, net_cksum_fold(net_cksum_add(0, out + 20, 8 + q)));
		return n;
	}
	if (inner_len >= NET_IPV6_HLEN && (inner[0] >> 4) == 6) {
		if (inner[6] == IPPROTO_ICMPV6_ && inner_len > NET_IPV6_HLEN && inner[40] < 128)
			return 0;	/* an ICMPv6 error itself */
		q = inner_len < 1280 - NET_IPV6_HLEN - 8 ? inner_len : 1280 - NET_IPV6_HLEN - 8;
		n = NET_IPV6_HLEN + 8 + q;
		if (cap < n)
			return 0;
		ip6_hdr_write(out, (uint16_t)(8 + q), IPPROTO_ICMPV6_, 64, src, inner + 8);
		memset(out + NET_IPV6_HLEN, 0, 8);
		out[40] = 2;		/* packet too big */
		net_wr32(out + 44, mtu);
		memcpy(out + 48, inner, q);
		net_wr16(out + 42, net_l4_cksum(6, out + 8, out + 24, IPPROTO_ICMPV6_, out + 40, 8 + q));
		return n;
	}
	return 0;
}

unsigned
net_ipv4_frag_count(const uint8_t *ip, uint32_t len, uint32_t mtu)
{
	uint32_t chunk;

	if (len < NET_IPV4_HLEN || ip[0] != 0x45 || (net_rd16(ip + 6) & 0x4000) || mtu < 68 ||
	    net_rd16(ip + 2) != len)
		return 0;
	if (len <= mtu)
		return 1;
	chunk = (mtu - NET_IPV4_HLEN) & ~7u;
	return (len - NET_IPV4_HLEN + chunk - 1) / chunk;
}

uint32_t
net_ipv4_frag_build(const uint8_t *ip, uint32_t len, uint32_t mtu, unsigned idx, uint8_t *out,
		    uint32_t cap)
{
	unsigned n = net_ipv4_frag_count(ip, len, mtu);
	uint32_t chunk, off, dlen, fo;
	uint16_t flags;

	if (n == 0 || idx >= n)
		return 0;
	chunk = n == 1 ? len - NET_IPV4_HLEN : (mtu - NET_IPV4_HLEN) & ~7u;
	off = idx * chunk;
	dlen = idx + 1 == n ? len - NET_IPV4_HLEN - off : chunk;
	if (cap < NET_IPV4_HLEN + dlen)
		return 0;
	memcpy(out, ip, NET_IPV4_HLEN);
	memcpy(out + NET_IPV4_HLEN, ip + NET_IPV4_HLEN + off, dlen);
	/* Offsets add to the packet's own (it may already be a fragment). */
	fo = (net_rd16(ip + 6) & 0x1fff) + off / 8;
	flags = (uint16_t)((net_rd16(ip + 6) & 0x2000) | (idx + 1 < n ? 0x2000 : 0));
	net_wr16(out + 2, (uint16_t)(NET_IPV4_HLEN + dlen));
	net_wr16(out + 6, (uint16_t)(flags | fo));
	net_wr16(out + 10, net_ipv4_cksum(out, NET_IPV4_HLEN));
	return NET_IPV4_HLEN + dlen;
}
