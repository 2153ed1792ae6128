/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for the IKE wire codec (lib/ike/ike_wire.h). The
 * first input byte picks what the rest is fed to:
 *   0: a datagram: header, cleartext walk, SK layout, then the "decrypted"
 *      SK contents (ciphertext taken as plaintext, no ICV) through the inner
 *      walk, as ike_input does after ikec opened it;
 *   1: a decrypted inner payload chain (second byte: first payload type);
 *   2: a sequence of length-prefixed SKF datagrams through reassembly;
 *   3: a proposal string, then matching against a fixed SA offer.
 * Built only with -Dfuzz=true and clang. Runs no crypto and keeps no state
 * between inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_wire.h"
#include "fuzz_entry.h"

static const struct ike_sk_params params[] = {
	{ .iv_len = 8, .block_len = 1, .icv_len = 16 },
	{ .iv_len = 16, .block_len = 16, .icv_len = 16 },
};

static void
fuzz_datagram(const uint8_t *d, size_t n, unsigned which)
{
	static struct ike_msg m;
	struct ike_sk_layout l;
	uint8_t *pt;

	if (ike_msg_parse(d, n, &m) != 0 || !m.sk.present)
		return;
	if (ike_sk_locate(&m, &params[which % 2], &l) != 0)
		return;
	pt = malloc(l.ct_len);
	if (pt == NULL)
		return;
	memcpy(pt, d + l.ct_off, l.ct_len);
	if (!m.sk.frag)
		(void)ike_msg_parse_inner(&m, pt, l.ct_len);
	free(pt);
}

static void
fuzz_inner(const uint8_t *d, size_t n)
{
	static const uint8_t hdr_sk[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		IKE_PLD_SK, 0x20, IKE_XCHG_AUTH, IKE_FLAG_I, 0, 0, 0, 1, 0, 0, 0, 57,
		0, 0, 0, 29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
	};
	static struct ike_msg m;
	uint8_t x;

	if (n < 2)
		return;
	for (x = IKE_XCHG_SA_INIT; x <= IKE_XCHG_INFORMATIONAL; x++) {
		uint8_t h[sizeof(hdr_sk)];

		memcpy(h, hdr_sk, sizeof(h));
		if (x == IKE_XCHG_SA_INIT)
			continue;
		h[18] = x;
		if (ike_msg_parse(h, sizeof(h), &m) != 0)
			abort();	/* the fixed header must parse */
		(void)ike_msg_parse_inner_raw(&m, d[0], d + 1, n - 1);
	}
}

static void
fuzz_frags(const uint8_t *d, size_t n)
{
	static struct ike_msg m;
	struct ike_frag_reasm r;
	size_t pos = 0;
	uint64_t now = 0;

	ike_frag_init(&r);
	while (n - pos >= 2) {
		size_t len = (size_t)d[pos] << 8 | d[pos + 1];
		struct ike_sk_layout l;

		pos += 2;
		if (len > n - pos)
			len = n - pos;
		if (ike_msg_parse(d + pos, len, &m) == 0 && m.sk.frag &&
		    ike_sk_locate(&m, &params[0], &l) == 0) {
			int rc = ike_frag_add(&r, &m, d + pos + l.ct_off, l.ct_len, now);

			if (rc == 1)
				(void)ike_frag_parse(&r, &m);
		}
		if (ike_frag_expired(&r, now))
			ike_frag_reset(&r);
		now += 1000;
		pos += len;
	}
	ike_frag_fini(&r);
}

static void
fuzz_prop(const uint8_t *d, size_t n)
{
	struct ike_proposal ours, chosen;
	struct ike_sa_pld offer;
	char s[IKE_PROP_STR_MAX + 8], err[128], fmt[512];
	size_t len = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
	uint8_t proto = len > 0 && (d[0] & 1) ? IKE_PROTO_ESP : IKE_PROTO_IKE;

	memcpy(s, d, len);
	s[len] = '\0';
	if (ike_prop_parse(s, proto, &ours, err, sizeof(err)) != 0)
		return;
	(void)ike_prop_format(&ours, fmt, sizeof(fmt));
	memset(&offer, 0, sizeof(offer));
	offer.n_props = 2;
	if (ike_prop_parse("aes128gcm16-aes256gcm16-prfsha256-x25519-ecp256", IKE_PROTO_IKE,
			   &offer.props[0], NULL, 0) != 0 ||
	    ike_prop_parse("aes256-sha256-modp2048-esn", IKE_PROTO_ESP, &offer.props[1], NULL,
			   0) != 0)
		abort();
	offer.props[0].num = 1;
	offer.props[1].num = 2;
	if (ike_prop_select(&ours, 1, &offer, &chosen, NULL) == 0) {
		struct ike_sa_pld reply = { .n_props = 1 };

		reply.props[0] = chosen;
		/* What we select from an offer must pass the initiator check. */
		if (ike_prop_check_reply(offer.props, 2, &reply, &chosen) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_datagram(data + 1, size - 1, data[0] >> 2);
		break;
	case 1:
		fuzz_inner(data + 1, size - 1);
		break;
	case 2:
		fuzz_frags(data + 1, size - 1);
		break;
	default:
		fuzz_prop(data + 1, size - 1);
		break;
	}
	return 0;
}
