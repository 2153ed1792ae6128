/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ike's proposals (ike_prop_*: strings, parsing, selection)
 * and real strongSwan messages (tests/vectors/ike_wire_strongswan.h): parse,
 * answer, fragments. Shared helpers: test_ike_wire.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"
#include "test_ike_wire.h"

#include "tests/vectors/ike_wire_strongswan.h"

/* ------------------------------------------------------------------------
 * Proposals
 * ------------------------------------------------------------------------ */

void
test_prop_parse(void)
{
	struct {
		const char *s;
		uint8_t proto;
		const char *canon;	/* ike_prop_format, NULL = error expected */
	} cases[] = {
		{ "aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, "aes128gcm16-prfsha256-curve25519" },
		{ "aes256-sha256-modp2048", IKE_PROTO_IKE, "aes256-sha256-prfsha256-modp2048" },
		{ "aes256gcm16-prfsha384-ecp384-ecp256", IKE_PROTO_IKE,
		  "aes256gcm16-prfsha384-ecp384-ecp256" },
		{ "aes128-aes256-sha256-sha1-modp3072-ecp521", IKE_PROTO_IKE,
		  "aes128-aes256-sha256-sha1-prfsha256-prfsha1-modp3072-ecp521" },
		{ "AES128GCM16-PRFSHA512-CURVE25519", IKE_PROTO_IKE,
		  "aes128gcm16-prfsha512-curve25519" },
		{ "aes256-sha512-prfsha256-modp4096", IKE_PROTO_IKE,
		  "aes256-sha512-prfsha256-modp4096" },
		{ "chacha20poly1305-prfsha256-x25519", IKE_PROTO_IKE,
		  "chacha20poly1305-prfsha256-curve25519" },
		{ "aes128gcm16-esn", IKE_PROTO_ESP, "aes128gcm16-esn" },
		{ "aes256gcm16-noesn", IKE_PROTO_ESP, "aes256gcm16-noesn" },
		{ "aes128-sha256", IKE_PROTO_ESP, "aes128-sha256-noesn" },
		{ "aes256-sha512-esn", IKE_PROTO_ESP, "aes256-sha512-esn" },
		{ "aes128gcm16-modp2048", IKE_PROTO_ESP, "aes128gcm16-modp2048-noesn" },
		{ "aes128gcm-esn-noesn", IKE_PROTO_ESP, "aes128gcm16-esn-noesn" },
		{ "aes128-aes128-sha256", IKE_PROTO_ESP, "aes128-sha256-noesn" },
		/* errors */
		{ "", IKE_PROTO_IKE, NULL },
		{ "aes128gcm16", IKE_PROTO_IKE, NULL },			/* no prf, no DH */
		{ "aes128gcm16-x25519", IKE_PROTO_IKE, NULL },		/* AEAD needs prf */
		{ "aes128-prfsha256-x25519", IKE_PROTO_IKE, NULL },	/* no integ */
		{ "aes128gcm16-sha256-prfsha256-x25519", IKE_PROTO_IKE, NULL },
		{ "aes128-aes128gcm16-sha256-x25519", IKE_PROTO_IKE, NULL },
		{ "aes128-sha256-prfsha256", IKE_PROTO_IKE, NULL },	/* no DH */
		{ "aes128-sha256-modp2048-esn", IKE_PROTO_IKE, NULL },
		{ "aes128-sha256-modp1024", IKE_PROTO_IKE, NULL },	/* unknown */
		{ "aes128--sha256-modp2048", IKE_PROTO_IKE, NULL },
		{ "aes128-sha256-modp2048-", IKE_PROTO_IKE, NULL },
		{ "-aes128-sha256-modp2048", IKE_PROTO_IKE, NULL },
		{ "sha256-esn", IKE_PROTO_ESP, NULL },			/* no encryption */
		{ "aes128", IKE_PROTO_ESP, NULL },			/* no integ */
		{ "aes128gcm16-prfsha256", IKE_PROTO_ESP, NULL },	/* prf in ESP */
		{ "3des-sha1", IKE_PROTO_ESP, NULL },
		{ "aes128gcm16-esn", 2, NULL },				/* AH */
	};
	char long_s[200];
	unsigned i;

	for (i = 0; i < N_ELEM(cases); i++) {
		struct ike_proposal p;
		char err[128], fmt[256];
		int rc = ike_prop_parse(cases[i].s, cases[i].proto, &p, err, sizeof(err));

		if (cases[i].canon == NULL) {
			if (rc != -EINVAL)
				fprintf(stderr, "\n  '%s' parsed, expected error\n", cases[i].s);
			CU_ASSERT_EQUAL(rc, -EINVAL);
			CU_ASSERT(err[0] != '\0');
			continue;
		}
		if (rc != 0)
			fprintf(stderr, "\n  '%s': %s\n", cases[i].s, err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(p.proto, cases[i].proto);
		CU_ASSERT_EQUAL(p.spi_len, cases[i].proto == IKE_PROTO_ESP ? 4 : 0);
		CU_ASSERT_EQUAL(ike_prop_format(&p, fmt, sizeof(fmt)), 0);
		if (strcmp(fmt, cases[i].canon) != 0)
			fprintf(stderr, "\n  '%s' -> '%s', want '%s'\n", cases[i].s, fmt,
				cases[i].canon);
		CU_ASSERT_STRING_EQUAL(fmt, cases[i].canon);
	}
	memset(long_s, 'a', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	{
		struct ike_proposal p;
		uint16_t id = 0, kb = 0;

		CU_ASSERT_EQUAL(ike_prop_parse(long_s, IKE_PROTO_IKE, &p, NULL, 0), -EINVAL);
		p = prop_str("aes256-sha256-modp2048", IKE_PROTO_IKE);
		CU_ASSERT_EQUAL(ike_prop_xform(&p, IKE_XF_ENCR, &id, &kb), 0);
		CU_ASSERT(id == IKE_ENCR_AES_CBC && kb == 256);
		CU_ASSERT_EQUAL(ike_prop_xform(&p, IKE_XF_INTEG, &id, NULL), 0);
		CU_ASSERT_EQUAL(id, IKE_INTEG_HMAC_SHA2_256_128);
		CU_ASSERT_EQUAL(ike_prop_xform(&p, IKE_XF_PRF, &id, NULL), 0);
		CU_ASSERT_EQUAL(id, IKE_PRF_HMAC_SHA2_256);
		CU_ASSERT_EQUAL(ike_prop_xform(&p, IKE_XF_ESN, &id, NULL), -ENOENT);
		p = prop_str("aes128gcm16-modp2048-ecp256", IKE_PROTO_ESP);
		CU_ASSERT(ike_prop_has_dh(&p, IKE_DH_ECP256));
		ike_prop_strip_dh(&p);
		CU_ASSERT(!ike_prop_has_dh(&p, IKE_DH_ECP256));
		CU_ASSERT_EQUAL(p.n_xforms, 2);
		CU_ASSERT(ike_encr_is_aead(IKE_ENCR_AES_GCM_16) && !ike_encr_is_aead(IKE_ENCR_AES_CBC));
	}
}

/* Build an SA payload from proposal strings, parse it back as "the peer's". */
static void
offer_of(const char *const *strs, unsigned n, uint8_t proto, struct ike_sa_pld *out)
{
	static uint8_t buf[BUF_CAP];
	static struct ike_msg m;
	struct ike_proposal props[IKE_MAX_SA_PROPOSALS];
	struct ike_hdr h = hdr(IKE_XCHG_SA_INIT, IKE_FLAG_I, 0);
	struct ike_bld b;
	size_t len;
	unsigned i;

	for (i = 0; i < n; i++) {
		props[i] = prop_str(strs[i], proto);
		if (proto == IKE_PROTO_ESP)
			props[i].spi[3] = (uint8_t)(0x10 + i);
	}
	CU_ASSERT_EQUAL_FATAL(ike_bld_init(&b, buf, sizeof(buf), &h), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_sa(&b, props, n), 0);
	CU_ASSERT_EQUAL_FATAL(ike_bld_finish(&b, &len), 0);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(buf, len, &m), 0);
	*out = m.sa;
}

void
test_prop_select(void)
{
	static struct ike_sa_pld offer, reply;
	struct ike_proposal ours[3], chosen, chk;
	const char *peer1[] = { "aes256-sha256-modp2048", "aes128gcm16-prfsha256-x25519-ecp256" };
	const char *peer2[] = { "aes128gcm16-prfsha384-ecp384" };
	const char *peer_esp[] = { "aes256-sha512-esn", "aes128gcm16-esn-noesn" };
	const char *peer_esp_dh[] = { "aes128gcm16-ecp256-modp2048-noesn" };
	char fmt[128];
	unsigned idx = 99;

	/* Responder: our order wins, not the peer's. */
	ours[0] = prop_str("aes128gcm16-prfsha256-ecp256-x25519", IKE_PROTO_IKE);
	ours[1] = prop_str("aes256-sha256-modp2048", IKE_PROTO_IKE);
	offer_of(peer1, 2, IKE_PROTO_IKE, &offer);
	CU_ASSERT_EQUAL_FATAL(ike_prop_select(ours, 2, &offer, &chosen, &idx), 0);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(chosen.num, 2);		/* the peer's proposal number */
	CU_ASSERT_EQUAL(ike_prop_format(&chosen, fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes128gcm16-prfsha256-ecp256");	/* our DH order */
	/* The initiator accepts that reply. */
	{
		struct ike_proposal offered[2] = { prop_str(peer1[0], IKE_PROTO_IKE),
						   prop_str(peer1[1], IKE_PROTO_IKE) };

		reply.n_props = 1;
		reply.props[0] = chosen;
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), 0);
		CU_ASSERT(prop_eq(&chk, &chosen));
		/* Wrong number, two proposals, extra transform, unoffered one. */
		reply.props[0].num = 1;
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), -EBADMSG);
		reply.props[0].num = 2;
		reply.n_props = 2;
		reply.props[1] = chosen;
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), -EBADMSG);
		reply.n_props = 1;
		reply.props[0].xf[reply.props[0].n_xforms++] =
			(struct ike_xform){ .type = IKE_XF_DH, .id = IKE_DH_CURVE25519,
					    .usable = true };
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), -EBADMSG);
		reply.props[0] = chosen;
		reply.props[0].xf[0].key_bits = 256;	/* aes256gcm16: not offered */
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), -EBADMSG);
		reply.props[0] = chosen;
		reply.props[0].n_xforms--;		/* DH missing */
		CU_ASSERT_EQUAL(ike_prop_check_reply(offered, 2, &reply, &chk), -EBADMSG);
	}
	/* Our second proposal when the first cannot match. */
	ours[0] = prop_str("aes256gcm16-prfsha384-ecp384", IKE_PROTO_IKE);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 2, &offer, &chosen, &idx), 0);
	CU_ASSERT_EQUAL(idx, 1);
	CU_ASSERT_EQUAL(chosen.num, 1);
	/* Key length must match: aes128gcm16 offered, we want aes256gcm16. */
	offer_of(peer2, 1, IKE_PROTO_IKE, &offer);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, &idx), -ENOENT);
	/* No match at all */
	ours[2] = prop_str("aes128-sha1-modp3072", IKE_PROTO_IKE);
	CU_ASSERT_EQUAL(ike_prop_select(&ours[2], 1, &offer, &chosen, NULL), -ENOENT);
	/* Unusable transforms / proposals are skipped. */
	offer_of(peer2, 1, IKE_PROTO_IKE, &offer);
	ours[0] = prop_str(peer2[0], IKE_PROTO_IKE);
	offer.props[0].xf[0].usable = false;
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), -ENOENT);
	offer.props[0].xf[0].usable = true;
	offer.props[0].usable = false;
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), -ENOENT);
	offer.props[0].usable = true;
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), 0);

	/* ESP: SPI carried over, ESN chosen per our order. */
	ours[0] = prop_str("aes128gcm16-noesn", IKE_PROTO_ESP);
	ours[1] = prop_str("aes256-sha512-esn", IKE_PROTO_ESP);
	offer_of(peer_esp, 2, IKE_PROTO_ESP, &offer);
	CU_ASSERT_EQUAL_FATAL(ike_prop_select(ours, 2, &offer, &chosen, &idx), 0);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(chosen.num, 2);
	CU_ASSERT(chosen.spi_len == 4 && chosen.spi[3] == 0x11);
	CU_ASSERT_EQUAL(ike_prop_format(&chosen, fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes128gcm16-noesn");
	/* ESP with PFS: our group list picks; without DH configured no match. */
	offer_of(peer_esp_dh, 1, IKE_PROTO_ESP, &offer);
	ours[0] = prop_str("aes128gcm16-modp2048-ecp256", IKE_PROTO_ESP);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), 0);
	CU_ASSERT_EQUAL(ike_prop_format(&chosen, fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes128gcm16-modp2048-noesn");
	ours[0] = prop_str("aes128gcm16", IKE_PROTO_ESP);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), -ENOENT);
	/* ... unless the peer also offers DH NONE. */
	offer.props[0].xf[offer.props[0].n_xforms++] =
		(struct ike_xform){ .type = IKE_XF_DH, .id = IKE_DH_NONE, .usable = true };
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), 0);
	CU_ASSERT(ike_prop_has_dh(&chosen, IKE_DH_NONE));
	/* IKE proposals never satisfy ESP and vice versa. */
	offer_of(peer1, 2, IKE_PROTO_IKE, &offer);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 1, &offer, &chosen, NULL), -ENOENT);
}

/* A real strongSwan IKE_SA_INIT request parses, and we can answer it. */
void
test_strongswan_sa_init(void)
{
	static struct ike_msg m;
	struct ike_proposal ours[2], chosen;
	const struct ike_notify *n;
	const uint8_t *d = strongswan_sa_init_req;
	char fmt[128];
	unsigned idx = 9;

	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(d, sizeof(strongswan_sa_init_req), &m), 0);
	CU_ASSERT_EQUAL(m.hdr.exchange, IKE_XCHG_SA_INIT);
	CU_ASSERT_EQUAL(m.hdr.flags, IKE_FLAG_I);
	CU_ASSERT_EQUAL(m.hdr.msg_id, 0);
	CU_ASSERT_EQUAL(m.hdr.spi_r, 0);
	CU_ASSERT(m.has_sa && m.has_ke && m.has_nonce);
	CU_ASSERT_EQUAL(m.sa.n_props, 2);
	CU_ASSERT_EQUAL(ike_prop_format(&m.sa.props[0], fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes128gcm16-prfsha256-curve25519");
	CU_ASSERT_EQUAL(ike_prop_format(&m.sa.props[1], fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes256-sha256-prfsha256-modp2048");
	CU_ASSERT(m.ke.group == IKE_DH_CURVE25519 && m.ke.data.len == 32);
	CU_ASSERT_EQUAL(m.nonce.len, 32);
	CU_ASSERT_EQUAL(m.n_notifies, 5);
	n = ike_msg_notify(&m, IKE_N_NAT_DETECTION_SOURCE_IP);
	CU_ASSERT(n != NULL && n->data.len == IKE_NATD_LEN);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_NAT_DETECTION_DESTINATION_IP) != NULL);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL);
	n = ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	CU_ASSERT(n != NULL && n->data.len == 8);
	CU_ASSERT(ike_msg_notify(&m, 16406) != NULL);	/* REDIRECT_SUPPORTED: unknown, kept */

	/* Responder configured with the modp2048 proposal first picks it. */
	ours[0] = prop_str("aes256-sha256-modp2048", IKE_PROTO_IKE);
	ours[1] = prop_str("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE);
	CU_ASSERT_EQUAL(ike_prop_select(ours, 2, &m.sa, &chosen, &idx), 0);
	CU_ASSERT(idx == 0 && chosen.num == 2);
	CU_ASSERT_EQUAL(ike_prop_select(&ours[1], 1, &m.sa, &chosen, &idx), 0);
	CU_ASSERT(idx == 0 && chosen.num == 1);
	/* ... whose KE group (x25519) is what the initiator sent. */
	CU_ASSERT(ike_prop_has_dh(&chosen, m.ke.group));
}

/* strongSwan's answer to a request from our builder: the initiator side. */
void
test_strongswan_sa_init_resp(void)
{
	static struct ike_msg m;
	struct ike_proposal offered[2], chosen;
	const uint8_t *d = strongswan_sa_init_resp;
	char fmt[128];

	offered[0] = prop_str("aes256gcm16-prfsha384-ecp384-x25519", IKE_PROTO_IKE);
	offered[1] = prop_str("aes128-sha256-modp2048", IKE_PROTO_IKE);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(d, sizeof(strongswan_sa_init_resp), &m), 0);
	CU_ASSERT_EQUAL(m.hdr.spi_i, UINT64_C(0x1122334455667788));
	CU_ASSERT(m.hdr.spi_r != 0);
	CU_ASSERT_EQUAL(m.hdr.flags, IKE_FLAG_R);
	CU_ASSERT(m.has_sa && m.has_ke && m.has_nonce);
	CU_ASSERT(m.ke.group == IKE_DH_CURVE25519 && m.ke.data.len == 32);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL);
	CU_ASSERT(ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS) != NULL);
	CU_ASSERT_EQUAL(m.n_notifies, 4);
	CU_ASSERT(ike_msg_error_notify(&m) == NULL);
	CU_ASSERT_EQUAL_FATAL(ike_prop_check_reply(offered, 2, &m.sa, &chosen), 0);
	CU_ASSERT_EQUAL(chosen.num, 1);
	CU_ASSERT_EQUAL(ike_prop_format(&chosen, fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes256gcm16-prfsha384-curve25519");
	/* Had we offered only the CBC proposal, this reply is invalid. */
	CU_ASSERT_EQUAL(ike_prop_check_reply(&offered[1], 1, &m.sa, &chosen), -EBADMSG);
}

/* strongSwan's decrypted IKE_AUTH response (remote-access client view). */
void
test_strongswan_auth_resp(void)
{
	static struct ike_msg m;
	struct ike_proposal offered = prop_str("aes128gcm16-esn-noesn", IKE_PROTO_ESP), chosen;
	const struct ike_cp_attr *a;
	char fmt[64];
	unsigned i;
	bool have_addr = false, have_dns = false;

	offered.spi[0] = 0xc1; offered.spi[3] = 0x07;
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse(strongswan_auth_resp, sizeof(strongswan_auth_resp),
					    &m), 0);
	CU_ASSERT(m.sk.present && !m.sk.frag);
	CU_ASSERT_EQUAL(m.sk.next, IKE_PLD_IDR);
	CU_ASSERT_EQUAL(m.hdr.exchange, IKE_XCHG_AUTH);
	CU_ASSERT_EQUAL(m.hdr.flags, IKE_FLAG_R);
	CU_ASSERT_EQUAL(m.hdr.msg_id, 1);
	CU_ASSERT_EQUAL_FATAL(ike_msg_parse_inner_raw(&m, m.sk.next, strongswan_auth_resp_inner,
						      sizeof(strongswan_auth_resp_inner)), 0);
	CU_ASSERT(m.has_idr && m.has_auth && m.has_cp && m.has_sa && m.has_tsi && m.has_tsr);
	CU_ASSERT(!m.has_idi && m.n_notifies == 0);
	CU_ASSERT(m.idr.id.type == IKE_ID_IPV4_ADDR && m.idr.id.len == 4 &&
		  memcmp(m.idr.id.data, (const uint8_t[]){ 10, 213, 0, 1 }, 4) == 0);
	CU_ASSERT(m.auth.method == IKE_AUTH_PSK && m.auth.data.len == 48);	/* prfsha384 */
	CU_ASSERT_EQUAL(m.cp.cfg_type, IKE_CFG_REPLY);
	for (i = 0; i < m.cp.n_attrs; i++) {
		a = &m.cp.attrs[i];
		if (a->type == IKE_CP_INTERNAL_IP4_ADDRESS)
			have_addr = a->len == 4 && memcmp(a->val, (const uint8_t[]){ 10, 99, 0, 1 },
							  4) == 0;
		if (a->type == IKE_CP_INTERNAL_IP4_DNS)
			have_dns = a->len == 4 && memcmp(a->val, (const uint8_t[]){ 10, 99, 0, 53 },
							 4) == 0;
	}
	CU_ASSERT(have_addr && have_dns);
	CU_ASSERT_EQUAL_FATAL(ike_prop_check_reply(&offered, 1, &m.sa, &chosen), 0);
	CU_ASSERT_EQUAL(ike_prop_format(&chosen, fmt, sizeof(fmt)), 0);
	CU_ASSERT_STRING_EQUAL(fmt, "aes128gcm16-noesn");
	CU_ASSERT(chosen.spi_len == 4);
	/* TSi narrowed to the lease, TSr to the protected net. */
	CU_ASSERT(m.tsi.n_ts == 1 && m.tsi.ts[0].af == 4 &&
		  memcmp(m.tsi.ts[0].saddr, (const uint8_t[]){ 10, 99, 0, 1 }, 4) == 0 &&
		  memcmp(m.tsi.ts[0].eaddr, (const uint8_t[]){ 10, 99, 0, 1 }, 4) == 0);
	CU_ASSERT(m.tsr.n_ts == 1 &&
		  memcmp(m.tsr.ts[0].saddr, (const uint8_t[]){ 10, 0, 0, 0 }, 4) == 0 &&
		  memcmp(m.tsr.ts[0].eaddr, (const uint8_t[]){ 10, 0, 255, 255 }, 4) == 0 &&
		  m.tsr.ts[0].sport == 0 && m.tsr.ts[0].eport == 65535);
}

/* strongSwan's SKF fragments: headers, SK layout for AES-GCM. */
void
test_strongswan_fragments(void)
{
	static struct ike_msg m;
	struct ike_sk_layout l;
	struct ike_sk_params gcm = { .iv_len = 8, .block_len = 1, .icv_len = 16 };
	const uint8_t *f[2] = { strongswan_auth_resp_frag1, strongswan_auth_resp_frag2 };
	size_t n[2] = { sizeof(strongswan_auth_resp_frag1), sizeof(strongswan_auth_resp_frag2) };
	unsigned i;

	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(ike_msg_parse(f[i], n[i], &m), 0);
		CU_ASSERT(m.sk.present && m.sk.frag);
		CU_ASSERT_EQUAL(m.hdr.exchange, IKE_XCHG_AUTH);
		CU_ASSERT_EQUAL(m.hdr.msg_id, 1);
		CU_ASSERT_EQUAL(m.sk.frag_num, i + 1);
		CU_ASSERT_EQUAL(m.sk.frag_total, 2);
		CU_ASSERT_EQUAL(m.sk.next, i == 0 ? IKE_PLD_IDR : IKE_PLD_NONE);
		CU_ASSERT_EQUAL(m.sk.body_off, IKE_HDR_LEN + 8);
		CU_ASSERT_EQUAL(ike_sk_locate(&m, &gcm, &l), 0);
		CU_ASSERT_EQUAL(l.aad_len, IKE_HDR_LEN + 8);
		CU_ASSERT_EQUAL(l.icv_off + l.icv_len, n[i]);
		CU_ASSERT(n[i] + 4 + 8 + 20 <= 200);	/* charon's fragment_size */
	}
}

