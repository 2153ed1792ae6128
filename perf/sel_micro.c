/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/sel-micro: what the protocol/port selector check (lib/sa/sa_sel.h)
 * costs per packet, as the worker runs it: the has_sel byte for an
 * address-only tunnel, and sa_sel_match for port-restricted ones (IPv4 UDP,
 * IPv4 TCP against a two-entry side, IPv6 behind a destination-options
 * header, a mismatch). One run, ratios to the address-only case printed.
 *
 *   build/perf/sel-micro [--packets N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sa/sa_sel.h"
#include "perf_common.h"

enum { BURST = 32 };

struct tgt {
	uint8_t has_sel;
	struct sa_sel sel;
};

static void
ip4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 64);
	p[0] = 0x45;
	p[9] = proto;
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
}

/* ns per packet of the worker's test over @n packets of @pkt (BURST of them). */
static double
run(const struct tgt *t, uint8_t pkt[BURST][80], uint64_t n, unsigned *ok)
{
	volatile unsigned sink = 0;
	uint64_t i, t0 = perf_now_ns();
	unsigned k, pass = 0;

	for (i = 0; i < n / BURST; i++)
		for (k = 0; k < BURST; k++) {
			const struct tgt *x = t;

			__asm__ __volatile__("" : "+r"(x));	/* a fresh load each time */
			if (!x->has_sel || sa_sel_match(&x->sel, pkt[k], 80, false))
				pass++;
		}
	sink = pass;
	*ok = sink;
	return (double)(perf_now_ns() - t0) / (double)(n / BURST * BURST);
}

int
main(int argc, char **argv)
{
	static uint8_t v4udp[BURST][80], v4tcp[BURST][80], v6[BURST][80], miss[BURST][80];
	uint64_t n = 50000000;
	struct tgt none, udp, tcp2, v6sel;
	unsigned k, ok[5];
	double base, r[5];

	if (argc == 3 && strcmp(argv[1], "--packets") == 0)
		n = strtoull(argv[2], NULL, 10);
	if (n < BURST) {
		fprintf(stderr, "usage: %s [--packets N >= %u]\n", argv[0], BURST);
		return 2;
	}
	memset(&none, 0, sizeof(none));
	memset(&udp, 0, sizeof(udp));
	sa_sel_add(&udp.sel, false, 17, 5001, 5001);
	sa_sel_finish(&udp.sel);
	udp.has_sel = sa_sel_active(&udp.sel);
	memset(&tcp2, 0, sizeof(tcp2));
	sa_sel_add(&tcp2.sel, false, 6, 80, 80);
	sa_sel_add(&tcp2.sel, false, 6, 443, 443);
	sa_sel_finish(&tcp2.sel);
	tcp2.has_sel = 1;
	memset(&v6sel, 0, sizeof(v6sel));
	sa_sel_add(&v6sel.sel, false, 17, 53, 53);
	sa_sel_finish(&v6sel.sel);
	v6sel.has_sel = 1;
	for (k = 0; k < BURST; k++) {
		ip4(v4udp[k], 17, (uint16_t)(40000 + k), 5001);
		ip4(v4tcp[k], 6, (uint16_t)(40000 + k), 443);
		ip4(miss[k], 17, (uint16_t)(40000 + k), 5002);
		memset(v6[k], 0, 80);
		v6[k][0] = 0x60;
		v6[k][6] = 60;
		v6[k][40] = 17;
		v6[k][49] = (uint8_t)k;
		v6[k][51] = 53;
	}
	base = run(&none, v4udp, n, &ok[0]);
	r[1] = run(&udp, v4udp, n, &ok[1]);
	r[2] = run(&tcp2, v4tcp, n, &ok[2]);
	r[3] = run(&v6sel, v6, n, &ok[3]);
	r[4] = run(&udp, miss, n, &ok[4]);
	printf("sel-micro: %" PRIu64 " packets per case, bursts of %u\n", n, BURST);
	printf("address-only (has_sel 0)     %6.2f ns/pkt  pass %u\n", base, ok[0]);
	printf("ipv4 udp/5001 match          %6.2f ns/pkt  pass %u  x%.2f\n", r[1], ok[1],
	       r[1] / base);
	printf("ipv4 tcp 80|443, 443 match   %6.2f ns/pkt  pass %u  x%.2f\n", r[2], ok[2],
	       r[2] / base);
	printf("ipv6 dest-opts udp/53 match  %6.2f ns/pkt  pass %u  x%.2f\n", r[3], ok[3],
	       r[3] / base);
	printf("ipv4 udp/5002 mismatch       %6.2f ns/pkt  pass %u  x%.2f\n", r[4], ok[4],
	       r[4] / base);
	/* correctness of what was timed: all matched, the mismatch none */
	if (ok[0] != ok[1] || ok[1] != ok[2] || ok[2] != ok[3] || ok[4] != 0) {
		fprintf(stderr, "sel-micro: unexpected match counts\n");
		return 1;
	}
	printf("SUMMARY sel_check_ns_addr_only=%.2f ipv4_udp=%.2f ipv4_tcp2=%.2f ipv6_ext=%.2f "
	       "mismatch=%.2f\n", base, r[1], r[2], r[3], r[4]);
	return 0;
}
