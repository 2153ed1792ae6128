/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests: multiple authentication exchanges (RFC 4739) over
 * the shared harness and its fake EAP method (test_ike.h). The responder B
 * requires a PSK round and then an EAP round (remote_auth, remote_auth2);
 * the initiator A does them (auth, auth2) or not. Covers the success path (the child SA only after
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

/* B's counters (-1: not checked). */
static void
b_stats(int eap_started, int eap_success, int auth_failed, int rounds_refused, int leases)
{
	const int want[] = { eap_started, eap_success, auth_failed, rounds_refused, leases };
	struct ike_stats st;
	uint64_t got[5];
	unsigned i;

	ike_stats_get(P[1].ctx, &st);
	got[0] = st.eap_started;
	got[1] = st.eap_success;
	got[2] = st.auth_failed;
	got[3] = st.auth_rounds_refused;
	got[4] = st.pool_leases;
	for (i = 0; i < 5; i++)
		if (want[i] >= 0)
			CU_ASSERT_EQUAL(got[i], (uint64_t)want[i]);
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
	eap_fake_reset();
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
	struct sa_seen k = { 0 };
	struct ike_sa *b;

	ma_setup(&s);
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	/* the EAP server keeps its answer: both rounds begun, no child yet */
	eap_server_hold = true;
	pump_eap();
	b = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(first_sa(P[0].ctx)->peer_multi_auth);
	CU_ASSERT_EQUAL(b->state, IKE_ST_INIT_RCVD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->eap);
	CU_ASSERT_EQUAL(b->eap->phase, IKE_EAP_PH_ACTIVE);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	CU_ASSERT_PTR_NULL(b->lease);
	eap_server_hold = false;
	pump_eap();
	CU_ASSERT_EQUAL(eap_calls_total[1], 2);		/* Identity, answer */
	CU_ASSERT_EQUAL(eap_calls_total[0], 2);		/* Identity, challenge */
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 1);
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
	b_stats(1, 1, 0, 0, 1);
	stop();
}

static void
expect_refused(unsigned rounds_refused, unsigned eap_calls_b)
{
	struct ike_stats st;

	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(eap_calls_total[1], eap_calls_b);
	b_stats(-1, 0, 1, (int)rounds_refused, 0);
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
	eap_begin(&s);
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
	setup_b2(&s, "rw-two-rounds", "other.example");
	s.b2.remote_auth2 = IKE_AUTHM_EAP;
	s.b2.pool.af = 0;
	eap_begin(&s);
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
	eap_begin(&s);
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
	eap_peer_password = "wrong!";
	eap_begin(&s);
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

/* Round 1 answered, A's IDi' dropped: B waits for the second round. */
static void
begin_round2_dropped(void)
{
	struct setup s;

	ma_setup(&s);
	start(&s);
	a_auth_seen = 0;
	drop_fn = drop_second_auth;
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	pump_eap();
	CU_ASSERT_PTR_NOT_NULL_FATAL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->eap->phase, IKE_EAP_PH_NEXT_ID);
}

static void
test_multiauth_round2_abandoned(void)
{
	begin_round2_dropped();
	CU_ASSERT_TRUE(a_auth_seen >= 2);
	advance(60000);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(eap_calls_total[1], 0);
	b_stats(0, -1, -1, -1, 0);
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
		begin_round2_dropped();
		send_crafted_round2(kinds[k]);
		pump_eap();
		CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
		CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_CHILD_UP), 0);
		CU_ASSERT_EQUAL(eap_calls_total[1], 0);
		b_stats(0, -1, 1, 1, 0);
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
