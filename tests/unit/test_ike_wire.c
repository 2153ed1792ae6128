/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the wire half of lib/ike (ike_wire.h): build -> parse round
 * trips of every payload type, one malformed case per check (each with the
 * specific error it must produce), the SK layout seam, RFC 7383 split and
 * reassembly (out of order, duplicates, restarts, limits, timeout), proposal
 * strings and matching, and a seed-message mutation test (bit/byte flips,
 * truncation at every offset, length edits; seed printed, override with
 * IKE_WIRE_SEED=<n>, iterations with IKE_WIRE_ITERS=<n>). Proposals and the
 * strongSwan captures: test_ike_wire_prop.c.
 *
 * The SK "cipher" here is a fake (XOR + checksum): real protection is
 * ike_crypto's and is tested in test_ike_crypto.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"
#include "test_ike_wire.h"

#include "tests/vectors/ike_wire_strongswan.h"


static uint8_t scratch[BUF_CAP];

/* ------------------------------------------------------------------------
 * Fake SK protection
 * ------------------------------------------------------------------------ */

static const struct ike_sk_params gcm_like = { .iv_len = 8, .block_len = 1, .icv_len = 16 };
static const struct ike_sk_params cbc_like = { .iv_len = 16, .block_len = 16, .icv_len = 16 };

static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int
fake_seal(void *arg, uint8_t *msg, size_t len, const struct ike_sk_layout *l)
{
	uint32_t h;
	size_t i;
	int *calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (l->icv_off + l->icv_len != len || l->ct_off + l->ct_len != l->icv_off ||
	    l->iv_off + l->iv_len != l->ct_off || l->aad_len != l->iv_off)
		return -EFAULT;
	memset(msg + l->iv_off, 0xa5, l->iv_len);
	for (i = 0; i < l->ct_len; i++)
		msg[l->ct_off + i] ^= 0x5c;
	h = fnv(msg, l->icv_off);
	for (i = 0; i < l->icv_len; i++)
		msg[l->icv_off + i] = (uint8_t)(h >> (8 * (i % 4)));
	return 0;
}

/* Verify and "decrypt" into @pt (l->ct_len bytes). */
static int
fake_open(const uint8_t *msg, const struct ike_sk_layout *l, uint8_t *pt)
{
	uint32_t h = fnv(msg, l->icv_off);
	size_t i;

	for (i = 0; i < l->icv_len; i++)
		if (msg[l->icv_off + i] != (uint8_t)(h >> (8 * (i % 4))))
			return -EACCES;
	for (i = 0; i < l->ct_len; i++)
		pt[i] = msg[l->ct_off + i] ^ 0x5c;
	return 0;
}

/* Parse a datagram; if it has an SK payload, open it and parse the inner
 * chain. Plaintext goes to @pt, which must outlive @m. */
static int
parse_full(const uint8_t *buf, size_t len, struct ike_msg *m, uint8_t *pt,
	   const struct ike_sk_params *p)
{
	struct ike_sk_layout l;
	int rc = ike_msg_parse(buf, len, m);

	if (rc < 0 || !m->sk.present)
		return rc;
	rc = ike_sk_locate(m, p, &l);
	if (rc < 0)
		return rc;
	rc = fake_open(buf, &l, pt);
	if (rc < 0)
		return rc;
	return ike_msg_parse_inner(m, pt, l.ct_len);
}

struct ike_hdr
hdr(uint8_t exchange, uint8_t flags, uint32_t msg_id)
{
	struct ike_hdr h = {
		.spi_i = UINT64_C(0x0102030405060708),
		.spi_r = exchange == IKE_XCHG_SA_INIT && !(flags & IKE_FLAG_R) ? 0 :
			 UINT64_C(0x1112131415161718),
		.exchange = exchange,
		.flags = flags,
		.msg_id = msg_id,
	};
	return h;
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

struct ike_proposal
prop_str(const char *s, uint8_t proto)
{
	struct ike_proposal p;
	char err[128];
	int rc = ike_prop_parse(s, proto, &p, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "prop '%s': %s\n", s, err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return p;
}

static struct ike_ts
ts4(uint8_t proto, uint16_t sp, uint16_t ep, const char *s, const char *e)
{
	struct ike_ts t = { .af = 4, .proto = proto, .sport = sp, .eport = ep };
	unsigned a, b, c, d;

	sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d);
	t.saddr[0] = (uint8_t)a; t.saddr[1] = (uint8_t)b;
	t.saddr[2] = (uint8_t)c; t.saddr[3] = (uint8_t)d;
	sscanf(e, "%u.%u.%u.%u", &a, &b, &c, &d);
	t.eaddr[0] = (uint8_t)a; t.eaddr[1] = (uint8_t)b;
	t.eaddr[2] = (uint8_t)c; t.eaddr[3] = (uint8_t)d;
	return t;
}

bool
prop_eq(const struct ike_proposal *a, const struct ike_proposal *b)
{
	unsigned i;

	if (a->proto != b->proto || a->spi_len != b->spi_len || a->n_xforms != b->n_xforms ||
	    memcmp(a->spi, b->spi, a->spi_len) != 0)
		return false;
	for (i = 0; i < a->n_xforms; i++)
		if (a->xf[i].type != b->xf[i].type || a->xf[i].id != b->xf[i].id ||
		    a->xf[i].key_bits != b->xf[i].key_bits)
			return false;
	return true;
}

static bool
blob_eq(const struct ike_blob *b, const uint8_t *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

/* Patch the header length to @len so mutations reach the payload walk. */
static void
fix_len(uint8_t *p, size_t len)
{
	if (len >= 28) {
		p[24] = (uint8_t)(len >> 24);
		p[25] = (uint8_t)(len >> 16);
		p[26] = (uint8_t)(len >> 8);
		p[27] = (uint8_t)len;
	}
}

/* ------------------------------------------------------------------------
 * Seed messages
 * ------------------------------------------------------------------------ */

static uint8_t ke32[32], nonce32[32], natd_s[20], natd_d[20], cookie[24];

/* IKE_SA_INIT request as strongSwan sends it (two proposals). */
static size_t
build_sa_init(uint8_t *buf, size_t cap)
{
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_I, 0);
	struct ike_proposal props[2];
	uint8_t sighash[] = { 0, 2, 0, 3, 0, 4 };
	uint8_t vid[16];
	size_t len = 0;

	fill(ke32, sizeof(ke32), 1);
	fill(nonce32, sizeof(nonce32), 2);
	fill(natd_s, sizeof(natd_s), 3);
	fill(natd_d, sizeof(natd_d), 4);
	fill(cookie, sizeof(cookie), 5);
	fill(vid, sizeof(vid), 6);
	props[0] = prop_str("aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256",
			    IKE_PROTO_IKE);
	props[1] = prop_str("aes256-sha256-modp2048", IKE_PROTO_IKE);
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, cap, &h), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_COOKIE, cookie, sizeof(cookie)), 0);
	CU_ASSERT_EQUAL(ike_bld_sa(&b, props, 2), 0);
	CU_ASSERT_EQUAL(ike_bld_ke(&b, IKE_DH_CURVE25519, ke32, sizeof(ke32)), 0);
	CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, sizeof(nonce32)), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd_s,
				       20), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd_d,
				       20), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL,
				       0), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, sighash,
				       sizeof(sighash)), 0);
	CU_ASSERT_EQUAL(ike_bld_vendor(&b, vid, sizeof(vid)), 0);
	CU_ASSERT_EQUAL(ike_bld_certreq(&b, IKE_CERT_X509_SIG, natd_s, 20), 0);
	CU_ASSERT_EQUAL(ike_bld_finish(&b, &len), 0);
	return len;
}

static uint8_t cert_der[3000], auth_data[64];

/* Inner payloads of an IKE_AUTH request (RA client asking for a VIP). */
static void
add_auth_inner(struct ike_bld *b)
{
	struct ike_id idi = { .type = IKE_ID_FQDN, .len = 15 };
	struct ike_id idr = { .type = IKE_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, 1 } };
	struct ike_proposal esp[2];
	struct ike_ts tsi[2], tsr[1];
	struct ike_cp_attr cp[3] = {
		{ .type = IKE_CP_INTERNAL_IP4_ADDRESS },
		{ .type = IKE_CP_INTERNAL_IP4_DNS },
		{ .type = IKE_CP_INTERNAL_IP6_ADDRESS, .len = 17, .val = { 0x20, 0x01, 0x0d, 0xb8,
			[15] = 1, [16] = 64 } },
	};

	memcpy(idi.data, "client.example", 15);
	fill(cert_der, sizeof(cert_der), 9);
	fill(auth_data, sizeof(auth_data), 10);
	esp[0] = prop_str("aes128gcm16-esn-noesn", IKE_PROTO_ESP);
	esp[1] = prop_str("aes256-sha512", IKE_PROTO_ESP);
	esp[0].spi[0] = 0xc0; esp[0].spi[3] = 0x01;
	esp[1].spi[0] = 0xc0; esp[1].spi[3] = 0x01;
	tsi[0] = ts4(0, 0, 65535, "0.0.0.0", "255.255.255.255");
	tsi[1] = (struct ike_ts){ .af = 6, .proto = 17, .sport = 500, .eport = 4500 };
	memset(tsi[1].eaddr, 0xff, 16);
	tsr[0] = ts4(6, 80, 80, "10.0.0.0", "10.0.255.255");
	CU_ASSERT_EQUAL(ike_bld_id(b, IKE_PLD_IDI, &idi), 0);
	CU_ASSERT_EQUAL(ike_bld_cert(b, IKE_CERT_X509_SIG, cert_der, sizeof(cert_der)), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(b, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0), 0);
	CU_ASSERT_EQUAL(ike_bld_id(b, IKE_PLD_IDR, &idr), 0);
	CU_ASSERT_EQUAL(ike_bld_auth(b, IKE_AUTH_DIGITAL_SIG, auth_data, sizeof(auth_data)), 0);
	CU_ASSERT_EQUAL(ike_bld_cp(b, IKE_CFG_REQUEST, cp, 3), 0);
	CU_ASSERT_EQUAL(ike_bld_sa(b, esp, 2), 0);
	CU_ASSERT_EQUAL(ike_bld_ts(b, IKE_PLD_TSI, tsi, 2), 0);
	CU_ASSERT_EQUAL(ike_bld_ts(b, IKE_PLD_TSR, tsr, 1), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(b, 0, NULL, 0, IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL,
				       0), 0);
}

static size_t
build_auth(uint8_t *buf, size_t cap, const struct ike_sk_params *p)
{
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);
	size_t len = 0;

	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, cap, &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, p), 0);
	add_auth_inner(&b);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL(ike_bld_finish(&b, &len), 0);
	return len;
}

/* ------------------------------------------------------------------------
 * Round trips
 * ------------------------------------------------------------------------ */

static void
test_roundtrip_sa_init(void)
{
	static uint8_t buf[BUF_CAP];
	static struct ike_msg m;
	struct ike_proposal p0 = prop_str("aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256",
					  IKE_PROTO_IKE);
	struct ike_proposal p1 = prop_str("aes256-sha256-modp2048", IKE_PROTO_IKE);
	const struct ike_notify *n;
	size_t len = build_sa_init(buf, sizeof(buf));

	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
	CU_ASSERT_EQUAL(m.hdr.spi_i, UINT64_C(0x0102030405060708));
	CU_ASSERT_EQUAL(m.hdr.spi_r, 0);
	CU_ASSERT_EQUAL(m.hdr.version, 0x20);
	CU_ASSERT_EQUAL(m.hdr.exchange, IKE_XCHG_SA_INIT);
	CU_ASSERT_EQUAL(m.hdr.flags, IKE_FLAG_I);
	CU_ASSERT_EQUAL(m.hdr.len, len);
	CU_ASSERT_EQUAL(m.hdr.next, IKE_PLD_N);
	CU_ASSERT(m.has_sa && m.has_ke && m.has_nonce && !m.sk.present);
	CU_ASSERT_EQUAL(m.sa.n_props, 2);
	CU_ASSERT_EQUAL(m.sa.props[0].num, 1);
	CU_ASSERT_EQUAL(m.sa.props[1].num, 2);
	CU_ASSERT(m.sa.props[0].usable && m.sa.props[1].usable);
	CU_ASSERT(prop_eq(&m.sa.props[0], &p0));
	CU_ASSERT(prop_eq(&m.sa.props[1], &p1));
	CU_ASSERT_EQUAL(m.ke.group, IKE_DH_CURVE25519);
	CU_ASSERT(blob_eq(&m.ke.data, ke32, 32));
	CU_ASSERT(blob_eq(&m.nonce, nonce32, 32));
	CU_ASSERT_EQUAL(m.n_notifies, 5);
	n = ike_msg_notify(&m, IKE_N_COOKIE);
	CU_ASSERT(n != NULL && blob_eq(&n->data, cookie, sizeof(cookie)));
	n = ike_msg_notify(&m, IKE_N_NAT_DETECTION_DESTINATION_IP);
	CU_ASSERT(n != NULL && blob_eq(&n->data, natd_d, 20) && n->spi_len == 0);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS) != NULL);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_MOBIKE_SUPPORTED) == NULL);
	CU_ASSERT(ike_msg_error_notify(&m) == NULL);
	CU_ASSERT_EQUAL(m.n_vendors, 1);
	CU_ASSERT_EQUAL(m.n_certreqs, 1);
	CU_ASSERT(blob_eq(&m.certreqs[0].data, natd_s, 20));
	CU_ASSERT_EQUAL(m.n_payloads, 10);
	CU_ASSERT(m.err == NULL);
}

static void
check_auth_inner(const struct ike_msg *m)
{
	struct ike_proposal e0 = prop_str("aes128gcm16-esn-noesn", IKE_PROTO_ESP);
	struct ike_proposal e1 = prop_str("aes256-sha512", IKE_PROTO_ESP);

	e0.spi[0] = 0xc0; e0.spi[3] = 0x01;
	e1.spi[0] = 0xc0; e1.spi[3] = 0x01;
	CU_ASSERT(m->inner_parsed);
	CU_ASSERT(m->has_idi && m->has_idr && m->has_auth && m->has_cp && m->has_sa);
	CU_ASSERT(m->has_tsi && m->has_tsr && !m->has_ke && !m->has_nonce);
	CU_ASSERT_EQUAL(m->idi.id.type, IKE_ID_FQDN);
	CU_ASSERT(m->idi.id.len == 15 && memcmp(m->idi.id.data, "client.example", 15) == 0);
	CU_ASSERT_EQUAL(m->idi.body.len, 19);
	CU_ASSERT_EQUAL(m->idr.id.type, IKE_ID_IPV4_ADDR);
	CU_ASSERT(m->idr.id.len == 4 && m->idr.id.data[0] == 192);
	CU_ASSERT_EQUAL(m->n_certs, 1);
	CU_ASSERT_EQUAL(m->certs[0].encoding, IKE_CERT_X509_SIG);
	CU_ASSERT(blob_eq(&m->certs[0].data, cert_der, sizeof(cert_der)));
	CU_ASSERT_EQUAL(m->auth.method, IKE_AUTH_DIGITAL_SIG);
	CU_ASSERT(blob_eq(&m->auth.data, auth_data, sizeof(auth_data)));
	CU_ASSERT_EQUAL(m->cp.cfg_type, IKE_CFG_REQUEST);
	CU_ASSERT_EQUAL(m->cp.n_attrs, 3);
	CU_ASSERT(m->cp.attrs[0].type == IKE_CP_INTERNAL_IP4_ADDRESS && m->cp.attrs[0].len == 0);
	CU_ASSERT(m->cp.attrs[2].len == 17 && m->cp.attrs[2].val[16] == 64);
	CU_ASSERT_EQUAL(m->sa.n_props, 2);
	CU_ASSERT(prop_eq(&m->sa.props[0], &e0));
	CU_ASSERT(prop_eq(&m->sa.props[1], &e1));
	CU_ASSERT_EQUAL(m->tsi.n_ts, 2);
	CU_ASSERT(m->tsi.ts[0].af == 4 && m->tsi.ts[0].eport == 65535 &&
		  m->tsi.ts[0].eaddr[3] == 255);
	CU_ASSERT(m->tsi.ts[1].af == 6 && m->tsi.ts[1].proto == 17 &&
		  m->tsi.ts[1].sport == 500 && m->tsi.ts[1].eaddr[15] == 0xff);
	CU_ASSERT_EQUAL(m->tsr.n_ts, 1);
	CU_ASSERT(m->tsr.ts[0].proto == 6 && m->tsr.ts[0].sport == 80 &&
		  m->tsr.ts[0].saddr[0] == 10 && m->tsr.ts[0].eaddr[2] == 255);
	CU_ASSERT(ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL);
	CU_ASSERT(ike_msg_notify(m, IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED) != NULL);
}

static void
test_roundtrip_auth_sk(void)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	static struct ike_msg m;
	const struct ike_sk_params *ps[] = { &gcm_like, &cbc_like };
	unsigned i;

	for (i = 0; i < N_ELEM(ps); i++) {
		struct ike_sk_layout l;
		size_t len = build_auth(buf, sizeof(buf), ps[i]);

		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
		CU_ASSERT(m.sk.present && !m.sk.frag);
		CU_ASSERT_EQUAL(m.sk.next, IKE_PLD_IDI);
		CU_ASSERT_EQUAL(m.sk.pld_off, IKE_HDR_LEN);
		CU_ASSERT_EQUAL(m.sk.body_off, IKE_HDR_LEN + 4);
		CU_ASSERT_EQUAL(m.sk.body_len, len - IKE_HDR_LEN - 4);
		CU_ASSERT(!m.has_idi);	/* nothing inner yet */
		CU_ASSERT_EQUAL_FATAL(ike_sk_locate(&m, ps[i], &l), 0);
		CU_ASSERT_EQUAL(l.aad_len, 32);
		CU_ASSERT_EQUAL(l.iv_off, 32);
		CU_ASSERT_EQUAL(l.ct_off, 32 + ps[i]->iv_len);
		CU_ASSERT_EQUAL(l.icv_off + l.icv_len, len);
		if (ps[i]->block_len > 1)
			CU_ASSERT_EQUAL(l.ct_len % ps[i]->block_len, 0);
		CU_ASSERT_EQUAL_FATAL(fake_open(buf, &l, pt), 0);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse_inner(&m, pt, l.ct_len), 0);
		check_auth_inner(&m);
		/* Parsing the inner chain twice is a caller bug. */
		CU_ASSERT_EQUAL(ike_msg_parse_inner(&m, pt, l.ct_len), -EINVAL);
	}
}

/* INFORMATIONAL with Deletes, an empty one (liveness), CREATE_CHILD_SA. */
static void
test_roundtrip_info_child(void)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	static struct ike_msg m;
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_INFORMATIONAL, IKE_FLAG_R, 7);
	uint32_t spis[3] = { 0xc0000001, 0xc0000002, 0xdeadbeef };
	uint8_t rekey_spi[4] = { 0xc0, 0, 0, 9 };
	struct ike_proposal esp = prop_str("aes128gcm16-modp2048", IKE_PROTO_ESP);
	struct ike_ts ts = ts4(0, 0, 65535, "10.1.0.0", "10.1.0.255");
	uint8_t ke[256];
	size_t len;

	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &cbc_like), 0);
	CU_ASSERT_EQUAL(ike_bld_delete(&b, IKE_PROTO_ESP, spis, 3), 0);
	CU_ASSERT_EQUAL(ike_bld_delete(&b, IKE_PROTO_IKE, NULL, 0), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL_FATAL(parse_full(buf, len, &m, pt, &cbc_like), 0);
	CU_ASSERT_EQUAL(m.hdr.flags, IKE_FLAG_R);
	CU_ASSERT_EQUAL(m.hdr.msg_id, 7);
	CU_ASSERT_EQUAL(m.n_deletes, 2);
	CU_ASSERT(m.deletes[0].proto == IKE_PROTO_ESP && m.deletes[0].n_spis == 3 &&
		  m.deletes[0].spis[2] == 0xdeadbeef);
	CU_ASSERT(m.deletes[1].proto == IKE_PROTO_IKE && m.deletes[1].n_spis == 0);

	/* Empty INFORMATIONAL (liveness check): SK with no inner payload. */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_len(&b), 28 + 4 + 8 + 1 + 16);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL(len, 28 + 4 + 8 + 1 + 16);
	CU_ASSERT_EQUAL_FATAL(parse_full(buf, len, &m, pt, &gcm_like), 0);
	CU_ASSERT_EQUAL(m.sk.next, IKE_PLD_NONE);
	CU_ASSERT_EQUAL(m.n_payloads, 1);

	/* CREATE_CHILD_SA rekeying a child with PFS. */
	h = hdr(IKE_XCHG_CREATE_CHILD_SA, IKE_FLAG_I, 3);
	fill(ke, sizeof(ke), 11);
	esp.spi[3] = 0x42;
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
	CU_ASSERT_EQUAL(ike_bld_notify(&b, IKE_PROTO_ESP, rekey_spi, 4, IKE_N_REKEY_SA, NULL, 0),
			0);
	CU_ASSERT_EQUAL(ike_bld_sa(&b, &esp, 1), 0);
	CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, 16), 0);
	CU_ASSERT_EQUAL(ike_bld_ke(&b, IKE_DH_MODP2048, ke, sizeof(ke)), 0);
	CU_ASSERT_EQUAL(ike_bld_ts(&b, IKE_PLD_TSI, &ts, 1), 0);
	CU_ASSERT_EQUAL(ike_bld_ts(&b, IKE_PLD_TSR, &ts, 1), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL_FATAL(parse_full(buf, len, &m, pt, &gcm_like), 0);
	CU_ASSERT(m.has_sa && m.has_nonce && m.has_ke && m.has_tsi && m.has_tsr);
	CU_ASSERT(prop_eq(&m.sa.props[0], &esp));
	CU_ASSERT(ike_prop_has_dh(&m.sa.props[0], IKE_DH_MODP2048));
	CU_ASSERT(m.ke.group == IKE_DH_MODP2048 && blob_eq(&m.ke.data, ke, sizeof(ke)));
	CU_ASSERT(m.n_notifies == 1 && m.notifies[0].type == IKE_N_REKEY_SA &&
		  m.notifies[0].proto == IKE_PROTO_ESP && m.notifies[0].spi_len == 4 &&
		  memcmp(m.notifies[0].spi, rekey_spi, 4) == 0);
}

/* Notify types ikep uses: build each with valid data, parse back. */
static void
test_roundtrip_notifies(void)
{
	static uint8_t buf[BUF_CAP];
	static struct ike_msg m;
	struct {
		uint16_t type;
		uint8_t proto, spi_len;
		size_t data_len;
	} cases[] = {
		{ IKE_N_INVALID_KE_PAYLOAD, 0, 0, 2 },
		{ IKE_N_COOKIE, 0, 0, 64 },
		{ IKE_N_SET_WINDOW_SIZE, 0, 0, 4 },
		{ IKE_N_USE_TRANSPORT_MODE, 0, 0, 0 },
		{ IKE_N_NON_FIRST_FRAGMENTS_ALSO, 0, 0, 0 },
		{ IKE_N_MOBIKE_SUPPORTED, 0, 0, 0 },
		{ IKE_N_AUTHENTICATION_FAILED, 0, 0, 0 },
		{ IKE_N_NO_PROPOSAL_CHOSEN, 0, 0, 0 },
		{ IKE_N_TS_UNACCEPTABLE, 0, 0, 0 },
		{ IKE_N_INVALID_SYNTAX, 0, 0, 0 },
		{ IKE_N_INVALID_MESSAGE_ID, 0, 0, 4 },
		{ IKE_N_INTERNAL_ADDRESS_FAILURE, 0, 0, 0 },
		{ IKE_N_FAILED_CP_REQUIRED, 0, 0, 0 },
		{ IKE_N_CHILD_SA_NOT_FOUND, IKE_PROTO_ESP, 4, 0 },
		{ IKE_N_TEMPORARY_FAILURE, 0, 0, 0 },
		{ IKE_N_NO_ADDITIONAL_SAS, 0, 0, 0 },
		{ IKE_N_UPDATE_SA_ADDRESSES, 0, 0, 0 },
		{ IKE_N_NO_ADDITIONAL_ADDRESSES, 0, 0, 0 },
		{ IKE_N_COOKIE2, 0, 0, 8 },
		{ IKE_N_COOKIE2, 0, 0, 64 },
		{ IKE_N_NO_NATS_ALLOWED, 0, 0, 12 },
		{ IKE_N_UNACCEPTABLE_ADDRESSES, 0, 0, 0 },
		{ IKE_N_UNEXPECTED_NAT_DETECTED, 0, 0, 0 },
		{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, 0, 0, 1 },
		{ IKE_N_INVALID_SPI, IKE_PROTO_ESP, 4, 4 },
		{ 40000, 0, 0, 7 },		/* unknown status: kept */
		{ 8000, IKE_PROTO_IKE, 8, 0 },	/* unknown error, SPI 8 */
	};
	uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, data[64];
	unsigned i;

	fill(data, sizeof(data), 13);
	for (i = 0; i < N_ELEM(cases); i++) {
		struct ike_bld b;
		struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_R, 0);
		size_t len;

		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_notify(&b, cases[i].proto, spi, cases[i].spi_len,
					       cases[i].type, data, cases[i].data_len), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
		CU_ASSERT_EQUAL_FATAL(m.n_notifies, 1);
		CU_ASSERT_EQUAL(m.notifies[0].type, cases[i].type);
		CU_ASSERT_EQUAL(m.notifies[0].proto, cases[i].proto);
		CU_ASSERT_EQUAL(m.notifies[0].spi_len, cases[i].spi_len);
		CU_ASSERT(memcmp(m.notifies[0].spi, spi, cases[i].spi_len) == 0);
		CU_ASSERT(blob_eq(&m.notifies[0].data, data, cases[i].data_len));
		CU_ASSERT_EQUAL(ike_msg_error_notify(&m) != NULL, cases[i].type < 16384);
		CU_ASSERT(strcmp(ike_notify_name(cases[i].type), "") != 0);
	}
	/* ADDITIONAL_IP4/6_ADDRESS are accepted and dropped. */
	{
		struct ike_bld b;
		struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_R, 0);
		size_t len;

		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, data,
					       4), 0);
		CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, data,
					       16), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
		CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), 0);
		CU_ASSERT_EQUAL(m.n_notifies, 0);
		CU_ASSERT_EQUAL(m.n_payloads, 2);
		CU_ASSERT_EQUAL(m.n_addl_addrs, 2);
	}
	/* RFC 4555 sizes: COOKIE2 8..64 bytes, ADDITIONAL_IP4/6 4/16 bytes */
	{
		static const struct {
			uint16_t type;
			size_t len;
		} bad[] = {
			{ IKE_N_COOKIE2, 7 }, { IKE_N_COOKIE2, 0 }, { IKE_N_COOKIE2, 65 },
			{ IKE_N_ADDITIONAL_IP4_ADDRESS, 5 }, { IKE_N_ADDITIONAL_IP6_ADDRESS, 4 },
		};
		static uint8_t big[65];

		for (i = 0; i < N_ELEM(bad); i++) {
			struct ike_bld b;
			struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_R, 0);
			size_t len;

			CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
			CU_ASSERT_EQUAL(ike_bld_notify(&b, 0, NULL, 0, bad[i].type, big,
						       bad[i].len), 0);
			CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
			CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
		}
	}
}

/* EAP presence, unknown non-critical payload skipped, ID body helper. */
static void
test_roundtrip_misc(void)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	static struct ike_msg m;
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_R, 1);
	struct ike_id id = { .type = IKE_ID_KEY_ID, .len = 3, .data = { 'k', 'e', 'y' } };
	uint8_t eap[] = { 1, 1, 0, 5, 1 }, body[300];
	size_t len, blen;

	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
	CU_ASSERT_EQUAL(ike_bld_raw(&b, 200, false, eap, sizeof(eap)), 0);
	CU_ASSERT_EQUAL(ike_bld_id(&b, IKE_PLD_IDR, &id), 0);
	CU_ASSERT_EQUAL(ike_bld_raw(&b, IKE_PLD_EAP, false, eap, sizeof(eap)), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL_FATAL(parse_full(buf, len, &m, pt, &gcm_like), 0);
	CU_ASSERT(m.has_eap && m.has_idr);
	CU_ASSERT_EQUAL(m.n_payloads, 4);
	CU_ASSERT_EQUAL(ike_id_body(&id, body, sizeof(body), &blen), 0);
	CU_ASSERT(blob_eq(&m.idr.body, body, blen));
	CU_ASSERT_EQUAL(ike_id_body(&id, body, 6, &blen), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(ike_pld_name(IKE_PLD_SKF), "SKF");
	CU_ASSERT_STRING_EQUAL(ike_pld_name(IKE_PLD_TSR), "TSr");
	CU_ASSERT_STRING_EQUAL(ike_exchange_name(IKE_XCHG_CREATE_CHILD_SA), "CREATE_CHILD_SA");
	CU_ASSERT_STRING_EQUAL(ike_pld_name(99), "UNKNOWN");
}

/* The placement table (RFC 7296 1.2 - 1.4, RFC 7383 2.5). */
static void
test_pld_allowed(void)
{
	static const struct {
		uint8_t x, type;
		bool in_sk, want;
	} cases[] = {
		{ IKE_XCHG_SA_INIT, IKE_PLD_SA, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_KE, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_N, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_V, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_CERTREQ, false, true },
		{ IKE_XCHG_SA_INIT, IKE_PLD_SK, false, false },
		{ IKE_XCHG_SA_INIT, IKE_PLD_SKF, false, false },
		{ IKE_XCHG_SA_INIT, IKE_PLD_AUTH, false, false },
		{ IKE_XCHG_SA_INIT, IKE_PLD_N, true, false },
		{ IKE_XCHG_AUTH, IKE_PLD_SK, false, true },
		{ IKE_XCHG_AUTH, IKE_PLD_SKF, false, true },
		{ IKE_XCHG_AUTH, IKE_PLD_N, false, false },
		{ IKE_XCHG_AUTH, IKE_PLD_IDI, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_IDR, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_CERT, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_AUTH, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_CP, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_EAP, true, true },
		{ IKE_XCHG_AUTH, IKE_PLD_KE, true, false },
		{ IKE_XCHG_AUTH, IKE_PLD_NONCE, true, false },
		{ IKE_XCHG_AUTH, IKE_PLD_D, true, false },
		{ IKE_XCHG_AUTH, IKE_PLD_SK, true, false },
		{ IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_KE, true, true },
		{ IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_NONCE, true, true },
		{ IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_TSR, true, true },
		{ IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_AUTH, true, false },
		{ IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_SA, false, false },
		{ IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, true },
		{ IKE_XCHG_INFORMATIONAL, IKE_PLD_CP, true, true },
		{ IKE_XCHG_INFORMATIONAL, IKE_PLD_N, false, true },
		{ IKE_XCHG_INFORMATIONAL, IKE_PLD_D, false, false },
		{ IKE_XCHG_INFORMATIONAL, IKE_PLD_SA, true, false },
		{ 33, IKE_PLD_N, false, false },
		{ 38, IKE_PLD_N, false, false },
		{ IKE_XCHG_AUTH, 49, true, false },
		{ IKE_XCHG_AUTH, 0, true, false },
	};
	unsigned i;

	for (i = 0; i < N_ELEM(cases); i++)
		CU_ASSERT_EQUAL(ike_pld_allowed(cases[i].x, cases[i].type, cases[i].in_sk),
				cases[i].want);
}

/* ------------------------------------------------------------------------
 * Builder checks
 * ------------------------------------------------------------------------ */

static void
test_builder_capacity(void)
{
	static uint8_t buf[BUF_CAP];
	struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_I, 0);
	size_t full, cap, len;

	full = build_sa_init(buf, sizeof(buf));
	/* Every capacity short of the full size fails with -ENOSPC, never
	 * writes past the buffer (ASan watches the heap copy). */
	for (cap = 0; cap < full; cap++) {
		uint8_t *small = malloc(cap == 0 ? 1 : cap);
		struct ike_bld b;
		struct ike_proposal p = prop_str("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE);
		int rc;

		CU_ASSERT_FATAL(small != NULL);
		rc = ike_bld_init(&b, small, cap, &h);
		if (rc == 0)
			rc = ike_bld_sa(&b, &p, 1);
		if (rc == 0)
			rc = ike_bld_ke(&b, IKE_DH_CURVE25519, ke32, 32);
		if (rc == 0)
			rc = ike_bld_nonce(&b, nonce32, 32);
		rc = ike_bld_finish(&b, &len);
		if (rc == 0) {
			CU_ASSERT(len <= cap);
		} else {
			CU_ASSERT_EQUAL(rc, -ENOSPC);
		}
		free(small);
	}
	/* Misuse. */
	{
		struct ike_bld b;
		uint8_t n15[15] = { 0 };

		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_nonce(&b, n15, 15), -EINVAL);
		CU_ASSERT_EQUAL(ike_bld_finish(&b, &len), -EINVAL);	/* sticky */
		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
		CU_ASSERT_EQUAL(ike_bld_finish(&b, &len), -EINVAL);	/* SK still open */
		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
		CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
		CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, 32), -EINVAL);	/* after SK */
	}
}

/* ------------------------------------------------------------------------
 * Malformed payloads, one per check
 * ------------------------------------------------------------------------ */

struct bad_case {
	const char *name;
	uint8_t exchange;
	uint8_t type;
	bool in_sk;
	uint8_t body[80];
	size_t len;
	int want;
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

/* Transform helpers for SA bodies: ENCR AES-GCM-16/128, PRF, DH */
#define XF_ENCR_LAST 0, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 0, 128
#define XF_ENCR_MORE 3, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 0, 128
#define XF_DH_LAST 0, 0, 0, 8, 4, 0, 0, 31

static const struct bad_case bad_cases[] = {
	/* Nonce (RFC 7296 2.10: 16..256) */
	{ "nonce_15", IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, { 0 }, 15, -EBADMSG },
	{ "nonce_0", IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, { 0 }, 0, -EBADMSG },
	/* KE */
	{ "ke_short", IKE_XCHG_SA_INIT, IKE_PLD_KE, false, B(0, 31, 0), -EBADMSG },
	{ "ke_reserved", IKE_XCHG_SA_INIT, IKE_PLD_KE, false, B(0, 99, 0, 1, 5), -EBADMSG },
	{ "ke_no_data", IKE_XCHG_SA_INIT, IKE_PLD_KE, false, B(0, 99, 0, 0), -EBADMSG },
	{ "ke_x25519_31", IKE_XCHG_SA_INIT, IKE_PLD_KE, false, { 0, 31 }, 4 + 31, -EBADMSG },
	/* SA */
	{ "sa_empty", IKE_XCHG_SA_INIT, IKE_PLD_SA, false, { 0 }, 0, -EBADMSG },
	{ "sa_prop_len_lt_8", IKE_XCHG_SA_INIT, IKE_PLD_SA, false, B(0, 0, 0, 7, 1, 1, 0, 1),
	  -EBADMSG },
	{ "sa_prop_len_beyond", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 40, 1, 1, 0, 1, XF_ENCR_LAST), -EBADMSG },
	{ "sa_zero_transforms", IKE_XCHG_SA_INIT, IKE_PLD_SA, false, B(0, 0, 0, 8, 1, 1, 0, 0),
	  -EBADMSG },
	{ "sa_more_but_none", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(2, 0, 0, 20, 1, 1, 0, 1, XF_ENCR_LAST), -EBADMSG },
	{ "sa_last_but_more", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 0, 1, XF_ENCR_LAST, 0, 0, 0, 20, 2, 1, 0, 1, XF_ENCR_LAST),
	  -EBADMSG },
	{ "sa_prop_reserved", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 1, 0, 20, 1, 1, 0, 1, XF_ENCR_LAST), -EBADMSG },
	{ "sa_prop_num_0", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 0, 1, 0, 1, XF_ENCR_LAST), -EBADMSG },
	{ "sa_prop_num_skips", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(2, 0, 0, 20, 1, 1, 0, 1, XF_ENCR_LAST, 0, 0, 0, 20, 3, 1, 0, 1, XF_ENCR_LAST),
	  -EBADMSG },
	{ "sa_count_gt_present", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 0, 2, XF_ENCR_MORE), -EBADMSG },
	{ "sa_count_lt_present", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 28, 1, 1, 0, 1, XF_ENCR_MORE, XF_DH_LAST), -EBADMSG },
	{ "sa_last_xform_more", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 0, 1, XF_ENCR_MORE), -EBADMSG },
	{ "sa_xform_len_lt_8", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 7, 1, 0, 0, 20), -EBADMSG },
	{ "sa_xform_reserved", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 8, 4, 1, 0, 31), -EBADMSG },
	{ "sa_xform_bad_last", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 16, 1, 1, 0, 1, 2, 0, 0, 8, 4, 0, 0, 31), -EBADMSG },
	{ "sa_attr_beyond", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 20, 0x00, 99, 0, 9), -EBADMSG },
	{ "sa_attr_truncated", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 18, 1, 1, 0, 1, 0, 0, 0, 10, 1, 0, 0, 20, 0x80, 14), -EBADMSG },
	{ "sa_esp_spi_3", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 19, 1, 3, 3, 1, 9, 9, 9, XF_DH_LAST), -EBADMSG },
	{ "sa_ike_spi_4", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 4, 1, 9, 9, 9, 9, XF_DH_LAST), -EBADMSG },
	{ "sa_spi_beyond", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 10, 1, 1, 8, 1, 9, 9), -EBADMSG },
	{ "sa_bytes_after_xforms", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 17, 1, 1, 0, 1, XF_DH_LAST, 0), -EBADMSG },
	{ "sa_33_transforms", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 16, 1, 1, 0, 33, XF_DH_LAST), -E2BIG },
	/* ID */
	{ "id_short", IKE_XCHG_AUTH, IKE_PLD_IDI, true, B(2, 0, 0), -EBADMSG },
	{ "id_reserved", IKE_XCHG_AUTH, IKE_PLD_IDI, true, B(2, 0, 1, 0, 'a'), -EBADMSG },
	{ "id_no_data", IKE_XCHG_AUTH, IKE_PLD_IDR, true, B(2, 0, 0, 0), -EBADMSG },
	{ "id_ipv4_5", IKE_XCHG_AUTH, IKE_PLD_IDI, true, B(1, 0, 0, 0, 1, 2, 3, 4, 5),
	  -EBADMSG },
	{ "id_ipv6_4", IKE_XCHG_AUTH, IKE_PLD_IDI, true, B(5, 0, 0, 0, 1, 2, 3, 4), -EBADMSG },
	/* CERT / CERTREQ */
	{ "cert_empty", IKE_XCHG_AUTH, IKE_PLD_CERT, true, { 0 }, 0, -EBADMSG },
	{ "cert_no_data", IKE_XCHG_AUTH, IKE_PLD_CERT, true, B(4), -EBADMSG },
	{ "certreq_21", IKE_XCHG_SA_INIT, IKE_PLD_CERTREQ, false, { 4 }, 22, -EBADMSG },
	/* AUTH */
	{ "auth_short", IKE_XCHG_AUTH, IKE_PLD_AUTH, true, B(2, 0, 0), -EBADMSG },
	{ "auth_reserved", IKE_XCHG_AUTH, IKE_PLD_AUTH, true, B(2, 0, 0, 1, 9), -EBADMSG },
	{ "auth_no_data", IKE_XCHG_AUTH, IKE_PLD_AUTH, true, B(2, 0, 0, 0), -EBADMSG },
	/* Notify */
	{ "n_short", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(0, 0, 0x40), -EBADMSG },
	{ "n_spi_size_3", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(3, 3, 0, 11, 1, 2, 3),
	  -EBADMSG },
	{ "n_spi_beyond", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(3, 4, 0, 11, 1, 2), -EBADMSG },
	{ "n_proto_7", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(7, 0, 0, 14), -EBADMSG },
	{ "n_cookie_empty", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(0, 0, 0x40, 0x06), -EBADMSG },
	{ "n_cookie_65", IKE_XCHG_SA_INIT, IKE_PLD_N, false, { 0, 0, 0x40, 0x06 }, 4 + 65,
	  -EBADMSG },
	{ "n_natd_19", IKE_XCHG_SA_INIT, IKE_PLD_N, false, { 0, 0, 0x40, 0x04 }, 4 + 19,
	  -EBADMSG },
	{ "n_invalid_ke_3", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(0, 0, 0, 17, 0, 14, 0),
	  -EBADMSG },
	{ "n_window_2", IKE_XCHG_AUTH, IKE_PLD_N, true, B(0, 0, 0x40, 0x01, 0, 1), -EBADMSG },
	{ "n_rekey_no_spi", IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_N, true, B(3, 0, 0x40, 0x09),
	  -EBADMSG },
	{ "n_sighash_odd", IKE_XCHG_SA_INIT, IKE_PLD_N, false, B(0, 0, 0x40, 0x2f, 0, 2, 0),
	  -EBADMSG },
	/* Delete */
	{ "d_short", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(3, 4, 0), -EBADMSG },
	{ "d_count_mismatch", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true,
	  B(3, 4, 0, 2, 1, 2, 3, 4), -EBADMSG },
	{ "d_ike_with_spi", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(1, 0, 0, 1), -EBADMSG },
	{ "d_esp_spi_8", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true,
	  B(3, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8), -EBADMSG },
	{ "d_esp_no_spis", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(3, 4, 0, 0), -EBADMSG },
	{ "d_proto_9", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(9, 0, 0, 0), -EBADMSG },
	{ "d_65_spis", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(3, 4, 0, 65), -E2BIG },
	/* Traffic selectors */
	{ "ts_short", IKE_XCHG_AUTH, IKE_PLD_TSI, true, B(1, 0, 0), -EBADMSG },
	{ "ts_zero", IKE_XCHG_AUTH, IKE_PLD_TSI, true, B(0, 0, 0, 0), -EBADMSG },
	{ "ts_reserved", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 1, 0, 7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255), -EBADMSG },
	{ "ts_9", IKE_XCHG_AUTH, IKE_PLD_TSI, true, B(9, 0, 0, 0), -E2BIG },
	{ "ts_start_port_gt_end", IKE_XCHG_AUTH, IKE_PLD_TSR, true,
	  B(1, 0, 0, 0, 7, 6, 0, 16, 0, 81, 0, 80, 10, 0, 0, 0, 10, 0, 0, 255), -EBADMSG },
	{ "ts_start_addr_gt_end", IKE_XCHG_AUTH, IKE_PLD_TSR, true,
	  B(1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 1, 0, 10, 0, 0, 255), -EBADMSG },
	{ "ts_len_15", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 0, 0, 7, 0, 0, 15, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0), -EBADMSG },
	{ "ts_v6_len_16", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 0, 0, 8, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255), -EBADMSG },
	{ "ts_count_gt_present", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(2, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255), -EBADMSG },
	{ "ts_bytes_after", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255, 0), -EBADMSG },
	{ "ts_sel_len_lt_8", IKE_XCHG_AUTH, IKE_PLD_TSI, true, B(1, 0, 0, 0, 9, 0, 0, 4),
	  -EBADMSG },
	/* CP */
	{ "cp_short", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(1, 0, 0), -EBADMSG },
	{ "cp_type_0", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(0, 0, 0, 0), -EBADMSG },
	{ "cp_reserved", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(1, 0, 0, 1), -EBADMSG },
	{ "cp_r_bit", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(1, 0, 0, 0, 0x80, 1, 0, 0), -EBADMSG },
	{ "cp_ip4_len_3", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(2, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3),
	  -EBADMSG },
	{ "cp_attr_beyond", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(2, 0, 0, 0, 0, 1, 0, 4, 1, 2),
	  -EBADMSG },
	{ "cp_attr_truncated", IKE_XCHG_AUTH, IKE_PLD_CP, true, B(2, 0, 0, 0, 0, 1), -EBADMSG },
	/* EAP (RFC 3748 4): Length equals the payload body; codes 1..4 */
	{ "eap_short", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(3, 1, 0), -EBADMSG },
	{ "eap_len_gt_body", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(2, 1, 0, 9, 1, 'a'), -EBADMSG },
	{ "eap_len_lt_body", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(2, 1, 0, 5, 1, 'a'), -EBADMSG },
	{ "eap_code_0", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(0, 1, 0, 4), -EBADMSG },
	{ "eap_code_5", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(5, 1, 0, 4), -EBADMSG },
	{ "eap_response_no_type", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(2, 1, 0, 4), -EBADMSG },
	{ "eap_outside_sk", IKE_XCHG_AUTH, IKE_PLD_EAP, false, B(3, 1, 0, 4), -EPROTO },
	{ "eap_success_ok", IKE_XCHG_AUTH, IKE_PLD_EAP, true, B(3, 1, 0, 4), 0 },
	/* Placement (ike_pld_allowed) */
	{ "auth_outside_sk", IKE_XCHG_SA_INIT, IKE_PLD_AUTH, false, B(2, 0, 0, 0, 1), -EPROTO },
	{ "idi_in_sa_init", IKE_XCHG_SA_INIT, IKE_PLD_IDI, false, B(2, 0, 0, 0, 'a'), -EPROTO },
	{ "sa_in_informational", IKE_XCHG_INFORMATIONAL, IKE_PLD_SA, true, B(0), -EPROTO },
	{ "ts_in_informational", IKE_XCHG_INFORMATIONAL, IKE_PLD_TSI, true, B(0), -EPROTO },
	{ "d_in_auth", IKE_XCHG_AUTH, IKE_PLD_D, true, B(1, 0, 0, 0), -EPROTO },
	{ "nonce_cleartext_in_child", IKE_XCHG_CREATE_CHILD_SA, IKE_PLD_NONCE, false, { 0 }, 16,
	  -EPROTO },
	{ "n_cleartext_in_auth", IKE_XCHG_AUTH, IKE_PLD_N, false, B(0, 0, 0x40, 0), -EPROTO },
	{ "skf_in_sa_init", IKE_XCHG_SA_INIT, IKE_PLD_SKF, false, B(0, 1, 0, 1, 0), -EPROTO },
	{ "sk_inside_sk", IKE_XCHG_AUTH, IKE_PLD_SK, true, B(0), -EPROTO },
	/* Unknown payload types */
	{ "unknown_critical", IKE_XCHG_SA_INIT, 99, false, B(1, 2, 3), -EOPNOTSUPP },
	{ "unknown_critical_in_sk", IKE_XCHG_AUTH, 130, true, B(1), -EOPNOTSUPP },
	{ "unknown_skipped", IKE_XCHG_SA_INIT, 98, false, B(1, 2, 3), 0 },
	/* Valid edges */
	{ "nonce_16", IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, { 0 }, 16, 0 },
	{ "ts_opaque_ports", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 0, 0, 7, 0, 0, 16, 255, 255, 0, 0, 10, 0, 0, 0, 10, 0, 0, 255), 0 },
	{ "ts_unknown_type_skipped", IKE_XCHG_AUTH, IKE_PLD_TSI, true,
	  B(1, 0, 0, 0, 13, 0, 0, 8, 0, 0, 0, 0), 0 },
	{ "cp_unknown_attr_skipped", IKE_XCHG_AUTH, IKE_PLD_CP, true,
	  B(2, 0, 0, 0, 0, 99, 0, 2, 1, 2), 0 },
	{ "sa_unknown_xform_type", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 8, 9, 0, 0, 1), 0 },
	{ "sa_unknown_attr", IKE_XCHG_SA_INIT, IKE_PLD_SA, false,
	  B(0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 20, 0x80, 99, 0, 128), 0 },
	{ "d_ike", IKE_XCHG_INFORMATIONAL, IKE_PLD_D, true, B(1, 0, 0, 0), 0 },
};

/* Build a one-payload message (cleartext or inside SK) and parse it fully. */
static int
parse_one(uint8_t exchange, uint8_t type, bool in_sk, bool critical, const uint8_t *body,
	  size_t len, struct ike_msg *m)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	struct ike_bld b;
	struct ike_hdr h = hdr(exchange, IKE_FLAG_I, exchange == IKE_XCHG_SA_INIT ? 0 : 2);
	size_t mlen;

	CU_ASSERT_EQUAL_FATAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	if (in_sk)
		CU_ASSERT_EQUAL_FATAL(ike_bld_sk_begin(&b, &gcm_like), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_raw(&b, type, critical, body, len), 0);
	if (in_sk)
		CU_ASSERT_EQUAL_FATAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &mlen), 0);
	return parse_full(buf, mlen, m, pt, &gcm_like);
}

static void
test_malformed_payloads(void)
{
	static struct ike_msg m;
	static uint8_t body[512];
	unsigned i;

	for (i = 0; i < N_ELEM(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		bool crit = c->type >= 90;
		int rc;

		memset(body, 0, sizeof(body));
		memcpy(body, c->body, c->len < sizeof(c->body) ? c->len : sizeof(c->body));
		if (strcmp(c->name, "unknown_skipped") == 0)
			crit = false;
		rc = parse_one(c->exchange, c->type, c->in_sk, crit, body, c->len, &m);
		if (rc != c->want)
			fprintf(stderr, "\n  case %s: got %d (%s), want %d\n", c->name, rc,
				m.err != NULL ? m.err : "-", c->want);
		CU_ASSERT_EQUAL(rc, c->want);
		if (c->want != 0)
			CU_ASSERT(m.err != NULL);
		if (c->want == -EOPNOTSUPP)
			CU_ASSERT_EQUAL(m.unsupported_critical, c->type);
	}
	/* Nonce 256 ok, 257 not. */
	CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, false, body, 256, &m),
			0);
	CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_NONCE, false, false, body, 257, &m),
			-EBADMSG);
	/* Valid-edge results. */
	{
		const uint8_t sa_unk[] = { 0, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 8, 9, 0, 0, 1 };
		const uint8_t sa_attr[] = { 0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 20,
					    0x80, 99, 0, 128 };

		CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_SA, false, false, sa_unk,
					  sizeof(sa_unk), &m), 0);
		CU_ASSERT(m.sa.n_props == 1 && !m.sa.props[0].usable);
		CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_SA, false, false, sa_attr,
					  sizeof(sa_attr), &m), 0);
		CU_ASSERT(m.sa.props[0].usable && !m.sa.props[0].xf[0].usable);
	}
}

/* Too many of something, built in a loop. */
static void
test_limits(void)
{
	static uint8_t buf[BUF_CAP * 4], body[BUF_CAP];
	static struct ike_msg m;
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_I, 0);
	size_t len, pos;
	unsigned i;

	/* 17 proposals */
	pos = 0;
	for (i = 0; i < IKE_MAX_SA_PROPOSALS + 1; i++) {
		const uint8_t p[] = { i == IKE_MAX_SA_PROPOSALS ? 0 : 2, 0, 0, 16, (uint8_t)(i + 1),
				      1, 0, 1, XF_DH_LAST };

		memcpy(body + pos, p, sizeof(p));
		pos += sizeof(p);
	}
	CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_SA, false, false, body, pos, &m),
			-E2BIG);
	/* 16 is fine */
	body[(IKE_MAX_SA_PROPOSALS - 1) * 16] = 0;
	CU_ASSERT_EQUAL(parse_one(IKE_XCHG_SA_INIT, IKE_PLD_SA, false, false, body,
				  pos - 16, &m), 0);
	CU_ASSERT_EQUAL(m.sa.n_props, IKE_MAX_SA_PROPOSALS);

	/* Notifies: 32 stored, the 33rd is over the limit. */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	for (i = 0; i < IKE_MAX_NOTIFIES + 1; i++)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -E2BIG);

	/* Payloads: 65 ignored ADDITIONAL_IP4_ADDRESS notifies. */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	for (i = 0; i < IKE_MAX_PAYLOADS + 1; i++)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, body, 4);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -E2BIG);

	/* Vendor IDs */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	for (i = 0; i < IKE_MAX_VENDORS + 1; i++)
		ike_bld_vendor(&b, body, 16);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -E2BIG);

	/* Certificates (inside SK) */
	h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	ike_bld_sk_begin(&b, &gcm_like);
	for (i = 0; i < IKE_MAX_CERTS + 1; i++)
		ike_bld_cert(&b, IKE_CERT_X509_SIG, body, 8);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	{
		static uint8_t pt[BUF_CAP * 4];

		CU_ASSERT_EQUAL(parse_full(buf, len, &m, pt, &gcm_like), -E2BIG);
	}
}

/* Message-level errors: header, lengths, chain. */
static void
test_malformed_messages(void)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	static struct ike_msg m;
	struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_I, 0);
	struct ike_hdr hh;
	struct ike_bld b;
	struct ike_sk_layout l;
	size_t len = build_sa_init(buf, sizeof(buf)), alen;

	/* Header too short, length field mismatches, version, exchange. */
	CU_ASSERT_EQUAL(ike_msg_parse(buf, 27, &m), -EBADMSG);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, 0, &m), -EBADMSG);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len - 1, &m), -EBADMSG);
	buf[27]++;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
	buf[27]--;
	buf[17] = 0x30;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(m.hdr.spi_i, UINT64_C(0x0102030405060708));	/* for the reply */
	CU_ASSERT_EQUAL(ike_hdr_parse(buf, len, &hh), -EPROTONOSUPPORT);
	buf[17] = 0x21;			/* minor version ignored */
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), 0);
	buf[17] = 0x20;
	buf[18] = 40;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EPROTO);
	buf[18] = IKE_XCHG_SA_INIT;
	buf[19] |= 0x07;		/* unused header flag bits are ignored */
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), 0);
	buf[19] &= ~0x07;
	/* Reserved bits in a generic payload header. */
	buf[29] = 0x01;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
	buf[29] = 0;
	/* First payload length < 4, and beyond the message. */
	buf[30] = 0; buf[31] = 3;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
	CU_ASSERT_EQUAL(m.err_pld, IKE_PLD_N);
	CU_ASSERT_EQUAL(m.err_off, 28);
	buf[30] = 0x40; buf[31] = 0;
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);

	/* Bytes after the last payload; truncated payload header. */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, 16), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	memset(buf + len, 0, 3);
	len += 3;
	fix_len(buf, len);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(m.err, "bytes after last payload");
	buf[28] = IKE_PLD_V;		/* now the chain continues into 3 bytes */
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(m.err, "truncated payload header");

	/* Duplicate singleton */
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, 16), 0);
	CU_ASSERT_EQUAL(ike_bld_nonce(&b, nonce32, 16), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len, &m), -EPROTO);

	/* SK: bytes after it; SK too short for IV + ICV; bad padding. */
	h = hdr(IKE_XCHG_INFORMATIONAL, IKE_FLAG_I, 5);
	CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &cbc_like), 0);
	CU_ASSERT_EQUAL(ike_bld_sk_end(&b, fake_seal, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
	CU_ASSERT_EQUAL(ike_sk_locate(&m, &cbc_like, &l), 0);
	alen = l.ct_len;
	CU_ASSERT_EQUAL(alen, 16);
	{
		struct ike_sk_params big = { .iv_len = 16, .block_len = 16, .icv_len = 32 };
		struct ike_sk_params odd = { .iv_len = 8, .block_len = 16, .icv_len = 16 };

		CU_ASSERT_EQUAL(ike_sk_locate(&m, &big, &l), -EBADMSG);
		CU_ASSERT_EQUAL(ike_sk_locate(&m, &odd, &l), -EBADMSG);
	}
	memset(pt, 0, sizeof(pt));
	pt[15] = 15;
	CU_ASSERT_EQUAL(ike_msg_parse_inner(&m, pt, 16), 0);	/* all padding */
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
	pt[15] = 16;
	CU_ASSERT_EQUAL(ike_msg_parse_inner(&m, pt, 16), -EBADMSG);
	CU_ASSERT_EQUAL(ike_msg_parse_inner(&m, pt, 0), -EBADMSG);
	/* A byte after SK: extend message and header length. */
	buf[len] = 0;
	buf[27] = (uint8_t)(len + 1);
	CU_ASSERT_EQUAL(ike_msg_parse(buf, len + 1, &m), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(m.err, "bytes after SK payload");
	/* No SK at all */
	CU_ASSERT_EQUAL(ike_msg_parse(scratch, 0, &m), -EBADMSG);
	CU_ASSERT_EQUAL(ike_sk_locate(&m, &cbc_like, &l), -ENOENT);
}

/* ------------------------------------------------------------------------
 * Fragmentation (RFC 7383)
 * ------------------------------------------------------------------------ */

struct frag_set {
	uint8_t out[BUF_CAP * 2];
	struct ike_frag_out fo;
};

static int
split_auth(struct frag_set *fs, size_t mtu, const struct ike_sk_params *p, int *seals)
{
	static uint8_t buf[BUF_CAP];
	struct ike_bld b;
	struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);

	CU_ASSERT_EQUAL_FATAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_sk_begin(&b, p), 0);
	add_auth_inner(&b);
	return ike_frag_split(&b, mtu, fake_seal, seals, fs->out, sizeof(fs->out), &fs->fo);
}

/* Open fragment @i of @fs and feed it to @r. */
static int
feed(struct ike_frag_reasm *r, struct frag_set *fs, unsigned i, const struct ike_sk_params *p,
     uint64_t now, struct ike_msg *m)
{
	static uint8_t pt[BUF_CAP];
	struct ike_sk_layout l;
	const uint8_t *f = fs->out + fs->fo.off[i];

	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(f, fs->fo.len[i], m), 0);
	CU_ASSERT_FATAL(m->sk.present && m->sk.frag);
	CU_ASSERT_EQUAL(m->sk.frag_num, i + 1);
	CU_ASSERT_EQUAL(m->sk.frag_total, fs->fo.n);
	CU_ASSERT_EQUAL(m->sk.next, i == 0 ? IKE_PLD_IDI : IKE_PLD_NONE);
	CU_ASSERT_EQUAL_FATAL(ike_sk_locate(m, p, &l), 0);
	CU_ASSERT_EQUAL(l.aad_len, 36);
	CU_ASSERT_EQUAL_FATAL(fake_open(f, &l, pt), 0);
	return ike_frag_add(r, m, pt, l.ct_len, now);
}

static void
test_frag_split_reassemble(void)
{
	static struct frag_set fs, fs2;
	static struct ike_msg m;
	struct ike_frag_reasm r;
	const struct ike_sk_params *ps[] = { &gcm_like, &cbc_like };
	unsigned i, k;
	int seals = 0, rc = 0;

	for (k = 0; k < N_ELEM(ps); k++) {
		seals = 0;
		CU_ASSERT_EQUAL_FATAL(split_auth(&fs, 576, ps[k], &seals), 0);
		CU_ASSERT(fs.fo.n >= 6);
		CU_ASSERT_EQUAL(seals, (int)fs.fo.n);
		for (i = 0; i < fs.fo.n; i++)
			CU_ASSERT(fs.fo.len[i] <= 576);

		/* In order */
		ike_frag_init(&r);
		for (i = 0; i < fs.fo.n; i++) {
			rc = feed(&r, &fs, i, ps[k], 1000, &m);
			CU_ASSERT_EQUAL(rc, i + 1 == fs.fo.n ? 1 : 0);
		}
		CU_ASSERT_EQUAL_FATAL(ike_frag_parse(&r, &m), 0);
		check_auth_inner(&m);
		/* A late duplicate after completion */
		CU_ASSERT_EQUAL(feed(&r, &fs, 0, ps[k], 1000, &m), -EALREADY);
		ike_frag_fini(&r);

		/* Reverse order with duplicates */
		ike_frag_init(&r);
		for (i = fs.fo.n; i-- > 0;) {
			rc = feed(&r, &fs, i, ps[k], 1000, &m);
			CU_ASSERT_EQUAL(rc, i == 0 ? 1 : 0);
			if (i > 1)
				CU_ASSERT_EQUAL(feed(&r, &fs, i, ps[k], 1000, &m), -EALREADY);
		}
		CU_ASSERT_EQUAL_FATAL(ike_frag_parse(&r, &m), 0);
		check_auth_inner(&m);
		ike_frag_fini(&r);
	}

	/* The unpadded entry point (after ike_sk_open of ike_crypto.h). */
	CU_ASSERT_EQUAL_FATAL(split_auth(&fs, 576, &gcm_like, NULL), 0);
	ike_frag_init(&r);
	for (i = 0; i < fs.fo.n; i++) {
		static uint8_t pt[BUF_CAP];
		const uint8_t *f = fs.out + fs.fo.off[i];
		struct ike_sk_layout l;
		size_t inner_len;

		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(f, fs.fo.len[i], &m), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sk_locate(&m, &gcm_like, &l), 0);
		CU_ASSERT_EQUAL_FATAL(fake_open(f, &l, pt), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sk_unpad(pt, l.ct_len, &inner_len), 0);
		rc = ike_frag_add_raw(&r, &m, pt, inner_len, 0);
		CU_ASSERT_EQUAL(rc, i + 1 == fs.fo.n ? 1 : 0);
	}
	CU_ASSERT_EQUAL_FATAL(ike_frag_parse(&r, &m), 0);
	check_auth_inner(&m);
	CU_ASSERT_EQUAL(ike_frag_add_raw(&r, &m, NULL, 1, 0), -EINVAL);
	ike_frag_fini(&r);

	/* Restart: fewer (larger) fragments first, then a retransmission
	 * with more fragments supersedes them; the old set is then stale. */
	CU_ASSERT_EQUAL_FATAL(split_auth(&fs, 1280, &gcm_like, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(split_auth(&fs2, 576, &gcm_like, NULL), 0);
	CU_ASSERT(fs2.fo.n > fs.fo.n);
	ike_frag_init(&r);
	CU_ASSERT_EQUAL(feed(&r, &fs, 0, &gcm_like, 0, &m), 0);
	CU_ASSERT_EQUAL(feed(&r, &fs2, 1, &gcm_like, 10, &m), 0);
	CU_ASSERT_EQUAL(r.total, fs2.fo.n);
	CU_ASSERT_EQUAL(r.n_have, 1);
	CU_ASSERT_EQUAL(feed(&r, &fs, 1, &gcm_like, 20, &m), -ESTALE);
	/* Timeout hook */
	CU_ASSERT(!ike_frag_expired(&r, 10 + IKE_FRAG_TIMEOUT_MS - 1));
	CU_ASSERT(ike_frag_expired(&r, 10 + IKE_FRAG_TIMEOUT_MS));
	for (i = 0; i < fs2.fo.n; i++)
		if (i != 1)
			rc = feed(&r, &fs2, i, &gcm_like, 30, &m);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT(!ike_frag_expired(&r, 1000000));	/* complete: not expired */
	CU_ASSERT_EQUAL_FATAL(ike_frag_parse(&r, &m), 0);
	check_auth_inner(&m);
	/* A new message ID starts over. */
	{
		uint8_t *f = fs.out + fs.fo.off[0];

		f[23] = 2;		/* message ID 2; fake ICV now fails, so build m by hand */
		CU_ASSERT_EQUAL(ike_msg_parse(f, fs.fo.len[0], &m), 0);
		{
			uint8_t pt[3] = { IKE_PLD_NONE, 0, 0 };

			CU_ASSERT_EQUAL(ike_frag_add(&r, &m, pt, 1, 5), 0);
			CU_ASSERT_EQUAL(r.msg_id, 2);
			CU_ASSERT_EQUAL(r.n_have, 1);
			CU_ASSERT(!r.complete);
			/* pad length beyond data */
			pt[0] = 5;
			CU_ASSERT_EQUAL(ike_frag_add(&r, &m, pt, 1, 5), -EBADMSG);
		}
		f[23] = 1;
	}
	ike_frag_fini(&r);

	/* Limits: too small an MTU, too many fragments, too small output. */
	CU_ASSERT_EQUAL(split_auth(&fs, 60, &gcm_like, NULL), -EINVAL);
	CU_ASSERT_EQUAL(split_auth(&fs, 100, &gcm_like, NULL), -E2BIG);
	{
		static uint8_t buf[BUF_CAP], small[700];
		struct ike_bld b;
		struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);
		struct ike_frag_out fo;

		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_sk_begin(&b, &gcm_like), 0);
		add_auth_inner(&b);
		CU_ASSERT_EQUAL(ike_frag_split(&b, 576, fake_seal, NULL, small, sizeof(small), &fo),
				-ENOSPC);
		/* Not fragmentable: SK not open */
		CU_ASSERT_EQUAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL(ike_frag_split(&b, 576, fake_seal, NULL, small, sizeof(small), &fo),
				-EINVAL);
	}
}

/* SKF header checks in the parser. */
static void
test_frag_malformed(void)
{
	static struct frag_set fs;
	static struct ike_msg m;
	uint8_t *f;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(split_auth(&fs, 576, &gcm_like, NULL), 0);
	f = fs.out + fs.fo.off[1];
	len = fs.fo.len[1];
	CU_ASSERT_EQUAL(ike_msg_parse(f, len, &m), 0);
	f[28] = IKE_PLD_IDI;		/* next payload in fragment 2 */
	CU_ASSERT_EQUAL(ike_msg_parse(f, len, &m), -EBADMSG);
	f[28] = 0;
	f[33] = 0;			/* fragment number 0 */
	CU_ASSERT_EQUAL(ike_msg_parse(f, len, &m), -EBADMSG);
	f[33] = 99;			/* number > total */
	CU_ASSERT_EQUAL(ike_msg_parse(f, len, &m), -EBADMSG);
	f[33] = 2;
	f[34] = 1;			/* total 258 > IKE_FRAG_MAX */
	CU_ASSERT_EQUAL(ike_msg_parse(f, len, &m), -E2BIG);
	f[34] = 0;
	/* SKF shorter than its 4 fragment bytes */
	{
		uint8_t msg[28 + 6];
		struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);
		struct ike_bld b;
		uint8_t body[2] = { 0, 1 };
		size_t mlen;

		CU_ASSERT_EQUAL(ike_bld_init(&b, msg, sizeof(msg), &h), 0);
		CU_ASSERT_EQUAL(ike_bld_raw(&b, IKE_PLD_SKF, false, body, 2), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &mlen), 0);
		CU_ASSERT_EQUAL(ike_msg_parse(msg, mlen, &m), -EBADMSG);
	}
}

/* ------------------------------------------------------------------------
 * The SK seam with ike_crypto's real protection
 * ------------------------------------------------------------------------ */

/* Seal step over ike_sk_seal(): the plaintext sits in place at ct_off with
 * our padding; ike_sk_seal pads the same way (zeros, then Pad Length). */
static int
real_seal(void *arg, uint8_t *msg, size_t len, const struct ike_sk_layout *l)
{
	const struct ike_sk_dir *k = arg;
	size_t pad = msg[l->ct_off + l->ct_len - 1], out_len = 0;
	int rc;

	if (pad > l->ct_len - 1)
		return -EINVAL;
	rc = ike_sk_seal(k, msg, l->aad_len, msg + l->ct_off, l->ct_len - 1 - pad, len,
			 &out_len);
	if (rc == 0 && out_len != len)
		return -EFAULT;
	return rc;
}

static void
real_keys(struct ike_sk_dir *k, bool gcm, struct ike_sk_params *p)
{
	memset(k, 0, sizeof(*k));
	if (gcm) {
		k->encr = IKE_CRYPTO_ENCR_AES_GCM16;
		k->integ = IKE_CRYPTO_INTEG_NONE;
		k->encr_key_len = 36;		/* AES-256 + salt */
	} else {
		k->encr = IKE_CRYPTO_ENCR_AES_CBC;
		k->integ = IKE_CRYPTO_INTEG_HMAC_SHA2_256_128;
		k->encr_key_len = 16;
		k->integ_key_len = 32;
	}
	fill(k->encr_key, k->encr_key_len, 21);
	fill(k->integ_key, k->integ_key_len, 22);
	p->iv_len = ike_sk_iv_len(k);
	p->icv_len = ike_sk_icv_len(k);
	p->block_len = gcm ? 1 : 16;
}

static void
test_sk_real_crypto(void)
{
	static uint8_t buf[BUF_CAP], pt[BUF_CAP];
	static struct ike_msg m;
	static struct frag_set fs;
	unsigned g, i;

	for (g = 0; g < 2; g++) {
		struct ike_sk_dir k;
		struct ike_sk_params p;
		struct ike_sk_layout l;
		struct ike_bld b;
		struct ike_hdr h = hdr(IKE_XCHG_AUTH, IKE_FLAG_I, 1);
		struct ike_frag_reasm r;
		size_t len, pl;
		int rc = 0;

		real_keys(&k, g == 0, &p);
		/* Whole message: our builder + ike_sk_seal, then our parser +
		 * ike_sk_open at m.sk.body_off. */
		CU_ASSERT_EQUAL_FATAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_sk_begin(&b, &p), 0);
		add_auth_inner(&b);
		CU_ASSERT_EQUAL(ike_bld_sk_len(&b), IKE_HDR_LEN + 4 + ike_sk_body_len(&k,
				b.len - b.inner_off));
		CU_ASSERT_EQUAL_FATAL(ike_bld_sk_end(&b, real_seal, &k), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sk_locate(&m, &p, &l), 0);
		CU_ASSERT_EQUAL_FATAL(ike_sk_open(&k, buf, len, m.sk.body_off, pt, sizeof(pt), &pl),
				      0);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse_inner_raw(&m, m.sk.next, pt, pl), 0);
		check_auth_inner(&m);
		/* ike_crypto's own whole-message decrypt agrees. */
		{
			uint8_t first = 0;

			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k, buf, len, &first, pt, sizeof(pt),
							   &pl), 0);
			CU_ASSERT_EQUAL(first, IKE_PLD_IDI);
		}
		/* Tampering is caught by the ICV, before we parse anything. */
		buf[len / 2] ^= 1;
		CU_ASSERT_EQUAL(ike_sk_open(&k, buf, len, m.sk.body_off, pt, sizeof(pt), &pl),
				-EACCES);

		/* Fragments: ike_frag_split + ike_sk_seal, ike_sk_open each,
		 * ike_frag_add_raw, out of order. */
		CU_ASSERT_EQUAL_FATAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
		CU_ASSERT_EQUAL_FATAL(ike_bld_sk_begin(&b, &p), 0);
		add_auth_inner(&b);
		CU_ASSERT_EQUAL_FATAL(ike_frag_split(&b, 576, real_seal, &k, fs.out, sizeof(fs.out),
						     &fs.fo), 0);
		ike_frag_init(&r);
		for (i = 0; i < fs.fo.n; i++) {
			unsigned fi = (i + 3) % fs.fo.n;
			const uint8_t *f = fs.out + fs.fo.off[fi];

			CU_ASSERT(fs.fo.len[fi] <= 576);
			CU_ASSERT_EQUAL_FATAL(ike_msg_parse(f, fs.fo.len[fi], &m), 0);
			CU_ASSERT_EQUAL_FATAL(ike_sk_open(&k, f, fs.fo.len[fi], m.sk.body_off, pt,
							  sizeof(pt), &pl), 0);
			rc = ike_frag_add_raw(&r, &m, pt, pl, 0);
			CU_ASSERT_EQUAL(rc, i + 1 == fs.fo.n ? 1 : 0);
		}
		CU_ASSERT_EQUAL_FATAL(rc, 1);
		CU_ASSERT_EQUAL_FATAL(ike_frag_parse(&r, &m), 0);
		check_auth_inner(&m);
		ike_frag_fini(&r);
	}
}

/* ------------------------------------------------------------------------
 * Mutation test
 * ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* deterministic per seed */
	return (uint32_t)(tu_xorshift64s(&rng_state) >> 32);
}

/* Bounds of everything the parser hands out must lie inside @buf. */
static void
check_views(const struct ike_msg *m, const uint8_t *a, size_t alen, const uint8_t *b,
	    size_t blen)
{
#define IN(bl) CU_ASSERT((bl).len == 0 || \
	((bl).p >= a && (bl).p + (bl).len <= a + alen) || \
	(b != NULL && (bl).p >= b && (bl).p + (bl).len <= b + blen))
	unsigned i;

	CU_ASSERT(m->n_payloads <= IKE_MAX_PAYLOADS);
	CU_ASSERT(m->sa.n_props <= IKE_MAX_SA_PROPOSALS);
	for (i = 0; i < m->sa.n_props; i++)
		CU_ASSERT(m->sa.props[i].n_xforms <= IKE_MAX_XFORMS);
	CU_ASSERT(m->n_notifies <= IKE_MAX_NOTIFIES);
	for (i = 0; i < m->n_notifies; i++)
		IN(m->notifies[i].data);
	CU_ASSERT(m->n_certs <= IKE_MAX_CERTS);
	for (i = 0; i < m->n_certs; i++)
		IN(m->certs[i].data);
	for (i = 0; i < m->n_certreqs; i++)
		IN(m->certreqs[i].data);
	IN(m->nonce);
	IN(m->ke.data);
	IN(m->auth.data);
	IN(m->idi.body);
	IN(m->idr.body);
	CU_ASSERT(m->tsi.n_ts <= IKE_MAX_TS && m->tsr.n_ts <= IKE_MAX_TS);
	CU_ASSERT(m->cp.n_attrs <= IKE_MAX_CP_ATTRS);
	CU_ASSERT(m->idi.id.len <= IKE_MAX_ID_LEN && m->idr.id.len <= IKE_MAX_ID_LEN);
	if (m->sk.present)
		CU_ASSERT(m->sk.body_off + m->sk.body_len == alen);
#undef IN
}

static void
mutate(uint8_t *p, size_t *len, size_t cap)
{
	unsigned k, n = 1 + rng() % 4;

	for (k = 0; k < n && *len > 0; k++) {
		size_t at = rng() % *len;

		switch (rng() % 7) {
		case 0:
			p[at] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1:
			p[at] = (uint8_t)rng();
			break;
		case 2:
			*len = at;		/* truncate */
			break;
		case 3: {		/* 16-bit length-like edit */
			int d = (int)(rng() % 9) - 4;

			if (at + 1 < *len) {
				unsigned v = ((unsigned)p[at] << 8 | p[at + 1]) + (unsigned)d;

				p[at] = (uint8_t)(v >> 8);
				p[at + 1] = (uint8_t)v;
			}
			break;
		}
		case 4:
			p[at] = (uint8_t)(rng() % 3 == 0 ? 0 : rng() % 2 ? 0xff : 0x80);
			break;
		case 5:			/* insert a byte */
			if (*len < cap) {
				memmove(p + at + 1, p + at, *len - at);
				p[at] = (uint8_t)rng();
				(*len)++;
			}
			break;
		default:		/* delete a byte */
			memmove(p + at, p + at + 1, *len - at - 1);
			(*len)--;
			break;
		}
	}
}

/* With IKE_WIRE_CORPUS=<dir>, write the seeds in fuzz_ike_msg's format. */
static void
dump_seed(const char *name, uint8_t mode, const uint8_t *pre, size_t pre_len, const uint8_t *p,
	  size_t len)
{
	const char *dir = getenv("IKE_WIRE_CORPUS");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fputc(mode, f);
	fwrite(pre, 1, pre_len, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

static void
test_mutation(void)
{
	static uint8_t seed_init[BUF_CAP], seed_auth[BUF_CAP], inner[BUF_CAP], work[BUF_CAP + 16];
	static uint8_t pt[BUF_CAP + 16];
	static struct ike_msg m;
	static struct frag_set fs;
	struct ike_sk_layout l;
	size_t init_len, auth_len, inner_len, len, cut;
	const char *env = getenv("IKE_WIRE_SEED"), *ienv = getenv("IKE_WIRE_ITERS");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	unsigned iters = ienv != NULL ? (unsigned)strtoul(ienv, NULL, 0) : 20000, i;
	unsigned ok = 0;

	printf("\n  mutation seed %" PRIu64 " (IKE_WIRE_SEED to repeat), %u iterations\n", seed,
	       iters);
	rng_state = seed * 2 + 1;
	init_len = build_sa_init(seed_init, sizeof(seed_init));
	auth_len = build_auth(seed_auth, sizeof(seed_auth), &cbc_like);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(seed_auth, auth_len, &m), 0);
	CU_ASSERT_EQUAL_FATAL(ike_sk_locate(&m, &cbc_like, &l), 0);
	CU_ASSERT_EQUAL_FATAL(fake_open(seed_auth, &l, inner), 0);
	CU_ASSERT_EQUAL_FATAL(ike_sk_unpad(inner, l.ct_len, &inner_len), 0);
	CU_ASSERT_EQUAL_FATAL(split_auth(&fs, 300, &gcm_like, NULL), 0);
	dump_seed("sa_init", 0, NULL, 0, seed_init, init_len);
	dump_seed("auth_cbc", 4, NULL, 0, seed_auth, auth_len);
	dump_seed("auth_inner", 1, (const uint8_t[]){ IKE_PLD_IDI }, 1, inner, inner_len);
	/* All fragments, each behind a 2-byte length, in reverse order. */
	for (i = fs.fo.n, len = 0; i-- > 0;) {
		work[len++] = (uint8_t)(fs.fo.len[i] >> 8);
		work[len++] = (uint8_t)fs.fo.len[i];
		if (fs.fo.len[i] > sizeof(work) - len)
			break;
		memcpy(work + len, fs.out + fs.fo.off[i], fs.fo.len[i]);
		len += fs.fo.len[i];
	}
	dump_seed("frags", 2, NULL, 0, work, len);

	/* Truncation at every offset, with and without a fixed-up length. */
	for (cut = 0; cut < init_len; cut++) {
		memcpy(work, seed_init, cut);
		CU_ASSERT_NOT_EQUAL(ike_msg_parse(work, cut, &m), 0);
		fix_len(work, cut);
		if (ike_msg_parse(work, cut, &m) == 0)
			check_views(&m, work, cut, NULL, 0);
	}
	for (cut = 0; cut < inner_len; cut++) {
		memcpy(work, inner, cut);
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(seed_auth, auth_len, &m), 0);
		if (ike_msg_parse_inner_raw(&m, IKE_PLD_IDI, work, cut) == 0)
			check_views(&m, seed_auth, auth_len, work, cut);
	}

	for (i = 0; i < iters; i++) {
		unsigned which = rng() % 4;
		int rc;

		if (which == 0) {		/* cleartext IKE_SA_INIT: ours or strongSwan's */
			bool ss = rng() % 2;

			len = ss ? sizeof(strongswan_sa_init_req) : init_len;
			memcpy(work, ss ? strongswan_sa_init_req : seed_init, len);
			mutate(work, &len, BUF_CAP);
			if (rng() % 2)
				fix_len(work, len);
			rc = ike_msg_parse(work, len, &m);
			if (rc == 0) {
				check_views(&m, work, len, NULL, 0);
				ok++;
			}
		} else if (which == 1) {	/* decrypted inner chain of IKE_AUTH */
			bool ss = rng() % 2;

			len = ss ? sizeof(strongswan_auth_resp_inner) : inner_len;
			memcpy(work, ss ? strongswan_auth_resp_inner : inner, len);
			mutate(work, &len, BUF_CAP);
			CU_ASSERT_EQUAL_FATAL(ike_msg_parse(seed_auth, auth_len, &m), 0);
			rc = ike_msg_parse_inner_raw(&m, rng() % 8 ? IKE_PLD_IDI : (uint8_t)rng(),
						     work, len);
			if (rc == 0) {
				check_views(&m, seed_auth, auth_len, work, len);
				ok++;
			}
		} else if (which == 2) {	/* whole IKE_AUTH: outer walk + locate */
			len = auth_len;
			memcpy(work, seed_auth, len);
			mutate(work, &len, BUF_CAP);
			if (rng() % 2)
				fix_len(work, len);
			rc = ike_msg_parse(work, len, &m);
			if (rc == 0 && m.sk.present && ike_sk_locate(&m, &cbc_like, &l) == 0) {
				CU_ASSERT(l.icv_off + l.icv_len == len);
				/* Decrypt without the ICV check to reach the inner
				 * walk and the padding check with garbage. */
				memcpy(pt, work + l.ct_off, l.ct_len);
				for (cut = 0; cut < l.ct_len; cut++)
					pt[cut] ^= 0x5c;
				if (ike_msg_parse_inner(&m, pt, l.ct_len) == 0)
					check_views(&m, work, len, pt, l.ct_len);
				ok++;
			}
		} else {			/* SKF fragments into reassembly */
			struct ike_frag_reasm r;
			unsigned f, nf = fs.fo.n;

			ike_frag_init(&r);
			for (f = 0; f < nf + 2; f++) {
				unsigned fi = rng() % nf;

				len = fs.fo.len[fi];
				memcpy(work, fs.out + fs.fo.off[fi], len);
				if (rng() % 3 == 0)
					mutate(work, &len, BUF_CAP);
				if (ike_msg_parse(work, len, &m) != 0 || !m.sk.frag ||
				    ike_sk_locate(&m, &gcm_like, &l) != 0)
					continue;
				memcpy(pt, work + l.ct_off, l.ct_len);
				for (cut = 0; cut < l.ct_len; cut++)
					pt[cut] ^= 0x5c;
				rc = ike_frag_add(&r, &m, pt, l.ct_len, f);
				if (rc == 1) {
					if (ike_frag_parse(&r, &m) == 0)
						check_views(&m, work, len, r.whole, r.whole_len);
					ok++;
					break;
				}
			}
			ike_frag_fini(&r);
		}
	}
	printf("  %u of %u mutated inputs parsed\n", ok, iters);
}

/* ------------------------------------------------------------------------ */

int
main(void)
{
	static const struct tu_test tests[] = {
		{ "roundtrip_sa_init", test_roundtrip_sa_init },
		{ "roundtrip_auth_sk", test_roundtrip_auth_sk },
		{ "roundtrip_info_child", test_roundtrip_info_child },
		{ "roundtrip_notifies", test_roundtrip_notifies },
		{ "roundtrip_misc", test_roundtrip_misc },
		{ "pld_allowed", test_pld_allowed },
		{ "builder_capacity", test_builder_capacity },
		{ "malformed_payloads", test_malformed_payloads },
		{ "malformed_messages", test_malformed_messages },
		{ "limits", test_limits },
		{ "frag_split_reassemble", test_frag_split_reassemble },
		{ "frag_malformed", test_frag_malformed },
		{ "sk_real_crypto", test_sk_real_crypto },
		{ "prop_parse", test_prop_parse },
		{ "prop_select", test_prop_select },
		{ "strongswan_sa_init", test_strongswan_sa_init },
		{ "strongswan_sa_init_resp", test_strongswan_sa_init_resp },
		{ "strongswan_auth_resp", test_strongswan_auth_resp },
		{ "strongswan_fragments", test_strongswan_fragments },
		{ "mutation", test_mutation },
	};
	return tu_main("ike_wire", tests, TU_N(tests));
}
