/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests: multiple authentication exchanges (RFC 4739) over
 * the shared harness (test_ike.h). The responder B requires a PSK round and
 * then an EAP round (remote_auth, remote_auth2); the initiator A does them
 * (auth, auth2) or not. Covers the success path (the child SA only after
 * the last round, the EAP identity naming the SA and its lease), and the
 * refusals: one round missing, one round too many, a responder that does
 * not announce MULTIPLE_AUTH_SUPPORTED, a failed or abandoned EAP round, and
 * crafted second rounds (AUTH instead of EAP, a third round, no IDi).
 *
 * The suite registers itself from a constructor: test_ike.c's main() runs
 * every suite in the registry (tu_run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "test_ike.h"
#include "test_main.h"

/* ---- a fake EAP method on both sides (queued calls, answered by pump) ---- */

struct ma_call {
	int peer;
	uint64_t sa_id;
	uint8_t msg[256];
	size_t len;
};
static struct ma_call calls[16];
static unsigned n_calls, calls_total[2];
static const char *peer_password;
static bool server_hold;

static int
ma_eap(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap, size_t len)
{
	struct peer *p = user;
	struct ma_call *c;

	(void)conn;
	calls_total[p->idx]++;
	if (n_calls >= 16 || len > sizeof(c->msg))
		return -EBUSY;
	c = &calls[n_calls++];
	c->peer = p->idx;
	c->sa_id = ike_sa_id;
	memcpy(c->msg, eap, len);
	c->len = len;
	return 0;
}

static void
msk_fill(uint8_t msk[64])
{
	unsigned i;

	for (i = 0; i < 64; i++)
		msk[i] = (uint8_t)(i * 5 + 3);
}

/* Identity "alice", then type 254 carrying the password; the server
 * accepts "sesame" and both sides derive the same MSK. */
static void
answer(const struct ma_call *c)
{
	struct ike_ctx *ctx = P[c->peer].ctx;
	uint8_t out[64], msk[64];
	size_t n;

	msk_fill(msk);
	if (c->peer == 0) {
		CU_ASSERT_EQUAL_FATAL(c->msg[0], 1);		/* EAP-Request */
		out[0] = 2;
		out[1] = c->msg[1];
		out[2] = 0;
		out[4] = c->msg[4];
		if (c->msg[4] == 1) {
			memcpy(out + 5, "alice", 5);
			n = 10;
			out[3] = (uint8_t)n;
			CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, n, NULL,
						     0, now), 0);
			return;
		}
		n = 5 + strlen(peer_password);
		memcpy(out + 5, peer_password, n - 5);
		out[3] = (uint8_t)n;
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, n, msk, 64, now),
				0);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(c->msg[0], 2);			/* EAP-Response */
	if (c->msg[4] == 1) {
		out[0] = 1;
		out[1] = (uint8_t)(c->msg[1] + 1);
		out[2] = 0;
		out[3] = 9;
		out[4] = 254;
		memcpy(out + 5, "chal", 4);
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_CONTINUE, out, 9, NULL, 0, now),
				0);
	} else if (c->len == 11 && memcmp(c->msg + 5, "sesame", 6) == 0) {
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_SUCCESS, NULL, 0, msk, 64, now),
				0);
	} else {
		CU_ASSERT_EQUAL(ike_eap_done(ctx, c->sa_id, IKE_EAP_FAILURE, NULL, 0, NULL, 0, now),
				0);
	}
}

static void
pump(void)
{
	unsigned guard;

	for (guard = 0; guard < 50; guard++) {
		unsigned i, kept = 0;
		bool any = false;

		run();
		for (i = 0; i < n_calls; i++) {
			struct ma_call c = calls[i];

			if (c.peer == 1 && server_hold) {
				calls[kept++] = c;
				continue;
			}
			any = true;
			answer(&c);
		}
		n_calls = kept;
		if (!any && qn == 0)
			break;
	}
}

/* A: PSK, then EAP (auth2). B: requires PSK, then EAP, leases from a pool. */
static void
ma_setup(struct setup *s)
{
	setup_default(s, "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
	s->a.auth2 = IKE_AUTHM_EAP;
	s->a.request_vip = true;
	ts_net(&s->a.local_ts[0], "0.0.0.0", "255.255.255.255");
	s->b.remote_auth2 = IKE_AUTHM_EAP;
	s->b.pool.af = 4;
	inet_pton(AF_INET, "10.99.0.1", s->b.pool.first);
	s->b.pool.size = 8;
	n_calls = 0;
	calls_total[0] = calls_total[1] = 0;
	peer_password = "sesame";
	server_hold = false;
}

static void
ma_start(const struct setup *s)
{
	start(s);
	P[0].ctx->ops.eap = ma_eap;
	P[1].ctx->ops.eap = ma_eap;
}

struct sa_seen {
	unsigned n;
	struct ike_sa_info i;
};

static int
cb_sa(void *arg, const struct ike_sa_info *i)
{
	struct sa_seen *k = arg;

	k->i = *i;
	k->n++;
	return 0;
}

/* IKE_SA_INIT (B: MULTIPLE_AUTH_SUPPORTED); IKE_AUTH 1: IDi, AUTH (PSK),
 * SA, TS, CP, ANOTHER_AUTH_FOLLOWS -> IDr, AUTH; 2: IDi' -> EAP-Request/
 * Identity; 3: Identity -> challenge; 4: answer -> EAP-Success; 5: AUTH
 * (MSK over IDi') -> AUTH, CP, SA, TS. No child until the last response. */
static void
test_multiauth_psk_then_eap(void)
{
	struct setup s;
	struct ike_stats st;
	struct sa_seen k = { 0 };
	struct ike_sa *b;

	ma_setup(&s);
	ma_start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	/* the EAP server keeps its answer: both rounds begun, no child yet */
	server_hold = true;
	pump();
	b = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(first_sa(P[0].ctx)->peer_multi_auth);
	CU_ASSERT_EQUAL(b->state, IKE_ST_INIT_RCVD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->eap);
	CU_ASSERT_EQUAL(b->eap->phase, IKE_EAP_PH_ACTIVE);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_PTR_NULL(b->lease);
	server_hold = false;
	pump();
	CU_ASSERT_EQUAL(calls_total[1], 2);		/* Identity, answer */
	CU_ASSERT_EQUAL(calls_total[0], 2);		/* Identity, challenge */
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 1);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 1);
	check_latest_pair();
	b = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(b->resp_low, 6);		/* IDs 0..5 answered */
	CU_ASSERT_PTR_NULL(b->eap);			/* MSK and kept request gone */
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx)->eap);
	/* the second round's (EAP) identity names the SA, the child and the lease */
	CU_ASSERT_EQUAL(b->remote_id.type, IKE_ID_KEY_ID);
	CU_ASSERT_EQUAL(b->remote_id.len, 5);
	CU_ASSERT_EQUAL(memcmp(b->remote_id.data, "alice", 5), 0);
	CU_ASSERT_EQUAL(last_child_up(&P[1])->remote_id.type, IKE_ID_KEY_ID);
	CU_ASSERT_PTR_NOT_NULL(b->lease);
	ike_foreach_sa(P[1].ctx, cb_sa, &k);
	CU_ASSERT_EQUAL(k.n, 1);
	CU_ASSERT_EQUAL(k.i.vip_af, 4);
	CU_ASSERT_EQUAL(k.i.remote_id.len, 5);
	/* A got the lease and narrowed to it */
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->vip_af, 4);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.eap_started, 1);
	CU_ASSERT_EQUAL(st.eap_success, 1);
	CU_ASSERT_EQUAL(st.auth_failed, 0);
	CU_ASSERT_EQUAL(st.auth_rounds_refused, 0);
	CU_ASSERT_EQUAL(st.pool_leases, 1);
	stop();
}

static void
expect_refused(unsigned rounds_refused, unsigned eap_calls_b)
{
	struct ike_stats st;

	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(calls_total[1], eap_calls_b);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
	CU_ASSERT_EQUAL(st.auth_rounds_refused, rounds_refused);
	CU_ASSERT_EQUAL(st.pool_leases, 0);
	CU_ASSERT_EQUAL(st.eap_success, 0);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.auth_failed, 1);
}

/* A does one round (a valid PSK AUTH, no ANOTHER_AUTH_FOLLOWS) where B
 * requires two: AUTHENTICATION_FAILED before any child or lease. */
static void
test_multiauth_one_round_refused(void)
{
	struct setup s;

	ma_setup(&s);
	s.a.auth2 = 0;
	ma_start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump();
	expect_refused(1, 0);
	stop();
}

/* A offers a second round where B's connection allows one (B announces
 * MULTIPLE_AUTH_SUPPORTED for its other connection): refused. */
static void
test_multiauth_extra_round_refused(void)
{
	struct setup s;

	ma_setup(&s);
	s.b.remote_auth2 = 0;
	s.has_b2 = true;
	s.b2 = s.b;
	snprintf(s.b2.name, sizeof(s.b2.name), "rw-two-rounds");
	s.b2.remote_id.type = IKE_ID_FQDN;
	s.b2.remote_id.len = 13;
	memcpy(s.b2.remote_id.data, "other.example", 13);
	s.b2.remote_auth2 = IKE_AUTHM_EAP;
	s.b2.pool.af = 0;
	ma_start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump();
	expect_refused(1, 0);
	stop();
}

/* B requires no second round anywhere, so it does not announce
 * MULTIPLE_AUTH_SUPPORTED: A, configured for two rounds, gives up before
 * IKE_AUTH (RFC 4739 3.2: ANOTHER_AUTH_FOLLOWS only to a peer that
 * announced support). */
static void
test_multiauth_not_announced(void)
{
	struct setup s;
	struct ike_stats st;

	ma_setup(&s);
	s.b.remote_auth2 = 0;
	ma_start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	advance(40000);			/* B's half-open SA times out */
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.pool_leases, 0);
	stop();
}

/* Round 1 passes, the EAP round fails (wrong password): EAP-Failure, no
 * child, no lease, counted on both sides. */
static void
test_multiauth_eap_round_fails(void)
{
	struct setup s;

	ma_setup(&s);
	peer_password = "wrong!";
	ma_start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump();
	expect_refused(0, 2);
	stop();
}

/* Round 1 answered, then A's IDi' never arrives (dropped every time): B
 * holds no child and no lease, and its half-open SA expires. */
static unsigned a_auth_seen;

static bool
drop_second_auth(int src, const struct dgram *d)
{
	/* A's IKE_AUTH requests: Message ID 1 is round 1, 2 opens round 2 */
	if (src != 0 || d->len < 28 || d->buf[18] != IKE_XCHG_AUTH)
		return false;
	a_auth_seen++;
	return d->buf[23] == 2;
}

static void
test_multiauth_round2_abandoned(void)
{
	struct setup s;
	struct ike_stats st;

	ma_setup(&s);
	ma_start(&s);
	a_auth_seen = 0;
	drop_fn = drop_second_auth;
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump();
	CU_ASSERT_TRUE(a_auth_seen >= 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->eap->phase, IKE_EAP_PH_NEXT_ID);
	advance(60000);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(calls_total[1], 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.pool_leases, 0);
	CU_ASSERT_EQUAL(st.eap_started, 0);
	stop();
}

/*
 * Round 1 answered; A's own IDi' is dropped and a crafted second-round
 * request with Message ID 2, sealed with A's keys, goes to B instead:
 * AUTH in the EAP round, a third round announced, no IDi. Each is refused
 * (AUTHENTICATION_FAILED, auth_rounds_refused), B holds no child and no
 * lease, and the EAP back end never heard of the peer.
 */
enum { BAD_AUTH, BAD_THIRD, BAD_NO_IDI };

static void
send_crafted_round2(int kind)
{
	struct ike_sa *a = first_sa(P[0].ctx);
	struct sockaddr_storage from, to;
	struct ike_pkts out = { .n = 0 };
	struct ike_txm t;
	struct ike_id id;
	uint8_t fake_auth[32];
	unsigned i;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	memset(fake_auth, 0x5a, sizeof(fake_auth));
	ike_id_local(a, &id);
	rc = ike_txm_begin(&t, a, IKE_XCHG_AUTH, false, 2);
	if (rc == 0 && kind != BAD_NO_IDI)
		rc = ike_bld_id(&t.b, IKE_PLD_IDI, &id);
	if (rc == 0 && kind == BAD_AUTH)
		rc = ike_bld_auth(&t.b, IKE_AUTH_PSK, fake_auth, sizeof(fake_auth));
	if (rc == 0 && kind == BAD_THIRD)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_ANOTHER_AUTH_FOLLOWS,
				    NULL, 0);
	if (rc == 0 && kind == BAD_NO_IDI)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL,
				    0);
	rc = ike_txm_finish(&t, rc, &out);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	addr(&from, "10.0.0.1", 500);
	addr(&to, "10.0.0.2", 500);
	for (i = 0; i < out.n; i++)
		ike_input(P[1].ctx, out.v[i].buf, out.v[i].len, (struct sockaddr *)&from,
			  (struct sockaddr *)&to, now);
	ike_pkts_free(&out);
}

static void
test_multiauth_bad_second_round(void)
{
	static const int kinds[] = { BAD_AUTH, BAD_THIRD, BAD_NO_IDI };
	unsigned k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct setup s;
		struct ike_stats st;

		ma_setup(&s);
		ma_start(&s);
		a_auth_seen = 0;
		drop_fn = drop_second_auth;
		CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
		pump();
		CU_ASSERT_PTR_NOT_NULL_FATAL(first_sa(P[1].ctx));
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->eap->phase, IKE_EAP_PH_NEXT_ID);
		send_crafted_round2(kinds[k]);
		pump();
		CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
		CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
		CU_ASSERT_EQUAL(calls_total[1], 0);
		ike_stats_get(P[1].ctx, &st);
		CU_ASSERT_EQUAL(st.auth_rounds_refused, 1);
		CU_ASSERT_EQUAL(st.auth_failed, 1);
		CU_ASSERT_EQUAL(st.pool_leases, 0);
		CU_ASSERT_EQUAL(st.eap_started, 0);
		stop();
	}
}

/* lib/ike refuses a connection whose second round is not EAP or whose
 * first one is. */
static void
test_multiauth_conn_checked(void)
{
	struct ike_conn_cfg c;
	struct ike_conn *conn = NULL;

	conn_base(&c, false, "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
	c.remote_auth2 = IKE_AUTHM_PSK;
	CU_ASSERT_EQUAL(ike_conn_load(&c, &conn), -EINVAL);
	c.remote_auth = IKE_AUTHM_EAP;
	c.remote_auth2 = IKE_AUTHM_EAP;
	CU_ASSERT_EQUAL(ike_conn_load(&c, &conn), -EINVAL);
	c.remote_auth = IKE_AUTHM_PSK;
	c.auth2 = IKE_AUTHM_PUBKEY;
	CU_ASSERT_EQUAL(ike_conn_load(&c, &conn), -EINVAL);
	c.auth2 = IKE_AUTHM_EAP;
	CU_ASSERT_EQUAL_FATAL(ike_conn_load(&c, &conn), 0);
	ike_conn_put(conn);
}

static const struct tu_test multiauth_tests[] = {
	{ "multiauth_psk_then_eap", test_multiauth_psk_then_eap },
	{ "multiauth_one_round_refused", test_multiauth_one_round_refused },
	{ "multiauth_extra_round_refused", test_multiauth_extra_round_refused },
	{ "multiauth_not_announced", test_multiauth_not_announced },
	{ "multiauth_eap_round_fails", test_multiauth_eap_round_fails },
	{ "multiauth_round2_abandoned", test_multiauth_round2_abandoned },
	{ "multiauth_bad_second_round", test_multiauth_bad_second_round },
	{ "multiauth_conn_checked", test_multiauth_conn_checked },
};

__attribute__((constructor)) static void
register_multiauth(void)
{
	tu_suite_tab("ike_multiauth", NULL, NULL, multiauth_tests, TU_N(multiauth_tests));
}
