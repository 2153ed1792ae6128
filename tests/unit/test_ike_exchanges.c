/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests (harness: test_ike.h): IKE_SA_INIT + IKE_AUTH with PSK,
 * rekeys, deletes, collisions, retransmits, windows, DPD, malformed and
 * random requests, cookies, INITIAL_CONTACT.
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

/* ---- IKE_SA_INIT + IKE_AUTH with PSK ---- */

void
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
	CHECK_EV_BOTH(IKE_EV_IKE_DOWN, 1);
	CHECK_EV_BOTH(IKE_EV_CHILD_DOWN, 1);
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	stop();
}

void
test_psk_gcm256_ecp256(void)
{
	full_handshake("aes256gcm16-prfsha256-ecp256", "aes256gcm16");
}

void
test_psk_gcm128_x25519(void)
{
	full_handshake("aes128gcm16-prfsha384-curve25519", "aes128gcm16-esn");
}

void
test_psk_cbc_modp2048(void)
{
	full_handshake("aes256-sha256-modp2048", "aes128-sha256");
}

void
test_psk_cbc_ecp384_521(void)
{
	full_handshake("aes128-sha384-prfsha384-ecp384", "aes256-sha512");
	full_handshake("aes256gcm16-prfsha512-ecp521", "aes256gcm16");
}

/* A initiates @s quietly: no IKE SA comes up, both sides count the refusal
 * in the struct ike_stats counter at @off, no SA is left on either. */
static void
expect_refused(const struct setup *s, size_t off)
{
	struct ike_stats st;
	int i;

	start_quiet_run(s);
	for (i = 1; i >= 0; i--) {
		ike_stats_get(P[i].ctx, &st);
		CU_ASSERT_EQUAL(*(const uint64_t *)((const char *)&st + off), 1);
		CU_ASSERT_PTR_NULL(first_sa(P[i].ctx));
	}
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 0);
	stop();
}

/* IKE_AUTH with the wrong PSK: AUTHENTICATION_FAILED, both SAs gone */
void
test_wrong_psk(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.b.psk[0] = 'X';
	expect_refused(&s, offsetof(struct ike_stats, auth_failed));
}

/* IKE_SA_INIT without a common proposal: NO_PROPOSAL_CHOSEN */
void
test_no_proposal(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.ike_proposals[0], 128, "aes256-sha512-modp2048");
	expect_refused(&s, offsetof(struct ike_stats, no_proposal));
}

/* IKE_SA_INIT: A sends KE for ecp256, B wants ecp384: INVALID_KE_PAYLOAD, retry */
void
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
void
test_virtual_ip(void)
{
	struct setup s;
	uint8_t want[4];

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	s.a.request_vip = true;
	ts_net(&s.a.local_ts[0], "0.0.0.0", "255.255.255.255");
	pool_set(&s.b, "10.99.0.10", 4);
	s.b.pool.n_dns = 1;
	s.b.pool.dns_af[0] = 4;
	inet_pton(AF_INET, "10.99.0.1", s.b.pool.dns[0]);
	establish(&s);
	/* A holds the lease, B's child: remote TS narrowed to it */
	check_vip("10.99.0.10", want);
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
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 2);
	CHECK_EV_BOTH(IKE_EV_CHILD_DOWN, 1);
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
	CHECK_LIVE_CHILDREN(1);
	stop();
}

void
test_child_rekey_by_initiator(void)
{
	child_rekey(0, "aes128gcm16");
}

void
test_child_rekey_by_responder(void)
{
	child_rekey(1, "aes128gcm16");
}

void
test_child_rekey_pfs(void)
{
	child_rekey(0, "aes256gcm16-ecp256");
	child_rekey(1, "aes128-sha256-modp2048");
}

/* CREATE_CHILD_SA with PFS: A's KE is ecp256, B only takes ecp384:
 * INVALID_KE_PAYLOAD, A repeats the rekey with ecp384 at once. The same for
 * an IKE rekey. */
void
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
	CHECK_LIVE_CHILDREN(1);
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
/* The IKE_DOWN of @sa_id: its successor, or ~0 when there is none. */
static uint64_t
down_successor(const struct peer *p, uint64_t sa_id)
{
	unsigned i;

	for (i = 0; i < p->n_ev; i++)
		if (p->ev[i].type == IKE_EV_IKE_DOWN && p->ev[i].ike_sa_id == sa_id)
			return p->ev[i].successor_id;
	return ~0ull;
}

static void
ike_rekey(int who)
{
	struct setup s;
	struct ike_sa *a, *b;
	uint64_t old_a, old_b, new_a, new_b;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	old_a = first_sa_id(P[0].ctx);
	old_b = first_sa_id(P[1].ctx);
	CU_ASSERT_EQUAL(ike_rekey_ike(P[who].ctx, first_sa_id(P[who].ctx), now), 0);
	run();
	a = first_sa(P[0].ctx);
	b = first_sa(P[1].ctx);
	check_ike_pair(a, b);
	CU_ASSERT_PTR_NULL(a->next != NULL && a->next->state != IKE_ST_DEAD ? a->next : NULL);
	CU_ASSERT_NOT_EQUAL(a->id, old_a);
	CU_ASSERT_NOT_EQUAL(b->id, old_b);
	CU_ASSERT_EQUAL(a->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(a->n_children, 1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_DOWN), 0);
	/* the old SA's IKE_DOWN names the SA that took its children over (a
	 * user's RADIUS accounting session follows it) */
	CU_ASSERT_EQUAL(down_successor(&P[0], old_a), a->id);
	CU_ASSERT_EQUAL(down_successor(&P[1], old_b), b->id);
	new_a = a->id;
	new_b = b->id;
	CU_ASSERT_EQUAL(ike_rekey_child(P[0].ctx, last_child_up(&P[0])->id, now), 0);
	run();
	check_latest_pair();
	CU_ASSERT_EQUAL(live_children(&P[0]), 1);
	CU_ASSERT_EQUAL(ike_terminate_ike(P[1 - who].ctx, first_sa_id(P[1 - who].ctx), now), 0);
	run();
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CHECK_LIVE_CHILDREN(0);
	CU_ASSERT_EQUAL(down_successor(&P[0], new_a), 0);
	CU_ASSERT_EQUAL(down_successor(&P[1], new_b), 0);
	stop();
}

/* IKE rekey between peers that prefer different PRFs: B prefers SHA-384,
 * A SHA-256, the IKE SA has SHA-384. The rekey offers the current algorithms
 * first and the responder keeps them when offered, so the PRF does not
 * change (a PRF change has two readings of RFC 7296 2.18; see rekey_keys).
 * The new SA then carries a child rekey and a Delete. */
void
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

void
test_ike_rekey_by_initiator(void)
{
	ike_rekey(0);
}

void
test_ike_rekey_by_responder(void)
{
	ike_rekey(1);
}

/* INFORMATIONAL Delete of a child by each side (hard expiry) */
void
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
		CHECK_LIVE_CHILDREN(0);
		CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 0);
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 0);
		CU_ASSERT_EQUAL(first_sa(P[1].ctx)->state, IKE_ST_ESTABLISHED);
		stop();
	}
}

/* Delete collision (RFC 7296 2.25): both sides delete the same child at
 * once; both Deletes are answered and the child is gone on both sides. */
void
test_delete_collision(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	establish(&s);
	CU_ASSERT_EQUAL(ike_child_expired(P[0].ctx, last_child_up(&P[0])->id, true, now), 0);
	CU_ASSERT_EQUAL(ike_child_expired(P[1].ctx, last_child_up(&P[1])->id, true, now), 0);
	run();
	advance(2000);
	CHECK_LIVE_CHILDREN(0);
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
	CHECK_LIVE_CHILDREN(0);
	CU_ASSERT_EQUAL(first_sa(P[0].ctx)->n_children, 0);
	CU_ASSERT_EQUAL(first_sa(P[1].ctx)->n_children, 0);
	stop();
}

/* IKE_AUTH with selectors B cannot accept: the IKE SA comes up, the child
 * is refused with TS_UNACCEPTABLE on both sides. */
void
test_ts_unacceptable(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	ts_net(&s.a.remote_ts[0], "172.16.0.0", "172.16.255.255");
	start_quiet_run(&s);
	CHECK_EV_BOTH(IKE_EV_IKE_UP, 1);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	stop();
}

bool
drop_from_a(int src, const struct dgram *d)
{
	(void)d;
	return src == 0;
}

/* Lost requests: CREATE_CHILD_SA request from A never arrives;
 * retransmits at 1 s, 2 s, 4 s, then A gives up and removes the IKE SA. */
void
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

bool hold_one;
struct dgram held;

bool
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
void
test_duplicate_init_response(void)
{
	struct setup s;
	struct ike_stats st;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	start_init_doubled(&s);
	run();
	CHECK_EV_BOTH(IKE_EV_IKE_UP, 1);
	ike_stats_get(P[0].ctx, &st);
	CU_ASSERT_EQUAL(st.rx_invalid, 0);
	CU_ASSERT_EQUAL(st.rx_dropped, 1);
	stop();
}

/* Duplicated request: A's CREATE_CHILD_SA request delivered twice; B answers
 * the copy from its cache (same bytes) and creates one child only. */
void
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
	CHECK_LIVE_CHILDREN(1);
	check_latest_pair();
	stop();
}

/* Rekey collision (RFC 7296 2.8.1): both sides rekey the same child at once.
 * Both CREATE_CHILD_SA exchanges complete; the redundant pair is deleted and
 * one child pair with matching keys survives. */
void
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
	CHECK_LIVE_CHILDREN(1);
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
void
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
	check_one_ike_sa();
	a = first_sa(P[0].ctx);
	b = first_sa(P[1].ctx);
	CU_ASSERT_EQUAL(a->state, IKE_ST_ESTABLISHED);
	CU_ASSERT_EQUAL(b->state, IKE_ST_ESTABLISHED);
	/* the survivor works: a child rekey over it */
	CU_ASSERT_EQUAL(ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now), 0);
	run();
	CHECK_LIVE_CHILDREN(1);
	stop();
}

/* IKE rekey collision with a late response (RFC 7296 2.8.2, FINDINGS F6):
 * both rekey; the answer to A's request is held back while B decides and
 * sends its Delete (of its redundant SA or of the old one). The children
 * must end up on the surviving IKE SA on both sides, and both sides end with
 * one IKE SA. Run with both nonce orders (A or B winning). */
void
test_ike_rekey_collision_late(void)
{
	struct setup s;
	int round;

	for (round = 0; round < 4; round++) {
		struct dgram held_resp;

		setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
		start(&s);
		rng_state += (uint64_t)round * 7919;	/* other nonces, other winner */
		CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
		run();
		CU_ASSERT_EQUAL_FATAL(live_children(&P[0]), 1);
		CU_ASSERT_EQUAL(ike_rekey_ike(P[0].ctx, first_sa_id(P[0].ctx), now), 0);
		CU_ASSERT_EQUAL(ike_rekey_ike(P[1].ctx, first_sa_id(P[1].ctx), now), 0);
		CU_ASSERT_EQUAL_FATAL(qn, 2);
		(void)deliver_one();		/* A's request to B */
		(void)deliver_one();		/* B's request to A */
		CU_ASSERT_EQUAL_FATAL(qn, 2);
		CU_ASSERT_EQUAL_FATAL(q[0].dst, 0);	/* B's answer to A: hold it */
		held_resp = q[0];
		memmove(&q[0], &q[1], sizeof(q[0]));
		qn = 1;
		run();			/* B decides; its Delete reaches A first */
		q[qn++] = held_resp;
		run();
		advance(31000);
		check_one_ike_sa();
		CHECK_LIVE_CHILDREN(1);
		stop();
	}
}

/* SET_WINDOW_SIZE 4: A keeps a DPD INFORMATIONAL and a CREATE_CHILD_SA
 * outstanding at once; B answers both. */
void
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
	CHECK_LIVE_CHILDREN(1);
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_CHILD_UP), 2);
	check_latest_pair();
	CU_ASSERT_FALSE(a->dpd_pending);
	stop();
}

/* Window 1: a second request waits until the first is answered */
void
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
void
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
void
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
void
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

		to_b(&d);
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
void
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
		(void)deliver_one();
	}
	ike_rekey_child(P[1].ctx, last_child_up(&P[1])->id, now);
	while (qn > 0 && n_saved < 64) {
		saved[n_saved++] = q[0];
		(void)deliver_one();
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
void
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
void
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

		to_b(&d);
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

		to_b(&d);
		qn = 0;
	}
	CU_ASSERT_EQUAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	{
		struct dgram d = q[0];

		to_b(&d);
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
void
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

