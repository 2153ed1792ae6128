/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests: two IKE instances in one process over a fake
 * transport (a queue of datagrams that tests drop, duplicate or hold back),
 * a fake clock and a deterministic RNG (ike_rand_set_hook). Each test names
 * the exchanges it drives. Child SA keys are checked across the two sides:
 * the inbound key of one is the outbound key of the other.
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
#include "ike/ike.h"
#include "ike/ike_priv.h"

enum {
	QMAX = 512,
	EVMAX = 128,
};

struct dgram {
	uint8_t buf[4096];
	size_t len;
	struct sockaddr_storage from, to;
	int dst;			/* peer index */
};

struct ev {
	uint8_t type;
	uint64_t ike_sa_id;
	bool has_child;
	struct ike_child_sa c;
};

struct peer {
	struct ike_ctx *ctx;
	int idx;
	struct ev ev[EVMAX];
	unsigned n_ev;
	uint32_t next_spi;
	bool quiet;
};

static struct dgram q[QMAX];
static unsigned qn;
static struct peer P[2];
static uint64_t now = 1000;
static unsigned sent_count[2];
/* job runner for B (ike_ctx_set_job_runner): jobs run on a thread */
static bool use_jobs;
static struct ike_job *jobq[16];
static unsigned n_jobs, jobs_run;

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

static void
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
static bool nat_on;
static const char *nat_ip = "192.0.2.7";
static uint16_t nat_port = 3500;
/* drop filter: return true to drop a datagram sent by peer @src */
static bool (*drop_fn)(int src, const struct dgram *d);

static uint64_t rng_state = 0x123456789abcdefULL;

static int
test_rand(void *arg, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 24);
	}
	return 0;
}

static void
addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static int
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

static void
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
	if (e->child != NULL) {
		v->has_child = true;
		v->c = *e->child;
	}
}

static void
cb_log(void *user, int level, const char *msg)
{
	struct peer *p = user;

	if (getenv("IKE_TEST_LOG") != NULL || (level <= IKE_LOG_ERR && !p->quiet))
		fprintf(stderr, "[%c %d] %s\n", 'A' + p->idx, level, msg);
}

static uint32_t
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
static unsigned
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

static void
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

static void
addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
}

static void
ts_net6(struct ike_ts *ts, const char *first, const char *last)
{
	memset(ts, 0, sizeof(*ts));
	ts->af = 6;
	ts->eport = 65535;
	inet_pton(AF_INET6, first, ts->saddr);
	inet_pton(AF_INET6, last, ts->eaddr);
}

static void
ts_net(struct ike_ts *ts, const char *first, const char *last)
{
	memset(ts, 0, sizeof(*ts));
	ts->af = 4;
	ts->eport = 65535;
	inet_pton(AF_INET, first, ts->saddr);
	inet_pton(AF_INET, last, ts->eaddr);
}

static void
conn_base(struct ike_conn_cfg *c, bool initiator, const char *ike, const char *esp)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", initiator ? "to-b" : "rw");
	addr(&c->local, initiator ? "10.0.0.1" : "10.0.0.2", 500);
	if (initiator)
		addr(&c->remote, "10.0.0.2", 500);
	c->auth = IKE_AUTHM_PSK;
	c->remote_auth = IKE_AUTHM_PSK;
	memcpy(c->psk, "correct horse battery", 21);
	c->psk_len = 21;
	c->local_id.type = IKE_ID_FQDN;
	c->local_id.len = (uint16_t)strlen(initiator ? "a.example" : "b.example");
	memcpy(c->local_id.data, initiator ? "a.example" : "b.example", c->local_id.len);
	c->remote_id.type = IKE_ID_ANY;
	snprintf(c->ike_proposals[0], 128, "%s", ike);
	c->n_ike_proposals = 1;
	snprintf(c->esp_proposals[0], 128, "%s", esp);
	c->n_esp_proposals = 1;
	if (initiator) {
		ts_net(&c->local_ts[0], "192.168.1.0", "192.168.1.255");
		ts_net(&c->remote_ts[0], "10.1.0.0", "10.1.255.255");
	} else {
		ts_net(&c->local_ts[0], "10.1.0.0", "10.1.255.255");
		ts_net(&c->remote_ts[0], "0.0.0.0", "255.255.255.255");
	}
	c->n_local_ts = 1;
	c->n_remote_ts = 1;
	c->replay_window = 64;
}

/* EAP back ends (ops.eap): calls are queued, answered by pump_eap(). */
struct eap_call {
	int peer;
	uint64_t sa_id;
	uint8_t msg[512];
	size_t len;
};
static struct eap_call eap_calls[16];
static unsigned n_eap_calls, eap_calls_total[2];

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

struct setup {
	struct ike_conn_cfg a, b, b2;	/* b2: second connection of B if has_b2 */
	bool has_b2;
	uint16_t win_a, win_b;
	unsigned cookie_threshold, half_open_max;
	unsigned half_open_per_src;
	size_t frag_mem_max, frag_preauth_max;
};

static void
setup_default(struct setup *s, const char *ike, const char *esp)
{
	memset(s, 0, sizeof(*s));
	conn_base(&s->a, true, ike, esp);
	conn_base(&s->b, false, ike, esp);
	s->win_a = s->win_b = 1;
}

static void
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

static void
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

static unsigned
count_ev(const struct peer *p, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_ev; i++)
		n += p->ev[i].type == type;
	return n;
}

static const struct ike_child_sa *
last_child_up(const struct peer *p)
{
	int i;

	for (i = (int)p->n_ev - 1; i >= 0; i--)
		if (p->ev[i].type == IKE_EV_CHILD_UP)
			return &p->ev[i].c;
	return NULL;
}

/* Installed children: UP events minus DOWN events of the same id. */
static unsigned
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

static const struct ike_child_sa *
find_peer_child(const struct peer *p, uint32_t spi_in)
{
	unsigned i;

	for (i = 0; i < p->n_ev; i++)
		if (p->ev[i].type == IKE_EV_CHILD_UP && p->ev[i].c.spi_in == spi_in)
			return &p->ev[i].c;
	return NULL;
}

/* in of one = out of the other */
static void
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

static void
check_latest_pair(void)
{
	const struct ike_child_sa *a = last_child_up(&P[0]);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	check_pair(a, find_peer_child(&P[1], a->spi_out));
}

static uint64_t
first_sa_id(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	for (sa = ctx->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_ST_DEAD)
			return sa->id;
	return 0;
}

static struct ike_sa *
first_sa(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	for (sa = ctx->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
}

static void
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

/* ---- IKE_SA_INIT + IKE_AUTH with PSK ---- */

static void
full_handshake(const char *ike, const char *esp)
{
	struct setup s;
	const struct ike_child_sa *a;

	/* IKE_SA_INIT, IKE_AUTH (initiator A, responder B), child in IKE_AUTH */
	setup_default(&s, ike, esp);
	establish(&s);
	a = last_child_up(&P[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->n_remote_ts, 1);
	CU_ASSERT_FALSE(a->natt);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
	/* INFORMATIONAL Delete of the IKE SA from A */
	CU_ASSERT_EQUAL(ike_terminate_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_DOWN), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_DOWN), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_DOWN), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_DOWN), 1);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	stop();
}

static void
test_psk_gcm256_ecp256(void)
{
	full_handshake("aes256gcm16-prfsha256-ecp256", "aes256gcm16");
}

static void
test_psk_gcm128_x25519(void)
{
	full_handshake("aes128gcm16-prfsha384-curve25519", "aes128gcm16-esn");
}

static void
test_psk_cbc_modp2048(void)
{
	full_handshake("aes256-sha256-modp2048", "aes128-sha256");
}

static void
test_psk_cbc_ecp384_521(void)
{
	full_handshake("aes128-sha384-prfsha384-ecp384", "aes256-sha512");
	full_handshake("aes256gcm16-prfsha512-ecp521", "aes256gcm16");
}

/* IKE_AUTH with the wrong PSK: AUTHENTICATION_FAILED, both SAs gone */
static void
test_wrong_psk(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.b.psk[0] = 'X';
	start(&s);
	P[0].quiet = P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	stop();
}

/* IKE_SA_INIT without a common proposal: NO_PROPOSAL_CHOSEN */
static void
test_no_proposal(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.ike_proposals[0], 128, "aes256-sha512-modp2048");
	start(&s);
	P[0].quiet = P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.no_proposal, 1);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.no_proposal, 1);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	stop();
}

/* IKE_SA_INIT: A sends KE for ecp256, B wants ecp384: INVALID_KE_PAYLOAD, retry */
static void
test_invalid_ke_retry(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256-ecp384", "aes128gcm16");
	snprintf(s.b.ike_proposals[0], 128, "aes128gcm16-prfsha256-ecp384");
	establish(&s);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->algs.dh, 20);
	stop();
}

/* IKE_SA_INIT, IKE_AUTH with CP: a virtual IP from B's pool; released on delete */
static void
test_virtual_ip(void)
{
	struct setup s;
	const struct ike_child_sa *b;
	struct ike_sa *sa;
	uint8_t want[4];

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.a.request_vip = true;
	ts_net(&s.a.local_ts[0], "0.0.0.0", "255.255.255.255");
	s.b.pool.af = 4;
	inet_pton(AF_INET, "10.99.0.10", s.b.pool.first);
	s.b.pool.size = 4;
	s.b.pool.n_dns = 1;
	s.b.pool.dns_af[0] = 4;
	inet_pton(AF_INET, "10.99.0.1", s.b.pool.dns[0]);
	establish(&s);
	sa = first_sa(P[0].ctx);
	inet_pton(AF_INET, "10.99.0.10", want);
	CU_ASSERT_EQUAL(sa->vip_af, 4);
	CU_ASSERT_EQUAL(memcmp(sa->vip, want, 4), 0);
	/* B's child: remote TS narrowed to the lease */
	b = last_child_up(&P[1]);
	CU_ASSERT_EQUAL(b->n_remote_ts, 1);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].saddr, want, 4), 0);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].eaddr, want, 4), 0);
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 1);
	/* IKE rekey keeps the lease */
	CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 1);
	CU_ASSERT_PTR_NOT_NULL(first_sa(P[1].ctx)->lease);
	/* INFORMATIONAL Delete from B frees it */
	CU_ASSERT_EQUAL(ike_terminate_ike(P[1].ctx, first_sa_id(P[1].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	stop();
}

/* CREATE_CHILD_SA child rekey (REKEY_SA), by @who, with or without PFS; the
 * old child goes away through INFORMATIONAL Delete. */
static void
child_rekey(int who, const char *esp)
{
	struct setup s;
	const struct ike_child_sa *n0, *n1;
	uint64_t old_id;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", esp);
	establish(&s);
	old_id = last_child_up(&P[who])->id;
	CU_ASSERT_EQUAL(ike_rekey_child(P[who].ctx, old_id, now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 2);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 2);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_DOWN), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_DOWN), 1);
	n0 = last_child_up(&P[who]);
	CU_ASSERT_EQUAL(n0->rekey_of, old_id);
	n1 = find_peer_child(&P[1 - who], n0->spi_out);
	check_pair(n0, n1);
	CU_ASSERT_NOT_EQUAL(n1->rekey_of, 0);
	/* the rekey initiator may switch outbound at once; the responder is told
	 * to wait for the Delete of the old child (RFC 7296 2.8) */
	CU_ASSERT_TRUE(n0->initiator);
	CU_ASSERT_FALSE(n1->initiator);
	/* RFC 7296 2.17: the initiator of the CREATE_CHILD_SA (not of the IKE SA)
	 * sends with the "i" half of KEYMAT */
	{
		struct ike_child *c = ike_child_by_id(P[who].ctx, n0->id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(memcmp(n0->key_out, c->keys.encr_i, c->keys.encr_key_len), 0);
		CU_ASSERT_EQUAL(memcmp(n0->key_in, c->keys.encr_r, c->keys.encr_key_len), 0);
	}
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	stop();
}

static void
test_child_rekey_by_initiator(void)
{
	child_rekey(0, "aes128gcm16");
}

static void
test_child_rekey_by_responder(void)
{
	child_rekey(1, "aes128gcm16");
}

static void
test_child_rekey_pfs(void)
{
	child_rekey(0, "aes256gcm16-ecp256");
	child_rekey(1, "aes128-sha256-modp2048");
}

/* CREATE_CHILD_SA with PFS: A's KE is ecp256, B only takes ecp384:
 * INVALID_KE_PAYLOAD, A repeats the rekey with ecp384 at once. The same for
 * an IKE rekey. */
static void
test_rekey_invalid_ke(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256-ecp384", "aes128gcm16-ecp256-ecp384");
	snprintf(s.b.esp_proposals[0], 128, "aes128gcm16-ecp384");
	snprintf(s.b.ike_proposals[0], 128, "aes128gcm16-prfsha256-ecp384");
	establish(&s);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->algs.dh, 20);	/* after INVALID_KE */
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 2);
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	check_latest_pair();
	/* B prefers what A sent when it can: a rekey from B with ecp384 first in
	 * its list and A's list holding both needs no round trip */
	CU_ASSERT_EQUAL(ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 3);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(P[0].ctx->n_sas, 1);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->algs.dh, 20);
	stop();
}

/* CREATE_CHILD_SA IKE rekey by @who, then a child rekey and a Delete over
 * the new IKE SA to show its keys work on both sides. */
static void
ike_rekey(int who)
{
	struct setup s;
	struct ike_sa *a, *b;
	uint64_t old_a, old_b;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	old_a = first_sa_id(P[0].ctx);
	old_b = first_sa_id(P[1].ctx);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[who].ctx, first_sa_id(P[who].ctx), now), 0);
	run();
	a = first_sa(P[0].ctx);
	b = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NULL(a->next != NULL && a->next->state != IKE_ST_DEAD ? a->next : NULL);
	CU_ASSERT_NOT_EQUAL(a->id, old_a);
	CU_ASSERT_NOT_EQUAL(b->id, old_b);
	CU_ASSERT_EQUAL(a->spi_i, b->spi_i);
	CU_ASSERT_EQUAL(a->spi_r, b->spi_r);
	CU_ASSERT_EQUAL(a->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(a->n_children, 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_DOWN), 0);
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	run();
	check_latest_pair();
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(ike_terminate_ike(P[1 - who].ctx, first_sa_id(P[1 - who].ctx), now), 0);
	run();
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(live_children(&P[0]), 0);
	CU_ASSERT_EQUAL(live_children(&P[1]), 0);
	stop();
}

/* IKE rekey between peers that prefer different PRFs: B prefers SHA-384,
 * A SHA-256, the IKE SA has SHA-384. The rekey offers the current algorithms
 * first and the responder keeps them when offered, so the PRF does not
 * change (a PRF change has two readings of RFC 7296 2.18; see rekey_keys).
 * The new SA then carries a child rekey and a Delete. */
static void
test_ike_rekey_keeps_prf(void)
{
	struct setup s;
	int who;

	for (who = 0; who < 2; who++) {
		setup_default(&s, "aes256gcm16-prfsha256-ecp256", "aes128gcm16");
		snprintf(s.a.ike_proposals[1], 128, "aes256gcm16-prfsha384-ecp256");
		s.a.n_ike_proposals = 2;
		snprintf(s.b.ike_proposals[0], 128, "aes256gcm16-prfsha384-ecp256");
		snprintf(s.b.ike_proposals[1], 128, "aes256gcm16-prfsha256-ecp256");
		s.b.n_ike_proposals = 2;
		establish(&s);
		CU_ASSERT_EQUAL(first_sa(P[0].ctx)->algs.prf, 6);
		CU_ASSERT_EQUAL(ike_rekey_ike(P[who].ctx, first_sa_id(P[who].ctx), now), 0);
		run();
		CU_ASSERT_EQUAL_FATAL(P[0].ctx->n_sas, 1);
		CU_ASSERT_EQUAL(first_sa(P[0].ctx)->algs.prf, 6);
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->algs.prf, 6);
		CU_ASSERT_EQUAL(first_sa(P[0].ctx)->keys.prf_len, 48);
		CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
		run();
		check_latest_pair();
		CU_ASSERT_EQUAL(ike_terminate_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
		run();
		CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
		stop();
	}
}

static void
test_ike_rekey_by_initiator(void)
{
	ike_rekey(0);
}

static void
test_ike_rekey_by_responder(void)
{
	ike_rekey(1);
}

/* INFORMATIONAL Delete of a child by each side (hard expiry) */
static void
test_child_delete(void)
{
	struct setup s;
	int who;

	for (who = 0; who < 2; who++) {
		setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
		establish(&s);
		CU_ASSERT_EQUAL(ike_child_expired(P[who].ctx, last_child_up(&P[who])->id, true,
						  now), 0);
		run();
		CU_ASSERT_EQUAL(live_children(&P[0]), 0);
		CU_ASSERT_EQUAL(live_children(&P[1]), 0);
		CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 0);
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 0);
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
		stop();
	}
}

/* Delete collision (RFC 7296 2.25): both sides delete the same child at
 * once; both Deletes are answered and the child is gone on both sides. */
static void
test_delete_collision(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_EQUAL(ike_child_expired(P[0].ctx, last_child_up(&P[0])->id, true, now), 0);
	CU_ASSERT_EQUAL(ike_child_expired(P[1].ctx, last_child_up(&P[1])->id, true, now), 0);
	run();
	advance(2000);
	CU_ASSERT_EQUAL(live_children(&P[0]), 0);
	CU_ASSERT_EQUAL(live_children(&P[1]), 0);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 0);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 0);
	CU_ASSERT_FALSE(ike_req_pending_kind(first_sa(P[0].ctx), IKE_REQ_DELETE_CHILD));
	stop();

	/* rekey against delete: A rekeys the child while B deletes it; A's rekey
	 * is refused (TEMPORARY_FAILURE) and the child ends deleted on both */
	establish(&s);
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	CU_ASSERT_EQUAL(ike_child_expired(P[1].ctx, last_child_up(&P[1])->id, true, now), 0);
	run();
	advance(2000);
	CU_ASSERT_EQUAL(live_children(&P[0]), 0);
	CU_ASSERT_EQUAL(live_children(&P[1]), 0);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 0);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 0);
	stop();
}

/* IKE_AUTH with selectors B cannot accept: the IKE SA comes up, the child
 * is refused with TS_UNACCEPTABLE on both sides. */
static void
test_ts_unacceptable(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	ts_net(&s.a.remote_ts[0], "172.16.0.0", "172.16.255.255");
	start(&s);
	P[0].quiet = P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	stop();
}

static bool
drop_from_a(int src, const struct dgram *d)
{
	(void)d;
	return src == 0;
}

/* Lost requests: CREATE_CHILD_SA request from A never arrives;
 * retransmits at 1 s, 2 s, 4 s, then A gives up and removes the IKE SA. */
static void
test_retransmit_give_up(void)
{
	struct setup s;
	struct ike_stats st;
	unsigned before;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	P[0].quiet = true;
	drop_fn = drop_from_a;
	before = sent_count[0];
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	CU_ASSERT_EQUAL(sent_count[0], before + 1);
	CU_ASSERT_EQUAL(ike_next_timeout_ms(P[0].ctx, now), 1000);
	advance(900);
	CU_ASSERT_EQUAL(sent_count[0], before + 1);
	advance(200);		/* t = 1.1 s: first retransmit */
	CU_ASSERT_EQUAL(sent_count[0], before + 2);
	advance(1500);		/* t = 2.6 s: none yet (next at 3 s) */
	CU_ASSERT_EQUAL(sent_count[0], before + 2);
	advance(500);		/* t = 3.1 s */
	CU_ASSERT_EQUAL(sent_count[0], before + 3);
	advance(4000);		/* t = 7.1 s */
	CU_ASSERT_EQUAL(sent_count[0], before + 4);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.retransmits, 3);
	CU_ASSERT_PTR_NOT_NULL(first_sa(P[0].ctx));
	advance(8000);		/* 3 tries used: give up */
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_DOWN), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_DOWN), 1);
	stop();
}

static bool hold_one;
static struct dgram held;

static bool
capture_first_a(int src, const struct dgram *d)
{
	if (src == 0 && hold_one) {
		held = *d;
		hold_one = false;
	}
	return false;
}

/* IKE_SA_INIT retransmitted by A before B's answer arrived: B answers both
 * copies, A takes the first answer and drops the second as a duplicate (not
 * as invalid input), and the handshake completes. */
static void
test_duplicate_init_response(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	q[1] = q[0];
	qn = 2;
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 1);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.rx_invalid, 0);
	CU_ASSERT_EQUAL(st.rx_dropped, 1);
	stop();
}

/* Duplicated request: A's CREATE_CHILD_SA request delivered twice; B answers
 * the copy from its cache (same bytes) and creates one child only. */
static void
test_duplicate_request(void)
{
	struct setup s;
	struct ike_stats st;
	uint8_t first[4096];
	size_t first_len;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	hold_one = true;
	drop_fn = capture_first_a;
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	drop_fn = NULL;
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	qn = 0;
	/* deliver to B only, keep B's response */
	ike_input(P[1].ctx, held.buf, held.len, (struct sockaddr *)&held.from,
		  (struct sockaddr *)&held.to, now);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	memcpy(first, q[0].buf, q[0].len);
	first_len = q[0].len;
	ike_input(P[1].ctx, held.buf, held.len, (struct sockaddr *)&held.from,
		  (struct sockaddr *)&held.to, now);
	CU_ASSERT_EQUAL_FATAL(qn, 2);
	CU_ASSERT_EQUAL(q[1].len, first_len);
	CU_ASSERT_EQUAL(memcmp(q[1].buf, first, first_len), 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.retransmits, 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 2);
	run();		/* A takes the first response, ignores the second */
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 2);
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	check_latest_pair();
	stop();
}

/* Rekey collision (RFC 7296 2.8.1): both sides rekey the same child at once.
 * Both CREATE_CHILD_SA exchanges complete; the redundant pair is deleted and
 * one child pair with matching keys survives. */
static void
test_rekey_collision(void)
{
	struct setup s;
	const struct ike_child_sa *a;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	CU_ASSERT_EQUAL(ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now), 0);
	run();
	advance(1000);
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 1);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 1);
	a = first_sa(P[0].ctx)->children ? last_child_up(&P[0]) : NULL;
	if (a != NULL) {
		struct ike_child *c = first_sa(P[0].ctx)->children;

		check_pair(find_peer_child(&P[0], c->spi_in), find_peer_child(&P[1], c->spi_out));
	}
	stop();
}

/* IKE rekey collision (RFC 7296 2.8.2): both sides send CREATE_CHILD_SA for
 * the IKE SA at once; exactly one new IKE SA survives on both sides, with the
 * child SA, and the old one is deleted. */
static void
test_ike_rekey_collision(void)
{
	struct setup s;
	struct ike_sa *a, *b;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[1].ctx, first_sa_id(P[1].ctx), now), 0);
	run();
	advance(1000);
	CU_ASSERT_EQUAL(P[0].ctx->n_sas, 1);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	a = first_sa(P[0].ctx);
	b = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->spi_i, b->spi_i);
	CU_ASSERT_EQUAL(a->spi_r, b->spi_r);
	CU_ASSERT_EQUAL(a->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(a->n_children, 1);
	CU_ASSERT_EQUAL(b->n_children, 1);
	/* the survivor works: a child rekey over it */
	CU_ASSERT_EQUAL(ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now), 0);
	run();
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	stop();
}

static void
pop_deliver(void)
{
	struct dgram d = q[0];

	memmove(&q[0], &q[1], (qn - 1) * sizeof(q[0]));
	qn--;
	ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
		  (struct sockaddr *)&d.to, now);
}

/* IKE rekey collision with a late response (RFC 7296 2.8.2, FINDINGS F6):
 * both rekey; the answer to A's request is held back while B decides and
 * sends its Delete (of its redundant SA or of the old one). The children
 * must end up on the surviving IKE SA on both sides, and both sides end with
 * one IKE SA. Run with both nonce orders (A or B winning). */
static void
test_ike_rekey_collision_late(void)
{
	struct setup s;
	int round;

	for (round = 0; round < 4; round++) {
		struct dgram held_resp;
		struct ike_sa *a, *b;

		setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
		start(&s);
		rng_state += (uint64_t)round * 7919;	/* other nonces, other winner */
		CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
		run();
		CU_ASSERT_EQUAL_FATAL(live_children(&P[0]), 1);
		CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
		CU_ASSERT_EQUAL(ike_rekey_ike(P[1].ctx, first_sa_id(P[1].ctx), now), 0);
		CU_ASSERT_EQUAL_FATAL(qn, 2);
		pop_deliver();		/* A's request to B */
		pop_deliver();		/* B's request to A */
		CU_ASSERT_EQUAL_FATAL(qn, 2);
		CU_ASSERT_EQUAL_FATAL(q[0].dst, 0);	/* B's answer to A: hold it */
		held_resp = q[0];
		memmove(&q[0], &q[1], sizeof(q[0]));
		qn = 1;
		run();			/* B decides; its Delete reaches A first */
		q[qn++] = held_resp;
		run();
		advance(31000);
		CU_ASSERT_EQUAL(P[0].ctx->n_sas, 1);
		CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
		a = first_sa(P[0].ctx);
		b = first_sa(P[1].ctx);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(a->spi_i, b->spi_i);
		CU_ASSERT_EQUAL(a->spi_r, b->spi_r);
		CU_ASSERT_EQUAL(a->n_children, 1);
		CU_ASSERT_EQUAL(b->n_children, 1);
		CU_ASSERT_EQUAL(live_children(&P[0]), 1);
		CU_ASSERT_EQUAL(live_children(&P[1]), 1);
		stop();
	}
}

/* SET_WINDOW_SIZE 4: A keeps a DPD INFORMATIONAL and a CREATE_CHILD_SA
 * outstanding at once; B answers both. */
static void
test_window(void)
{
	struct setup s;
	struct ike_sa *a;
	unsigned i, used = 0;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.win_a = s.win_b = 4;
	establish(&s);
	a = first_sa(P[0].ctx);
	CU_ASSERT_EQUAL(a->peer_window, 4);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->peer_window, 4);
	CU_ASSERT_EQUAL(ike_info_dpd_start(a), 0);
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	for (i = 0; i < IKE_WINDOW_MAX; i++)
		used += a->reqs[i].used;
	CU_ASSERT_EQUAL(used, 2);
	/* deliver in reverse order: B must accept message 3 before 2 */
	CU_ASSERT_EQUAL_FATAL(qn, 2);
	{
		struct dgram t = q[0];

		q[0] = q[1];
		q[1] = t;
	}
	run();
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 2);
	check_latest_pair();
	CU_ASSERT_FALSE(a->dpd_pending);
	stop();
}

/* Window 1: a second request waits until the first is answered */
static void
test_window_one(void)
{
	struct setup s;
	struct ike_sa *a;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	a = first_sa(P[0].ctx);
	CU_ASSERT_EQUAL(ike_info_dpd_start(a), 0);
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), -EAGAIN);
	/* a due rekey blocked by the window: the caller polls again soon, not 0 ms */
	a->children->rekey_ms = now - 1;
	ike_sa_touch(a);	/* the field was set behind lib/ike's back */
	ike_sa_reap(P[0].ctx);
	CU_ASSERT_EQUAL(ike_next_timeout_ms(P[0].ctx, now), 100);
	a->children->rekey_ms = 0;
	run();
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	run();
	check_latest_pair();
	stop();
}

/* DPD: idle IKE SA sends an empty INFORMATIONAL; B answers it */
static void
test_dpd(void)
{
	struct setup s;
	unsigned before;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.a.dpd_s = 5;
	establish(&s);
	before = sent_count[0];
	advance(6000);
	CU_ASSERT_EQUAL(sent_count[0], before + 1);
	CU_ASSERT_PTR_NOT_NULL(first_sa(P[0].ctx));
	/* peer gone: DPD retransmits then gives up */
	P[0].quiet = true;
	drop_fn = drop_from_a;
	advance(60000);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	stop();
}

/* Malformed and unexpected messages: garbage, a truncated header, an
 * encrypted request with a broken ICV, a request outside the window. */
static void
test_malformed(void)
{
	struct setup s;
	struct ike_stats st0, st1;
	struct sockaddr_storage fa, fb;
	uint8_t junk[64];
	struct ike_sa *b;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	P[1].quiet = true;
	addr(&fa, "10.0.0.1", 500);
	addr(&fb, "10.0.0.2", 500);
	ike_stats_get(P[1].ctx, &st0);
	memset(junk, 0xab, sizeof(junk));
	ike_input(P[1].ctx, junk, 10, (struct sockaddr *)&fa, (struct sockaddr *)&fb, now);
	ike_input(P[1].ctx, junk, sizeof(junk), (struct sockaddr *)&fa, (struct sockaddr *)&fb,
		  now);
	ike_stats_get(P[1].ctx, &st1);
	CU_ASSERT_EQUAL(st1.rx_invalid + st1.rx_dropped, st0.rx_invalid + st0.rx_dropped + 2);
	CU_ASSERT_EQUAL(qn, 0);
	/* a real request with one bit flipped in the ICV: dropped, not answered */
	hold_one = true;
	drop_fn = capture_first_a;
	CU_ASSERT_EQUAL(ike_info_dpd_start(first_sa(P[0].ctx)), 0);
	drop_fn = NULL;
	qn = 0;
	held.buf[held.len - 1] ^= 1;
	ike_input(P[1].ctx, held.buf, held.len, (struct sockaddr *)&held.from,
		  (struct sockaddr *)&held.to, now);
	CU_ASSERT_EQUAL(qn, 0);
	b = first_sa(P[1].ctx);
	CU_ASSERT_EQUAL(b->resp_low, 2);
	/* the same request with a Message ID far ahead: dropped */
	held.buf[held.len - 1] ^= 1;
	held.buf[23] = 50;
	ike_input(P[1].ctx, held.buf, held.len, (struct sockaddr *)&held.from,
		  (struct sockaddr *)&held.to, now);
	CU_ASSERT_EQUAL(qn, 0);
	ike_stats_get(P[1].ctx, &st0);
	CU_ASSERT_TRUE(st0.rx_invalid + st0.rx_dropped >= st1.rx_invalid + st1.rx_dropped + 2);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	stop();
}

/* An authentic INFORMATIONAL request far beyond B's window: not answered;
 * B tells A with INVALID_MESSAGE_ID in a request of its own, A answers it. */
static void
test_invalid_message_id(void)
{
	struct setup s;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_sa *a;
	struct ike_msg *m;
	uint32_t b_req;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	P[1].quiet = true;
	a = first_sa(P[0].ctx);
	b_req = first_sa(P[1].ctx)->req_next;
	CU_ASSERT_EQUAL_FATAL(ike_txm_begin(&t, a, IKE_XCHG_INFORMATIONAL, false, 50), 0);
	CU_ASSERT_EQUAL_FATAL(ike_txm_seal(&t, &out), 0);
	ike_send_pkts(a, &out);
	ike_pkts_free(&out);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	{
		struct dgram d = q[0];

		qn = 0;
		ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
	}
	CU_ASSERT_EQUAL_FATAL(qn, 1);		/* B's own request, not a response */
	m = calloc(1, sizeof(*m));
	CU_ASSERT_EQUAL(ike_msg_parse(q[0].buf, q[0].len, m), 0);
	CU_ASSERT_EQUAL(m->hdr.flags & IKE_FLAG_R, 0);
	CU_ASSERT_EQUAL(m->hdr.msg_id, b_req);
	free(m);
	run();
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->req_next, b_req + 1);
	CU_ASSERT_FALSE(ike_req_pending_kind(first_sa(P[1].ctx), IKE_REQ_INFO));
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
	stop();
}

static uint32_t
rnd32(void)
{
	uint32_t v;

	test_rand(NULL, &v, sizeof(v));
	return v;
}

/* Random but authentic requests (valid SK, random payload mix) from A to an
 * established B, and mutated copies of real datagrams to both sides: no
 * crash, no leak (ASan), B stays consistent and keeps answering. */
static void
test_random_requests(void)
{
	static const uint8_t xchgs[] = { IKE_XCHG_AUTH, IKE_XCHG_CREATE_CHILD_SA,
					 IKE_XCHG_INFORMATIONAL };
	static const uint16_t notes[] = { IKE_N_REKEY_SA, IKE_N_INITIAL_CONTACT,
					  IKE_N_SET_WINDOW_SIZE, IKE_N_COOKIE, 9999,
					  IKE_N_INVALID_KE_PAYLOAD, IKE_N_USE_TRANSPORT_MODE };
	static const char *const props[] = { "aes128gcm16", "aes256gcm16-ecp256",
					     "aes128-sha256-modp2048", "aes128gcm16-prfsha256-ecp256" };
	struct dgram saved[64];
	unsigned n_saved = 0, i, k;
	struct setup s;
	struct ike_sa *a;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16-ecp256");
	establish(&s);
	P[0].quiet = P[1].quiet = true;
	for (i = 0; i < 400; i++) {
		struct ike_txm t;
		struct ike_pkts out = { .n = 0 };
		unsigned n_pld = rnd32() % 6;
		uint8_t xchg = xchgs[rnd32() % 3];
		char err[64];

		a = first_sa(P[0].ctx);
		if (a == NULL || first_sa(P[1].ctx) == NULL ||
		    a->state != IKE_ST_ESTABLISHED) {
			/* a random Delete or a fatal error ended it: start over */
			stop();
			establish(&s);
			P[0].quiet = P[1].quiet = true;
			a = first_sa(P[0].ctx);
		}
		CU_ASSERT_EQUAL_FATAL(ike_txm_begin(&t, a, xchg, false, a->req_next), 0);
		for (k = 0; k < n_pld; k++) {
			uint8_t buf[64];

			test_rand(NULL, buf, sizeof(buf));
			switch (rnd32() % 8) {
			case 0: {
				uint16_t nt = notes[rnd32() % 7];

				ike_bld_notify(&t.b, nt == IKE_N_REKEY_SA ? IKE_PROTO_ESP : 0, buf,
					       nt == IKE_N_REKEY_SA ? 4 : 0, nt, buf + 4, rnd32() % 5);
				break;
			}
			case 1: {
				uint32_t spis[2] = { rnd32(), last_child_up(&P[0])->spi_in };

				ike_bld_delete(&t.b, rnd32() % 16 ? IKE_PROTO_ESP : IKE_PROTO_IKE,
					       spis, rnd32() % 3);
				break;
			}
			case 2: {
				struct ike_proposal p;

				if (ike_prop_parse(props[rnd32() % 4], rnd32() % 5 ? IKE_PROTO_ESP :
						   IKE_PROTO_IKE, &p, err, sizeof(err)) == 0) {
					p.spi_len = p.proto == IKE_PROTO_IKE ? 8 : 4;
					memcpy(p.spi, buf, 8);
					ike_bld_sa(&t.b, &p, 1);
				}
				break;
			}
			case 3:
				ike_bld_nonce(&t.b, buf, 16 + rnd32() % 40);
				break;
			case 4:
				ike_bld_ke(&t.b, rnd32() % 2 ? 19 : 14, buf, 64);
				break;
			case 5: {
				struct ike_ts ts;

				ts_net(&ts, "10.1.2.0", rnd32() % 2 ? "10.1.2.255" : "10.9.0.0");
				ike_bld_ts(&t.b, rnd32() % 2 ? IKE_PLD_TSI : IKE_PLD_TSR, &ts, 1);
				break;
			}
			case 6: {
				struct ike_cp_attr at = { .type = IKE_CP_INTERNAL_IP4_ADDRESS };

				ike_bld_cp(&t.b, IKE_CFG_REQUEST, &at, 1);
				break;
			}
			default:
				ike_bld_raw(&t.b, 50 + rnd32() % 10, rnd32() % 2, buf, rnd32() % 8);
				break;
			}
		}
		if (t.b.err == 0 && ike_txm_seal(&t, &out) == 0) {
			a->req_next++;
			ike_send_pkts(a, &out);
		} else {
			ike_txm_abort(&t);
		}
		ike_pkts_free(&out);
		run();
	}
	stop();

	/* capture the datagrams of a handshake and a rekey ... */
	establish(&s);
	stop();
	start(&s);
	drop_fn = NULL;
	ike_initiate(P[0].ctx, "to-b", now);
	while (qn > 0 && n_saved < 64) {
		saved[n_saved++] = q[0];
		{
			struct dgram d = q[0];

			memmove(&q[0], &q[1], (qn - 1) * sizeof(q[0]));
			qn--;
			ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
				  (struct sockaddr *)&d.to, now);
		}
	}
	ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now);
	while (qn > 0 && n_saved < 64) {
		saved[n_saved++] = q[0];
		{
			struct dgram d = q[0];

			memmove(&q[0], &q[1], (qn - 1) * sizeof(q[0]));
			qn--;
			ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
				  (struct sockaddr *)&d.to, now);
		}
	}
	/* ... and feed mutated copies (bit flips, truncation, byte edits) */
	P[0].quiet = P[1].quiet = true;
	for (i = 0; i < 3000 && n_saved > 0; i++) {
		struct dgram d = saved[rnd32() % n_saved];
		unsigned flips = 1 + rnd32() % 4;

		for (k = 0; k < flips; k++) {
			switch (rnd32() % 3) {
			case 0:
				d.buf[rnd32() % d.len] ^= (uint8_t)(1u << (rnd32() % 8));
				break;
			case 1:
				d.len = 1 + rnd32() % d.len;
				break;
			default:
				d.buf[rnd32() % d.len] = (uint8_t)rnd32();
				break;
			}
		}
		ike_input(P[d.dst].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
		qn = 0;
	}
	stop();
}

/* An IKE_SA_INIT request without a KE payload: INVALID_SYNTAX, no state */
static void
test_init_missing_ke(void)
{
	struct setup s;
	struct ike_bld bl;
	struct ike_hdr h = { .spi_i = 0x1122334455667788ULL, .exchange = IKE_XCHG_SA_INIT,
			     .flags = IKE_FLAG_I };
	struct ike_proposal prop;
	struct ike_msg *m;
	uint8_t buf[1024], nonce[32] = { 1 };
	struct sockaddr_storage fa, fb;
	char err[64];
	size_t len;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start(&s);
	P[1].quiet = true;
	addr(&fa, "10.0.0.1", 500);
	addr(&fb, "10.0.0.2", 500);
	CU_ASSERT_EQUAL_FATAL(ike_prop_parse("aes128gcm16-prfsha256-ecp256", IKE_PROTO_IKE, &prop,
					     err, sizeof(err)), 0);
	ike_bld_init(&bl, buf, sizeof(buf), &h);
	ike_bld_sa(&bl, &prop, 1);
	ike_bld_nonce(&bl, nonce, sizeof(nonce));
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&bl, &len), 0);
	ike_input(P[1].ctx, buf, len, (struct sockaddr *)&fa, (struct sockaddr *)&fb, now);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	m = calloc(1, sizeof(*m));
	CU_ASSERT_EQUAL(ike_msg_parse(q[0].buf, q[0].len, m), 0);
	CU_ASSERT_PTR_NOT_NULL(ike_msg_notify(m, IKE_N_INVALID_SYNTAX));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	free(m);
	stop();
}

/* Cookies (RFC 7296 2.6): with one half-open SA at B, the next IKE_SA_INIT
 * gets a COOKIE; A repeats with it and completes. */
static void
test_cookies(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.cookie_threshold = 1;
	s.half_open_max = 2;
	start(&s);
	/* first IKE_SA_INIT reaches B, its answer is lost: one half-open SA */
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	{
		struct dgram d = q[0];

		qn = 0;
		ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
		qn = 0;
	}
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 1);
	/* second initiation: COOKIE round trip, then success */
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.cookies_sent, 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	check_latest_pair();
	/* the half-open SA expires */
	P[0].quiet = P[1].quiet = true;
	drop_fn = drop_from_a;
	advance(31000);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 0);
	stop();

	/* hard cap: with one half-open SA and half_open_max 1, IKE_SA_INIT is
	 * dropped without an answer */
	s.cookie_threshold = 0;
	s.half_open_max = 1;
	start(&s);
	P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	{
		struct dgram d = q[0];

		qn = 0;
		ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
		qn = 0;
	}
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	{
		struct dgram d = q[0];

		qn = 0;
		ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
	}
	CU_ASSERT_EQUAL(qn, 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.half_open, 1);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	stop();
}

/* INITIAL_CONTACT: a second IKE SA from A while the first lives carries no
 * INITIAL_CONTACT (B keeps both); after A restarts (state lost) its new IKE
 * SA carries it and B drops the old one with its child. */
static void
test_initial_contact(void)
{
	struct setup s;
	struct ike_ctx_cfg cfg;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 2);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_DOWN), 0);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 2);
	/* A restarts */
	ike_ctx_destroy(P[0].ctx);
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = &s.a;
	cfg.n_conns = 1;
	cfg.ops.send = cb_send;
	cfg.ops.event = cb_event;
	cfg.ops.log = cb_log;
	cfg.ops.alloc_spi = cb_spi;
	cfg.user = &P[0];
	CU_ASSERT_EQUAL_FATAL(ike_ctx_create(&cfg, &P[0].ctx), 0);
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 3);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_DOWN), 2);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	stop();
}

/* ---- certificates ---- */

static EVP_PKEY *
gen_key(bool rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072) :
		     EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static X509 *
make_cert(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, const char *cn, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, ca ? ca : x, x, NULL, NULL, 0);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	} else {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, ca_key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (x != NULL)
		PEM_write_X509(f, x);
	if (k != NULL)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* IKE_SA_INIT (CERTREQ, SIGNATURE_HASH_ALGORITHMS, FRAGMENTATION_SUPPORTED),
 * IKE_AUTH with CERT and RFC 7427 signature AUTH; with RSA-3072 the IKE_AUTH
 * messages exceed 1228 bytes and go out as RFC 7383 fragments. */
static void
write_pem2(const char *path, X509 *x, X509 *y)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	PEM_write_X509(f, x);
	PEM_write_X509(f, y);
	fclose(f);
}

static void
cert_auth_opt(bool rsa, bool chain)
{
	char dir[] = "/tmp/test_ike_XXXXXX", p[8][64];
	EVP_PKEY *cak, *ak, *bk, *ik = NULL;
	X509 *ca, *ac, *bc, *ic = NULL;
	struct setup s;
	struct ike_stats st;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	cak = gen_key(rsa);
	ak = gen_key(rsa);
	bk = gen_key(rsa);
	ca = make_cert(cak, cak, NULL, "Test CA", NULL);
	if (chain) {
		/* root -> intermediate -> leaves; peers trust the root only */
		ik = gen_key(rsa);
		ic = make_cert(ik, cak, ca, "Test Intermediate", NULL);
		ac = make_cert(ak, ik, ic, "a.example", "DNS:a.example");
		bc = make_cert(bk, ik, ic, "b.example", "DNS:b.example");
	} else {
		ac = make_cert(ak, cak, ca, "a.example", "DNS:a.example");
		bc = make_cert(bk, cak, ca, "b.example", "DNS:b.example");
	}
	snprintf(p[0], 64, "%s/ca.pem", dir);
	snprintf(p[1], 64, "%s/a.pem", dir);
	snprintf(p[2], 64, "%s/a.key", dir);
	snprintf(p[3], 64, "%s/b.pem", dir);
	snprintf(p[4], 64, "%s/b.key", dir);
	write_pem(p[0], ca, NULL);
	if (chain) {
		write_pem2(p[1], ac, ic);
		write_pem2(p[3], bc, ic);
	} else {
		write_pem(p[1], ac, NULL);
		write_pem(p[3], bc, NULL);
	}
	write_pem(p[2], NULL, ak);
	write_pem(p[4], NULL, bk);

	setup_default(&s, "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
	s.a.auth = s.a.remote_auth = IKE_AUTHM_PUBKEY;
	s.b.auth = s.b.remote_auth = IKE_AUTHM_PUBKEY;
	snprintf(s.a.cert_file, IKE_MAX_PATH, "%s", p[1]);
	snprintf(s.a.key_file, IKE_MAX_PATH, "%s", p[2]);
	snprintf(s.a.ca_file, IKE_MAX_PATH, "%s", p[0]);
	snprintf(s.b.cert_file, IKE_MAX_PATH, "%s", p[3]);
	snprintf(s.b.key_file, IKE_MAX_PATH, "%s", p[4]);
	snprintf(s.b.ca_file, IKE_MAX_PATH, "%s", p[0]);
	s.a.remote_id.type = IKE_ID_FQDN;
	s.a.remote_id.len = 9;
	memcpy(s.a.remote_id.data, "b.example", 9);
	establish(&s);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->frag, true);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->remote_id.type, IKE_ID_FQDN);
	if (rsa)	/* IKE_SA_INIT 2 + IKE_AUTH in fragments */
		CU_ASSERT_TRUE(sent_count[0] + sent_count[1] > 4);
	stop();

	/* B's certificate does not match the identity A wants */
	memcpy(s.a.remote_id.data, "x.example", 9);
	start(&s);
	P[0].quiet = P[1].quiet = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 0);
	stop();

	for (i = 0; i < 5; i++)
		unlink(p[i]);
	rmdir(dir);
	X509_free(ca);
	X509_free(ac);
	X509_free(bc);
	X509_free(ic);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(ak);
	EVP_PKEY_free(bk);
}

static void
cert_auth(bool rsa)
{
	cert_auth_opt(rsa, false);
}

static void
test_cert_ecdsa(void)
{
	cert_auth(false);
}

/* IKE_AUTH with an intermediate CA: each side sends CERT (leaf) + CERT
 * (intermediate) from its PEM bundle; the other trusts only the root. */
static void
test_cert_chain(void)
{
	cert_auth_opt(false, true);
}

static void
test_cert_rsa_fragmented(void)
{
	cert_auth(true);
}

/* IKE_SA_INIT + IKE_AUTH over IPv6 with IPv6 selectors, an RFC822 identity,
 * and an IPv6 virtual IP (INTERNAL_IP6_ADDRESS) with DNS; then an IKE rekey
 * and a Delete. */
static void
test_ipv6(void)
{
	struct setup s;
	const struct ike_child_sa *b;
	struct ike_sa *sa;
	uint8_t want[16];

	setup_default(&s, "aes256gcm16-prfsha384-ecp384", "aes256gcm16");
	addr6(&s.a.local, "2001:db8::1", 500);
	addr6(&s.a.remote, "2001:db8::2", 500);
	addr6(&s.b.local, "2001:db8::2", 500);
	ts_net6(&s.a.local_ts[0], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ts_net6(&s.a.remote_ts[0], "2001:db8:1::", "2001:db8:1::ffff");
	ts_net6(&s.b.local_ts[0], "2001:db8:1::", "2001:db8:1:0:ffff:ffff:ffff:ffff");
	ts_net6(&s.b.remote_ts[0], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	s.a.local_id.type = IKE_ID_RFC822_ADDR;
	s.a.local_id.len = 14;
	memcpy(s.a.local_id.data, "user@a.example", 14);
	s.b.remote_id = s.a.local_id;
	s.a.request_vip = true;
	s.b.pool.af = 6;
	inet_pton(AF_INET6, "2001:db8:99::100", s.b.pool.first);
	s.b.pool.size = 16;
	s.b.pool.n_dns = 1;
	s.b.pool.dns_af[0] = 6;
	inet_pton(AF_INET6, "2001:db8:99::1", s.b.pool.dns[0]);
	establish(&s);
	sa = first_sa(P[0].ctx);
	inet_pton(AF_INET6, "2001:db8:99::100", want);
	CU_ASSERT_EQUAL(sa->vip_af, 6);
	CU_ASSERT_EQUAL(memcmp(sa->vip, want, 16), 0);
	CU_ASSERT_FALSE(sa->nat_local || sa->nat_remote);
	b = last_child_up(&P[1]);
	CU_ASSERT_EQUAL(b->remote_ts[0].af, 6);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].saddr, want, 16), 0);
	CU_ASSERT_EQUAL(b->local.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->remote_id.type, IKE_ID_RFC822_ADDR);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[1].ctx, first_sa_id(P[1].ctx), now), 0);
	run();
	CU_ASSERT_EQUAL(ike_terminate_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
	run();
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(ike_pool_in_use(P[1].ctx->conns[0]->pool), 0);
	stop();
}

/* IKE_AUTH: B has a catch-all connection first and one for a.example with
 * another PSK and pool; A's identity selects the second. */
static void
test_conn_by_identity(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.has_b2 = true;
	s.b2 = s.b;
	snprintf(s.b2.name, sizeof(s.b2.name), "a-only");
	s.b2.remote_id.type = IKE_ID_FQDN;
	s.b2.remote_id.len = 9;
	memcpy(s.b2.remote_id.data, "a.example", 9);
	memcpy(s.b.psk, "other", 5);	/* the catch-all would fail */
	establish(&s);
	CU_ASSERT_STRING_EQUAL(first_sa(P[1].ctx)->conn->cfg.name, "a-only");
	CU_ASSERT_STRING_EQUAL(last_child_up(&P[1])->conn, "a-only");
	stop();
}

/* NAT detection (RFC 7296 2.23): A behind a NAT; IKE_AUTH moves to 4500, the
 * child SAs are UDP-encapsulated with the translated ports, A sends 1-byte
 * NAT keepalives, and DPD works through the NAT. */
static void
test_nat(void)
{
	struct setup s;
	const struct ike_child_sa *a, *b;
	struct ike_sa *sa;
	unsigned i, ka = 0;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.a.dpd_s = 30;
	start(&s);
	nat_on = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[0], IKE_EV_CHILD_UP), 1);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_latest_pair();
	sa = first_sa(P[0].ctx);
	CU_ASSERT_TRUE(sa->nat_local);
	CU_ASSERT_FALSE(sa->nat_remote);
	CU_ASSERT_TRUE(first_sa(P[1].ctx)->nat_remote);
	a = last_child_up(&P[0]);
	b = last_child_up(&P[1]);
	CU_ASSERT_TRUE(a->natt);
	CU_ASSERT_TRUE(b->natt);
	CU_ASSERT_EQUAL(ike_port(&a->local), 4500);
	CU_ASSERT_EQUAL(ike_port(&a->remote), 4500);
	CU_ASSERT_EQUAL(ike_port(&b->local), 4500);
	CU_ASSERT_EQUAL(ike_port(&b->remote), 3501);
	/* keepalives: 1-byte 0xFF from A every 20 s while idle */
	for (i = 0; i < 25; i++) {
		now += 1000;
		ike_tick(P[0].ctx, now);
		ike_tick(P[1].ctx, now);
		while (qn > 0) {
			if (q[0].len == 1 && q[0].buf[0] == 0xff && q[0].dst == 1)
				ka++;
			run();
		}
	}
	CU_ASSERT_EQUAL(ka, 1);
	advance(10000);		/* DPD at 30 s idle, answered through the NAT */
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_FALSE(first_sa(P[0].ctx)->dpd_pending);
	stop();
}

/* RFC 7296 2.23 / RFC 3948: A's NAT mapping changes. A's next request (a
 * liveness check) from the new mapping moves B's IKE SA and B reports
 * IKE_EV_PEER_MOVED for the child with the new endpoints; then the datapath
 * reports authenticated ESP from yet another mapping (ike_peer_moved), which
 * moves it again. A, which is the one behind the NAT, never follows ESP. */
static void
test_nat_rebind(void)
{
	struct sockaddr_storage moved, v6;
	const struct ike_child_sa *b;
	struct setup s;
	unsigned i, n_moved = 0;
	uint64_t cid;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.a.dpd_s = 5;
	start(&s);
	nat_on = true;
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	b = last_child_up(&P[1]);
	cid = b->id;
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 0);
	/* new public address and ports; A's DPD goes out after 5 s idle */
	nat_ip = "198.51.100.9";
	nat_port = 41000;
	advance(7000);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
	for (i = 0; i < P[1].n_ev; i++) {
		const struct ev *v = &P[1].ev[i];

		if (v->type != IKE_EV_PEER_MOVED)
			continue;
		n_moved++;
		CU_ASSERT_TRUE(v->has_child);
		CU_ASSERT_EQUAL(v->c.id, cid);
		CU_ASSERT_TRUE(v->c.natt);
		CU_ASSERT_EQUAL(ike_port(&v->c.remote), 41001);
		CU_ASSERT_EQUAL(((struct sockaddr_in *)&v->c.remote)->sin_addr.s_addr,
				inet_addr("198.51.100.9"));
		CU_ASSERT_EQUAL(ike_port(&v->c.local), 4500);
	}
	CU_ASSERT_EQUAL(n_moved, 1);
	/* authenticated ESP from another mapping: B moves, one event */
	addr(&moved, "203.0.113.5", 50000);
	CU_ASSERT_EQUAL(ike_peer_moved(P[1].ctx, cid, (struct sockaddr *)&moved, now), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 2);
	CU_ASSERT_EQUAL(ike_port(&first_sa(P[1].ctx)->remote), 50000);
	CU_ASSERT_EQUAL(ike_port(&P[1].ev[P[1].n_ev - 1].c.remote), 50000);
	/* already there: nothing to do */
	CU_ASSERT_EQUAL(ike_peer_moved(P[1].ctx, cid, (struct sockaddr *)&moved, now), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 2);
	/* refused: unknown child, another family, and the side behind the NAT */
	CU_ASSERT_EQUAL(ike_peer_moved(P[1].ctx, cid + 1000, (struct sockaddr *)&moved, now),
			-ENOENT);
	addr6(&v6, "2001:db8::5", 50000);
	CU_ASSERT_EQUAL(ike_peer_moved(P[1].ctx, cid, (struct sockaddr *)&v6, now), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(ike_peer_moved(P[0].ctx, last_child_up(&P[0])->id,
				       (struct sockaddr *)&moved, now), -EPERM);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_PEER_MOVED), 0);
	stop();
}

/* ---- MOBIKE (RFC 4555) as a responder ---- */

/*
 * A sends UPDATE_SA_ADDRESSES (RFC 4555 3.5) as a MOBIKE initiator would
 * after moving to @ip:4500: NAT detection over the address it sends from,
 * COOKIE2 (3.7) and, with @no_nats, NO_NATS_ALLOWED (3.9). lib/ike has no
 * initiator side of its own (a gateway does not move), so the test builds
 * the request with A's keys. Left in the queue.
 */
static const uint8_t test_cookie2[16] = { 0xc2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static void
send_update(const char *ip, bool no_nats)
{
	struct ike_sa *a = first_sa(P[0].ctx);
	struct ike_pkts out = { .n = 0 };
	uint8_t h[IKE_NATD_LEN], nn[12];
	struct ike_txm t;
	struct ike_req *r;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	if (a == NULL)
		return;
	addr(&a->local, ip, 4500);
	ike_set_port(&a->remote, 4500);
	r = ike_req_alloc(a, IKE_REQ_INFO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->xchg = IKE_XCHG_INFORMATIONAL;
	rc = ike_txm_begin(&t, a, IKE_XCHG_INFORMATIONAL, false, r->msgid);
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL,
				    0);
	ike_natd_hash(a->spi_i, a->spi_r, &a->local, h);
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h,
				    sizeof(h));
	ike_natd_hash(a->spi_i, a->spi_r, &a->remote, h);
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0,
				    IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_COOKIE2, test_cookie2,
				    sizeof(test_cookie2));
	if (rc == 0 && no_nats) {
		memcpy(nn, &((struct sockaddr_in *)&a->local)->sin_addr, 4);
		memcpy(nn + 4, &((struct sockaddr_in *)&a->remote)->sin_addr, 4);
		memcpy(nn + 8, &((struct sockaddr_in *)&a->local)->sin_port, 2);
		memcpy(nn + 10, &((struct sockaddr_in *)&a->remote)->sin_port, 2);
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_NO_NATS_ALLOWED, nn,
				    sizeof(nn));
	}
	rc = ike_txm_finish(&t, rc, &out);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(ike_request_send(a, r, &out), 0);
}

/* Deliver the first queued datagram only. */
static struct dgram
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

/* Open B's response @d with A's keys; true if it carries notify @type
 * (COOKIE2: with the data A sent). */
static bool
resp_has(const struct dgram *d, uint16_t type)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t plain[4096];
	size_t plain_len = 0;
	const struct ike_notify *n;
	bool ok = false;

	if (m == NULL || ike_msg_parse(d->buf, d->len, m) < 0 || !(m->hdr.flags & IKE_FLAG_R) ||
	    ike_sk_open(ike_sa_keys_in(first_sa(P[0].ctx)), d->buf, d->len, m->sk.body_off, plain,
			sizeof(plain), &plain_len) < 0 ||
	    ike_msg_parse_inner_raw(m, m->sk.next, plain, plain_len) < 0)
		goto out;
	n = ike_msg_notify(m, type);
	ok = n != NULL && (type != IKE_N_COOKIE2 || (n->data.len == sizeof(test_cookie2) &&
						       memcmp(n->data.p, test_cookie2,
							      sizeof(test_cookie2)) == 0));
out:
	free(m);
	return ok;
}

static const struct ev *
last_ev(const struct peer *p, uint8_t type)
{
	int i;

	for (i = (int)p->n_ev - 1; i >= 0; i--)
		if (p->ev[i].type == type)
			return &p->ev[i];
	return NULL;
}

/*
 * IKE_AUTH announces MOBIKE_SUPPORTED both ways; A moves to 10.0.0.9 and
 * sends UPDATE_SA_ADDRESSES from there: B moves the IKE SA and reports
 * IKE_EV_PEER_MOVED for the child (same SPIs: no rekey without a change of
 * encapsulation), answers at the new address with NAT detection and
 * COOKIE2 echoed. Then a forged update (bad ICV, new message ID) and a
 * replay of the authentic one from a third address move nothing.
 */
static void
test_mobike_update(void)
{
	struct ike_stats st;
	const struct ev *v;
	struct setup s;
	struct dgram upd, resp, x;
	uint64_t cid;
	unsigned n_up;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_TRUE(first_sa(P[0].ctx)->mobike);
	CU_ASSERT_TRUE(first_sa(P[1].ctx)->mobike);
	cid = last_child_up(&P[1])->id;
	n_up = count_ev(&P[1], IKE_EV_CHILD_UP);
	CU_ASSERT_FALSE(last_child_up(&P[1])->natt);

	send_update("10.0.0.9", false);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	upd = deliver_one();
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 1);
	v = last_ev(&P[1], IKE_EV_PEER_MOVED);
	CU_ASSERT_EQUAL(v->c.id, cid);
	CU_ASSERT_FALSE(v->c.natt);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&v->c.remote)->sin_addr.s_addr,
			inet_addr("10.0.0.9"));
	CU_ASSERT_TRUE(ike_addr_eq(&first_sa(P[1].ctx)->remote, &upd.from, true));
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->nat_remote);
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->nat_local);
	/* the response goes to the new address, with NAT_D and COOKIE2 */
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	resp = q[0];
	CU_ASSERT_TRUE(ike_addr_eq(&resp.to, &upd.from, true));
	CU_ASSERT_TRUE(resp_has(&resp, IKE_N_COOKIE2));
	CU_ASSERT_TRUE(resp_has(&resp, IKE_N_NAT_DETECTION_SOURCE_IP));
	CU_ASSERT_TRUE(resp_has(&resp, IKE_N_NAT_DETECTION_DESTINATION_IP));
	CU_ASSERT_FALSE(resp_has(&resp, IKE_N_UNACCEPTABLE_ADDRESSES));
	run();
	CU_ASSERT_FALSE(ike_req_pending_kind(first_sa(P[0].ctx), IKE_REQ_INFO));
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), n_up);	/* no rekey */
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.mobike_updates, 1);
	CU_ASSERT_EQUAL(st.mobike_refused, 0);

	/* the authentic update replayed from elsewhere: a duplicate, nothing moves */
	x = upd;
	addr(&x.from, "10.0.0.66", 4500);
	ike_input(P[1].ctx, x.buf, x.len, (struct sockaddr *)&x.from, (struct sockaddr *)&x.to,
		  now);
	qn = 0;
	/* a forged update (new message ID, ICV broken) from a third address */
	P[1].quiet = true;
	send_update("10.0.0.77", false);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	q[0].buf[q[0].len - 1] ^= 0x01;
	deliver_one();
	CU_ASSERT_EQUAL(qn, 0);				/* not answered */
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 1);
	CU_ASSERT_TRUE(ike_addr_eq(&first_sa(P[1].ctx)->remote, &upd.from, true));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.mobike_updates, 1);
	stop();
}

/*
 * The peer moves from a direct address to behind a NAT (its UPDATE's
 * NAT_DETECTION_SOURCE_IP does not match what B sees). The child had plain
 * ESP; the datapath cannot switch an installed SA to ESP-in-UDP, so B
 * moves it (event) and rekeys it: the new child is UDP-encapsulated to the
 * NAT's mapping and the old one goes down.
 */
static void
test_mobike_behind_nat(void)
{
	const struct ike_child_sa *c;
	const struct ev *v;
	struct setup s;
	uint64_t cid;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	cid = last_child_up(&P[1])->id;
	CU_ASSERT_FALSE(last_child_up(&P[1])->natt);
	nat_on = true;
	send_update("10.0.0.1", false);
	deliver_one();
	CU_ASSERT_TRUE(first_sa(P[1].ctx)->nat_remote);
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->nat_local);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 1);
	v = last_ev(&P[1], IKE_EV_PEER_MOVED);
	CU_ASSERT_EQUAL(v->c.id, cid);
	CU_ASSERT_EQUAL(ike_port(&v->c.remote), 3501);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 2);
	c = last_child_up(&P[1]);
	CU_ASSERT_EQUAL(c->rekey_of, cid);
	CU_ASSERT_TRUE(c->natt);
	CU_ASSERT_EQUAL(ike_port(&c->remote), 3501);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&c->remote)->sin_addr.s_addr,
			inet_addr("192.0.2.7"));
	advance(3000);
	CU_ASSERT_EQUAL(live_children(&P[1]), 1);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
	stop();
}

/*
 * Refusals. NO_NATS_ALLOWED (3.9) through a NAT: UNEXPECTED_NAT_DETECTED,
 * answered at the source, nothing moves; the same for a move to IPv6
 * (UNACCEPTABLE_ADDRESSES). With mobike: false on B, MOBIKE is
 * not negotiated and the notify is only counted (the IKE SA still follows
 * the authenticated message as RFC 7296 2.23 says).
 */
static void
test_mobike_refused(void)
{
	struct ike_stats st;
	struct sockaddr_storage before;
	struct setup s;
	struct dgram upd;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	before = first_sa(P[1].ctx)->remote;
	nat_on = true;
	send_update("10.0.0.1", true);
	nat_on = false;		/* B's answer is seen as sent (not translated back) */
	upd = deliver_one();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 0);
	CU_ASSERT_TRUE(ike_addr_eq(&first_sa(P[1].ctx)->remote, &before, true));
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->nat_remote);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	CU_ASSERT_TRUE(ike_addr_eq(&q[0].to, &upd.from, true));
	CU_ASSERT_TRUE(resp_has(&q[0], IKE_N_UNEXPECTED_NAT_DETECTED));
	CU_ASSERT_TRUE(resp_has(&q[0], IKE_N_COOKIE2));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.mobike_updates, 0);
	CU_ASSERT_EQUAL(st.mobike_refused, 1);
	stop();

	/* an authentic update from another address family: the datapath cannot
	 * follow, UNACCEPTABLE_ADDRESSES */
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	before = first_sa(P[1].ctx)->remote;
	send_update("10.0.0.9", false);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	addr6(&q[0].from, "2001:db8::9", 4500);
	upd = deliver_one();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_PEER_MOVED), 0);
	CU_ASSERT_TRUE(ike_addr_eq(&first_sa(P[1].ctx)->remote, &before, true));
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	CU_ASSERT_TRUE(ike_addr_eq(&q[0].to, &upd.from, true));
	CU_ASSERT_TRUE(resp_has(&q[0], IKE_N_UNACCEPTABLE_ADDRESSES));
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.mobike_refused, 1);
	stop();

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.b.no_mobike = true;
	establish(&s);
	CU_ASSERT_FALSE(first_sa(P[0].ctx)->mobike);
	CU_ASSERT_FALSE(first_sa(P[1].ctx)->mobike);
	send_update("10.0.0.9", false);
	run();
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.mobike_updates, 0);
	CU_ASSERT_EQUAL(st.mobike_refused, 1);
	CU_ASSERT_FALSE(ike_req_pending_kind(first_sa(P[0].ctx), IKE_REQ_INFO));
	stop();
}

/* Job interface on B: IKE_SA_INIT DH, IKE_AUTH certificate verification and
 * signature run as jobs on another thread and resume through ike_job_done.
 * A retransmitted IKE_SA_INIT while the DH job waits is dropped. */
static void
test_jobs(void)
{
	struct setup s;

	use_jobs = true;
	jobs_run = 0;
	full_handshake("aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	CU_ASSERT_EQUAL(jobs_run, 1);
	cert_auth(false);
	CU_ASSERT_TRUE(jobs_run >= 1 + 3);	/* DH, verify, sign (+ failing case) */

	/* IKE_SA_INIT twice while the job waits: one answer only */
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start(&s);
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	q[1] = q[0];
	qn = 2;
	{
		unsigned k;

		for (k = 0; k < 2; k++) {
			struct dgram d = q[0];

			memmove(&q[0], &q[1], sizeof(q[0]));
			qn--;
			ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
				  (struct sockaddr *)&d.to, now);
		}
	}
	CU_ASSERT_EQUAL(qn, 0);
	CU_ASSERT_EQUAL(n_jobs, 1);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_latest_pair();
	stop();

	/* the SA goes away while its job runs: the job is released */
	start(&s);
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	{
		struct dgram d = q[0];

		qn = 0;
		ike_input(P[1].ctx, d.buf, d.len, (struct sockaddr *)&d.from,
			  (struct sockaddr *)&d.to, now);
	}
	CU_ASSERT_EQUAL(n_jobs, 1);
	ike_shutdown(P[1].ctx, now);
	pump_jobs(P[1].ctx, now);
	CU_ASSERT_EQUAL(qn, 0);
	stop();
	use_jobs = false;
}

/* Narrowing (RFC 7296 2.9) on plain ranges */
static void
test_ts_narrow(void)
{
	struct ike_ts prop[2], conf[1], out[4];
	unsigned n;

	ts_net(&prop[0], "0.0.0.0", "255.255.255.255");
	ts_net(&prop[1], "10.5.0.0", "10.5.0.255");
	ts_net(&conf[0], "10.5.0.128", "10.6.0.0");
	n = ike_ts_narrow(prop, 2, conf, 1, out, 4);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(memcmp(out[0].saddr, conf[0].saddr, 4), 0);
	CU_ASSERT_EQUAL(memcmp(out[1].eaddr, prop[1].eaddr, 4), 0);
	prop[0].proto = 6;
	conf[0].proto = 17;
	CU_ASSERT_EQUAL(ike_ts_narrow(prop, 1, conf, 1, out, 4), 0);
}

/* Pool: leases per identity, reuse, exhaustion, release */
static void
test_pool(void)
{
	struct ike_pool_cfg pc = { .af = 4, .size = 2 };
	struct ike_id a = { .type = IKE_ID_FQDN, .len = 1, .data = "a" };
	struct ike_id b = { .type = IKE_ID_FQDN, .len = 1, .data = "b" };
	struct ike_id c = { .type = IKE_ID_FQDN, .len = 1, .data = "c" };
	struct ike_lease *la, *la2, *lb, *lc;
	struct ike_pool *p;
	uint8_t af, ad[16];

	inet_pton(AF_INET, "10.0.0.255", pc.first);
	p = ike_pool_create(&pc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(ike_pool_acquire(p, &a, &la), 0);
	CU_ASSERT_EQUAL(ike_pool_acquire(p, &a, &la2), 0);
	CU_ASSERT_PTR_EQUAL(la, la2);
	CU_ASSERT_EQUAL(ike_pool_acquire(p, &b, &lb), 0);
	ike_lease_addr(lb, &af, ad);
	CU_ASSERT_EQUAL(ad[2], 1);	/* 10.0.0.255 + 1 carries */
	CU_ASSERT_EQUAL(ad[3], 0);
	CU_ASSERT_EQUAL(ike_pool_acquire(p, &c, &lc), -ENOSPC);
	ike_lease_put(la);
	ike_lease_put(la2);
	CU_ASSERT_EQUAL(ike_pool_acquire(p, &c, &lc), 0);
	ike_pool_destroy(p);		/* leases keep it alive */
	ike_lease_put(lb);
	ike_lease_put(lc);
}

/* ---- hostile peers: cookies, retransmit amplification, memory caps ---- */

/* Take the datagram A just queued (an IKE_SA_INIT request); empty the queue. */
static struct dgram
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
static unsigned
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
static void
test_cookie_forgery(void)
{
	struct setup s;
	struct ike_stats st;
	struct dgram r1, r2, r3, x;
	uint8_t ck[IKE_COOKIE_LEN], c2[IKE_COOKIE_LEN], c3[IKE_COOKIE_LEN];

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.cookie_threshold = 1;
	s.half_open_max = 100;
	start(&s);
	P[0].quiet = P[1].quiet = true;
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
static void
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

/* Bring up @n IKE SAs to the point where B has answered IKE_SA_INIT and A's
 * IKE_AUTH is lost: B holds @n half-open SAs with keys. */
static void
half_open_with_keys(unsigned n)
{
	unsigned i;

	drop_fn = drop_auth_from_a;
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	drop_fn = NULL;
}

/* Memory caps, reassembly: fragments of an IKE_AUTH (Message ID 1) sealed
 * under a half-open SA's keys. With frag_preauth_max 4000, four 1000-byte
 * fragments fit and the fifth drops the set (counted, memory back to 0).
 * After IKE_AUTH the per-SA cap no longer applies, only the global budget:
 * with frag_mem_max 2500 and two half-open SAs, the first SA's two
 * fragments fit and the second SA's first fragment is refused. */
static void
test_frag_caps(void)
{
	struct setup s;
	struct ike_stats st;
	struct ike_sa *a, *a2;
	struct dgram d;
	uint16_t i;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.frag_preauth_max = 4000;
	start(&s);
	P[0].quiet = P[1].quiet = true;
	half_open_with_keys(1);
	a = first_sa(P[0].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
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
	start(&s);
	P[0].quiet = P[1].quiet = true;
	half_open_with_keys(2);
	a = first_sa(P[0].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
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
static void
test_half_open_per_src(void)
{
	struct setup s;
	struct ike_stats st;
	struct dgram d;
	unsigned i;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.half_open_per_src = 2;
	start(&s);
	P[0].quiet = P[1].quiet = true;
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
static void
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
static void
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
static void
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
static void
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
static void
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

/* ---- REDIRECT (RFC 5685) ---- */

/* A hand-made IKE_SA_INIT request from 10.0.0.1 to B, with a real ecp256 KE
 * and the notify @ntype (0: none); B's answers are left in q. */
static void
redirect_req(uint64_t spi_i, uint16_t ntype, const uint8_t nonce[32])
{
	struct ike_hdr h = { .spi_i = spi_i, .exchange = IKE_XCHG_SA_INIT, .flags = IKE_FLAG_I };
	struct ike_proposal prop;
	struct ike_bld bl;
	struct ike_dh *dh = NULL;
	struct sockaddr_storage fa, fb;
	uint8_t buf[1024], pub[IKE_DH_MAX_LEN], gw[6] = { IKE_GW_ID_IPV4, 4, 10, 0, 0, 9 };
	char err[64];
	size_t len, pub_len;

	addr(&fa, "10.0.0.1", 500);
	addr(&fb, "10.0.0.2", 500);
	CU_ASSERT_EQUAL_FATAL(ike_prop_parse("aes128gcm16-prfsha256-ecp256", IKE_PROTO_IKE, &prop,
					     err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(ike_dh_create(19, &dh), 0);
	CU_ASSERT_EQUAL_FATAL(ike_dh_pub(dh, pub, sizeof(pub), &pub_len), 0);
	ike_dh_destroy(dh);
	ike_bld_init(&bl, buf, sizeof(buf), &h);
	ike_bld_sa(&bl, &prop, 1);
	ike_bld_ke(&bl, 19, pub, pub_len);
	ike_bld_nonce(&bl, nonce, 32);
	if (ntype != 0)
		ike_bld_notify(&bl, IKE_PROTO_NONE, NULL, 0, ntype,
			       ntype == IKE_N_REDIRECTED_FROM ? gw : NULL,
			       ntype == IKE_N_REDIRECTED_FROM ? sizeof(gw) : 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&bl, &len), 0);
	qn = 0;
	ike_input(P[1].ctx, buf, len, (struct sockaddr *)&fa, (struct sockaddr *)&fb, now);
}

/* B's single answer q[0] parsed into *m (caller frees). */
static struct ike_msg *
redirect_answer(void)
{
	struct ike_msg *m = calloc(1, sizeof(*m));

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(qn, 1);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(q[0].buf, q[0].len, m), 0);
	return m;
}

/* Redirect in IKE_SA_INIT (RFC 5685 4.2): a peer that announces
 * REDIRECT_SUPPORTED gets HDR(SPIi, 0), N(REDIRECT, GW identity, Ni) and no
 * state; one that does not, or that arrives with REDIRECTED_FROM, is served. */
static void
test_redirect_init(void)
{
	static const uint8_t want4[] = { IKE_GW_ID_IPV4, 4, 192, 0, 2, 50 };
	struct setup s;
	struct ike_stats st;
	const struct ike_notify *n;
	struct ike_msg *m;
	uint8_t nonce[32];

	memset(nonce, 0xa5, sizeof(nonce));
	nonce[0] = 0x11;
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.redirect_to, sizeof(s.b.redirect_to), "%s", "192.0.2.50");
	start(&s);
	redirect_req(0x1122334455667788ULL, IKE_N_REDIRECT_SUPPORTED, nonce);
	m = redirect_answer();
	CU_ASSERT_EQUAL(m->hdr.spi_i, 0x1122334455667788ULL);
	CU_ASSERT_EQUAL(m->hdr.spi_r, 0);
	CU_ASSERT_EQUAL(m->hdr.exchange, IKE_XCHG_SA_INIT);
	CU_ASSERT_FALSE(m->has_sa);
	CU_ASSERT_FALSE(m->has_ke);
	n = ike_msg_notify(m, IKE_N_REDIRECT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL_FATAL(n->data.len, sizeof(want4) + sizeof(nonce));
	CU_ASSERT_EQUAL(memcmp(n->data.p, want4, sizeof(want4)), 0);
	CU_ASSERT_EQUAL(memcmp(n->data.p + sizeof(want4), nonce, sizeof(nonce)), 0);
	free(m);
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 1);
	CU_ASSERT_EQUAL(st.half_open, 0);

	/* without REDIRECT_SUPPORTED: a normal answer, a half-open SA */
	redirect_req(0x2222334455667788ULL, 0, nonce);
	m = redirect_answer();
	CU_ASSERT_PTR_NULL(ike_msg_notify(m, IKE_N_REDIRECT));
	CU_ASSERT_TRUE(m->has_sa);
	CU_ASSERT_NOT_EQUAL(m->hdr.spi_r, 0);
	free(m);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);

	/* REDIRECTED_FROM: redirected once already, served here */
	redirect_req(0x3322334455667788ULL, IKE_N_REDIRECTED_FROM, nonce);
	m = redirect_answer();
	CU_ASSERT_PTR_NULL(ike_msg_notify(m, IKE_N_REDIRECT));
	CU_ASSERT_TRUE(m->has_sa);
	free(m);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 1);
	stop();

	stop();
}

/* As initiator (RFC 5685 4.2, 4.3): A announces REDIRECT_SUPPORTED, follows
 * B's REDIRECT from 10.0.0.2 to 10.0.0.3 (B's second connection) with a new
 * IKE_SA_INIT carrying REDIRECTED_FROM 10.0.0.2, which B serves. A REDIRECT
 * whose Nonce Data is not A's Ni is ignored. */

/* Keeps the last IKE_SA_INIT request peer A sent (exchange type 34, Message
 * ID 0, Response bit clear). */
static struct dgram last_init_req;

static bool
capture_init_req_a(int src, const struct dgram *d)
{
	if (src == 0 && d->len >= 28 && d->buf[18] == 34 && (d->buf[19] & 0x20) == 0)
		last_init_req = *d;
	return false;
}

static void
test_redirect_follow(void)
{
	static const uint8_t from2[] = { IKE_GW_ID_IPV4, 4, 10, 0, 0, 2 };
	struct setup s;
	struct ike_stats st;
	struct ike_sa *sa, *sb;
	struct ike_msg *m;
	const struct ike_notify *n;
	char buf[64];

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.redirect_to, sizeof(s.b.redirect_to), "%s", "10.0.0.3");
	conn_base(&s.b2, false, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b2.name, sizeof(s.b2.name), "%s", "rw2");
	addr(&s.b2.local, "10.0.0.3", 500);
	s.has_b2 = true;

	/* a forged REDIRECT (last nonce byte changed) is ignored */
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	{
		struct dgram d = take_a();

		CU_ASSERT_EQUAL_FATAL(to_b(&d), 1);
	}
	q[0].buf[q[0].len - 1] ^= 1;
	run();
	sa = first_sa(P[0].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(sa->state, IKE_ST_INIT_SENT);
	CU_ASSERT_EQUAL(sa->redirects, 0);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.rx_invalid, 1);
	stop();

	start(&s);
	drop_fn = capture_init_req_a;
	last_init_req.len = 0;
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	drop_fn = NULL;
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_latest_pair();
	sa = first_sa(P[0].ctx);
	sb = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	CU_ASSERT_EQUAL(sa->redirects, 1);
	CU_ASSERT_STRING_EQUAL(ike_addr_str(&sa->remote, buf, sizeof(buf)), "10.0.0.3:500");
	CU_ASSERT_STRING_EQUAL(sb->conn->cfg.name, "rw2");
	CU_ASSERT_TRUE(sb->peer_redirect);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 1);
	m = calloc(1, sizeof(*m));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* the IKE_SA_INIT request A sent to the second gateway (B frees its
	 * stored copy once the SA is established) */
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(last_init_req.buf, last_init_req.len, m), 0);
	n = ike_msg_notify(m, IKE_N_REDIRECTED_FROM);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->data.len, sizeof(from2));
	CU_ASSERT_EQUAL(memcmp(n->data.p, from2, sizeof(from2)), 0);
	CU_ASSERT_PTR_NULL(ike_msg_notify(m, IKE_N_REDIRECT_SUPPORTED));
	free(m);
	stop();
}

/* The threshold: redirect once the connection holds redirect_tunnels SAs. */
static void
test_redirect_threshold(void)
{
	struct setup s;
	struct ike_msg *m;
	uint8_t nonce[32];

	memset(nonce, 0x5a, sizeof(nonce));
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.redirect_to, sizeof(s.b.redirect_to), "%s", "vpn2.example.org");
	s.b.redirect_tunnels = 1;
	start(&s);
	redirect_req(0x1000000000000001ULL, IKE_N_REDIRECT_SUPPORTED, nonce);
	m = redirect_answer();
	CU_ASSERT_PTR_NULL(ike_msg_notify(m, IKE_N_REDIRECT));
	CU_ASSERT_TRUE(m->has_sa);
	free(m);
	redirect_req(0x1000000000000002ULL, IKE_N_REDIRECT_SUPPORTED, nonce);
	m = redirect_answer();
	{
		const struct ike_notify *n = ike_msg_notify(m, IKE_N_REDIRECT);
		static const char fq[] = "vpn2.example.org";

		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_EQUAL_FATAL(n->data.len, 2 + strlen(fq) + sizeof(nonce));
		CU_ASSERT_EQUAL(n->data.p[0], IKE_GW_ID_FQDN);
		CU_ASSERT_EQUAL(n->data.p[1], strlen(fq));
		CU_ASSERT_EQUAL(memcmp(n->data.p + 2, fq, strlen(fq)), 0);
		CU_ASSERT_EQUAL(memcmp(n->data.p + 2 + strlen(fq), nonce, sizeof(nonce)), 0);
	}
	free(m);
	CU_ASSERT_EQUAL(P[1].ctx->n_sas, 1);
	stop();
}

static void
test_redirect_gw_id(void)
{
	uint8_t out[300];
	size_t len = 0;
	char big[300];

	CU_ASSERT_EQUAL(ike_gw_id_encode("2001:db8::7", out, sizeof(out), &len), 0);
	CU_ASSERT_EQUAL(len, 18);
	CU_ASSERT_EQUAL(out[0], IKE_GW_ID_IPV6);
	CU_ASSERT_EQUAL(out[1], 16);
	CU_ASSERT_EQUAL(out[17], 7);
	CU_ASSERT_EQUAL(ike_gw_id_encode("10.1.2.3", out, sizeof(out), &len), 0);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_EQUAL(ike_gw_id_encode("", out, sizeof(out), &len), -EINVAL);
	CU_ASSERT_EQUAL(ike_gw_id_encode("bad host", out, sizeof(out), &len), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[256] = '\0';
	CU_ASSERT_EQUAL(ike_gw_id_encode(big, out, sizeof(out), &len), -EINVAL);
}

/* Redirect of an established SA (RFC 5685 5): only when the peer announced
 * REDIRECT_SUPPORTED; an INFORMATIONAL request that the peer answers. */
static void
test_redirect_established(void)
{
	struct setup s;
	struct ike_stats st;
	struct ike_sa *sb;
	unsigned n = 9, before;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	sb = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	CU_ASSERT_TRUE(sb->peer_redirect);	/* A announced it */
	sb->peer_redirect = false;		/* as if it had not */
	CU_ASSERT_EQUAL(ike_redirect(P[1].ctx, sb->id, "192.0.2.50", now, &n), -EPERM);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(ike_redirect(P[1].ctx, 0, "192.0.2.50", now, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(qn, 0);
	CU_ASSERT_EQUAL(ike_redirect(P[1].ctx, sb->id + 1000, "192.0.2.50", now, &n), -ENOENT);
	CU_ASSERT_EQUAL(ike_redirect(P[1].ctx, sb->id, "no such host!", now, &n), -EINVAL);
	sb->peer_redirect = true;
	before = sent_count[0];
	CU_ASSERT_EQUAL(ike_redirect(P[1].ctx, 0, "gw2.example", now, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(qn, 1);
	run();
	CU_ASSERT_EQUAL(sent_count[0], before + 1);	/* A answered */
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 1);
	CU_ASSERT_EQUAL(st.retransmits, 0);
	stop();
}

/* ---- EAP in IKE_AUTH (RFC 7296 2.16) with fake back ends ---- */

/*
 * The fake method (EAP type 254, "expanded"-free test type): the server
 * asks with one Request carrying 4 challenge bytes; the peer answers with
 * the password; the server accepts when it matches. Both sides derive the
 * same 64-byte MSK from the challenge unless eap_peer_msk_bad.
 */
static const char *eap_peer_password = "sesame";
static bool eap_peer_msk_bad, eap_server_hold, eap_peer_hold;
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

			inet_pton(AF_INET, eap_server_vip, a);
			CU_ASSERT_EQUAL(ike_eap_set_vip(ctx, c->sa_id, 4, a), 0);
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

/* Answer queued EAP calls (server answers unless held) and deliver. */
static void
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

static void
eap_setup(struct setup *s)
{
	setup_default(s, "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
	s->a.auth = IKE_AUTHM_EAP;		/* A: EAP peer, checks B's PSK AUTH */
	s->b.remote_auth = IKE_AUTHM_EAP;	/* B: signs with its PSK, relays EAP */
	n_eap_calls = 0;
	eap_calls_total[0] = eap_calls_total[1] = 0;
	eap_peer_password = "sesame";
	eap_peer_msk_bad = false;
	eap_server_hold = false;
	eap_peer_hold = false;
	eap_server_vip = NULL;
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_EQUAL(eap_calls_total[1], 2);		/* Identity, then the answer */
	CU_ASSERT_EQUAL(eap_calls_total[0], 2);		/* Identity, challenge */
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_EQUAL_FATAL(n_eap_calls, 1);
	id = eap_calls[0].sa_id;
	ike_sa_kill(first_sa(P[1].ctx), "test");
	ike_sa_reap(P[1].ctx);
	CU_ASSERT_EQUAL(ike_eap_done(P[1].ctx, id, IKE_EAP_CONTINUE, (const uint8_t *)"\1\1\0\5\1",
				     5, NULL, 0, now), -ENOENT);
	n_eap_calls = 0;
	stop();
}

/* The back end assigns the virtual IP (RADIUS Framed-IP-Address): the
 * client gets it instead of a pool address, B's child is narrowed to it,
 * no pool lease is taken, and an IKE rekey keeps it. */
static void
test_eap_backend_vip(void)
{
	struct setup s;
	const struct ike_child_sa *b;
	uint8_t want[16] = { 0 };

	eap_setup(&s);
	eap_server_vip = "10.77.7.7";
	s.a.request_vip = true;
	ts_net(&s.a.local_ts[0], "0.0.0.0", "255.255.255.255");
	s.b.pool.af = 4;
	inet_pton(AF_INET, "10.99.0.10", s.b.pool.first);
	s.b.pool.size = 4;
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_EQUAL_FATAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	inet_pton(AF_INET, "10.77.7.7", want);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->vip_af, 4);
	CU_ASSERT_EQUAL(memcmp(first_sa(P[0].ctx)->vip, want, 4), 0);
	b = last_child_up(&P[1]);
	CU_ASSERT_EQUAL(b->n_remote_ts, 1);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].saddr, want, 4), 0);
	CU_ASSERT_EQUAL(memcmp(b->remote_ts[0].eaddr, want, 4), 0);
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
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(eap_calls_total[1], 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	stop();

	eap_setup(&s);
	eap_server_hold = true;
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
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

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	s = tu_suite("ike", NULL, NULL);
	CU_add_test(s, "state_table", test_state_table);
	CU_add_test(s, "eap_success", test_eap_success);
	CU_add_test(s, "eap_wrong_password", test_eap_wrong_password);
	CU_add_test(s, "eap_msk_mismatch", test_eap_msk_mismatch);
	CU_add_test(s, "eap_async_retransmit_and_gone", test_eap_async_retransmit_and_gone);
	CU_add_test(s, "eap_required_and_bad_backend", test_eap_required_and_bad_backend);
	CU_add_test(s, "eap_backend_vip", test_eap_backend_vip);
	CU_add_test(s, "eap_slow_rounds", test_eap_slow_rounds);
	CU_add_test(s, "ts_narrow", test_ts_narrow);
	CU_add_test(s, "pool", test_pool);
	CU_add_test(s, "psk_gcm256_ecp256", test_psk_gcm256_ecp256);
	CU_add_test(s, "psk_gcm128_x25519", test_psk_gcm128_x25519);
	CU_add_test(s, "psk_cbc_modp2048", test_psk_cbc_modp2048);
	CU_add_test(s, "psk_cbc_ecp384_gcm_ecp521", test_psk_cbc_ecp384_521);
	CU_add_test(s, "wrong_psk", test_wrong_psk);
	CU_add_test(s, "no_proposal", test_no_proposal);
	CU_add_test(s, "invalid_ke_retry", test_invalid_ke_retry);
	CU_add_test(s, "virtual_ip", test_virtual_ip);
	CU_add_test(s, "child_rekey_by_initiator", test_child_rekey_by_initiator);
	CU_add_test(s, "child_rekey_by_responder", test_child_rekey_by_responder);
	CU_add_test(s, "child_rekey_pfs", test_child_rekey_pfs);
	CU_add_test(s, "rekey_invalid_ke", test_rekey_invalid_ke);
	CU_add_test(s, "ike_rekey_by_initiator", test_ike_rekey_by_initiator);
	CU_add_test(s, "ike_rekey_by_responder", test_ike_rekey_by_responder);
	CU_add_test(s, "ike_rekey_keeps_prf", test_ike_rekey_keeps_prf);
	CU_add_test(s, "child_delete", test_child_delete);
	CU_add_test(s, "delete_collision", test_delete_collision);
	CU_add_test(s, "ts_unacceptable", test_ts_unacceptable);
	CU_add_test(s, "retransmit_give_up", test_retransmit_give_up);
	CU_add_test(s, "duplicate_request", test_duplicate_request);
	CU_add_test(s, "duplicate_init_response", test_duplicate_init_response);
	CU_add_test(s, "rekey_collision", test_rekey_collision);
	CU_add_test(s, "ike_rekey_collision", test_ike_rekey_collision);
	CU_add_test(s, "ike_rekey_collision_late", test_ike_rekey_collision_late);
	CU_add_test(s, "window_4", test_window);
	CU_add_test(s, "window_1", test_window_one);
	CU_add_test(s, "dpd", test_dpd);
	CU_add_test(s, "malformed", test_malformed);
	CU_add_test(s, "init_missing_ke", test_init_missing_ke);
	CU_add_test(s, "invalid_message_id", test_invalid_message_id);
	CU_add_test(s, "random_requests", test_random_requests);
	CU_add_test(s, "cookies", test_cookies);
	CU_add_test(s, "nat", test_nat);
	CU_add_test(s, "nat_rebind", test_nat_rebind);
	CU_add_test(s, "mobike_update", test_mobike_update);
	CU_add_test(s, "mobike_behind_nat", test_mobike_behind_nat);
	CU_add_test(s, "mobike_refused", test_mobike_refused);
	CU_add_test(s, "jobs", test_jobs);
	CU_add_test(s, "conn_by_identity", test_conn_by_identity);
	CU_add_test(s, "ipv6", test_ipv6);
	CU_add_test(s, "cert_ecdsa", test_cert_ecdsa);
	CU_add_test(s, "cert_chain", test_cert_chain);
	CU_add_test(s, "htab_model", test_htab_model);
	CU_add_test(s, "timer_heap_model", test_timer_heap_model);
	CU_add_test(s, "timers_many", test_timers_many);
	CU_add_test(s, "child_state_table", test_child_state_table);
	CU_add_test(s, "established_drops_init", test_established_drops_init);
	CU_add_test(s, "cert_rsa_fragmented", test_cert_rsa_fragmented);
	CU_add_test(s, "initial_contact", test_initial_contact);
	CU_add_test(s, "cookie_forgery", test_cookie_forgery);
	CU_add_test(s, "resend_only_original", test_resend_only_original);
	CU_add_test(s, "frag_caps", test_frag_caps);
	CU_add_test(s, "half_open_per_src", test_half_open_per_src);
	CU_add_test(s, "redirect_init", test_redirect_init);
	CU_add_test(s, "redirect_follow", test_redirect_follow);
	CU_add_test(s, "redirect_threshold", test_redirect_threshold);
	CU_add_test(s, "redirect_gw_id", test_redirect_gw_id);
	CU_add_test(s, "redirect_established", test_redirect_established);
	fails = tu_run();
	return fails == 0 ? 0 : 1;
}
