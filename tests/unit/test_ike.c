/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests: two IKE instances in one process over a fake
 * transport (a queue of datagrams that tests drop, duplicate or hold back),
 * a fake clock and a deterministic RNG (ike_rand_set_hook). Each test names
 * the exchanges it drives. Child SA keys are checked across the two sides:
 * the inbound key of one is the outbound key of the other.
 */
#include <arpa/inet.h>
#include <endian.h>
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
#include "test_ike_det.h"


struct dgram q[QMAX];
unsigned qn;
struct peer P[2];
uint64_t now = 1000;
unsigned sent_count[2];
/* job runner for B (ike_ctx_set_job_runner): jobs run on a thread */
bool use_jobs;
static struct ike_job *jobq[16];
unsigned n_jobs, jobs_run;

static void
cb_submit(void *user, struct ike_job *job)
{
	(void)user;
	CU_ASSERT_FATAL(n_jobs < 16);
	jobq[n_jobs++] = job;
}

static void *
job_thread(void *arg)
{
	ike_job_run(arg);
	return NULL;
}

void
pump_jobs(struct ike_ctx *ctx, uint64_t t)
{
	while (n_jobs > 0) {
		struct ike_job *j = jobq[0];
		pthread_t th;

		memmove(&jobq[0], &jobq[1], (n_jobs - 1) * sizeof(jobq[0]));
		n_jobs--;
		pthread_create(&th, NULL, job_thread, j);
		pthread_join(th, NULL);
		jobs_run++;
		ike_job_done(ctx, j, t);
	}
}

/* a NAT in front of A: 10.0.0.1:500/4500 <-> 192.0.2.7:3500/3501 (nat_ip,
 * nat_port and nat_port + 1: a test may move the mapping) */
bool nat_on;
const char *nat_ip = "192.0.2.7";
uint16_t nat_port = 3500;
/* drop filter: return true to drop a datagram sent by peer @src */
bool (*drop_fn)(int src, const struct dgram *d);

uint64_t rng_state = 0x123456789abcdefULL;

int
test_rand(void *arg, void *buf, size_t len)
{
	(void)arg;
	tu_det_bytes(&rng_state, buf, len);
	return 0;
}

void
addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	tu_addr(ss, 4, ip, port);
}

int
cb_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	const struct sockaddr *to)
{
	struct peer *p = user;
	struct dgram *d;

	sent_count[p->idx]++;
	if (qn >= QMAX || len > sizeof(q[0].buf))
		return -ENOSPC;
	d = &q[qn];
	memcpy(d->buf, buf, len);
	d->len = len;
	memset(&d->from, 0, sizeof(d->from));
	memset(&d->to, 0, sizeof(d->to));
	memcpy(&d->from, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							     sizeof(struct sockaddr_in));
	memcpy(&d->to, to, to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						       sizeof(struct sockaddr_in));
	d->dst = 1 - p->idx;
	if (nat_on && p->idx == 0) {
		uint16_t sp = ntohs(((struct sockaddr_in *)&d->from)->sin_port);

		addr(&d->from, nat_ip, sp == 500 ? nat_port : (uint16_t)(nat_port + 1));
	} else if (nat_on && p->idx == 1) {
		uint16_t dp = ntohs(((struct sockaddr_in *)&d->to)->sin_port);

		addr(&d->to, "10.0.0.1", dp == nat_port ? 500 : 4500);
	}
	if (drop_fn != NULL && drop_fn(p->idx, d))
		return 0;
	qn++;
	return 0;
}

void
cb_event(void *user, const struct ike_event *e)
{
	struct peer *p = user;
	struct ev *v;

	if (p->n_ev >= EVMAX)
		return;
	v = &p->ev[p->n_ev++];
	memset(v, 0, sizeof(*v));
	v->type = e->type;
	v->ike_sa_id = e->ike_sa_id;
	v->successor_id = e->successor_id;
	if (e->child != NULL) {
		v->has_child = true;
		v->c = *e->child;
	}
}

void
cb_log(void *user, int level, const char *msg)
{
	struct peer *p = user;

	if (getenv("IKE_TEST_LOG") != NULL || (level <= IKE_LOG_ERR && !p->quiet))
		fprintf(stderr, "[%c %d] %s\n", 'A' + p->idx, level, msg);
}

uint32_t
cb_spi(void *user)
{
	struct peer *p = user;

	return ((uint32_t)(p->idx + 1) << 28) | ++p->next_spi;
}

/* Every entry point leaves each live SA queued no later than its earliest
 * deadline (ike_sched.c): a missed ike_sa_touch shows up here. */
static void
audit(struct ike_ctx *ctx)
{
	if (ctx != NULL)
		CU_ASSERT_EQUAL(ike_sched_audit(ctx, now), 0);
}

/* Deliver queued datagrams (FIFO) until the queue is empty. */
unsigned
run(void)
{
	unsigned n = 0;

	while ((qn > 0 || n_jobs > 0) && n < 10000) {
		struct dgram d = q[0];

		if (qn == 0) {
			pump_jobs(P[1].ctx, now);
			continue;
		}
		memmove(&q[0], &q[1], (qn - 1) * sizeof(q[0]));
		qn--;
		ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
		n++;
		audit(P[d.dst].ctx);
	}
	return n;
}

void
advance(uint64_t ms)
{
	uint64_t end = now + ms;

	while (now < end) {
		now += 100;
		ike_tick(P[0].ctx, now);
		ike_tick(P[1].ctx, now);
		audit(P[0].ctx);
		audit(P[1].ctx);
		run();
	}
}

void
addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	tu_addr(ss, 6, ip, port);
}

void
ts_net6(struct ike_ts *ts, const char *first, const char *last)
{
	tu_ts(ts, 6, first, last);
}

void
ts_net(struct ike_ts *ts, const char *first, const char *last)
{
	tu_ts(ts, 4, first, last);
}

void
conn_base(struct ike_conn_cfg *c, bool initiator, const char *ike, const char *esp)
{
	tu_conn_psk(c, initiator);
	snprintf(c->ike_proposals[0], 128, "%s", ike);
	c->n_ike_proposals = 1;
	snprintf(c->esp_proposals[0], 128, "%s", esp);
	c->n_esp_proposals = 1;
}

/* ike_foreach_sa callback: SAs of the connection named want. */
struct sa_conn_count {
	const char *want;
	unsigned hits, total;
};

static int
cb_sa_conn(void *arg, const struct ike_sa_info *i)
{
	struct sa_conn_count *k = arg;

	k->hits += strcmp(i->conn, k->want) == 0;
	k->total++;
	return 0;
}

/*
 * ike_initiate finds its connection by name in a sorted index (an
 * initiator may hold 100 000 connections): each of 1 500 names, created in
 * a shuffled order and some a prefix of others, starts an SA of exactly
 * that connection; unknown names are -ENOENT; after ike_reconfigure only
 * the new names are found.
 */
static void
test_initiate_by_name(void)
{
	enum { N = 1500 };
	struct ike_conn_cfg *c = calloc(N, sizeof(*c));
	unsigned order[N], i, j, t;
	struct ike_ctx_cfg cfg;
	struct ike_ctx *ctx = NULL;
	char name[IKE_MAX_NAME];
	struct sa_conn_count k;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	CU_ASSERT_FATAL(c != NULL);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {	/* Fisher-Yates with a fixed xorshift */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = (unsigned)(x % (i + 1));
		t = order[i], order[i] = order[j], order[j] = t;
	}
	for (i = 0; i < N; i++) {
		conn_base(&c[i], true, "aes128gcm16-prfsha256-x25519", "aes128gcm16");
		snprintf(c[i].name, sizeof(c[i].name), "c%u", order[i]);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = c;
	cfg.n_conns = N;
	cfg.ops.send = cb_send;
	cfg.ops.alloc_spi = cb_spi;
	cfg.user = &P[0];
	qn = 0;
	CU_ASSERT_EQUAL_FATAL(ike_ctx_create(&cfg, &ctx), 0);
	for (i = 0; i < N; i += 7) {
		snprintf(name, sizeof(name), "c%u", i);
		CU_ASSERT_EQUAL(ike_initiate(ctx, name, 1000), 0);
		k.want = name;
		k.hits = k.total = 0;
		ike_foreach_sa(ctx, cb_sa_conn, &k);
		CU_ASSERT_EQUAL(k.hits, 1);
		CU_ASSERT_EQUAL(k.total, i / 7 + 1);
		qn = 0;
	}
	CU_ASSERT_EQUAL(ike_initiate(ctx, "c", 1000), -ENOENT);
	CU_ASSERT_EQUAL(ike_initiate(ctx, "c1500", 1000), -ENOENT);
	CU_ASSERT_EQUAL(ike_initiate(ctx, "", 1000), -ENOENT);
	CU_ASSERT_EQUAL(ike_initiate(ctx, NULL, 1000), -ENOENT);
	/* a new set: d0..d99 only */
	for (i = 0; i < 100; i++)
		snprintf(c[i].name, sizeof(c[i].name), "d%u", 99 - i);
	CU_ASSERT_EQUAL_FATAL(ike_reconfigure(ctx, c, 100), 0);
	CU_ASSERT_EQUAL(ike_initiate(ctx, "c7", 1000), -ENOENT);
	CU_ASSERT_EQUAL(ike_initiate(ctx, "d42", 1000), 0);
	qn = 0;
	ike_ctx_destroy(ctx);
	free(c);
}

/* EAP back ends (ops.eap): calls are queued, answered by pump_eap(). */
struct eap_call eap_calls[16];
unsigned n_eap_calls, eap_calls_total[2];

static int
cb_eap(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap, size_t len)
{
	struct peer *p = user;
	struct eap_call *c;

	(void)conn;
	eap_calls_total[p->idx]++;
	if (n_eap_calls >= 16 || len > sizeof(c->msg))
		return -EBUSY;
	c = &eap_calls[n_eap_calls++];
	c->peer = p->idx;
	c->sa_id = ike_sa_id;
	memcpy(c->msg, eap, len);
	c->len = len;
	return 0;
}

/* Start @s; A's IKE_SA_INIT request is queued twice (a duplicate). */
void
start_init_doubled(const struct setup *s)
{
	start(s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	q[1] = q[0];
	qn = 2;
}

/* Deliver the first queued datagram only (to its dst); returns it. */
struct dgram
deliver_one(void)
{
	struct dgram d = q[0];

	CU_ASSERT_FATAL(qn > 0);
	memmove(&q[0], &q[1], (qn - 1) * sizeof(q[0]));
	qn--;
	ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from, (struct sockaddr *)&d.to,
		  now);
	return d;
}

/* B's second connection: a copy of its first, for the peer named fqdn. */
void
setup_b2(struct setup *s, const char *name, const char *fqdn)
{
	s->has_b2 = true;
	s->b2 = s->b;
	snprintf(s->b2.name, sizeof(s->b2.name), "%s", name);
	s->b2.remote_id.type = IKE_ID_FQDN;
	s->b2.remote_id.len = (uint16_t)strlen(fqdn);
	memcpy(s->b2.remote_id.data, fqdn, s->b2.remote_id.len);
}

void
setup_default(struct setup *s, const char *ike, const char *esp)
{
	memset(s, 0, sizeof(*s));
	conn_base(&s->a, true, ike, esp);
	conn_base(&s->b, false, ike, esp);
	s->win_a = s->win_b = 1;
}

void
start(const struct setup *s)
{
	int i, rc;

	qn = 0;
	drop_fn = NULL;
	nat_on = false;
	nat_ip = "192.0.2.7";
	nat_port = 3500;
	now = 1000;
	rng_state = 0x123456789abcdefULL;
	ike_rand_set_hook(test_rand, NULL);
	for (i = 0; i < 2; i++) {
		struct ike_ctx_cfg cfg;

		memset(&P[i], 0, sizeof(P[i]));
		P[i].idx = i;
		memset(&cfg, 0, sizeof(cfg));
		struct ike_conn_cfg bc[2];

		bc[0] = s->b;
		bc[1] = s->b2;
		cfg.conns = i == 0 ? &s->a : bc;
		cfg.n_conns = i == 1 && s->has_b2 ? 2 : 1;
		cfg.ops.send = cb_send;
		cfg.ops.event = cb_event;
		cfg.ops.log = cb_log;
		cfg.ops.alloc_spi = cb_spi;
		cfg.ops.eap = cb_eap;
		cfg.user = &P[i];
		cfg.window_size = i == 0 ? s->win_a : s->win_b;
		cfg.cookie_threshold = i == 1 ? s->cookie_threshold : 0;
		cfg.half_open_max = i == 1 ? s->half_open_max : 0;
		cfg.half_open_per_src = i == 1 ? s->half_open_per_src : 0;
		cfg.frag_mem_max = i == 1 ? s->frag_mem_max : 0;
		cfg.frag_preauth_max = i == 1 ? s->frag_preauth_max : 0;
		cfg.retransmit_base_ms = 1000;
		cfg.retransmit_tries = 3;
		rc = ike_ctx_create(&cfg, &P[i].ctx);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		if (i == 1 && use_jobs)
			ike_ctx_set_job_runner(P[i].ctx, cb_submit, NULL);
	}
	sent_count[0] = sent_count[1] = 0;
}

void
stop(void)
{
	while (n_jobs > 0)		/* jobs of SAs that went away */
		pump_jobs(P[1].ctx, now);
	ike_ctx_destroy(P[0].ctx);
	ike_ctx_destroy(P[1].ctx);
	P[0].ctx = P[1].ctx = NULL;
	ike_rand_set_hook(NULL, NULL);
	qn = 0;
	drop_fn = NULL;
}

unsigned
count_ev(const struct peer *p, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_ev; i++)
		n += p->ev[i].type == type;
	return n;
}

const struct ike_child_sa *
last_child_up(const struct peer *p)
{
	int i;

	for (i = (int)p->n_ev - 1; i >= 0; i--)
		if (p->ev[i].type == IKE_EV_CHILD_UP)
			return &p->ev[i].c;
	return NULL;
}

/* Installed children: UP events minus DOWN events of the same id. */
unsigned
live_children(const struct peer *p)
{
	unsigned i, j, n = 0;

	for (i = 0; i < p->n_ev; i++) {
		bool down = false;

		if (p->ev[i].type != IKE_EV_CHILD_UP)
			continue;
		for (j = i + 1; j < p->n_ev; j++)
			if (p->ev[j].type == IKE_EV_CHILD_DOWN && p->ev[j].c.id == p->ev[i].c.id)
				down = true;
		n += !down;
	}
	return n;
}

const struct ike_child_sa *
find_peer_child(const struct peer *p, uint32_t spi_in)
{
	unsigned i;

	for (i = 0; i < p->n_ev; i++)
		if (p->ev[i].type == IKE_EV_CHILD_UP && p->ev[i].c.spi_in == spi_in)
			return &p->ev[i].c;
	return NULL;
}

/* in of one = out of the other */
void
check_pair(const struct ike_child_sa *a, const struct ike_child_sa *b)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->spi_in, b->spi_out);
	CU_ASSERT_EQUAL(a->spi_out, b->spi_in);
	CU_ASSERT_EQUAL(a->enc, b->enc);
	CU_ASSERT_EQUAL(a->enc_key_len, b->enc_key_len);
	CU_ASSERT_EQUAL(a->integ, b->integ);
	CU_ASSERT_EQUAL(memcmp(a->key_in, b->key_out, sizeof(a->key_in)), 0);
	CU_ASSERT_EQUAL(memcmp(a->key_out, b->key_in, sizeof(a->key_out)), 0);
	CU_ASSERT_EQUAL(memcmp(a->integ_in, b->integ_out, sizeof(a->integ_in)), 0);
	CU_ASSERT_EQUAL(memcmp(a->integ_out, b->integ_in, sizeof(a->integ_out)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a->key_in, a->key_out, sizeof(a->key_in)), 0);
}

void
check_ike_pair(const struct ike_sa *a, const struct ike_sa *b)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->spi_i, b->spi_i);
	CU_ASSERT_EQUAL(a->spi_r, b->spi_r);
}

void
check_one_ike_sa(void)
{
	const struct ike_sa *a = first_sa(P[0].ctx), *b = first_sa(P[1].ctx);

	CU_ASSERT_EQUAL(P[0].ctx->n_sas, 1);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	check_ike_pair(a, b);
	CU_ASSERT_EQUAL(a->n_children, 1);
	CU_ASSERT_EQUAL(b->n_children, 1);
}

void
check_latest_pair(void)
{
	const struct ike_child_sa *a = last_child_up(&P[0]);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	check_pair(a, find_peer_child(&P[1], a->spi_out));
}

uint64_t
first_sa_id(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	for (sa = ctx->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_ST_DEAD)
			return sa->id;
	return 0;
}

struct ike_sa *
first_sa(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	for (sa = ctx->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
}

void
establish(const struct setup *s)
{
	start(s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[0], IKE_EV_CHILD_UP), 1);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_latest_pair();
}

/*
 * ike_spi_known (rampartd's admission check): a header naming a live IKE SA
 * by our SPI in the field the Initiator flag points at passes; the peer's
 * SPI in that field, a changed SPI, a zero SPI, a short header and a
 * deleted SA do not.
 */
static void
test_spi_known(void)
{
	struct setup s;
	struct ike_sa *a;
	uint8_t h[IKE_HDR_LEN] = { 0 };
	uint64_t v;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	a = first_sa(P[0].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	v = htobe64(a->spi_i);
	memcpy(h, &v, 8);
	v = htobe64(a->spi_r);
	memcpy(h + 8, &v, 8);
	h[19] = IKE_FLAG_I;			/* from the initiator: SPIr is B's */
	CU_ASSERT_TRUE(ike_spi_known(P[1].ctx, h, sizeof(h)));
	CU_ASSERT_FALSE(ike_spi_known(P[0].ctx, h, sizeof(h)));
	CU_ASSERT_FALSE(ike_spi_known(P[1].ctx, h, sizeof(h) - 1));
	h[19] = IKE_FLAG_R;			/* from the responder: SPIi is A's */
	CU_ASSERT_TRUE(ike_spi_known(P[0].ctx, h, sizeof(h)));
	CU_ASSERT_FALSE(ike_spi_known(P[1].ctx, h, sizeof(h)));
	h[7] ^= 1;
	CU_ASSERT_FALSE(ike_spi_known(P[0].ctx, h, sizeof(h)));
	h[7] ^= 1;
	h[19] = IKE_FLAG_I;
	h[8] ^= 0x80;
	CU_ASSERT_FALSE(ike_spi_known(P[1].ctx, h, sizeof(h)));
	memset(h + 8, 0, 8);
	CU_ASSERT_FALSE(ike_spi_known(P[1].ctx, h, sizeof(h)));
	v = htobe64(a->spi_r);
	memcpy(h + 8, &v, 8);
	CU_ASSERT_EQUAL(ike_terminate_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_FALSE(ike_spi_known(P[1].ctx, h, sizeof(h)));
	stop();
}

/* Start both instances quietly (failures expected), A initiates "to-b",
 * everything runs. */
void
start_quiet_run(const struct setup *s)
{
	start_quiet(s);
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
}

/* start(), both instances quiet (failures expected). */
void
start_quiet(const struct setup *s)
{
	start(s);
	P[0].quiet = P[1].quiet = true;
}

/* B's address pool: @size addresses from @first (IPv4 or IPv6 text). */
void
pool_set(struct ike_conn_cfg *c, const char *first, unsigned size)
{
	c->pool.af = strchr(first, ':') != NULL ? 6 : 4;
	inet_pton(c->pool.af == 6 ? AF_INET6 : AF_INET, first, c->pool.first);
	c->pool.size = size;
}

/* A holds the virtual IP @ip (into @want, 4 or 16 bytes) and B's child
 * has A's side narrowed to it. */
void
check_vip(const char *ip, uint8_t *want)
{
	int af = strchr(ip, ':') != NULL ? 6 : 4;
	size_t len = af == 6 ? 16 : 4;
	const struct ike_child_sa *b;

	inet_pton(af == 6 ? AF_INET6 : AF_INET, ip, want);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->vip_af, af);
	CU_ASSERT_EQUAL(memcmp(first_sa(P[0].ctx)->vip, want, len), 0);
	b = last_child_up(&P[1]);
	CU_ASSERT_EQUAL(b->n_remote_ts, 1);
	CU_ASSERT_EQUAL(b->remote_ts[0].af, af);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].saddr, want, len), 0);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].eaddr, want, len), 0);
}

/* A's traffic selectors are everything, B's local side 2001:db8:1::/64
 * (A asks for 2001:db8:1::-2001:db8:1::ffff): the IPv6 virtual-IP set-ups. */
void
ts_v6_vip(struct setup *s)
{
	ts_net6(&s->a.local_ts[0], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ts_net6(&s->a.remote_ts[0], "2001:db8:1::", "2001:db8:1::ffff");
	ts_net6(&s->b.local_ts[0], "2001:db8:1::", "2001:db8:1:0:ffff:ffff:ffff:ffff");
	ts_net6(&s->b.remote_ts[0], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* ---- the state table ---- */

static void
test_state_table(void)
{
	struct setup s;
	struct ike_sa *sa;

	/* no exchange: the SA object alone walks the transitions */
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start(&s);
	CU_ASSERT_TRUE(ike_state_allowed(IKE_ST_IDLE, IKE_ST_INIT_SENT));
	CU_ASSERT_TRUE(ike_state_allowed(IKE_ST_AUTH_SENT, IKE_ST_ESTABLISHED));
	CU_ASSERT_FALSE(ike_state_allowed(IKE_ST_IDLE, IKE_ST_AUTH_SENT));
	CU_ASSERT_FALSE(ike_state_allowed(IKE_ST_DEAD, IKE_ST_ESTABLISHED));
	CU_ASSERT_FALSE(ike_state_allowed(IKE_ST_INIT_RCVD, IKE_ST_AUTH_SENT));
	CU_ASSERT_FALSE(ike_state_allowed(IKE_ST_DELETING, IKE_ST_ESTABLISHED));
	CU_ASSERT_STRING_EQUAL(ike_state_name(IKE_ST_ESTABLISHED), "ESTABLISHED");
	CU_ASSERT_EQUAL_FATAL(ike_sa_create(P[0].ctx, P[0].ctx->conns[0], true, &sa), 0);
	P[0].quiet = true;
	CU_ASSERT_EQUAL(ike_sa_set_state(sa, IKE_ST_ESTABLISHED), 0);
	CU_ASSERT_EQUAL(ike_sa_set_state(sa, IKE_ST_INIT_SENT), -EPERM);
	CU_ASSERT_EQUAL(sa->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(ike_sa_set_state(sa, IKE_ST_DELETING), 0);
	CU_ASSERT_EQUAL(ike_sa_set_state(sa, IKE_ST_REKEYING), -EPERM);
	ike_sa_kill(sa, "test");
	CU_ASSERT_EQUAL(sa->state, IKE_ST_DEAD);
	ike_sa_reap(P[0].ctx);
	CU_ASSERT_PTR_NULL(P[0].ctx->sas);
	stop();
}

/* ---- EAP in IKE_AUTH (RFC 7296 2.16) with fake back ends ---- */

/*
 * The fake method (EAP type 254, "expanded"-free test type): the server
 * asks with one Request carrying 4 challenge bytes; the peer answers with
 * the password; the server accepts when it matches. Both sides derive the
 * same 64-byte MSK from the challenge unless eap_peer_msk_bad.
 */
const char *eap_peer_password = "sesame";
bool eap_server_hold;
static bool eap_peer_msk_bad, eap_peer_hold;
static const char *eap_server_vip;	/* Framed-IP-Address style assignment */

static void
eap_msk(uint8_t msk[64], uint8_t salt)
{
	unsigned i;

	for (i = 0; i < 64; i++)
		msk[i] = (uint8_t)(i * 7 + salt);
}

static void
eap_answer(const struct eap_call *c)
{
	struct ike_ctx *ctx = P[c->peer == 0 ? 0 : 1].ctx;
	uint8_t out[64], msk[64];
	size_t n;

	if (c->peer == 0) {		/* the peer (initiator A) */
		if (c->msg[0] != 1 || c->len < 5) {
			CU_FAIL("peer: not an EAP-Request");
			return;
		}
		out[0] = 2;
		out[1] = c->msg[1];
		out[4] = c->msg[4];
		if (c->msg[4] == 1) {		/* Identity */
			memcpy(out + 5, "alice", 5);
			n = 10;
			out[2] = 0;
			out[3] = (uint8_t)n;
			CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, n, NULL, 0,
						     now), 0);
			return;
		}
		n = 5 + strlen(eap_peer_password);
		memcpy(out + 5, eap_peer_password, n - 5);
		out[2] = 0;
		out[3] = (uint8_t)n;
		eap_msk(msk, eap_peer_msk_bad ? 1 : 0);
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, n, msk, 64, now),
				0);
		return;
	}
	/* the server behind the responder B */
	CU_ASSERT_EQUAL_FATAL(c->msg[0], 2);
	if (c->msg[4] == 1) {
		CU_ASSERT_EQUAL(c->len, 10);
		CU_ASSERT_EQUAL(memcmp(c->msg + 5, "alice", 5), 0);
		out[0] = 1;
		out[1] = (uint8_t)(c->msg[1] + 1);
		out[2] = 0;
		out[3] = 9;
		out[4] = 254;
		memcpy(out + 5, "chal", 4);
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, 9, NULL, 0, now), 0);
		return;
	}
	if (c->len == 5 + 6 && memcmp(c->msg + 5, "sesame", 6) == 0) {
		if (eap_server_vip != NULL) {
			uint8_t a[16] = { 0 };

			uint8_t af = strchr(eap_server_vip, ':') != NULL ? 6 : 4;

			inet_pton(af == 6 ? AF_INET6 : AF_INET, eap_server_vip, a);
			CU_ASSERT_EQUAL(ike_eap_set_vip(ctx, c->sa_id, af, a), 0);
			CU_ASSERT_EQUAL(ike_eap_set_vip(ctx, c->sa_id, 5, a), -EINVAL);
		}
		eap_msk(msk, 0);
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_SUCCESS, NULL, 0, msk, 64, now),
				0);
	} else {
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_FAILURE, NULL, 0, NULL, 0, now),
				0);
	}
}

/* No calls queued or counted; the peer knows the right password. */
void
eap_fake_reset(void)
{
	n_eap_calls = 0;
	eap_calls_total[0] = eap_calls_total[1] = 0;
	eap_peer_password = "sesame";
	eap_peer_msk_bad = false;
	eap_server_hold = false;
	eap_peer_hold = false;
	eap_server_vip = NULL;
}

/* Answer queued EAP calls (server answers unless held) and deliver. */
void
pump_eap(void)
{
	unsigned guard;

	for (guard = 0; guard < 50; guard++) {
		unsigned i, kept = 0;
		bool any = false;

		run();
		for (i = 0; i < n_eap_calls; i++) {
			struct eap_call c = eap_calls[i];

			if ((c.peer == 1 && eap_server_hold) || (c.peer == 0 && eap_peer_hold)) {
				eap_calls[kept++] = c;
				continue;
			}
			any = true;
			eap_answer(&c);
		}
		n_eap_calls = kept;
		if (!any && qn == 0)
			break;
	}
}

/* Start both instances, A initiates "to-b", the EAP rounds run. */
void
eap_begin(const struct setup *s)
{
	start(s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
}

static void
eap_setup(struct setup *s)
{
	setup_default(s, "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
	s->a.auth = IKE_AUTHM_EAP;		/* A: EAP peer, checks B's PSK AUTH */
	s->b.remote_auth = IKE_AUTHM_EAP;	/* B: signs with its PSK, relays EAP */
	eap_fake_reset();
}

/* IKE_SA_INIT; IKE_AUTH 1 (IDi, no AUTH) -> IDr, AUTH, EAP-Request/Identity;
 * IKE_AUTH 2 (Identity) -> challenge; 3 (answer) -> EAP-Success;
 * 4 (AUTH from the MSK) -> AUTH, SA, TS: child up on both. */
static void
test_eap_success(void)
{
	struct setup s;
	struct ike_stats st;

	eap_setup(&s);
	eap_begin(&s);
	CU_ASSERT_EQUAL(eap_calls_total[1], 2);		/* Identity, then the answer */
	CU_ASSERT_EQUAL(eap_calls_total[0], 2);		/* Identity, challenge */
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 1);
	check_latest_pair();
	CU_ASSERT_PTR_NOT_NULL_FATAL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->resp_low, 5);	/* IDs 0..4 answered */
	/* the SA carries the EAP identity from then on */
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->remote_id.type, IKE_ID_KEY_ID);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->remote_id.len, 5);
	CU_ASSERT_EQUAL(memcmp(first_sa(P[1].ctx)->remote_id.data, "alice", 5), 0);
	CU_ASSERT_EQUAL(last_child_up(&P[1])->remote_id.type, IKE_ID_KEY_ID);
	/* the MSK is wiped once both sides are up */
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx)->eap);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx)->eap);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.eap_started, 1);
	CU_ASSERT_EQUAL(st.eap_success, 1);
	CU_ASSERT_EQUAL(st.auth_failed, 0);
	stop();
}

/* The server refuses the password: EAP-Failure to A, no SA anywhere,
 * counted on both sides. */
static void
test_eap_wrong_password(void)
{
	struct setup s;
	struct ike_stats st;

	eap_setup(&s);
	eap_peer_password = "wrong!";
	eap_begin(&s);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	CU_ASSERT_EQUAL(st.eap_success, 0);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	stop();
}

/* EAP succeeds but the peer's MSK differs: B refuses its AUTH. */
static void
test_eap_msk_mismatch(void)
{
	struct setup s;
	struct ike_stats st;

	eap_setup(&s);
	eap_peer_msk_bad = true;
	eap_begin(&s);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.eap_success, 1);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	stop();
}

/* While the server works, A's retransmission is dropped (the back end is
 * asked once); a late answer for an SA that went away is -ENOENT. */
static void
test_eap_async_retransmit_and_gone(void)
{
	struct setup s;
	uint64_t id;

	eap_setup(&s);
	eap_server_hold = true;
	eap_begin(&s);
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);		/* B's Identity call is held */
	CU_ASSERT_EQUAL(eap_calls_total[1], 1);
	advance(1500);					/* A retransmits IKE_AUTH 2 */
	CU_ASSERT_EQUAL(eap_calls_total[1], 1);
	CU_ASSERT_TRUE(P[0].ctx->st.retransmits >= 1);
	eap_server_hold = false;
	pump_eap();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	stop();

	/* the SA dies while the back end works */
	eap_setup(&s);
	eap_server_hold = true;
	eap_begin(&s);
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);
	id = eap_calls[0].sa_id;
	ike_sa_kill(first_sa(P[1].ctx), "test");
	ike_sa_reap(P[1].ctx);
	CU_ASSERT_EQUAL(ike_eap_done(P[1].ctx, id, IKE_EAP_CONTINUE, (const uint8_t *)"\1\1\0\5\1",
				     5, NULL, 0, now), -ENOENT);
	n_eap_calls = 0;
	stop();
}

/* The back end assigns an IPv6 virtual IP (RADIUS Framed-IPv6-Address):
 * a client asking for an IPv6 address gets it instead of the IPv6 pool's
 * first, B's child is narrowed to it, no lease is taken. */
static void
test_eap_backend_vip6(void)
{
	struct setup s;
	uint8_t want[16] = { 0 };

	eap_setup(&s);
	eap_server_vip = "2001:db8:77::7";
	s.a.request_vip = true;
	ts_v6_vip(&s);
	pool_set(&s.b, "2001:db8:99::100", 16);
	eap_begin(&s);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_vip("2001:db8:77::7", want);
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 0);
	stop();
}

/* The back end assigns the virtual IP (RADIUS Framed-IP-Address): the
 * client gets it instead of a pool address, B's child is narrowed to it,
 * no pool lease is taken, and an IKE rekey keeps it. */
static void
test_eap_backend_vip(void)
{
	struct setup s;
	uint8_t want[16] = { 0 };

	eap_setup(&s);
	eap_server_vip = "10.77.7.7";
	s.a.request_vip = true;
	ts_net(&s.a.local_ts[0], "0.0.0.0", "255.255.255.255");
	pool_set(&s.b, "10.99.0.10", 4);
	eap_begin(&s);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_vip("10.77.7.7", want);
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 0);
	/* too late: no SA waits for EAP any more */
	CU_ASSERT_EQUAL(ike_eap_set_vip(P[1].ctx, first_sa_id(P[1].ctx), 4, want), -ENOENT);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->vip_af, 4);
	CU_ASSERT_EQUAL(memcmp(first_sa(P[1].ctx)->vip, want, 4), 0);
	stop();
}

/* Slow rounds: the peer answers the challenge 25 s after IKE_SA_INIT and
 * the server takes 10 s more; the half-open deadline (30 s) moves with the
 * peer's rounds, so the SA comes up at about 36 s. A peer that stays silent
 * after the challenge is still dropped at the half-open deadline. */
static void
test_eap_slow_rounds(void)
{
	struct setup s;

	eap_setup(&s);
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	eap_peer_hold = true;
	pump_eap();
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);		/* A holds the challenge */
	CU_ASSERT_EQUAL(eap_calls[0].peer, 0);
	advance(25000);
	eap_peer_hold = false;
	eap_server_hold = true;
	pump_eap();					/* B holds the answer */
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);
	CU_ASSERT_EQUAL(eap_calls[0].peer, 1);
	advance(10000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(first_sa(P[1].ctx));
	eap_server_hold = false;
	pump_eap();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 1);
	stop();

	eap_setup(&s);
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	eap_peer_hold = true;
	pump_eap();
	advance(31000);
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	n_eap_calls = 0;
	stop();
}

/* A connection that requires EAP refuses a peer that sends AUTH (PSK), and
 * a back end answer that is not an EAP-Request fails the SA. */
static void
test_eap_required_and_bad_backend(void)
{
	struct setup s;
	struct ike_stats st;

	eap_setup(&s);
	s.a.auth = IKE_AUTHM_PSK;
	eap_begin(&s);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(eap_calls_total[1], 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	stop();

	eap_setup(&s);
	eap_server_hold = true;
	eap_begin(&s);
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);
	/* a Response where a Request belongs */
	CU_ASSERT_EQUAL(ike_eap_done(P[1].ctx, eap_calls[0].sa_id, IKE_EAP_CONTINUE,
				     (const uint8_t *)"\2\1\0\5\1", 5, NULL, 0, now), -EINVAL);
	n_eap_calls = 0;
	eap_server_hold = false;
	run();
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	stop();
}

static const struct tu_test tests[] = {
	{ "state_table", test_state_table },
	{ "spi_known", test_spi_known },
	{ "eap_success", test_eap_success },
	{ "eap_wrong_password", test_eap_wrong_password },
	{ "eap_msk_mismatch", test_eap_msk_mismatch },
	{ "eap_async_retransmit_and_gone", test_eap_async_retransmit_and_gone },
	{ "eap_required_and_bad_backend", test_eap_required_and_bad_backend },
	{ "eap_backend_vip", test_eap_backend_vip },
	{ "eap_backend_vip6", test_eap_backend_vip6 },
	{ "eap_slow_rounds", test_eap_slow_rounds },
	{ "ts_narrow", test_ts_narrow },
	{ "pool", test_pool },
	{ "psk_gcm256_ecp256", test_psk_gcm256_ecp256 },
	{ "psk_gcm128_x25519", test_psk_gcm128_x25519 },
	{ "psk_cbc_modp2048", test_psk_cbc_modp2048 },
	{ "psk_cbc_ecp384_gcm_ecp521", test_psk_cbc_ecp384_521 },
	{ "wrong_psk", test_wrong_psk },
	{ "no_proposal", test_no_proposal },
	{ "invalid_ke_retry", test_invalid_ke_retry },
	{ "virtual_ip", test_virtual_ip },
	{ "child_rekey_by_initiator", test_child_rekey_by_initiator },
	{ "child_rekey_by_responder", test_child_rekey_by_responder },
	{ "child_rekey_pfs", test_child_rekey_pfs },
	{ "rekey_invalid_ke", test_rekey_invalid_ke },
	{ "ike_rekey_by_initiator", test_ike_rekey_by_initiator },
	{ "ike_rekey_by_responder", test_ike_rekey_by_responder },
	{ "ike_rekey_keeps_prf", test_ike_rekey_keeps_prf },
	{ "child_delete", test_child_delete },
	{ "delete_collision", test_delete_collision },
	{ "ts_unacceptable", test_ts_unacceptable },
	{ "retransmit_give_up", test_retransmit_give_up },
	{ "duplicate_request", test_duplicate_request },
	{ "duplicate_init_response", test_duplicate_init_response },
	{ "rekey_collision", test_rekey_collision },
	{ "ike_rekey_collision", test_ike_rekey_collision },
	{ "ike_rekey_collision_late", test_ike_rekey_collision_late },
	{ "window_4", test_window },
	{ "window_1", test_window_one },
	{ "dpd", test_dpd },
	{ "malformed", test_malformed },
	{ "init_missing_ke", test_init_missing_ke },
	{ "invalid_message_id", test_invalid_message_id },
	{ "random_requests", test_random_requests },
	{ "cookies", test_cookies },
	{ "nat", test_nat },
	{ "nat_rebind", test_nat_rebind },
	{ "mobike_update", test_mobike_update },
	{ "mobike_behind_nat", test_mobike_behind_nat },
	{ "mobike_refused", test_mobike_refused },
	{ "jobs", test_jobs },
	{ "conn_by_identity", test_conn_by_identity },
	{ "ipv6", test_ipv6 },
	{ "cert_ecdsa", test_cert_ecdsa },
	{ "cert_chain", test_cert_chain },
	{ "htab_model", test_htab_model },
	{ "timer_heap_model", test_timer_heap_model },
	{ "timers_many", test_timers_many },
	{ "child_state_table", test_child_state_table },
	{ "established_drops_init", test_established_drops_init },
	{ "cert_rsa_fragmented", test_cert_rsa_fragmented },
	{ "initial_contact", test_initial_contact },
	{ "cookie_forgery", test_cookie_forgery },
	{ "resend_only_original", test_resend_only_original },
	{ "frag_caps", test_frag_caps },
	{ "half_open_per_src", test_half_open_per_src },
	{ "redirect_init", test_redirect_init },
	{ "redirect_follow", test_redirect_follow },
	{ "redirect_in_ike_auth", test_redirect_auth },
	{ "redirect_threshold", test_redirect_threshold },
	{ "redirect_gw_id", test_redirect_gw_id },
	{ "redirect_established", test_redirect_established },
	{ "initiate_by_name_sorted_index", test_initiate_by_name },
};

int
main(void)
{
	return tu_main("ike", tests, TU_N(tests));
}
