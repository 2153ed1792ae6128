/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike-flood: IKE_SA_INIT requests from many spoofed IPv4 source addresses,
 * as fast as one core can push them (or at --pps), for a fixed time, over an
 * AF_PACKET socket on one interface (so no ARP and no routing: the frames go
 * to --dst-mac as built). For load tests inside network namespaces only.
 *
 *   ike-flood --if DEV --dst-mac MAC --dst IP [--src-net A.B.C.D/LEN]
 *             [--sources N] [--duration S] [--pps N] [--port 500]
 *
 * Each request is well formed (RFC 7296 3.1-3.3, 3.4, 3.9): HDR (random
 * SPIi, SPIr 0, IKE_SA_INIT, Initiator flag), SA with one proposal
 * ENCR_AES_GCM_16/256 + PRF_HMAC_SHA2_256 + DH 19, KE (group 19), Nonce
 * (32 bytes). The KE value is fixed and precomputed: the P-256 base point G,
 * a valid public key (private key 1), so the responder's DH succeeds. SPIi,
 * the nonce and the source address change per packet; source addresses
 * cycle through --sources addresses of --src-net.
 *
 * Prints one line at the end: sent packets, seconds, packets/s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "perf_common.h"

enum {
	BATCH = 64,
	ETH_LEN = 14,
	IP_LEN = 20,
	UDP_LEN = 8,
	IKE_HDR_LEN = 28,
	NONCE_LEN = 32,
	P256_LEN = 64,
};

/* P-256 base point G (SEC 2 2.4.2 / FIPS 186-4 D.1.2.3): x || y. */
static const uint8_t p256_g[P256_LEN] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
	0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45,
	0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f,
	0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68,
	0x37, 0xbf, 0x51, 0xf5,
};

/* perf_xorshift64: fast per-packet variation; nothing here needs to be secret. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned
add_xform(uint8_t *p, int last, unsigned type, unsigned id, unsigned key_bits)
{
	unsigned len = key_bits ? 12 : 8;

	p[0] = last ? 0 : 3;
	p[1] = 0;
	put16(p + 2, len);
	p[4] = (uint8_t)type;
	p[5] = 0;
	put16(p + 6, id);
	if (key_bits) {
		put16(p + 8, 0x800e);		/* AF=1, Key Length */
		put16(p + 10, key_bits);
	}
	return len;
}

/* The IKE message from its header on; returns its length. */
static unsigned
build_ike(uint8_t *ike)
{
	uint8_t *p = ike + IKE_HDR_LEN;
	unsigned sa_len, prop_len, len;

	memset(ike, 0, IKE_HDR_LEN);
	ike[16] = 33;				/* next: SA */
	ike[17] = 0x20;				/* version 2.0 */
	ike[18] = 34;				/* IKE_SA_INIT */
	ike[19] = 0x08;				/* Initiator */
	/* SA payload: one proposal, three transforms */
	prop_len = 8;
	prop_len += add_xform(p + 4 + 8 + 0, 0, 1, 20, 256);	/* ENCR_AES_GCM_16 */
	prop_len += add_xform(p + 4 + prop_len, 0, 2, 5, 0);	/* PRF_HMAC_SHA2_256 */
	prop_len += add_xform(p + 4 + prop_len, 1, 4, 19, 0);	/* DH 19 */
	p[4] = 0;				/* last proposal */
	p[5] = 0;
	put16(p + 6, prop_len);
	p[8] = 1;				/* proposal 1 */
	p[9] = 1;				/* protocol IKE */
	p[10] = 0;				/* SPI size */
	p[11] = 3;				/* transforms */
	sa_len = 4 + prop_len;
	p[0] = 34;				/* next: KE */
	p[1] = 0;
	put16(p + 2, sa_len);
	p += sa_len;
	/* KE */
	p[0] = 40;				/* next: Nonce */
	p[1] = 0;
	put16(p + 2, 8 + P256_LEN);
	put16(p + 4, 19);
	put16(p + 6, 0);
	memcpy(p + 8, p256_g, P256_LEN);
	p += 8 + P256_LEN;
	/* Nonce */
	p[0] = 0;
	p[1] = 0;
	put16(p + 2, 4 + NONCE_LEN);
	p += 4 + NONCE_LEN;
	len = (unsigned)(p - ike);
	put32(ike + 24, len);
	return len;
}

static uint16_t
ip_cksum(const uint8_t *h)
{
	uint32_t s = 0;
	unsigned i;

	for (i = 0; i < IP_LEN; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ike-flood --if DEV --dst-mac MAC --dst IP [--src-net A.B.C.D/LEN]\n"
		"                 [--sources N] [--duration S] [--pps N] [--port 500]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"if", 1, NULL, 'i'}, {"dst-mac", 1, NULL, 'm'}, {"dst", 1, NULL, 'd'},
		{"src-net", 1, NULL, 's'}, {"sources", 1, NULL, 'n'}, {"duration", 1, NULL, 't'},
		{"pps", 1, NULL, 'r'}, {"port", 1, NULL, 'p'}, {NULL, 0, NULL, 0},
	};
	const char *ifname = NULL, *src_net = "198.18.0.0/15";
	uint8_t dmac[6], smac[6], frames[BATCH][256];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll;
	struct in_addr dst = { 0 }, net;
	struct ifreq ifr;
	uint32_t sources = 65536, base, plen = 15, src_i = 0;
	uint64_t pps = 0, sent = 0, errors = 0, t0, end, duration_s = 10;
	unsigned ike_len, flen, i, port = 500;
	int fd, opt, have_mac = 0;
	char netbuf[32], *slash;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm': have_mac = parse_mac(optarg, dmac) == 0; break;
		case 'd': if (inet_pton(AF_INET, optarg, &dst) != 1) { usage(); return 2; } break;
		case 's': src_net = optarg; break;
		case 'n': sources = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': duration_s = strtoull(optarg, NULL, 0); break;
		case 'r': pps = strtoull(optarg, NULL, 0); break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 0); break;
		default: usage(); return 2;
		}
	}
	snprintf(netbuf, sizeof(netbuf), "%s", src_net);
	slash = strchr(netbuf, '/');
	if (slash != NULL) {
		*slash = '\0';
		plen = (uint32_t)strtoul(slash + 1, NULL, 10);
	}
	if (ifname == NULL || !have_mac || dst.s_addr == 0 || sources == 0 || plen < 1 ||
	    plen > 32 || inet_pton(AF_INET, netbuf, &net) != 1 ||
	    (plen < 32 && sources > (1u << (32 - plen)))) {
		usage();
		return 2;
	}
	base = ntohl(net.s_addr) & (plen == 32 ? ~0u : ~((1u << (32 - plen)) - 1));
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	rng_state ^= perf_now_ns() ^ (uint64_t)getpid() << 32;

	/* Template frame. */
	memset(frames, 0, sizeof(frames));
	ike_len = build_ike(frames[0] + ETH_LEN + IP_LEN + UDP_LEN);
	flen = ETH_LEN + IP_LEN + UDP_LEN + ike_len;
	memcpy(frames[0], dmac, 6);
	memcpy(frames[0] + 6, smac, 6);
	put16(frames[0] + 12, 0x0800);
	{
		uint8_t *ip = frames[0] + ETH_LEN, *udp = ip + IP_LEN;

		ip[0] = 0x45;
		put16(ip + 2, IP_LEN + UDP_LEN + ike_len);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 16, &dst, 4);
		put16(udp, port);
		put16(udp + 2, port);
		put16(udp + 4, UDP_LEN + ike_len);	/* checksum 0: none (IPv4) */
	}
	for (i = 1; i < BATCH; i++)
		memcpy(frames[i], frames[0], flen);
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = flen;
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_name = &sll;
		msg[i].msg_hdr.msg_namelen = sizeof(sll);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = perf_now_ns();
	end = t0 + duration_s * 1000000000ull;
	for (;;) {
		uint64_t t = perf_now_ns();
		int n;

		if (t >= end)
			break;
		if (pps != 0 && sent * 1000000000ull > (t - t0) * pps) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (i = 0; i < BATCH; i++) {
			uint8_t *ip = frames[i] + ETH_LEN;
			uint8_t *ike = ip + IP_LEN + UDP_LEN;
			uint64_t r = perf_xorshift64(&rng_state), r2 = perf_xorshift64(&rng_state);

			put32(ip + 12, base + src_i);
			if (++src_i == sources)
				src_i = 0;
			put16(ip + 4, (unsigned)r);		/* IP ID */
			put16(ip + 10, 0);
			put16(ip + 10, ip_cksum(ip));
			memcpy(ike, &r, 8);			/* SPIi */
			if (ike[0] == 0)
				ike[0] = 1;
			memcpy(ike + ike_len - NONCE_LEN, &r2, 8);
			memcpy(ike + ike_len - 8, &r, 8);
		}
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
		else if (errno != EINTR)
			errors++;
	}
	t0 = perf_now_ns() - t0;
	printf("ike-flood: sent %llu IKE_SA_INIT in %.2f s: %.0f pps (%u sources, %u-byte frames,"
	       " %llu send errors)\n", (unsigned long long)sent, t0 / 1e9, sent / (t0 / 1e9),
	       sources, flen, (unsigned long long)errors);
	close(fd);
	return sent > 0 ? 0 : 1;
}
