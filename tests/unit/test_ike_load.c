/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests (harness: test_ike.h): hostile peers (cookies, retransmit amplification, memory caps)
 * and lib/ike at scale (the deadline heap and the SA timers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "test_main.h"
#include "test_ike.h"

/* ---- hostile peers: cookies, retransmit amplification, memory caps ---- */

/* Take the datagram A just queued (an IKE_SA_INIT request); empty the queue. */
struct dgram
take_a(void)
{
	struct dgram d;

	CU_ASSERT_FATAL(qn >= 1);
	d = q[qn - 1];
	CU_ASSERT_EQUAL(d.dst, 1);
	qn = 0;
	return d;
}

/* Deliver @d to B; return how many datagrams B sent (left in q). */
unsigned
to_b(const struct dgram *d)
{
	qn = 0;
	ike_input(P[1].ctx, d->buf, d->len, (const struct sockaddr *)&d->from,
		  (const struct sockaddr *)&d->to, now);
	return qn;
}

/* The COOKIE notify data in B's answer q[0], or false. */
static bool
got_cookie(uint8_t ck[IKE_COOKIE_LEN])
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	const struct ike_notify *n;
	bool ok = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	if (qn == 1 && ike_msg_parse(q[0].buf, q[0].len, m) == 0) {
		n = ike_msg_notify(m, IKE_N_COOKIE);
		if (n != NULL && n->data.len == IKE_COOKIE_LEN) {
			memcpy(ck, n->data.p, IKE_COOKIE_LEN);
			ok = true;
		}
	}
	free(m);
	return ok;
}

/* @d with a COOKIE notify put first (RFC 7296 2.6: N(COOKIE), SA, KE, Ni). */
static struct dgram
with_cookie(const struct dgram *d, const uint8_t ck[IKE_COOKIE_LEN])
{
	struct dgram o = *d;
	size_t nl = 8 + IKE_COOKIE_LEN;

	CU_ASSERT_FATAL(d->len + nl <= sizeof(o.buf));
	memcpy(o.buf + 28 + nl, d->buf + 28, d->len - 28);
	o.buf[16] = IKE_PLD_N;
	o.buf[28] = d->buf[16];		/* next: the old first payload */
	o.buf[29] = 0;
	o.buf[30] = (uint8_t)(nl >> 8);
	o.buf[31] = (uint8_t)nl;
	o.buf[32] = 0;			/* protocol */
	o.buf[33] = 0;			/* SPI size */
	o.buf[34] = (uint8_t)(IKE_N_COOKIE >> 8);
	o.buf[35] = (uint8_t)IKE_N_COOKIE;
	memcpy(o.buf + 36, ck, IKE_COOKIE_LEN);
	o.len = d->len + nl;
	put_be32(o.buf + 24, (uint32_t)o.len);
	return o;
}

/* What an attacker computes for cookie version 0xffffffff with the all-zero
 * "previous" secret: SHA-256(Ni | IPi | SPIi | 0^32). */
static void
forged_cookie(const struct dgram *d, uint8_t ck[IKE_COOKIE_LEN])
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	const struct sockaddr_in *from = (const struct sockaddr_in *)&d->from;
	uint8_t buf[IKE_NONCE_MAX + 4 + 8 + 32];
	size_t n = 0;
	unsigned int olen = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(d->buf, d->len, m), 0);
	memcpy(buf, m->nonce.p, m->nonce.len);
	n = m->nonce.len;
	memcpy(buf + n, &from->sin_addr, 4);
	n += 4;
	put_be64(buf + n, m->hdr.spi_i);
	n += 8;
	memset(buf + n, 0, 32);
	n += 32;
	ck[0] = ck[1] = ck[2] = ck[3] = 0xff;
	EVP_Digest(buf, n, ck + 4, &olen, EVP_sha256(), NULL);
	free(m);
}

/* Cookie forgery (RFC 7296 2.6): at start the previous secret must not be a
 * known value reachable by version 0 - 1. B demands cookies (one half-open
 * SA, threshold 1). A forged cookie (version 0xffffffff, zero secret) is
 * refused; B's own cookie works; a cookie of the previous version works
 * after one rotation and is refused after two. */
void
test_cookie_forgery(void)
{
	struct setup s;
	struct ike_stats st;
	struct dgram r1, r2, r3, x;
	uint8_t ck[IKE_COOKIE_LEN], c2[IKE_COOKIE_LEN], c3[IKE_COOKIE_LEN];

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.cookie_threshold = 1;
	s.half_open_max = 100;
	start_quiet(&s);
	/* one half-open SA at B: cookies required from now on */
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	x = take_a();
	to_b(&x);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL_FATAL(st.half_open, 1);

	/* forged: refused, answered with a fresh COOKIE, no SA */
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	r1 = take_a();
	forged_cookie(&r1, ck);
	x = with_cookie(&r1, ck);
	CU_ASSERT_EQUAL(to_b(&x), 1);
	CU_ASSERT_TRUE(got_cookie(ck));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 1);
	CU_ASSERT_EQUAL(st.cookies_sent, 1);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);

	/* B's own cookie: accepted */
	x = with_cookie(&r1, ck);
	to_b(&x);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 2);
	CU_ASSERT_EQUAL(st.cookies_sent, 1);

	/* two more requests get cookies of version 0 */
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	r2 = take_a();
	to_b(&r2);
	CU_ASSERT_TRUE_FATAL(got_cookie(c2));
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	r3 = take_a();
	to_b(&r3);
	CU_ASSERT_TRUE_FATAL(got_cookie(c3));
	CU_ASSERT_EQUAL(c2[3], 0);
	/* one rotation: the previous version is still good */
	ike_cookie_rotate(P[1].ctx);
	x = with_cookie(&r2, c2);
	to_b(&x);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 3);
	CU_ASSERT_EQUAL(st.cookies_sent, 3);
	/* two rotations: version 0 is gone */
	ike_cookie_rotate(P[1].ctx);
	x = with_cookie(&r3, c3);
	CU_ASSERT_EQUAL(to_b(&x), 1);
	CU_ASSERT_TRUE(got_cookie(ck));
	CU_ASSERT_EQUAL(ck[3], 2);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 3);
	CU_ASSERT_EQUAL(st.cookies_sent, 4);
	stop();
}

/* Deliver @d to B as is, from @from if not NULL; return what B sent. */
static unsigned
to_b_from(const struct dgram *d, const char *from)
{
	struct dgram x = *d;

	if (from != NULL)
		addr(&x.from, from, 500);
	return to_b(&x);
}

/* Retransmit amplification (RFC 7296 2.1): B answers a duplicate request
 * from its cache only if it is the original request. A's CREATE_CHILD_SA
 * request (Message ID 2) is answered; then junk with the right SPIs and that
 * old Message ID (57 bytes, and the real request with one byte flipped, from
 * another address) gets no resend; the exact request again does; a burst
 * of exact copies is cut at IKE_RESEND_PER_S a second. Same for a half-open
 * SA's IKE_SA_INIT. */
void
test_resend_only_original(void)
{
	struct setup s;
	struct ike_stats st;
	struct dgram junk, flip, x;
	unsigned i, n;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	P[1].quiet = true;
	hold_one = true;
	drop_fn = capture_first_a;
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	drop_fn = NULL;
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	qn = 0;
	CU_ASSERT_EQUAL(to_b(&held), 1);	/* answered once */

	/* 57-byte junk: header with the SPIs and Message ID, an SK payload */
	junk = held;
	junk.len = 57;
	junk.buf[16] = IKE_PLD_SK;
	put_be32(junk.buf + 24, 57);
	memset(junk.buf + 28, 0, 29);
	junk.buf[30] = 0;
	junk.buf[31] = 29;
	memset(junk.buf + 32, 0x41, 25);
	CU_ASSERT_EQUAL(to_b_from(&junk, "198.51.100.9"), 0);
	CU_ASSERT_EQUAL(to_b_from(&junk, NULL), 0);
	flip = held;
	flip.buf[flip.len - 20] ^= 1;
	CU_ASSERT_EQUAL(to_b_from(&flip, "198.51.100.9"), 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.resend_refused, 3);
	CU_ASSERT_EQUAL(st.retransmits, 0);

	/* the real retransmission is answered */
	CU_ASSERT_EQUAL(to_b(&held), 1);
	/* a burst of it in the same second: IKE_RESEND_PER_S resends in all */
	for (i = n = 0; i < 20; i++)
		n += to_b(&held);
	CU_ASSERT_EQUAL(n, IKE_RESEND_PER_S - 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.retransmits, IKE_RESEND_PER_S);
	CU_ASSERT_EQUAL(st.resend_limited, 20 - (IKE_RESEND_PER_S - 1));
	CU_ASSERT_EQUAL(st.resend_refused, 3);
	now += 1000;			/* next second: answered again */
	CU_ASSERT_EQUAL(to_b(&held), 1);
	/* the same request re-encrypted by A (new IV, other bytes): authentic,
	 * so answered too (a peer that re-seals or re-fragments retransmits) */
	{
		struct ike_msg *m = calloc(1, sizeof(*m));
		uint8_t plain[4096];
		size_t plain_len = 0, len = 0;
		struct ike_sa *sa_a = first_sa(P[0].ctx), *sa_b = first_sa(P[1].ctx);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(held.buf, held.len, m), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sk_open(ike_sa_keys_in(sa_b), held.buf, held.len,
						  m->sk.body_off, plain, sizeof(plain),
						  &plain_len), 0);
		x = held;
		CU_ASSERT_EQUAL_FATAL(ike_sk_encrypt_msg(ike_sa_keys_out(sa_a), held.buf,
							 m->sk.next, plain, plain_len, x.buf,
							 sizeof(x.buf), &len), 0);
		x.len = len;
		CU_ASSERT(x.len != held.len || memcmp(x.buf, held.buf, x.len) != 0);
		CU_ASSERT_EQUAL(to_b(&x), 1);
		free(m);
	}
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.resend_refused, 3);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 2);
	stop();

	/* IKE_SA_INIT of a half-open SA: a changed copy gets nothing, the
	 * request itself gets the cached response */
	start(&s);
	P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	x = take_a();
	CU_ASSERT_EQUAL(to_b(&x), 1);
	flip = x;
	flip.buf[flip.len - 1] ^= 1;	/* last byte of a payload body */
	CU_ASSERT_EQUAL(to_b(&flip), 0);
	CU_ASSERT_EQUAL(to_b(&x), 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.resend_refused, 1);
	CU_ASSERT_EQUAL(st.retransmits, 1);
	CU_ASSERT_EQUAL(st.half_open, 1);
	stop();
}

/* An SKF fragment (RFC 7383 2.5) sealed under A's keys of @a: Message ID
 * @msgid of exchange @xchg, number @num of @total, @inner_len filler bytes. */
static struct dgram
make_frag(struct ike_sa *a, uint8_t xchg, uint32_t msgid, uint16_t num, uint16_t total,
	  size_t inner_len)
{
	const struct ike_sk_dir *k = ike_sa_keys_out(a);
	struct dgram d;
	uint8_t inner[1200];
	size_t body = ike_sk_body_len(k, inner_len), mlen = 0;

	CU_ASSERT_FATAL(inner_len <= sizeof(inner));
	memset(&d, 0, sizeof(d));
	memset(inner, 0x5a, inner_len);
	put_be64(d.buf, a->spi_i);
	put_be64(d.buf + 8, a->spi_r);
	d.buf[16] = IKE_PLD_SKF;
	d.buf[17] = 0x20;
	d.buf[18] = xchg;
	d.buf[19] = a->initiator ? IKE_FLAG_I : 0;
	put_be32(d.buf + 20, msgid);
	put_be32(d.buf + 24, (uint32_t)(28 + 8 + body));
	d.buf[28] = num == 1 ? IKE_PLD_N : 0;
	d.buf[30] = (uint8_t)((8 + body) >> 8);
	d.buf[31] = (uint8_t)(8 + body);
	d.buf[32] = (uint8_t)(num >> 8);
	d.buf[33] = (uint8_t)num;
	d.buf[34] = (uint8_t)(total >> 8);
	d.buf[35] = (uint8_t)total;
	CU_ASSERT_EQUAL_FATAL(ike_sk_seal(k, d.buf, 36, inner, inner_len, sizeof(d.buf), &mlen), 0);
	d.len = mlen;
	d.from = a->local;
	d.to = a->remote;
	d.dst = 1;
	return d;
}

static bool
drop_auth_from_a(int src, const struct dgram *d)
{
	return src == 0 && d->len > 18 && d->buf[18] == IKE_XCHG_AUTH;
}

/* Start @s and bring up @n IKE SAs to the point where B has answered
 * IKE_SA_INIT and A's IKE_AUTH is lost: B holds @n half-open SAs with keys.
 * Returns A's first SA. */
static struct ike_sa *
half_open_with_keys(const struct setup *s, unsigned n)
{
	struct ike_sa *a;
	unsigned i;

	start_quiet(s);
	drop_fn = drop_auth_from_a;
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	drop_fn = NULL;
	a = first_sa(P[0].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	return a;
}

/* Memory caps, reassembly: fragments of an IKE_AUTH (Message ID 1) sealed
 * under a half-open SA's keys. With frag_preauth_max 4000, four 1000-byte
 * fragments fit and the fifth drops the set (counted, memory back to 0).
 * After IKE_AUTH the per-SA cap no longer applies, only the global budget:
 * with frag_mem_max 2500 and two half-open SAs, the first SA's two
 * fragments fit and the second SA's first fragment is refused. */
void
test_frag_caps(void)
{
	struct setup s;
	struct ike_stats st;
	struct ike_sa *a, *a2;
	struct dgram d;
	uint16_t i;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.frag_preauth_max = 4000;
	a = half_open_with_keys(&s, 1);
	CU_ASSERT_EQUAL_FATAL(a->state, IKE_ST_AUTH_SENT);
	CU_ASSERT_TRUE_FATAL(first_sa(P[1].ctx)->frag);
	for (i = 1; i <= 4; i++) {
		d = make_frag(a, IKE_XCHG_AUTH, 1, i, 8, 1000);
		CU_ASSERT_EQUAL(to_b(&d), 0);
	}
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.frag_mem, 4000);
	CU_ASSERT_EQUAL(st.frag_preauth_refused, 0);
	d = make_frag(a, IKE_XCHG_AUTH, 1, 5, 8, 1000);
	CU_ASSERT_EQUAL(to_b(&d), 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.frag_preauth_refused, 1);
	CU_ASSERT_EQUAL(st.frag_mem, 0);
	CU_ASSERT_EQUAL(st.rx_invalid, 0);
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->frx.active);
	stop();

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.frag_mem_max = 2500;
	a = half_open_with_keys(&s, 2);
	a2 = a->next;
	CU_ASSERT_PTR_NOT_NULL_FATAL(a2);
	for (i = 1; i <= 2; i++) {
		d = make_frag(a, IKE_XCHG_AUTH, 1, i, 4, 1000);
		to_b(&d);
	}
	d = make_frag(a2, IKE_XCHG_AUTH, 1, 1, 4, 1000);
	to_b(&d);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.frag_mem_refused, 1);
	CU_ASSERT_EQUAL(st.frag_preauth_refused, 0);
	CU_ASSERT_EQUAL(st.frag_mem, 2000);
	/* the half-open SAs expire: their memory comes back */
	advance(31000);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.frag_mem, 0);
	CU_ASSERT_EQUAL(st.half_open, 0);
	stop();
}

/* Memory caps, half-open SAs per source: with half_open_per_src 2, the
 * third IKE_SA_INIT from 10.0.0.1 gets no answer and no SA (counted); one
 * from 10.0.0.3 still gets in; after the half-open SAs expire 10.0.0.1 is
 * welcome again. */
void
test_half_open_per_src(void)
{
	struct setup s;
	struct ike_stats st;
	struct dgram d;
	unsigned i;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.half_open_per_src = 2;
	start_quiet(&s);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
		d = take_a();
		CU_ASSERT_EQUAL(to_b(&d), 1);
	}
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	d = take_a();
	CU_ASSERT_EQUAL(to_b(&d), 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open_src_refused, 1);
	CU_ASSERT_EQUAL(st.half_open, 2);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 2);
	CU_ASSERT_EQUAL(to_b_from(&d, "10.0.0.3"), 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 3);
	qn = 0;
	drop_fn = drop_from_a;
	advance(31000);
	drop_fn = NULL;
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 0);
	CU_ASSERT_EQUAL(ike_src_half_open(P[1].ctx, &d.from), 0);
	CU_ASSERT_EQUAL(to_b(&d), 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 1);
	CU_ASSERT_EQUAL(st.half_open_src_refused, 1);

	/* IPv6 sources count per /64: two half-open SAs from one /64 are one
	 * source, another /64 is another */
	{
		struct sockaddr_storage x1, x2, y;
		struct ike_sa *h1, *h2;

		addr6(&x1, "2001:db8:1:2::1", 500);
		addr6(&x2, "2001:db8:1:2:ffff::9", 500);
		addr6(&y, "2001:db8:1:3::1", 500);
		CU_ASSERT_EQUAL_FATAL(ike_sa_create(P[1].ctx, P[1].ctx->conns[0], false, &h1), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sa_create(P[1].ctx, P[1].ctx->conns[0], false, &h2), 0);
		h1->remote = x1;
		h2->remote = x2;
		ike_sa_set_state(h1, IKE_ST_INIT_RCVD);
		ike_sa_set_state(h2, IKE_ST_INIT_RCVD);
		CU_ASSERT_EQUAL(ike_src_half_open(P[1].ctx, &x1), 2);
		CU_ASSERT_EQUAL(ike_src_half_open(P[1].ctx, &y), 0);
		ike_sa_kill(h1, "test");
		ike_sa_kill(h2, "test");
		ike_sa_reap(P[1].ctx);
		CU_ASSERT_EQUAL(ike_src_half_open(P[1].ctx, &x2), 0);
	}
	stop();
}

/* ---- lib/ike at scale: the deadline heap and the SA timers ---- */

static uint64_t
lcg(uint64_t *st)
{
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	return *st >> 33;
}

/* RAMPART_SEED=<n> repeats a run; otherwise time and pid. */
static uint64_t
test_seed(void)
{
	const char *e = getenv("RAMPART_SEED");

	return e != NULL ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

/* The SA hash tables against a model, with long chains of equal keys (many
 * peers behind one NAT address share a by_peer_addr key): random add,
 * re-add under another key, delete in any order, growth; every key's
 * find/next walk yields exactly the nodes the model holds. */
void
test_htab_model(void)
{
	enum { N = 3000, OPS = 40000, KEYS = 6 };
	static struct ike_hnode nd[N];
	static int ref[N];		/* -1: not linked, else the key index */
	struct ike_htab t;
	uint64_t seed = test_seed(), st = seed;
	unsigned i, op, bad = 0;

	memset(nd, 0, sizeof(nd));
	for (i = 0; i < N; i++)
		ref[i] = -1;
	CU_ASSERT_EQUAL_FATAL(ike_htab_init(&t, 42), 0);
	for (op = 0; op < OPS && bad == 0; op++) {
		unsigned k = (unsigned)(lcg(&st) % N), what = (unsigned)(lcg(&st) % 3);

		if (what < 2) {
			int key = (int)(lcg(&st) % KEYS);

			ike_htab_add(&t, &nd[k], (uint64_t)key * 0x1000193u);
			ref[k] = key;
		} else {
			ike_htab_del(&t, &nd[k]);
			ref[k] = -1;
		}
		if (op % 997 != 0 && op != OPS - 1)
			continue;
		for (int key = 0; key < KEYS && bad == 0; key++) {
			uint64_t kv = (uint64_t)key * 0x1000193u;
			unsigned want = 0, got = 0;
			const struct ike_hnode *n;

			for (i = 0; i < N; i++)
				want += ref[i] == key;
			for (n = ike_htab_find(&t, kv); n != NULL; n = ike_htab_next(n, kv)) {
				unsigned j = (unsigned)(n - nd);

				if (j >= N || ref[j] != key)
					bad = 1;
				got++;
			}
			if (got != want)
				bad = 2;
		}
		{
			unsigned linked = 0;

			for (i = 0; i < N; i++)
				linked += ref[i] >= 0;
			if (t.n != linked)
				bad = 3;
		}
	}
	if (bad != 0)
		printf("\nhtab model: mismatch %u at op %u, RAMPART_SEED=%llu\n", bad, op - 1,
		       (unsigned long long)seed);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(t.bits > IKE_HTAB_BITS_MIN);	/* it grew while holding chains */
	ike_htab_fini(&t);
}

/* The heap against a naive array on random insert / move / delete / pop. */
void
test_timer_heap_model(void)
{
	enum { N = 300, OPS = 60000 };
	static struct ike_tmr t[N];
	static uint64_t ref[N];		/* UINT64_MAX: not queued */
	struct ike_heap h = { 0 };
	uint64_t seed = test_seed(), st = seed;
	unsigned i, op, bad = 0;

	memset(t, 0, sizeof(t));
	for (i = 0; i < N; i++)
		ref[i] = UINT64_MAX;
	CU_ASSERT_EQUAL_FATAL(ike_heap_reserve(&h, N), 0);
	for (op = 0; op < OPS && bad == 0; op++) {
		unsigned k = (unsigned)(lcg(&st) % N), what = (unsigned)(lcg(&st) % 5), n_ref = 0;
		uint64_t want = UINT64_MAX;
		const struct ike_tmr *top;

		for (i = 0; i < N; i++)
			if (ref[i] < want)
				want = ref[i];
		if (what < 3) {			/* insert or move, ties likely */
			uint64_t d = lcg(&st) % 500;

			ike_heap_set(&h, &t[k], d);
			ref[k] = d;
		} else if (what == 3) {
			ike_heap_del(&h, &t[k]);
			ref[k] = UINT64_MAX;
		} else if ((top = ike_heap_top(&h)) != NULL) {	/* pop */
			unsigned j = (unsigned)(top - t);

			if (ref[j] != want)
				bad = 1;
			ike_heap_del(&h, &t[j]);
			ref[j] = UINT64_MAX;
		}
		want = UINT64_MAX;
		for (i = 0; i < N; i++) {
			if (ref[i] < want)
				want = ref[i];
			if (ref[i] != UINT64_MAX)
				n_ref++;
			if ((t[i].idx != 0) != (ref[i] != UINT64_MAX) ||
			    (t[i].idx != 0 && t[i].due_ms != ref[i]))
				bad = 2;
		}
		top = ike_heap_top(&h);
		if (h.n != n_ref || (top == NULL) != (want == UINT64_MAX) ||
		    (top != NULL && top->due_ms != want))
			bad = 3;
	}
	if (bad != 0)
		printf("\nheap model: mismatch %u at op %u, RAMPART_SEED=%llu\n", bad, op - 1,
		       (unsigned long long)seed);
	CU_ASSERT_EQUAL(bad, 0);
	ike_heap_fini(&h);
}

/*
 * 10 000 SAs with staggered deadlines (half-open expiry, in an order
 * unrelated to creation): each ike_tick visits exactly the due SAs, and
 * ike_next_timeout_ms names the earliest remaining deadline.
 */
void
test_timers_many(void)
{
	enum { N = 10000 };
	static uint64_t exp_ms[N], ids[N];
	struct setup s;
	struct ike_ctx *ctx;
	uint64_t t0, t, prev, seed = test_seed(), st = seed;
	unsigned i, left = N, steps = 0, idle_steps = 0;
	bool moved = false;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start(&s);
	P[1].quiet = true;
	ctx = P[1].ctx;
	t0 = now;
	for (i = 0; i < N; i++) {
		struct ike_sa *sa;

		CU_ASSERT_EQUAL_FATAL(ike_sa_create(ctx, ctx->conns[0], false, &sa), 0);
		exp_ms[i] = t0 + 1000 + (uint64_t)((i * 7919u) % N) * 10;
		sa->expire_ms = exp_ms[i];
		ids[i] = sa->id;
	}
	ike_sa_reap(ctx);
	CU_ASSERT_EQUAL(ike_next_timeout_ms(ctx, t0), 1000);
	CU_ASSERT_EQUAL(ike_sched_audit(ctx, t0), 0);
	for (prev = t0, t = t0 + 1 + lcg(&st) % 3000; left > 0; prev = t, t += 1 + lcg(&st) % 3000) {
		uint64_t ticks = ctx->sa_ticks, next = UINT64_MAX;
		unsigned due = 0;

		for (i = 0; i < N; i++) {
			if (exp_ms[i] > prev && exp_ms[i] <= t)
				due++;
			if (exp_ms[i] > t && exp_ms[i] < next)
				next = exp_ms[i];
		}
		ike_tick(ctx, t);
		CU_ASSERT_EQUAL(ctx->sa_ticks - ticks, due);
		left -= due;
		CU_ASSERT_EQUAL(ctx->n_sas, left);
		if (left > 0)
			CU_ASSERT_EQUAL(ike_next_timeout_ms(ctx, t), next - t);
		steps++;
		idle_steps += due == 0;
		if (!moved && left < N / 2) {
			/* a deadline moved earlier through a lookup is seen at once */
			for (i = 0; i < N && exp_ms[i] <= t + 2; i++)
				;
			CU_ASSERT_FATAL(i < N);
			ike_sa_by_id(ctx, ids[i])->expire_ms = t + 1;
			exp_ms[i] = t + 1;
			ike_sa_reap(ctx);
			CU_ASSERT_EQUAL(ike_next_timeout_ms(ctx, t), 1);
			moved = true;
		}
	}
	CU_ASSERT(moved);
	CU_ASSERT_EQUAL(ctx->timers.n, 0);
	CU_ASSERT_EQUAL(ctx->st.ike_down, 0);
	if (CU_get_number_of_failures() > 0)
		printf("\ntimers_many: RAMPART_SEED=%llu (%u steps, %u idle)\n",
		       (unsigned long long)seed, steps, idle_steps);
	stop();
}

/* Child SA states change only along the table; refused changes leave it. */
void
test_child_state_table(void)
{
	struct setup s;
	struct ike_child *c;

	CU_ASSERT(ike_child_state_allowed(IKE_CHILD_INSTALLED, IKE_CHILD_REKEYING));
	CU_ASSERT(ike_child_state_allowed(IKE_CHILD_REKEYING, IKE_CHILD_INSTALLED));
	CU_ASSERT(ike_child_state_allowed(IKE_CHILD_REKEYED, IKE_CHILD_DELETING));
	CU_ASSERT(!ike_child_state_allowed(IKE_CHILD_DELETING, IKE_CHILD_REKEYING));
	CU_ASSERT(!ike_child_state_allowed(IKE_CHILD_DEAD, IKE_CHILD_INSTALLED));
	CU_ASSERT(!ike_child_state_allowed(IKE_CHILD_INSTALLED, IKE_CHILD__COUNT));
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	c = first_sa(P[0].ctx)->children;
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	P[0].quiet = true;	/* the refusal below logs an error */
	CU_ASSERT_EQUAL(ike_child_set_state(c, IKE_CHILD_DELETING), 0);
	CU_ASSERT_EQUAL(ike_child_set_state(c, IKE_CHILD_REKEYED), -EPERM);
	CU_ASSERT_EQUAL(c->state, IKE_CHILD_DELETING);
	CU_ASSERT_EQUAL(ike_child_set_state(c, IKE_CHILD_INSTALLED), 0);
	ike_sa_reap(P[0].ctx);
	stop();
}

/* An established SA no longer holds its IKE_SA_INIT messages. */
void
test_established_drops_init(void)
{
	struct setup s;
	int i;

	setup_default(&s, "aes128gcm16-prfsha256-x25519", "aes128gcm16");
	establish(&s);
	for (i = 0; i < 2; i++) {
		struct ike_sa *sa = first_sa(P[i].ctx);

		CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
		CU_ASSERT_EQUAL(sa->state, IKE_ST_ESTABLISHED);
		CU_ASSERT_PTR_NULL(sa->init_req);
		CU_ASSERT_PTR_NULL(sa->init_resp);
	}
	/* and still rekeys and deletes */
	CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	check_latest_pair();
	stop();
}

