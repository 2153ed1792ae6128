/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/ike-timers: what lib/ike's per-datagram and per-timer paths cost
 * with 1, 1 000 and 100 000 idle IKE SAs held (the control core's share of
 * "no path is linear in the number of tunnels").
 *
 * The SAs are built through lib/ike's private API (no handshake): each is
 * ESTABLISHED, hashed under a random SPI of ours, with DPD every 30 s and
 * its last message spread over the second before, so every SA sits on the timer
 * structure and none is due while the clock stands still. Timed per call:
 *   input     ike_input() of a datagram for an unknown SPI (parse, lookup,
 *             drop, end-of-entry-point work)
 *   tick      ike_tick() with nothing due
 *   next      ike_next_timeout_ms()
 *   due       ike_tick() when one SA is due (a request retransmitted)
 * and the heap bytes each SA adds (mallinfo2). --check fails if any path
 * costs more than CHECK_RATIO times as much with the most SAs as with one.
 *
 *   perf/ike-timers [--quick] [--check] [N...]
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/ike.h"
#include "ike/ike_priv.h"
#include "perf_common.h"

enum {
	DPD_S = 30,
	MAX_RUNS = 8,
	CHECK_RATIO = 8,
};

struct result {
	unsigned n;
	double heap_b_per_sa;
	double input_ns, tick_ns, next_ns, due_ns;
};

static uint64_t t_clock = 1000000;

static int
cb_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	const struct sockaddr *to)
{
	(void)user, (void)buf, (void)len, (void)from, (void)to;
	return 0;
}

static void
addr4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static struct ike_ctx *
make_ctx(void)
{
	struct ike_conn_cfg c;
	struct ike_ctx_cfg cfg;
	struct ike_ctx *ctx;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "rw");
	addr4(&c.local, "10.0.0.2", 500);
	c.auth = c.remote_auth = IKE_AUTHM_PSK;
	memcpy(c.psk, "benchmark pre-shared key", 24);
	c.psk_len = 24;
	c.local_id.type = IKE_ID_FQDN;
	c.local_id.len = 9;
	memcpy(c.local_id.data, "b.example", 9);
	c.remote_id.type = IKE_ID_ANY;
	snprintf(c.ike_proposals[0], 128, "aes128gcm16-prfsha256-x25519");
	c.n_ike_proposals = 1;
	snprintf(c.esp_proposals[0], 128, "aes128gcm16");
	c.n_esp_proposals = 1;
	c.dpd_s = DPD_S;
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = &c;
	cfg.n_conns = 1;
	cfg.ops.send = cb_send;
	if (ike_ctx_create(&cfg, &ctx) < 0)
		return NULL;
	return ctx;
}

static uint64_t
rnd64(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
add_sas(struct ike_ctx *ctx, unsigned n)
{
	uint64_t st = 42;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct ike_sa *sa;

		if (ike_sa_create(ctx, ctx->conns[0], false, &sa) < 0)
			return -1;
		sa->spi_i = rnd64(&st) | 1;
		sa->spi_r = rnd64(&st) | 1;
		addr4(&sa->local, "10.0.0.2", 500);
		addr4(&sa->remote, "10.9.0.1", 500);
		((struct sockaddr_in *)&sa->remote)->sin_addr.s_addr = htonl(0x0a090000u + i);
		ike_sa_hash_local(sa);
		ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
		sa->last_rx_ms = t_clock - (i % 1000);
	}
	ike_sa_reap(ctx);	/* end of an entry point */
	return 0;
}

/* Calls of @fn per @min_ns at least @min_calls times; ns per call. */
#define TIME_LOOP(min_calls, min_ns, stmt) ({				\
	uint64_t _t0 = perf_now_ns(), _el;					\
	unsigned long _k = 0;						\
	do {								\
		stmt;							\
		_k++;							\
		_el = perf_now_ns() - _t0;					\
	} while (_k < (min_calls) || _el < (min_ns));			\
	(double)_el / (double)_k;					\
})

static int
run_one(unsigned n, bool quick, struct result *r)
{
	struct sockaddr_storage from, to;
	uint8_t dg[28] = { 0 };
	uint64_t min_ns = quick ? 20000000u : 200000000u;
	struct mallinfo2 m0, m1;
	struct ike_ctx *ctx;
	struct ike_sa *one;
	volatile uint64_t sink = 0;

	ctx = make_ctx();
	m0 = mallinfo2();
	if (ctx == NULL || add_sas(ctx, n) < 0) {
		fprintf(stderr, "ike-timers: cannot build %u SAs\n", n);
		ike_ctx_destroy(ctx);
		return -1;
	}
	m1 = mallinfo2();
	r->n = n;
	r->heap_b_per_sa = (double)(m1.uordblks - m0.uordblks) / n;
	ike_tick(ctx, t_clock);		/* cookie clock */

	/* INFORMATIONAL request from the initiator for an SPI we never gave */
	memset(dg, 0x5a, 16);
	dg[17] = 0x20;
	dg[18] = 37;
	dg[19] = 0x08;
	dg[23] = 1;
	dg[27] = 28;
	addr4(&from, "10.9.255.1", 500);
	addr4(&to, "10.0.0.2", 500);
	r->input_ns = TIME_LOOP(100, min_ns,
		ike_input(ctx, dg, sizeof(dg), (struct sockaddr *)&from,
			  (struct sockaddr *)&to, t_clock));
	r->tick_ns = TIME_LOOP(100, min_ns, ike_tick(ctx, t_clock));
	r->next_ns = TIME_LOOP(100, min_ns, sink += ike_next_timeout_ms(ctx, t_clock));
	/* one SA due per call: a request of it is retransmitted */
	{
		static const uint8_t req[28] = { 1 };
		uint64_t t = t_clock + 10, el = 0;
		unsigned long k = 0, calls = quick ? 200u : 2000u;

		one = ctx->sas;
		for (k = 0; k < calls; k++) {
			struct ike_sa *sa = one;
			struct ike_req *rq = ike_req_find(sa, 0);
			uint64_t a;

			one = one->next != NULL ? one->next : ctx->sas;
			if (rq == NULL) {
				rq = ike_req_alloc(sa, IKE_REQ_INFO);
				if (rq == NULL || ike_pkts_add(&rq->out, req, sizeof(req)) < 0)
					return -1;
			}
			rq->tries = 0;
			rq->next_ms = t;
			ike_sa_by_id(ctx, sa->id);	/* a lookup, as an exchange does */
			ike_sa_reap(ctx);
			a = perf_now_ns();
			ike_tick(ctx, t);
			el += perf_now_ns() - a;
		}
		r->due_ns = (double)el / (double)calls;
	}
	(void)sink;
	ike_ctx_destroy(ctx);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned ns[MAX_RUNS], n_runs = 0, i;
	bool quick = false, check = false;
	struct result res[MAX_RUNS];
	int bad = 0;

	for (i = 1; i < (unsigned)argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (n_runs < MAX_RUNS && atoi(argv[i]) > 0)
			ns[n_runs++] = (unsigned)atoi(argv[i]);
		else {
			fprintf(stderr, "usage: ike-timers [--quick] [--check] [N...]\n");
			return 2;
		}
	}
	if (n_runs == 0) {
		ns[0] = 1;
		ns[1] = 1000;
		ns[2] = quick ? 20000 : 100000;
		n_runs = 3;
	}
	printf("ike-timers: sizeof(struct ike_sa) %zu, sizeof(struct ike_child) %zu\n",
	       sizeof(struct ike_sa), sizeof(struct ike_child));
	printf("%8s %12s %12s %12s %12s %12s\n", "sas", "heap_B/sa", "input_ns", "tick_ns",
	       "next_ns", "due_tick_ns");
	for (i = 0; i < n_runs; i++) {
		if (run_one(ns[i], quick, &res[i]) < 0)
			return 1;
		printf("%8u %12.0f %12.0f %12.0f %12.0f %12.0f\n", res[i].n,
		       res[i].heap_b_per_sa, res[i].input_ns, res[i].tick_ns, res[i].next_ns,
		       res[i].due_ns);
		fflush(stdout);
	}
	{
		const struct result *a = &res[0], *z = &res[n_runs - 1];
		double ri = z->input_ns / a->input_ns, rt = z->tick_ns / a->tick_ns;
		double rn = z->next_ns / a->next_ns, rd = z->due_ns / a->due_ns;

		printf("SUMMARY ike_timers sas_max=%u sa_bytes=%.0f input_ratio=%.2f "
		       "tick_ratio=%.2f next_ratio=%.2f due_ratio=%.2f\n",
		       z->n, z->heap_b_per_sa, ri, rt, rn, rd);
		/* an idle tick or a timeout query is a few ns: compare those with
		 * an absolute floor so that noise on a loaded machine cannot fail */
		if (check && (ri > CHECK_RATIO || rd > CHECK_RATIO ||
			      (rt > CHECK_RATIO && z->tick_ns > 500) ||
			      (rn > CHECK_RATIO && z->next_ns > 500))) {
			fprintf(stderr, "ike-timers: cost grows with the number of SAs\n");
			bad = 1;
		}
	}
	return bad;
}
