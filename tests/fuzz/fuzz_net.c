/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for lib/net: the input is one received Ethernet
 * frame. It goes through net_classify() as a worker does, then through the
 * handler the control core or the worker runs for its class (ARP parse, ND
 * answer or NA parse, ICMP echo reply in place, "packet too big" and IPv4
 * fragmentation of the IP packet). Every offset the classifier reports must
 * lie inside the frame; anything else is a bug and aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "fuzz_entry.h"

enum {
	FRAME_MAX = 9216,
};

static const struct net_if_addrs ifa = {
	.mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
	.n_v4 = 2,
	.v4_be = { 0x0102000a /* 10.0.2.1 */, 0x010200c0 /* 192.0.2.1 */ },
	.v4_len = { 24, 24 },
	.n_v6 = 1,
	.v6 = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	.v6_len = { 64 },
};

static void
check_info(const struct net_pkt_info *pi, uint32_t len)
{
	if (pi->cls >= NET_CL__COUNT)
		abort();
	if (pi->cls == NET_CL_DROP || pi->cls == NET_CL_ARP)
		return;
	if (pi->l3_off > len || pi->l3_len > len - pi->l3_off)
		abort();
	if ((pi->cls == NET_CL_ESP || pi->cls == NET_CL_IKE) && pi->l4_off > len)
		abort();
	if (pi->cls == NET_CL_IKE && (pi->ike_off > len || pi->ike_len > len - pi->ike_off))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FRAME_MAX], out[FRAME_MAX];
	struct net_pkt_info pi;
	uint32_t len = size < FRAME_MAX ? (uint32_t)size : FRAME_MAX;
	uint8_t src[16], lla[6], target[16];
	struct net_arp a;
	bool have_lla;
	unsigned i, nfrag;

	memcpy(frame, data, len);
	net_classify(frame, len, &ifa, &pi);
	check_info(&pi, len);
	switch (pi.cls) {
	case NET_CL_ARP:
		if (net_arp_parse(frame, len, &a) == 0)
			(void)net_arp_build(out, sizeof(out), a.sha, ifa.mac, &a);
		break;
	case NET_CL_ND:
		(void)net_nd_parse_na(frame, len, &pi, target, lla);
		(void)net_nd_answer(frame, len, &pi, &ifa, out, sizeof(out), src, lla, &have_lla);
		break;
	case NET_CL_ICMP: {
		int r = net_icmp_echo_reply(frame, len, &pi);

		if (r > (int)len)
			abort();
		break;
	}
	case NET_CL_FWD:
		(void)net_icmp_too_big(out, sizeof(out), frame + pi.l3_off, pi.l3_len,
				       pi.af == 6 ? ifa.v6[0] : (const uint8_t *)&ifa.v4_be[0],
				       576);
		if (pi.af == 4) {
			nfrag = net_ipv4_frag_count(frame + pi.l3_off, pi.l3_len, 576);
			for (i = 0; i < nfrag && i < 32; i++)
				if (net_ipv4_frag_build(frame + pi.l3_off, pi.l3_len, 576, i, out,
							sizeof(out)) > 576)
					abort();
		}
		(void)net_ip_forward_ttl(frame + pi.l3_off, pi.l3_len);
		break;
	default:
		break;
	}
	return 0;
}
