/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike protocol tests (harness: test_ike.h): certificates, IPv6,
 * identities, NAT, MOBIKE (RFC 4555), jobs, traffic selector narrowing,
 * pools, REDIRECT (RFC 5685).
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
	start_quiet_run(&s);
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

void
test_cert_ecdsa(void)
{
	cert_auth(false);
}

/* IKE_AUTH with an intermediate CA: each side sends CERT (leaf) + CERT
 * (intermediate) from its PEM bundle; the other trusts only the root. */
void
test_cert_chain(void)
{
	cert_auth_opt(false, true);
}

void
test_cert_rsa_fragmented(void)
{
	cert_auth(true);
}

/* IKE_SA_INIT + IKE_AUTH over IPv6 with IPv6 selectors, an RFC822 identity,
 * and an IPv6 virtual IP (INTERNAL_IP6_ADDRESS) with DNS; then an IKE rekey
 * and a Delete. */
void
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
	ts_v6_vip(&s);
	s.a.local_id.type = IKE_ID_RFC822_ADDR;
	s.a.local_id.len = 14;
	memcpy(s.a.local_id.data, "user@a.example", 14);
	s.b.remote_id = s.a.local_id;
	s.a.request_vip = true;
	pool_set(&s.b, "2001:db8:99::100", 16);
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
void
test_conn_by_identity(void)
{
	struct setup s;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	setup_b2(&s, "a-only", "a.example");
	memcpy(s.b.psk, "other", 5);	/* the catch-all would fail */
	establish(&s);
	CU_ASSERT_STRING_EQUAL(first_sa(P[1].ctx)->conn->cfg.name, "a-only");
	CU_ASSERT_STRING_EQUAL(last_child_up(&P[1])->conn, "a-only");
	stop();
}

/* NAT detection (RFC 7296 2.23): A behind a NAT; IKE_AUTH moves to 4500, the
 * child SAs are UDP-encapsulated with the translated ports, A sends 1-byte
 * NAT keepalives, and DPD works through the NAT. */
void
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
void
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
void
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
void
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
void
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
void
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
	start_init_doubled(&s);
	(void)deliver_one();
	(void)deliver_one();
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

		to_b(&d);
	}
	CU_ASSERT_EQUAL(n_jobs, 1);
	ike_shutdown(P[1].ctx, now);
	pump_jobs(P[1].ctx, now);
	CU_ASSERT_EQUAL(qn, 0);
	stop();
	use_jobs = false;
}

/* Narrowing (RFC 7296 2.9) on plain ranges */
void
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
void
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
void
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

void
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

/*
 * RFC 5685 6: redirect in IKE_AUTH (redirect.at: auth). IKE_SA_INIT is
 * answered normally; the IKE_AUTH response authenticates B and carries
 * REDIRECT with the GW identity only; no child SA on either side, no lease;
 * A (which does not follow a REDIRECT from IKE_AUTH) deletes the SA. Without
 * at: auth the same configuration redirects in IKE_SA_INIT instead.
 */
void
test_redirect_auth(void)
{
	struct setup s;
	struct ike_stats st;
	struct ike_sa *sa;

	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.redirect_to, sizeof(s.b.redirect_to), "%s", "192.0.2.50");
	s.b.redirect_in_auth = true;
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	CU_ASSERT_EQUAL(count_ev(&P[0], IKE_EV_IKE_UP), 1);	/* B authenticated */
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_UP), 1);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 0);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 1);
	/* A deleted the SA (it does not follow from IKE_AUTH); B removed it */
	CU_ASSERT_PTR_NULL(first_sa(P[0].ctx));
	CU_ASSERT_PTR_NULL(first_sa(P[1].ctx));
	CU_ASSERT_EQUAL(count_ev(&P[1], IKE_EV_IKE_DOWN), 1);
	stop();

	/* under the tunnel threshold (no other SA on the connection): served */
	setup_default(&s, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
	snprintf(s.b.redirect_to, sizeof(s.b.redirect_to), "%s", "192.0.2.50");
	s.b.redirect_in_auth = true;
	s.b.redirect_tunnels = 1;
	start(&s);
	CU_ASSERT_EQUAL_FATAL(ike_initiate(P[0].ctx, "to-b", now), 0);
	run();
	sa = first_sa(P[1].ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(sa->state, IKE_ST_ESTABLISHED);
	CHECK_EV_BOTH(IKE_EV_CHILD_UP, 1);
	ike_stats_get(P[1].ctx, &st);
	CU_ASSERT_EQUAL(st.redirects, 0);
	stop();
}

/* The threshold: redirect once the connection holds redirect_tunnels SAs. */
void
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

void
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
void
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

