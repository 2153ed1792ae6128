/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential libFuzzer target: the multi-packet AES-GCM engine
 * (lib/crypto/cry_mgcm*, forced on for every packet it can take) against
 * IPsec-MB's one-packet GCM (cry_gcm_seal/open), which nobody here wrote.
 * For every input both seal the same packets; ciphertext and tags must be
 * byte-identical. Then the engine opens what it sealed, with one bit of a
 * chosen packet's tag, AAD or ciphertext flipped: exactly that packet must
 * fail (-EBADMSG), every other one must succeed and give back its plaintext;
 * IPsec-MB's open must agree on the flipped packet.
 *
 * Input (missing bytes read as zero):
 *   [0]      bits 0-3: packets - 1 (1..16); bits 4-5 key length of key A
 *            (16, 24, 32, 32), bits 6-7 of key B
 *   [1..64]  key A (first 32 bytes), key B (next 32)
 *   per packet: [ctrl][len lo][len hi][nonce 12][aad 12][flip 2][payload]
 *            ctrl bit 0: key B; bit 1: AAD 12 bytes (ESN) else 8; bits 2-3:
 *            flip none / tag / AAD / ciphertext; bit 4 of the first
 *            packet's ctrl: the AVX2 kernel (else AVX-512; either one
 *            only if the CPU has it); len = 16-bit value % 2049;
 *            flip: the bit to flip (position modulo the field's size);
 *            payload: len bytes, the rest of the input first, then a
 *            pattern counting up.
 * Without VAES the engine is IPsec-MB and the target says so.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "crypto/cry_mgcm.h"
#include "fuzz_entry.h"

enum {
	LANES = CRY_MGCM_MAX_LANES,
	MAXLEN = CRY_MGCM_MAX_LEN,
};

struct pkt {
	uint8_t nonce[12], aad[12];
	uint8_t pt[MAXLEN], buf[MAXLEN], ref[MAXLEN];
	uint8_t tag[16], ref_tag[16];
	unsigned flip_what;		/* 0 none, 1 tag, 2 AAD, 3 ciphertext */
	unsigned flip_bit;
};

static IMB_MGR *mgr;
static struct cry_gcm_key keys[2] __attribute__((aligned(64)));
static struct pkt pk[LANES];

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static uint8_t
get8(struct rd *r)
{
	return r->off < r->n ? r->p[r->off++] : 0;
}

static void
getn(struct rd *r, uint8_t *dst, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = get8(r);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mgr = cry_mgr_create();
	if (mgr == NULL)
		abort();
	cry_mgcm_set_mode(CRY_MGCM_FORCE);
	if (cry_mgcm_isa() == CRY_MGCM_ISA_NONE)
		fprintf(stderr, "fuzz_gcm: no VAES here: the engine is IPsec-MB, "
			"this run compares IPsec-MB with itself\n");
	else if (!cry_mgcm_isa_supported(CRY_MGCM_ISA_AVX512))
		fprintf(stderr, "fuzz_gcm: no AVX-512 here: every input runs the AVX2 kernel\n");
	return 0;
}

static const unsigned key_lens[4] = { 16, 24, 32, 32 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cry_mgcm_op ops[LANES];
	struct rd r = { data, size, 0 };
	uint8_t kb[2][32], h;
	unsigned n, i, j;

	if (size == 0)
		return 0;
	h = get8(&r);
	n = 1 + (h & 15u);
	getn(&r, kb[0], 32);
	getn(&r, kb[1], 32);
	if (cry_gcm_key_init(mgr, &keys[0], kb[0], key_lens[(h >> 4) & 3]) != 0 ||
	    cry_gcm_key_init(mgr, &keys[1], kb[1], key_lens[h >> 6]) != 0)
		abort();
	for (i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		uint8_t c = get8(&r);
		uint32_t len = get8(&r);

		if (i == 0) {
			enum cry_mgcm_isa k = c & 0x10 ? CRY_MGCM_ISA_AVX2 : CRY_MGCM_ISA_AVX512;

			if (cry_mgcm_isa_supported(k) && cry_mgcm_set_isa(k) != 0)
				abort();
		}

		len = (len | (uint32_t)get8(&r) << 8) % (MAXLEN + 1);
		getn(&r, p->nonce, 12);
		getn(&r, p->aad, 12);
		p->flip_what = (c >> 2) & 3;
		p->flip_bit = get8(&r);
		p->flip_bit |= (unsigned)get8(&r) << 8;
		for (j = 0; j < len; j++)
			p->pt[j] = r.off < r.n ? r.p[r.off++] : (uint8_t)j;
		memcpy(p->buf, p->pt, len);
		memcpy(p->ref, p->pt, len);
		ops[i] = (struct cry_mgcm_op){ .key = &keys[c & 1], .iv = p->nonce,
					       .aad = p->aad, .data = p->buf, .tag = p->tag,
					       .len = len, .aad_len = c & 2 ? 12 : 8 };
		cry_gcm_seal(mgr, ops[i].key, p->nonce, p->aad, ops[i].aad_len, p->ref, len,
			     p->ref_tag);
	}
	cry_mgcm_seal(mgr, ops, n);
	for (i = 0; i < n; i++) {
		if (memcmp(pk[i].buf, pk[i].ref, ops[i].len) != 0 ||
		    memcmp(pk[i].tag, pk[i].ref_tag, 16) != 0) {
			fprintf(stderr, "fuzz_gcm: seal differs from IPsec-MB: packet %u of %u, "
				"len %u, aad %u, key %u, kernel %d\n", i, n, ops[i].len,
				ops[i].aad_len, ops[i].key->key_len, (int)cry_mgcm_isa());
			abort();
		}
	}
	/* corrupt: one bit of each packet that asks for it */
	for (i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		uint8_t bit = (uint8_t)(1u << (p->flip_bit & 7));
		unsigned at = p->flip_bit >> 3;

		if (p->flip_what == 3 && ops[i].len == 0)
			p->flip_what = 0;	/* nothing to flip */
		if (p->flip_what == 1)
			p->tag[at % 16] ^= bit;
		else if (p->flip_what == 2)
			p->aad[at % ops[i].aad_len] ^= bit;
		else if (p->flip_what == 3)
			p->buf[at % ops[i].len] ^= bit;
		ops[i].status = 1;	/* must be overwritten */
	}
	/* IPsec-MB's verdict on copies first (open decrypts in place) */
	for (i = 0; i < n; i++) {
		struct pkt *p = &pk[i];
		int rc;

		memcpy(p->ref, p->buf, ops[i].len);
		rc = cry_gcm_open(mgr, ops[i].key, p->nonce, p->aad, ops[i].aad_len, p->ref,
				  ops[i].len, p->tag);
		if (rc != (p->flip_what != 0 ? -EBADMSG : 0)) {
			fprintf(stderr, "fuzz_gcm: IPsec-MB open gave %d, packet %u flip %u\n",
				rc, i, p->flip_what);
			abort();
		}
	}
	cry_mgcm_open(mgr, ops, n);
	for (i = 0; i < n; i++) {
		int want = pk[i].flip_what != 0 ? -EBADMSG : 0;

		if (ops[i].status != want ||
		    (want == 0 && memcmp(pk[i].buf, pk[i].pt, ops[i].len) != 0)) {
			fprintf(stderr, "fuzz_gcm: open of packet %u of %u: status %d, want %d "
				"(flip %u, len %u, aad %u, key %u, kernel %d)\n", i, n, ops[i].status,
				want, pk[i].flip_what, ops[i].len, ops[i].aad_len,
				ops[i].key->key_len, (int)cry_mgcm_isa());
			abort();
		}
	}
	cry_wipe(keys, sizeof(keys));
	cry_wipe(kb, sizeof(kb));
	return 0;
}
