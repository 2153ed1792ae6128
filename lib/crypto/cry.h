/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP crypto backend over Intel IPsec-MB 1.3. Owns the per-worker IPsec-MB
 * manager, the expanded key material of an SA (AES-GCM, AES-CBC + HMAC-SHA2)
 * and the per-packet seal/open primitives that lib/esp calls from its crypto
 * pass. Knows nothing of mbufs, SAs or ESP framing beyond what the caller
 * passes in (buffers, lengths, IV, AAD).
 *
 * Backend choice, measured on the CI CPU (AMD EPYC, AVX-512 + VAES,
 * 64 packets in flight, rdtsc cycles per packet for AES-128-GCM encrypt):
 *   64 B:   direct GCM API 58, job API 96, burst API 90, job (nocheck) 74
 *   1400 B: direct GCM API 197, job API 220, burst API 227, job (nocheck) 196
 * so AES-GCM uses the direct (synchronous, per-buffer) GCM functions of the
 * manager; nothing is ever left in flight. AES-CBC + HMAC goes through the
 * manager's cipher and hash burst calls (or chained jobs, flushed before
 * return, for bursts those cannot take; see cry_cbc_burst).
 *
 * Key setup (cry_*_key_init) runs on the control core and may use a private
 * manager; the per-packet functions run on the owning worker with its own
 * manager. No function here allocates, locks or logs on the packet path.
 */
#ifndef RAMPART_CRY_H
#define RAMPART_CRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>

enum cry_limits {
	CRY_GCM_ICV_LEN = 16,
	CRY_GCM_SALT_LEN = 4,
	CRY_GCM_IV_LEN = 8,		/* explicit IV on the wire (RFC 4106 3.1) */
	CRY_GCM_NONCE_LEN = 12,		/* salt || explicit IV */
	CRY_CBC_IV_LEN = 16,
	CRY_CBC_BLOCK = 16,
	CRY_MAX_ICV_LEN = 32,		/* HMAC-SHA-512-256 */
	CRY_MAX_BURST = 64,
};

/* HMAC-SHA2 flavours of RFC 4868 (values are the IKEv2 transform IDs). */
enum cry_hmac {
	CRY_HMAC_SHA256_128 = 12,
	CRY_HMAC_SHA384_192 = 13,
	CRY_HMAC_SHA512_256 = 14,
};

/*
 * AES-GCM key schedule + GHASH tables (IPsec-MB, 1008 bytes), then H^1..H^4
 * byte-reflected for the multi-packet engine (cry_mgcm.h); 64-byte aligned.
 */
struct cry_gcm_key {
	struct gcm_key_data kd __attribute__((aligned(64)));
	uint8_t hpow[4][16] __attribute__((aligned(16)));
	uint8_t key_len;		/* 16, 24 or 32 */
};

/* AES-CBC + HMAC-SHA2 key material. */
struct cry_cbc_key {
	uint32_t enc_exp[60] __attribute__((aligned(16)));	/* up to 15 round keys */
	uint32_t dec_exp[60] __attribute__((aligned(16)));
	uint32_t iv_exp[44] __attribute__((aligned(16)));	/* AES-128 IV key, enc */
	uint8_t ipad[64] __attribute__((aligned(16)));	/* hashed (K ^ ipad) state */
	uint8_t opad[64] __attribute__((aligned(16)));	/* hashed (K ^ opad) state */
	uint8_t key_len;		/* 16 or 32 */
	uint8_t hmac;			/* enum cry_hmac */
	uint8_t icv_len;		/* 16, 24 or 32 */
};

/* One CBC+HMAC operation of a burst (see cry_cbc_burst). */
struct cry_cbc_op {
	uint8_t *buf;			/* start of the authenticated bytes (ESP header) */
	const uint8_t *iv;		/* 16-byte CBC IV */
	uint8_t *tag;			/* computed ICV goes here (icv_len bytes) */
	const struct cry_cbc_key *key;
	uint32_t cipher_off;		/* from buf to the first cipher block */
	uint32_t cipher_len;		/* multiple of 16 */
	uint32_t hash_len;		/* bytes authenticated from buf */
	int32_t status;			/* out: 0 or -EIO */
};

/*
 * Set by cry_mgr_create(): the GCM code picked keeps its GHASH key powers
 * highest first with H^1 in the last 16 bytes of gcm_key_data (IPsec-MB's
 * AVX-512 VAES/VPCLMULQDQ layout, 48 powers); otherwise 8 powers, H^1 first,
 * right after the round keys.
 */
extern bool cry_gcm_hkey_tail;

/*
 * Prefetch the lines of @k that sealing or opening @len bytes (+ 8 or 12
 * bytes of AAD) reads: the round keys, the hash key powers that many blocks
 * use (one per block up to the table size) and key_len.
 */
static inline void
cry_gcm_prefetch(const struct cry_gcm_key *k, uint32_t len)
{
	const uint8_t *p = (const uint8_t *)k;
	const size_t hk = offsetof(struct gcm_key_data, ghash_keys);
	uint32_t nb = len / 16 + 3, off, end;	/* + partial, AAD, lengths */

	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(p + 128);
	__builtin_prefetch(p + 192);		/* AES-256 rounds, H^k of AVX2 */
	if (cry_gcm_hkey_tail) {
		if (nb > 48)
			nb = 48;
		end = (uint32_t)(hk + 48 * 16);
		off = (uint32_t)(end - nb * 16) & ~63u;
	} else {
		off = (uint32_t)(hk + 64) & ~63u;
		end = (uint32_t)(hk + 8 * 16);
	}
	for (; off < end; off += 64)
		__builtin_prefetch(p + off);
	__builtin_prefetch(&k->hpow[0]);
	__builtin_prefetch(&k->key_len);
}

/* Per-worker (or control) manager. Returns NULL on allocation failure. */
IMB_MGR *cry_mgr_create(void);
void cry_mgr_destroy(IMB_MGR *m);

/* Manager for key setup on the control core (created once, never freed). */
IMB_MGR *cry_ctl_mgr(void);

int cry_gcm_key_init(IMB_MGR *m, struct cry_gcm_key *k, const uint8_t *key, unsigned key_len);

/*
 * @iv: the 12-byte nonce (salt || explicit IV). Encrypts @len bytes of
 * @data in place and writes the 16-byte tag.
 */
void cry_gcm_seal(IMB_MGR *m, const struct cry_gcm_key *k, const uint8_t iv[12],
		  const uint8_t *aad, unsigned aad_len, uint8_t *data, uint64_t len,
		  uint8_t tag[16]);

/*
 * Decrypts in place and compares the tag in constant time. Returns 0 or
 * -EBADMSG (the data is then garbage and must not be used).
 */
int cry_gcm_open(IMB_MGR *m, const struct cry_gcm_key *k, const uint8_t iv[12],
		 const uint8_t *aad, unsigned aad_len, uint8_t *data, uint64_t len,
		 const uint8_t tag[16]);

/*
 * @iv_key: 16 random bytes for the CBC IV generator (cry_cbc_iv_gen).
 * Returns 0 or -EINVAL.
 */
int cry_cbc_key_init(IMB_MGR *m, struct cry_cbc_key *k, const uint8_t *key, unsigned key_len,
		     unsigned hmac, const uint8_t *ikey, unsigned ikey_len,
		     const uint8_t iv_key[16]);

/*
 * CBC IV for packet number @ctr: AES-128(K_iv, ctr) with a per-SA random
 * K_iv that is never used for anything else. Distinct counters give
 * distinct, unpredictable IVs (RFC 3602 2.3 asks for unpredictable IVs; a
 * block cipher under a secret key is a PRP, so outputs for distinct inputs
 * cannot be predicted without the key).
 */
void cry_cbc_iv_gen(IMB_MGR *m, const struct cry_cbc_key *k, uint64_t ctr, uint8_t iv[16]);

/*
 * The same IVs for @n counters under one key: iv[i] = AES-128(K_iv, ctr[i]),
 * written to ivs[i]. AES-NI where the CPU has it, else one AES-ECB job per
 * CRY_MAX_BURST counter blocks (one raw block call for n = 1).
 */
void cry_cbc_iv_gen_n(IMB_MGR *m, const struct cry_cbc_key *k, const uint64_t *ctr, unsigned n,
		      uint8_t *const ivs[]);

/*
 * Encrypt-then-MAC (@encrypt) or MAC-then-decrypt for @n operations: one
 * CBC burst call and one HMAC burst call when all share key size and HMAC
 * flavour and are well formed, else one validated chained job each (a bad
 * one gets status -EIO alone). Everything is complete when the call
 * returns. Tags are written to op->tag (which may lie in op->buf after the
 * hashed bytes); for decryption the caller compares them (cry_icv_eq_ct)
 * before using the plaintext.
 */
void cry_cbc_burst(IMB_MGR *m, struct cry_cbc_op *ops, unsigned n, bool encrypt);

/* HMAC only (no cipher) through the same job path; for vectors and tests. */
int cry_hmac(IMB_MGR *m, const struct cry_cbc_key *k, const uint8_t *data, unsigned len,
	     uint8_t *tag);

/* Constant-time equality: true when the @n bytes match. */
static inline bool
cry_memeq_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/*
 * The same for ICVs (@n a multiple of 8: 16, 24 or 32), eight bytes at a
 * time: every word is compared whatever the earlier ones gave (the empty
 * asm keeps the compiler from turning the OR chain into early exits).
 */
static inline bool
cry_icv_eq_ct(const void *a, const void *b, size_t n)
{
	uint64_t d = 0, x, y;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, (const uint8_t *)a + i, 8);
		memcpy(&y, (const uint8_t *)b + i, 8);
		d |= x ^ y;
		__asm__ volatile("" : "+r"(d));
	}
	return d == 0;
}

/* Wipe key material so the compiler cannot drop the stores (explicit_bzero).
 * The code that links OpenSSL (lib/ike, lib/conf, rampartd's control core)
 * uses OPENSSL_cleanse; lib/crypto and lib/esp do not link OpenSSL. */
void cry_wipe(void *p, size_t n);

#endif
