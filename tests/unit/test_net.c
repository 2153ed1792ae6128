/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net unit tests: checksums against known values, ARP build/parse,
 * ICMP/ICMPv6 echo replies, ND answers, UDP datagrams, the classifier on
 * crafted frames (every truncation of each), the neighbour table with
 * colliding entries and the route list. No EAL needed: lib/net works on
 * byte buffers.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "net/net.h"

static const uint8_t gw_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };

static struct net_if_addrs ifa;

static void
ifa_setup(void)
{
	memset(&ifa, 0, sizeof(ifa));
	memcpy(ifa.mac, gw_mac, 6);
	ifa.n_v4 = 1;
	inet_pton(AF_INET, "192.0.2.1", &ifa.v4_be[0]);
	ifa.v4_len[0] = 24;
	ifa.n_v6 = 1;
	inet_pton(AF_INET6, "2001:db8::1", ifa.v6[0]);
	ifa.v6_len[0] = 64;
}

static uint32_t
ip4(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* A valid UDP/IPv4 frame from 192.0.2.2 to @dst. */
static uint32_t
udp4_frame(uint8_t *buf, const char *dst, uint16_t dport, bool marker, const uint8_t *pl,
	   uint32_t plen)
{
	uint32_t s = ip4("192.0.2.2"), d = ip4(dst);

	return net_udp_build(buf, 2048, gw_mac, peer_mac, 4, (uint8_t *)&s, (uint8_t *)&d, 4500,
			     dport, marker, pl, plen);
}

static void
cksum_known_values(void)
{
	/* IPv4 header with checksum 0xb861 (a widely used worked example). */
	static const uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
					 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
					 0xc0, 0xa8, 0x00, 0xc7 };
	/* RFC 1071 section 3 example: sum of these words is 0xddf2. */
	static const uint8_t words[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CU_ASSERT_EQUAL(net_ipv4_cksum(hdr, 20), 0xb861);
	CU_ASSERT_EQUAL(net_cksum_add(0, words, 8), 0xddf2);
	CU_ASSERT_EQUAL(net_cksum_fold(0xddf2), (uint16_t)~0xddf2);
	/* Odd length: the last byte is padded with zero on the right. */
	CU_ASSERT_EQUAL(net_cksum_add(0, words, 1), 0x0000);
	CU_ASSERT_EQUAL(net_cksum_add(0, words + 2, 1), 0xf200);
}

static void
arp_request_reply_round_trip(void)
{
	uint8_t buf[64];
	struct net_arp a = { .op = NET_ARP_REQUEST }, b;
	struct net_pkt_info pi;

	memcpy(a.sha, peer_mac, 6);
	a.spa_be = ip4("192.0.2.2");
	a.tpa_be = ip4("192.0.2.1");
	CU_ASSERT_EQUAL(net_arp_build(buf, sizeof(buf), NULL, peer_mac, &a), 60);
	CU_ASSERT_EQUAL(buf[0], 0xff);
	CU_ASSERT_EQUAL(net_classify(buf, 60, &ifa, &pi), NET_CL_ARP);
	CU_ASSERT_EQUAL(net_arp_parse(buf, 60, &b), 0);
	CU_ASSERT_EQUAL(b.op, NET_ARP_REQUEST);
	CU_ASSERT_EQUAL(b.spa_be, a.spa_be);
	CU_ASSERT_EQUAL(b.tpa_be, a.tpa_be);
	CU_ASSERT_EQUAL(memcmp(b.sha, peer_mac, 6), 0);
	/* Truncated, wrong hardware type, unknown op. */
	CU_ASSERT_EQUAL(net_arp_parse(buf, 41, &b), -EBADMSG);
	CU_ASSERT_EQUAL(net_classify(buf, 41, &ifa, &pi), NET_CL_DROP);
	buf[15] = 6;
	CU_ASSERT_EQUAL(net_arp_parse(buf, 60, &b), -EPROTONOSUPPORT);
	buf[15] = 1;
	buf[21] = 9;
	CU_ASSERT_EQUAL(net_arp_parse(buf, 60, &b), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(net_arp_build(buf, 59, NULL, peer_mac, &a), 0);
}

static void
icmp4_echo_reply(void)
{
	uint8_t f[128] = { 0 }, *ip = f + 14, *ic = f + 34;
	struct net_pkt_info pi;
	int len;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 16;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &(uint32_t){ ip4("192.0.2.2") }, 4);
	memcpy(ip + 16, &(uint32_t){ ip4("192.0.2.1") }, 4);
	ip[10] = (uint8_t)(net_ipv4_cksum(ip, 20) >> 8);
	ip[11] = (uint8_t)net_ipv4_cksum(ip, 20);
	ic[0] = 8;
	ic[4] = 0x12;
	ic[7] = 1;
	memcpy(ic + 8, "rampart!", 8);
	ic[2] = (uint8_t)(net_cksum_fold(net_cksum_add(0, ic, 16)) >> 8);
	ic[3] = (uint8_t)net_cksum_fold(net_cksum_add(0, ic, 16));
	/* Ethernet padding after the IP packet must not be echoed. */
	CU_ASSERT_EQUAL(net_classify(f, 64, &ifa, &pi), NET_CL_ICMP);
	len = net_icmp_echo_reply(f, 64, &pi);
	CU_ASSERT_EQUAL(len, 14 + 36);
	CU_ASSERT_EQUAL(memcmp(f, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, gw_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(ip + 12, &(uint32_t){ ip4("192.0.2.1") }, 4), 0);
	CU_ASSERT_EQUAL(ic[0], 0);
	CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, ic, 16)), 0);
	CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, ip, 20)), 0);
	/* An echo reply is not answered. */
	CU_ASSERT_EQUAL(net_classify(f + 0, 64, &ifa, &pi), NET_CL_DROP); /* dst MAC is peer now */
	memcpy(f, gw_mac, 6);
	memcpy(ip + 16, &(uint32_t){ ip4("192.0.2.1") }, 4);
	CU_ASSERT_EQUAL(net_icmp_echo_reply(f, 64, &pi), -EINVAL);
}

static void
icmp6_echo_reply_and_nd(void)
{
	uint8_t f[128] = { 0 }, out[128], *ip = f + 14, *ic = f + 54;
	uint8_t src[16], dst[16], lla[6], sip[16];
	struct net_pkt_info pi;
	bool have;
	int len;

	inet_pton(AF_INET6, "2001:db8::2", src);
	inet_pton(AF_INET6, "2001:db8::1", dst);
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[5] = 8;
	ip[6] = 58;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	ic[0] = 128;
	ic[7] = 1;
	len = 14 + 40 + 8;
	CU_ASSERT_EQUAL(net_classify(f, (uint32_t)len, &ifa, &pi), NET_CL_ICMP);
	CU_ASSERT_EQUAL(net_icmp_echo_reply(f, (uint32_t)len, &pi), len);
	CU_ASSERT_EQUAL(ic[0], 129);
	CU_ASSERT_EQUAL(net_l4_cksum(6, ip + 8, ip + 24, 58, ic, 8), 0);
	CU_ASSERT_EQUAL(memcmp(ip + 8, dst, 16), 0);

	/* Neighbour solicitation from the peer for our address. */
	len = (int)net_nd_build_ns(f, sizeof(f), peer_mac, src, dst);
	CU_ASSERT_EQUAL(len, 86);
	CU_ASSERT_EQUAL(f[0], 0x33);
	CU_ASSERT_EQUAL(net_classify(f, (uint32_t)len, &ifa, &pi), NET_CL_ND);
	len = net_nd_answer(f, (uint32_t)len, &pi, &ifa, out, sizeof(out), sip, lla, &have);
	CU_ASSERT_EQUAL(len, 86);
	CU_ASSERT(have);
	CU_ASSERT_EQUAL(memcmp(lla, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(sip, src, 16), 0);
	CU_ASSERT_EQUAL(memcmp(out, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(out[54], 136);
	CU_ASSERT_EQUAL(net_l4_cksum(6, out + 22, out + 38, 58, out + 54, 32), 0);
	/* The advertisement parses back with our MAC as target LLA. */
	memcpy(out, gw_mac, 6);		/* deliver it to "us" for parsing */
	CU_ASSERT_EQUAL(net_classify(out, 86, &ifa, &pi), NET_CL_ND);
	CU_ASSERT_EQUAL(net_nd_parse_na(out, 86, &pi, sip, lla), 0);
	CU_ASSERT_EQUAL(memcmp(lla, gw_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(sip, dst, 16), 0);
	/* Hop limit other than 255 is not ND (RFC 4861 7.1.1). */
	len = (int)net_nd_build_ns(f, sizeof(f), peer_mac, src, dst);
	f[14 + 7] = 64;
	CU_ASSERT_EQUAL(net_classify(f, (uint32_t)len, &ifa, &pi), NET_CL_DROP);
}

static void
classify_ike_esp_natt(void)
{
	uint8_t f[256], pl[16] = { 0 };
	struct net_pkt_info pi;
	uint32_t len;

	/* UDP 500: IKE, payload starts right after UDP. */
	len = udp4_frame(f, "192.0.2.1", 500, false, pl, 16);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_IKE);
	CU_ASSERT_EQUAL(pi.ike_off, 14 + 20 + 8);
	CU_ASSERT_EQUAL(pi.ike_len, 16);
	/* UDP 4500 with the zero marker: IKE after the marker. */
	len = udp4_frame(f, "192.0.2.1", 4500, true, pl, 16);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_IKE);
	CU_ASSERT_EQUAL(pi.ike_off, 14 + 20 + 8 + 4);
	CU_ASSERT_EQUAL(pi.ike_len, 16);
	/* UDP 4500 starting with a non-zero SPI: ESP-in-UDP. */
	pl[0] = 0x12;
	pl[3] = 0x34;
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, 16);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_ESP);
	CU_ASSERT_EQUAL(pi.spi, 0x12000034);
	/* Reserved SPI (< 256) is dropped. */
	pl[0] = 0;
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, 16);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	/* NAT keepalive. */
	pl[0] = 0xff;
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, 1);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_NATT_KA);
	/* Other UDP to us: local; UDP to someone else: forward. */
	len = udp4_frame(f, "192.0.2.1", 53, false, pl, 4);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_LOCAL);
	len = udp4_frame(f, "198.51.100.7", 4500, false, pl, 16);
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_FWD);
	/* Raw ESP (protocol 50). */
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, 16);
	f[23] = 50;
	f[24] = f[25] = 0;
	{
		uint16_t c = net_ipv4_cksum(f + 14, 20);

		f[24] = (uint8_t)(c >> 8);
		f[25] = (uint8_t)c;
	}
	f[34] = 0xab;	/* SPI 0xab11... from the UDP ports bytes */
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_ESP);
	CU_ASSERT_EQUAL(pi.spi >> 24, 0xab);
	CU_ASSERT_EQUAL(pi.l4_proto, 50);
}

static void
classify_rejects_bad_frames(void)
{
	uint8_t f[256], pl[32] = { 0x11, 0x22, 0x33, 0x44 };
	struct net_pkt_info pi;
	uint32_t len, n;

	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, sizeof(pl));
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_ESP);
	/* Every truncation: the IP total length no longer fits. */
	for (n = 0; n < len; n++)
		CU_ASSERT_EQUAL(net_classify(f, n, &ifa, &pi), NET_CL_DROP);
	/* Bad header checksum. */
	f[24] ^= 1;
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	f[24] ^= 1;
	/* Unicast frame for another MAC (promiscuous port). */
	f[5] = 9;
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	f[5] = gw_mac[5];
	/* UDP length larger than the IP payload. */
	f[38] = 0x7f;
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	/* IHL below 5. */
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, sizeof(pl));
	f[14] = 0x44;
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	/* Fragment addressed to us: local (not reassembled). */
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, sizeof(pl));
	f[20] |= 0x20;	/* MF */
	f[24] = f[25] = 0;
	{
		uint16_t c = net_ipv4_cksum(f + 14, 20);

		f[24] = (uint8_t)(c >> 8);
		f[25] = (uint8_t)c;
	}
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_LOCAL);
	/* Directed broadcast and multicast are never forwarded. */
	len = udp4_frame(f, "192.0.2.255", 4500, false, pl, sizeof(pl));
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	len = udp4_frame(f, "224.0.0.5", 4500, false, pl, sizeof(pl));
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
	/* Unknown ethertype, VLAN tag. */
	len = udp4_frame(f, "192.0.2.1", 4500, false, pl, sizeof(pl));
	f[12] = 0x81;
	f[13] = 0x00;
	CU_ASSERT_EQUAL(net_classify(f, len, &ifa, &pi), NET_CL_DROP);
}

static void
udp_build_checksums(void)
{
	uint8_t f[256], s6[16], d6[16];
	uint32_t s = ip4("192.0.2.1"), d = ip4("192.0.2.2"), len;

	len = net_udp_build(f, sizeof(f), peer_mac, gw_mac, 4, (uint8_t *)&s, (uint8_t *)&d, 4500,
			    4500, true, (const uint8_t *)"abc", 3);
	CU_ASSERT_EQUAL(len, 14 + 20 + 8 + 4 + 3);
	CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, f + 14, 20)), 0);
	CU_ASSERT_EQUAL(net_l4_cksum(4, f + 26, f + 30, 17, f + 34, 15), 0);
	CU_ASSERT_EQUAL(memcmp(f + 42, "\0\0\0\0abc", 7), 0);
	inet_pton(AF_INET6, "2001:db8::1", s6);
	inet_pton(AF_INET6, "2001:db8::2", d6);
	len = net_udp_build(f, sizeof(f), peer_mac, gw_mac, 6, s6, d6, 500, 500, false,
			    (const uint8_t *)"x", 1);
	CU_ASSERT_EQUAL(len, 14 + 40 + 8 + 1);
	CU_ASSERT_EQUAL(net_l4_cksum(6, f + 22, f + 38, 17, f + 54, 9), 0);
	CU_ASSERT_EQUAL(net_udp_build(f, 40, peer_mac, gw_mac, 4, (uint8_t *)&s, (uint8_t *)&d,
				      1, 2, false, NULL, 0), 0);
}

static void
ttl_decrement_keeps_checksum(void)
{
	uint8_t f[256];
	uint32_t len = udp4_frame(f, "198.51.100.7", 4500, false, (const uint8_t *)"zz", 2);
	unsigned i;

	(void)len;
	for (i = 0; i < 63; i++) {
		CU_ASSERT_EQUAL(net_ip_forward_ttl(f + 14, 20), 0);
		CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, f + 14, 20)), 0);
	}
	CU_ASSERT_EQUAL(f[22], 1);
	CU_ASSERT_EQUAL(net_ip_forward_ttl(f + 14, 20), -1);
}

static void
nbr_table_collisions(void)
{
	static struct net_nbr_table t;
	uint8_t a[4] = { 10, 0, 0, 0 };
	unsigned i, found = 0;

	net_nbr_init(&t);
	for (i = 0; i < 200; i++) {
		struct net_nbr *e;

		a[3] = (uint8_t)i;
		a[2] = (uint8_t)(i >> 8);
		e = net_nbr_get(&t, 4, a);
		if (e == NULL)
			continue;	/* probe limit reached: acceptable, counted */
		e->state = NET_NBR_REACHABLE;
		e->mac[5] = (uint8_t)i;
	}
	for (i = 0; i < 200; i++) {
		const struct net_nbr *e;

		a[3] = (uint8_t)i;
		e = net_nbr_lookup(&t, 4, a);
		if (e != NULL) {
			CU_ASSERT_EQUAL(e->mac[5], (uint8_t)i);
			found++;
		}
	}
	CU_ASSERT_EQUAL(found, t.n_used);
	CU_ASSERT(found > 150);
	/* Delete every other entry; the rest must stay reachable. */
	for (i = 0; i < 200; i += 2) {
		a[3] = (uint8_t)i;
		net_nbr_del(&t, 4, a);
	}
	for (i = 1; i < 200; i += 2) {
		const struct net_nbr *e;

		a[3] = (uint8_t)i;
		e = net_nbr_lookup(&t, 4, a);
		if (e != NULL)
			CU_ASSERT_EQUAL(e->mac[5], (uint8_t)i);
	}
	for (i = 0; i < 200; i += 2) {
		a[3] = (uint8_t)i;
		CU_ASSERT_PTR_NULL(net_nbr_lookup(&t, 4, a));
	}
}

static void
route_longest_prefix(void)
{
	static struct net_route_table t;
	struct net_route r = { .af = 4 };
	uint8_t nh[16], dst[4];
	const struct net_route *got;

	memset(&t, 0, sizeof(t));
	r.depth = 24;
	r.port = 1;
	memcpy(r.dst, (uint8_t[]){ 10, 1, 0, 0 }, 4);
	CU_ASSERT_EQUAL(net_route_add(&t, &r), 0);
	r.depth = 0;
	r.port = 0;
	r.has_via = 1;
	memset(r.dst, 0, 16);
	memcpy(r.via, (uint8_t[]){ 192, 0, 2, 254 }, 4);
	CU_ASSERT_EQUAL(net_route_add(&t, &r), 0);
	memcpy(dst, (uint8_t[]){ 10, 1, 0, 9 }, 4);
	got = net_route_lookup(&t, 4, dst, nh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->port, 1);
	CU_ASSERT_EQUAL(memcmp(nh, dst, 4), 0);	/* on-link: next hop = destination */
	memcpy(dst, (uint8_t[]){ 8, 8, 8, 8 }, 4);
	got = net_route_lookup(&t, 4, dst, nh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->port, 0);
	CU_ASSERT_EQUAL(nh[3], 254);
	CU_ASSERT_PTR_NULL(net_route_lookup(&t, 6, dst, nh));
	CU_ASSERT(net_prefix_match((uint8_t[]){ 10, 1, 0x80, 0 }, (uint8_t[]){ 10, 1, 0xff, 0 }, 17));
	CU_ASSERT(!net_prefix_match((uint8_t[]){ 10, 1, 0x80, 0 }, (uint8_t[]){ 10, 1, 0x7f, 0 }, 17));
}

static void
range_to_prefixes_cases(void)
{
	struct net_prefix p[16];
	uint8_t lo[16] = { 0 }, hi[16];

	/* A single address: /32. */
	memcpy(lo, (uint8_t[]){ 10, 99, 0, 7 }, 4);
	CU_ASSERT_EQUAL(net_range_to_prefixes(4, lo, lo, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 32);
	CU_ASSERT_EQUAL(memcmp(p[0].addr, lo, 4), 0);
	/* An aligned subnet: one prefix. */
	memcpy(lo, (uint8_t[]){ 10, 1, 0, 0 }, 4);
	memcpy(hi, (uint8_t[]){ 10, 1, 0, 255 }, 4);
	CU_ASSERT_EQUAL(net_range_to_prefixes(4, lo, hi, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 24);
	/* 10.0.0.1 - 10.0.0.9: .1/32 .2/31 .4/30 .8/31. */
	memcpy(lo, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(hi, (uint8_t[]){ 10, 0, 0, 9 }, 4);
	CU_ASSERT_EQUAL_FATAL(net_range_to_prefixes(4, lo, hi, p, 16), 4);
	CU_ASSERT_EQUAL(p[0].depth, 32);
	CU_ASSERT_EQUAL(p[1].depth, 31);
	CU_ASSERT_EQUAL(p[1].addr[3], 2);
	CU_ASSERT_EQUAL(p[2].depth, 30);
	CU_ASSERT_EQUAL(p[2].addr[3], 4);
	CU_ASSERT_EQUAL(p[3].depth, 31);
	CU_ASSERT_EQUAL(p[3].addr[3], 8);
	/* Everything: 0.0.0.0/0 and ::/0. */
	memset(lo, 0, 16);
	memset(hi, 0xff, 16);
	CU_ASSERT_EQUAL(net_range_to_prefixes(4, lo, hi, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 0);
	CU_ASSERT_EQUAL(net_range_to_prefixes(6, lo, hi, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 0);
	/* Top of the space ends without wrapping. */
	memcpy(lo, (uint8_t[]){ 255, 255, 255, 254 }, 4);
	CU_ASSERT_EQUAL(net_range_to_prefixes(4, lo, hi, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 31);
	/* 0.0.0.1 - 255.255.255.255 needs 32 prefixes: truncated at max. */
	memset(lo, 0, 4);
	lo[3] = 1;
	CU_ASSERT_EQUAL(net_range_to_prefixes(4, lo, hi, p, 16), 16);
	/* IPv6 /64. */
	memset(lo, 0, 16);
	lo[0] = 0x20;
	lo[1] = 0x01;
	memcpy(hi, lo, 8);
	memset(hi + 8, 0xff, 8);
	CU_ASSERT_EQUAL(net_range_to_prefixes(6, lo, hi, p, 16), 1);
	CU_ASSERT_EQUAL(p[0].depth, 64);
	/* Inverted range and unknown family: nothing. */
	CU_ASSERT_EQUAL(net_range_to_prefixes(6, hi, lo, p, 16), 0);
	CU_ASSERT_EQUAL(net_range_to_prefixes(5, lo, hi, p, 16), 0);
}

static void
too_big_and_fragments(void)
{
	uint8_t pkt[1500], out[1500], frag[1500], re[1500] = { 0 };
	uint32_t src = ip4("10.1.0.1"), n, i, total = 0;
	unsigned nf, k;

	/* A 1500-byte UDP packet from 10.1.0.2, DF set. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = 1500 >> 8;
	pkt[3] = 1500 & 0xff;
	pkt[6] = 0x40;
	pkt[8] = 63;
	pkt[9] = 17;
	memcpy(pkt + 12, &(uint32_t){ ip4("10.1.0.2") }, 4);
	memcpy(pkt + 16, &(uint32_t){ ip4("10.99.0.1") }, 4);
	for (i = 20; i < 1500; i++)
		pkt[i] = (uint8_t)i;
	n = net_icmp_too_big(out, sizeof(out), pkt, 1500, (uint8_t *)&src, 1435);
	CU_ASSERT_EQUAL_FATAL(n, 20 + 8 + 28);
	CU_ASSERT_EQUAL(out[9], 1);
	CU_ASSERT_EQUAL(memcmp(out + 16, pkt + 12, 4), 0);	/* back to the sender */
	CU_ASSERT_EQUAL(out[20], 3);
	CU_ASSERT_EQUAL(out[21], 4);
	CU_ASSERT_EQUAL(out[26] << 8 | out[27], 1435);
	CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, out, 20)), 0);
	CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, out + 20, 36)), 0);
	/* DF set: no fragmentation. */
	CU_ASSERT_EQUAL(net_ipv4_frag_count(pkt, 1500, 1435), 0);
	/* DF clear: two fragments, 8-byte aligned, reassembling to the original. */
	pkt[6] = 0;
	pkt[10] = pkt[11] = 0;
	nf = net_ipv4_frag_count(pkt, 1500, 1435);
	CU_ASSERT_EQUAL_FATAL(nf, 2);
	for (k = 0; k < nf; k++) {
		uint32_t off;

		n = net_ipv4_frag_build(pkt, 1500, 1435, k, frag, sizeof(frag));
		CU_ASSERT_FATAL(n >= 20 && n <= 1435);
		CU_ASSERT_EQUAL(net_cksum_fold(net_cksum_add(0, frag, 20)), 0);
		CU_ASSERT_EQUAL((frag[6] & 0x20) != 0, k + 1 < nf);	/* MF on all but the last */
		off = (uint32_t)((frag[6] & 0x1f) << 8 | frag[7]) * 8;
		CU_ASSERT_EQUAL(k == 0 ? 0u : off % 8, 0u);
		memcpy(re + 20 + off, frag + 20, n - 20);
		total += n - 20;
	}
	CU_ASSERT_EQUAL(total, 1480);
	CU_ASSERT_EQUAL(memcmp(re + 20, pkt + 20, 1480), 0);
	/* An ICMP error is never answered with another one. */
	CU_ASSERT_EQUAL(net_icmp_too_big(frag, sizeof(frag), out, 56, (uint8_t *)&src, 1400), 0);
}

/*
 * Reference-free robustness: mutated and truncated frames of every kind go
 * through the classifier and the handler each class leads to. Run under
 * ASan/UBSan (make check-asan) this catches any read past the frame.
 */
static void
classify_mutations_bounded(void)
{
	static const unsigned seed = 0x5eed1234;
	uint8_t base[6][128], f[128], out[128], a16[16], b16[16], mac[6];
	uint32_t blen[6], i, k;
	struct net_pkt_info pi;
	struct net_arp arp = { .op = NET_ARP_REQUEST };
	uint32_t rnd = seed;
	bool have;
	unsigned hits[NET_CL__COUNT] = { 0 };

	inet_pton(AF_INET6, "2001:db8::2", a16);
	inet_pton(AF_INET6, "2001:db8::1", b16);
	blen[0] = udp4_frame(base[0], "192.0.2.1", 500, false, (const uint8_t *)"ikeikeike", 9);
	blen[1] = udp4_frame(base[1], "192.0.2.1", 4500, false, (const uint8_t *)"\x12\0\0\1seq!", 8);
	blen[2] = udp4_frame(base[2], "192.0.2.1", 4500, true, (const uint8_t *)"ike", 3);
	blen[3] = net_nd_build_ns(base[3], 128, peer_mac, a16, b16);
	arp.tpa_be = ip4("192.0.2.1");
	blen[4] = net_arp_build(base[4], 128, NULL, peer_mac, &arp);
	memcpy(base[4], gw_mac, 6);
	blen[5] = udp4_frame(base[5], "198.51.100.9", 1234, false, (const uint8_t *)"fwd", 3);
	for (i = 0; i < 20000; i++) {
		unsigned which = i % 6, flips;
		uint32_t len;

		memcpy(f, base[which], sizeof(f));
		rnd = rnd * 1103515245u + 12345u;
		flips = (rnd >> 16) % 4;
		for (k = 0; k < flips; k++) {
			rnd = rnd * 1103515245u + 12345u;
			f[(rnd >> 8) % blen[which]] ^= (uint8_t)(rnd >> 24);
		}
		rnd = rnd * 1103515245u + 12345u;
		len = (rnd >> 16) % 8 == 0 ? (rnd >> 4) % (blen[which] + 1) : blen[which];
		net_classify(f, len, &ifa, &pi);
		CU_ASSERT_FATAL(pi.cls < NET_CL__COUNT);
		hits[pi.cls]++;
		if (pi.cls != NET_CL_DROP && pi.cls != NET_CL_ARP)
			CU_ASSERT((uint32_t)pi.l3_off + pi.l3_len <= len);
		if (pi.cls == NET_CL_IKE)
			CU_ASSERT((uint32_t)pi.ike_off + pi.ike_len <= len);
		if (pi.cls == NET_CL_ICMP)
			net_icmp_echo_reply(f, len, &pi);
		if (pi.cls == NET_CL_ND) {
			net_nd_answer(f, len, &pi, &ifa, out, sizeof(out), a16, mac, &have);
			net_nd_parse_na(f, len, &pi, a16, mac);
		}
		if (pi.cls == NET_CL_ARP)
			net_arp_parse(f, len, &arp);
	}
	/* The mutations must leave most frames in their original class. */
	CU_ASSERT(hits[NET_CL_IKE] > 1000);
	CU_ASSERT(hits[NET_CL_ESP] > 1000);
	CU_ASSERT(hits[NET_CL_ND] > 1000);
	CU_ASSERT(hits[NET_CL_ARP] > 1000);
	CU_ASSERT(hits[NET_CL_FWD] > 1000);
	if (CU_get_number_of_failures())
		printf("seed 0x%x\n", seed);
}

static const struct tu_test tests[] = {
	{ "cksum_known_values", cksum_known_values },
	{ "arp_request_reply_round_trip", arp_request_reply_round_trip },
	{ "icmp4_echo_reply", icmp4_echo_reply },
	{ "icmp6_echo_reply_and_nd", icmp6_echo_reply_and_nd },
	{ "classify_ike_esp_natt", classify_ike_esp_natt },
	{ "classify_rejects_bad_frames", classify_rejects_bad_frames },
	{ "udp_build_checksums", udp_build_checksums },
	{ "ttl_decrement_keeps_checksum", ttl_decrement_keeps_checksum },
	{ "nbr_table_collisions", nbr_table_collisions },
	{ "route_longest_prefix", route_longest_prefix },
	{ "range_to_prefixes_cases", range_to_prefixes_cases },
	{ "classify_mutations_bounded", classify_mutations_bounded },
	{ "too_big_and_fragments", too_big_and_fragments },
};

int
main(void)
{
	ifa_setup();
	return tu_main("net", tests, TU_N(tests));
}
