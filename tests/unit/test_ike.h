/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lib/ike protocol tests' shared harness (test_ike.c): two IKE instances
 * over a fake transport, a fake clock and a deterministic RNG. The tests are
 * split by topic: test_ike.c (harness, state table, EAP, main),
 * test_ike_exchanges.c (IKE_SA_INIT/IKE_AUTH, rekeys, deletes, windows,
 * malformed input), test_ike_auth_mobility.c (certificates, NAT, MOBIKE,
 * REDIRECT, pools) and test_ike_load.c (hostile peers, timers at scale).
 */
#ifndef RAMPART_TEST_IKE_H
#define RAMPART_TEST_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

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
	uint64_t successor_id;
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

struct setup {
	struct ike_conn_cfg a, b, b2;	/* b2: second connection of B if has_b2 */
	bool has_b2;
	uint16_t win_a, win_b;
	unsigned cookie_threshold, half_open_max;
	unsigned half_open_per_src;
	size_t frag_mem_max, frag_preauth_max;
};

/* Harness state (test_ike.c, and held/hold_one: test_ike_exchanges.c). */
extern struct dgram q[QMAX];
extern unsigned qn;
extern struct peer P[2];
extern uint64_t now;
extern unsigned sent_count[2];
extern bool use_jobs;
extern unsigned n_jobs, jobs_run;
extern bool nat_on;
extern const char *nat_ip;
extern uint16_t nat_port;
extern uint64_t rng_state;
extern bool (*drop_fn)(int src, const struct dgram *d);
extern bool hold_one;
extern struct dgram held;

/* The harness (test_ike.c) and helpers one topic file lends another. */
void pump_jobs(struct ike_ctx *ctx, uint64_t t);
int test_rand(void *arg, void *buf, size_t len);
void addr(struct sockaddr_storage *ss, const char *ip, uint16_t port);
int cb_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	    const struct sockaddr *to);
void cb_event(void *user, const struct ike_event *e);
void cb_log(void *user, int level, const char *msg);
uint32_t cb_spi(void *user);
unsigned run(void);
void advance(uint64_t ms);
void addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port);
void ts_net6(struct ike_ts *ts, const char *first, const char *last);
void ts_net(struct ike_ts *ts, const char *first, const char *last);
void conn_base(struct ike_conn_cfg *c, bool initiator, const char *ike, const char *esp);
void setup_default(struct setup *s, const char *ike, const char *esp);
void start(const struct setup *s);
void stop(void);
unsigned count_ev(const struct peer *p, uint8_t type);
const struct ike_child_sa *last_child_up(const struct peer *p);
unsigned live_children(const struct peer *p);
const struct ike_child_sa *find_peer_child(const struct peer *p, uint32_t spi_in);
void check_pair(const struct ike_child_sa *a, const struct ike_child_sa *b);
void check_latest_pair(void);
/* The two sides' IKE SAs @a and @b are there and are one SA (the same SPIs). */
void check_ike_pair(const struct ike_sa *a, const struct ike_sa *b);
/* After a collision: one IKE SA on each side, the same one, with one child. */
void check_one_ike_sa(void);
/* Both peers have @n live child SAs (a macro: a failure names the caller's line). */
#define CHECK_LIVE_CHILDREN(n)                                   \
	do {                                                     \
		CU_ASSERT_EQUAL(live_children(&P[0]), (n));      \
		CU_ASSERT_EQUAL(live_children(&P[1]), (n));      \
	} while (0)
/* Both peers saw @n events of @type (a macro, like CHECK_LIVE_CHILDREN). */
#define CHECK_EV_BOTH(type, n)                                   \
	do {                                                     \
		CU_ASSERT_EQUAL(count_ev(&P[0], (type)), (n));   \
		CU_ASSERT_EQUAL(count_ev(&P[1], (type)), (n));   \
	} while (0)
uint64_t first_sa_id(struct ike_ctx *ctx);
struct ike_sa *first_sa(struct ike_ctx *ctx);
void establish(const struct setup *s);
void full_handshake(const char *ike, const char *esp);
void start_quiet_run(const struct setup *s);
void start_quiet(const struct setup *s);
void pool_set(struct ike_conn_cfg *c, const char *first, unsigned size);
void check_vip(const char *ip, uint8_t *want);
void ts_v6_vip(struct setup *s);
struct dgram deliver_one(void);
void start_init_doubled(const struct setup *s);
void setup_b2(struct setup *s, const char *name, const char *fqdn);
/* The fake EAP method (type 254) behind both peers' ops.eap: calls are
 * queued in eap_calls, answered by pump_eap() (the server's held while
 * eap_server_hold); the peer answers with eap_peer_password, the server
 * accepts "sesame". */
struct eap_call {
	int peer;
	uint64_t sa_id;
	uint8_t msg[512];
	size_t len;
};
extern struct eap_call eap_calls[16];
extern unsigned n_eap_calls, eap_calls_total[2];
extern const char *eap_peer_password;
extern bool eap_server_hold;
void eap_fake_reset(void);
void pump_eap(void);
void eap_begin(const struct setup *s);
/* The tests main() registers, by topic file. */
void test_psk_gcm256_ecp256(void);
void test_psk_gcm128_x25519(void);
void test_psk_cbc_modp2048(void);
void test_psk_cbc_ecp384_521(void);
void test_wrong_psk(void);
void test_no_proposal(void);
void test_invalid_ke_retry(void);
void test_virtual_ip(void);
void test_child_rekey_by_initiator(void);
void test_child_rekey_by_responder(void);
void test_child_rekey_pfs(void);
void test_rekey_invalid_ke(void);
void test_ike_rekey_keeps_prf(void);
void test_ike_rekey_by_initiator(void);
void test_ike_rekey_by_responder(void);
void test_child_delete(void);
void test_delete_collision(void);
void test_ts_unacceptable(void);
bool drop_from_a(int src, const struct dgram *d);
void test_retransmit_give_up(void);
bool capture_first_a(int src, const struct dgram *d);
void test_duplicate_init_response(void);
void test_duplicate_request(void);
void test_rekey_collision(void);
void test_ike_rekey_collision(void);
void test_ike_rekey_collision_late(void);
void test_window(void);
void test_window_one(void);
void test_dpd(void);
void test_malformed(void);
void test_invalid_message_id(void);
void test_random_requests(void);
void test_init_missing_ke(void);
void test_cookies(void);
void test_initial_contact(void);
void test_cert_ecdsa(void);
void test_cert_chain(void);
void test_cert_rsa_fragmented(void);
void test_ipv6(void);
void test_conn_by_identity(void);
void test_nat(void);
void test_nat_rebind(void);
void test_mobike_update(void);
void test_mobike_behind_nat(void);
void test_mobike_refused(void);
void test_jobs(void);
void test_ts_narrow(void);
void test_pool(void);
struct dgram take_a(void);
unsigned to_b(const struct dgram *d);
void test_cookie_forgery(void);
void test_resend_only_original(void);
void test_frag_caps(void);
void test_half_open_per_src(void);
void test_htab_model(void);
void test_timer_heap_model(void);
void test_timers_many(void);
void test_child_state_table(void);
void test_established_drops_init(void);
void test_redirect_init(void);
void test_redirect_follow(void);
void test_redirect_auth(void);
void test_redirect_threshold(void);
void test_redirect_gw_id(void);
void test_redirect_established(void);

#endif
