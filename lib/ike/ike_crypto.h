/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal cryptographic API of lib/ike (IKEv2, RFC 7296), on OpenSSL 3 EVP.
 *
 * This header owns: randomness (with a test hook), Diffie-Hellman (MODP 14/15,
 * ECP 19/20/21, curve25519 31), the PRF, prf+ and every key derivation
 * (SKEYSEED, SK_*, rekeyed SKEYSEED, child KEYMAT), SK payload protection
 * (AES-GCM-16 and AES-CBC + HMAC-SHA2), AUTH computation (PSK, RSA/ECDSA and
 * RFC 7427 digital signatures), X.509 loading, chain verification, ID/cert
 * matching, CERTREQ data, and the job object that carries DH and signature
 * work to any thread.
 *
 * Nothing here touches an SA, a context or a socket, and nothing logs: the
 * state machine (ike_sa.c and the exchanges) decides what to do with a result.
 * Every function is thread-safe on its own arguments. All algorithm numbers
 * are IANA "IKEv2 Parameters" values, so wire constants can be passed as is.
 *
 * Errors: 0 or a negative errno.
 *   -EINVAL        bad argument, unsupported algorithm/group
 *   -ENOSPC        output buffer too small
 *   -EBADMSG       malformed peer input (length, range, point not on curve,
 *                  bad padding)
 *   -EACCES        authentication failed (ICV, AUTH, signature, cert, ID)
 *   -ENOMEM        allocation failed
 *   -EIO           unexpected OpenSSL failure
 *
 * Secrets: every structure and buffer holding keys, DH private values,
 * shared secrets, SKEYSEED or PSK-derived values is wiped (OPENSSL_cleanse)
 * by the function that frees or finishes with it. Callers that keep key
 * copies (struct ike_sa_keys, struct ike_child_keys) wipe them with the
 * matching _wipe() function.
 */
#ifndef RAMPART_IKE_CRYPTO_H
#define RAMPART_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "ike/ike.h"
#include "ike/ike_wire.h"	/* IKE_HDR_LEN, IKE_PLD_SK */

/* The IANA IKEv2 transform, auth-method and hash numbers this API takes: the
 * numbers themselves live in ike_wire.h. */
enum ike_crypto_ids {
	/* Transform type 1 (ENCR) */
	IKE_CRYPTO_ENCR_AES_CBC = IKE_ENCR_AES_CBC,
	IKE_CRYPTO_ENCR_AES_GCM16 = IKE_ENCR_AES_GCM_16,
	/* Transform type 2 (PRF) */
	IKE_CRYPTO_PRF_HMAC_SHA2_256 = IKE_PRF_HMAC_SHA2_256,
	IKE_CRYPTO_PRF_HMAC_SHA2_384 = IKE_PRF_HMAC_SHA2_384,
	IKE_CRYPTO_PRF_HMAC_SHA2_512 = IKE_PRF_HMAC_SHA2_512,
	/* Transform type 3 (INTEG) */
	IKE_CRYPTO_INTEG_NONE = IKE_INTEG_NONE,
	IKE_CRYPTO_INTEG_HMAC_SHA2_256_128 = IKE_INTEG_HMAC_SHA2_256_128,
	IKE_CRYPTO_INTEG_HMAC_SHA2_384_192 = IKE_INTEG_HMAC_SHA2_384_192,
	IKE_CRYPTO_INTEG_HMAC_SHA2_512_256 = IKE_INTEG_HMAC_SHA2_512_256,
	/* Transform type 4 (D-H group) */
	IKE_CRYPTO_DH_MODP2048 = IKE_DH_MODP2048,
	IKE_CRYPTO_DH_MODP3072 = IKE_DH_MODP3072,
	IKE_CRYPTO_DH_ECP256 = IKE_DH_ECP256,
	IKE_CRYPTO_DH_ECP384 = IKE_DH_ECP384,
	IKE_CRYPTO_DH_ECP521 = IKE_DH_ECP521,
	IKE_CRYPTO_DH_CURVE25519 = IKE_DH_CURVE25519,
	/* AUTH payload methods (RFC 7296 3.8, RFC 4754, RFC 7427) */
	IKE_CRYPTO_AUTH_RSA_SIG = IKE_AUTH_RSA_SIG,		/* PKCS#1 v1.5, SHA-1 */
	IKE_CRYPTO_AUTH_PSK = IKE_AUTH_PSK,
	IKE_CRYPTO_AUTH_ECDSA_256 = IKE_AUTH_ECDSA_256,		/* P-256 + SHA-256, raw r||s */
	IKE_CRYPTO_AUTH_ECDSA_384 = IKE_AUTH_ECDSA_384,
	IKE_CRYPTO_AUTH_ECDSA_521 = IKE_AUTH_ECDSA_521,
	IKE_CRYPTO_AUTH_DIGITAL_SIG = IKE_AUTH_DIGITAL_SIG,	/* RFC 7427 */
	/* RFC 7427 hash algorithm ids (SIGNATURE_HASH_ALGORITHMS notify) */
	IKE_CRYPTO_HASH_SHA1 = IKE_HASH_SHA1,
	IKE_CRYPTO_HASH_SHA256 = IKE_HASH_SHA2_256,
	IKE_CRYPTO_HASH_SHA384 = IKE_HASH_SHA2_384,
	IKE_CRYPTO_HASH_SHA512 = IKE_HASH_SHA2_512,
	/* OR'ed into the hash of ike_sig_sign(), method 14, RSA key: sign with
	 * RSASSA-PSS (MGF1 with the same hash, salt = hash length). */
	IKE_CRYPTO_SIG_PSS = 0x80,
	/* CERT payload encoding (RFC 7296 3.6) */
	IKE_CRYPTO_CERT_X509_SIG = IKE_CERT_X509_SIG,
};

enum ike_crypto_limits {
	IKE_DH_MAX_LEN = 384,		/* KE data / shared secret (MODP 3072) */
	IKE_DH_PRIV_MAX_LEN = 384,	/* ike_dh_create_from_priv input */
	IKE_PRF_MAX_LEN = 64,		/* PRF output and SK_d/SK_p length */
	IKE_ENCR_MAX_KEY_LEN = 36,	/* AES-256 key + 4-byte GCM salt */
	IKE_INTEG_MAX_KEY_LEN = 64,
	IKE_SK_MAX_IV_LEN = 16,
	IKE_SK_MAX_ICV_LEN = 32,
	IKE_SIG_MAX_LEN = 1100,		/* AUTH data: RFC 7427 prefix + RSA-8192 */
	IKE_CERTREQ_MAX_CAS = 32,	/* SHA-1 hashes in our CERTREQ */
	IKE_CERT_MAX_CHAIN = 4,		/* intermediate CA certs from the peer */
	IKE_SHA1_LEN = 20,
	IKE_GENERIC_HDR_LEN = 4,	/* RFC 7296 3.2 */
};

/* A read-only byte string; arrays of these are concatenated. */
struct ike_cbuf {
	const uint8_t *ptr;
	size_t len;
};

/* ------------------------------------------------------------------------
 * Randomness (ike_dh.c)
 * ------------------------------------------------------------------------ */

/* Fill @buf with @len random bytes (RAND_bytes, or the test hook). */
int ike_rand_bytes(void *buf, size_t len);

/*
 * Tests only: route ike_rand_bytes (and DH private key generation, which then
 * draws its private value from ike_rand_bytes) through @fn. @fn returns 0 or
 * a negative errno. NULL restores RAND_bytes. Process-wide; not for use while
 * other threads generate randomness.
 */
void ike_rand_set_hook(int (*fn)(void *arg, void *buf, size_t len), void *arg);

/* ------------------------------------------------------------------------
 * Diffie-Hellman (ike_dh.c)
 * ------------------------------------------------------------------------ */

struct ike_dh;		/* one key pair of one group; opaque */

bool ike_dh_supported(uint16_t group);
/* Length of the KE payload key-exchange data for @group; 0: unsupported.
 * MODP: prime length; ECP: 2 * field length (x || y); curve25519: 32. */
size_t ike_dh_pub_len(uint16_t group);
/* Length of the shared secret g^ir; 0: unsupported.
 * MODP: prime length; ECP: field length (x only, RFC 5903 7); curve25519: 32. */
size_t ike_dh_secret_len(uint16_t group);

/* Generate a fresh key pair (with the rand hook set: from ike_rand_bytes). */
int ike_dh_create(uint16_t group, struct ike_dh **out);
/*
 * Tests: a key pair with a known private value. MODP: big-endian exponent
 * (1..IKE_DH_PRIV_MAX_LEN bytes); ECP: big-endian scalar of exactly the
 * field length (RFC 5903 8 layout); curve25519: 32 raw bytes (RFC 7748).
 */
int ike_dh_create_from_priv(uint16_t group, const uint8_t *priv, size_t priv_len,
			    struct ike_dh **out);
void ike_dh_destroy(struct ike_dh *dh);	/* wipes; NULL ok */
uint16_t ike_dh_group(const struct ike_dh *dh);

/* Our public value in KE payload format; *@len = ike_dh_pub_len(). */
int ike_dh_pub(const struct ike_dh *dh, uint8_t *buf, size_t cap, size_t *len);

/*
 * Check a peer's KE data for @group without a key pair: exact length, MODP
 * 1 < y < p-1, ECP point on the curve. -EBADMSG if invalid. (ike_dh_shared
 * does the same checks; this lets a responder reject before queuing work.)
 */
int ike_dh_check_peer(uint16_t group, const uint8_t *peer, size_t peer_len);

/*
 * g^ir from our key pair and the peer's KE data, padded with leading zeros
 * to ike_dh_secret_len(). -EBADMSG for an invalid peer value or an all-zero
 * curve25519 result. @out is a secret: wipe it.
 */
int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		  uint8_t *out, size_t cap, size_t *len);

/*
 * Fuzz harnesses only (production never calls it): keep up to @entries
 * (rounded up to a power of two) DH results in a table, keyed by the exact
 * bytes of (group, private value) for key pairs made from a known private
 * value (ike_dh_create with the rand hook, ike_dh_create_from_priv),
 * (group, private value, peer value) for ike_dh_shared on such a pair and
 * (group, peer value) for ike_dh_check_peer, and return a kept result
 * instead of computing it again. Only 0, -EINVAL and -EBADMSG are kept;
 * every other call computes for real. 0 frees and wipes the table. Not
 * thread-safe. ike_dh_memo_stats: lookups that hit and missed since the
 * last ike_dh_memo_set().
 */
void ike_dh_memo_set(unsigned entries);
void ike_dh_memo_stats(uint64_t *hits, uint64_t *misses);

/* ------------------------------------------------------------------------
 * PRF and key derivation (ike_kdf.c)
 * ------------------------------------------------------------------------ */

/* PRF output length (= preferred key length) for @prf; 0: unsupported. */
size_t ike_prf_len(uint16_t prf);
/* Encryption key length in bytes for ENCR @encr with @key_bits (128/256),
 * including the 4-byte salt for GCM (RFC 5282 7.1); 0: unsupported. */
size_t ike_encr_key_len(uint16_t encr, uint16_t key_bits);
/* Integrity key / ICV length for INTEG @integ; 0 for NONE or unsupported. */
size_t ike_integ_key_len(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);

/* out = prf(key, data[0] | ... | data[n-1]); @out holds ike_prf_len(). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const struct ike_cbuf *data, unsigned n, uint8_t *out);

/* prf+ (RFC 7296 2.13): @out_len bytes of prf+(key, seed...). At most
 * 255 * ike_prf_len() bytes. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ike_cbuf *seed, unsigned n, uint8_t *out, size_t out_len);

/* SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 2.14). @skeyseed: ike_prf_len(). */
int ike_kdf_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t *gir, size_t gir_len, uint8_t *skeyseed);

/*
 * Rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
 * prf being the PRF of the OLD IKE SA (the one SK_d belongs to). Then derive
 * the new SA's keys with ike_kdf_ike_keys() using the new PRF and new SPIs.
 */
int ike_kdf_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
			   const uint8_t *gir, size_t gir_len,
			   const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len, uint8_t *skeyseed);

/*
 * Keys protecting SK payloads in one direction. "i" = sent by the original
 * initiator of the IKE SA (SK_ei/SK_ai), "r" = sent by the responder.
 */
struct ike_sk_dir {
	uint16_t encr;			/* IKE_CRYPTO_ENCR_* */
	uint16_t integ;			/* IKE_CRYPTO_INTEG_*; NONE with GCM */
	uint8_t encr_key_len;		/* bytes, incl. 4-byte salt for GCM */
	uint8_t integ_key_len;
	uint8_t encr_key[IKE_ENCR_MAX_KEY_LEN];
	uint8_t integ_key[IKE_INTEG_MAX_KEY_LEN];
};

struct ike_sa_keys {
	uint16_t prf;			/* negotiated PRF of this IKE SA */
	uint8_t prf_len;		/* length of SK_d, SK_pi, SK_pr */
	uint8_t sk_d[IKE_PRF_MAX_LEN];
	uint8_t sk_pi[IKE_PRF_MAX_LEN];
	uint8_t sk_pr[IKE_PRF_MAX_LEN];
	struct ike_sk_dir i;		/* SK_ei, SK_ai */
	struct ike_sk_dir r;		/* SK_er, SK_ar */
};

/*
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)       (RFC 7296 2.14)
 * @spi_i/@spi_r: 8 bytes each in wire (network) order. @encr_key_bits: 128 or
 * 256 (the Key Length attribute). @integ: NONE with GCM. Fills @out.
 * @skeyseed is ike_prf_len(@prf) bytes: for a rekeyed IKE SA whose PRF differs
 * from the old one, SKEYSEED has the OLD PRF's length: use ike_kdf_ike_sa_rekey.
 */
int ike_kdf_ike_keys(uint16_t prf, const uint8_t *skeyseed,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		     const uint8_t spi_i[8], const uint8_t spi_r[8],
		     uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
		     struct ike_sa_keys *out);

/* Convenience: SKEYSEED from g^ir, then ike_kdf_ike_keys (initial SA). */
int ike_kdf_ike_sa(uint16_t prf, const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		   const uint8_t spi_i[8], const uint8_t spi_r[8],
		   uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
		   struct ike_sa_keys *out);

/*
 * Rekeyed IKE SA in one step (RFC 7296 2.18): SKEYSEED from the old SA's
 * @old_prf and SK_d, then the new SA's keys with @prf (which may differ) over
 * Ni | Nr | SPIi | SPIr of the CREATE_CHILD_SA exchange and the new SPIs.
 */
int ike_kdf_ike_sa_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
			 const uint8_t *gir, size_t gir_len,
			 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			 const uint8_t spi_i[8], const uint8_t spi_r[8], uint16_t prf,
			 uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
			 struct ike_sa_keys *out);

void ike_sa_keys_wipe(struct ike_sa_keys *k);

/* Child SA keys, named by direction relative to the IKE initiator. */
struct ike_child_keys {
	uint8_t encr_key_len;		/* bytes incl. salt for GCM */
	uint8_t integ_key_len;		/* 0 with GCM */
	uint8_t encr_i[IKE_MAX_KEY_LEN];	/* initiator -> responder */
	uint8_t integ_i[IKE_MAX_KEY_LEN];
	uint8_t encr_r[IKE_MAX_KEY_LEN];	/* responder -> initiator */
	uint8_t integ_r[IKE_MAX_KEY_LEN];
};

/*
 * KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr) (RFC 7296 2.17), split as
 * encr_i | integ_i | encr_r | integ_r. @gir may be NULL (no PFS). @encr_key_len
 * includes the GCM salt (use ike_encr_key_len); @integ_key_len 0 with GCM.
 * Ni/Nr are the nonces of the exchange creating the child (IKE_AUTH: those of
 * IKE_SA_INIT).
 */
int ike_kdf_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		       const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		       size_t encr_key_len, size_t integ_key_len,
		       struct ike_child_keys *out);

void ike_child_keys_wipe(struct ike_child_keys *k);

/* ------------------------------------------------------------------------
 * SK / SKF payload protection (ike_sk.c), RFC 7296 3.14, RFC 5282, RFC 7383
 *
 * Layout of a protected message (or fragment):
 *   msg[0 .. aad_len)         IKE header, any cleartext payloads, and the SK
 *                             (or SKF: incl. Fragment Number/Total) payload
 *                             header, already carrying their final lengths.
 *   IV | ciphertext | ICV     the SK payload body, ike_sk_body_len() bytes.
 * GCM: AAD = msg[0 .. aad_len), 8-byte explicit IV, 4-byte salt from the key.
 * CBC: ICV = truncated HMAC over msg[0 .. end of ciphertext), random IV.
 * Plaintext = inner payloads | padding | pad length byte.
 * ------------------------------------------------------------------------ */

size_t ike_sk_iv_len(const struct ike_sk_dir *k);	/* 8 GCM, 16 CBC */
size_t ike_sk_icv_len(const struct ike_sk_dir *k);	/* 16 GCM, HMAC truncation */
/* SK body length (IV + padded ciphertext + ICV) for @plain_len inner bytes.
 * SK payload length field = IKE_GENERIC_HDR_LEN + this. 0 for bad keys. */
size_t ike_sk_body_len(const struct ike_sk_dir *k, size_t plain_len);
/* Largest inner length whose body fits in @body_max bytes (fragmenting). */
size_t ike_sk_max_plain(const struct ike_sk_dir *k, size_t body_max);

/*
 * Building block: @msg holds @aad_len bytes already written (see layout);
 * write IV | E(@plain | pad | padlen) | ICV at msg + aad_len. @cap is the size
 * of @msg. *@msg_len = aad_len + ike_sk_body_len(). The caller must have set
 * the SK payload length and the IKE header length to match before calling.
 * @plain must not overlap @msg. IVs come from ike_rand_bytes (GCM: 8 random
 * bytes per message, RFC 5282 3.1 uniqueness; CBC: unpredictable, 3.14).
 */
int ike_sk_seal(const struct ike_sk_dir *k, uint8_t *msg, size_t aad_len,
		const uint8_t *plain, size_t plain_len, size_t cap, size_t *msg_len);

/*
 * Building block: @msg/@len a whole received message or fragment, @aad_len
 * the offset of the IV. Verifies the ICV in constant time first (-EACCES),
 * then decrypts and checks the padding (-EBADMSG). Writes the inner payloads
 * to @plain (may not alias @msg), *@plain_len without padding.
 */
int ike_sk_open(const struct ike_sk_dir *k, const uint8_t *msg, size_t len, size_t aad_len,
		uint8_t *plain, size_t cap, size_t *plain_len);

/*
 * Whole message whose only payload is SK: copy the 28-byte IKE header @hdr
 * (next payload set to SK, length patched), write the SK header with
 * @first_inner as next payload, then seal @inner. *@out_len total length.
 */
int ike_sk_encrypt_msg(const struct ike_sk_dir *k, const uint8_t *hdr, uint8_t first_inner,
		       const uint8_t *inner, size_t inner_len,
		       uint8_t *out, size_t cap, size_t *out_len);

/*
 * Whole message whose first payload is SK (header next payload == 46): check
 * the header and SK lengths against @len, verify and decrypt. *@first_inner =
 * the SK header's next payload.
 */
int ike_sk_decrypt_msg(const struct ike_sk_dir *k, const uint8_t *msg, size_t len,
		       uint8_t *first_inner, uint8_t *plain, size_t cap, size_t *plain_len);

/* ------------------------------------------------------------------------
 * Authentication (ike_authn.c), RFC 7296 2.15, RFC 4754, RFC 7427
 * ------------------------------------------------------------------------ */

/*
 * Signed octets: RealMessage | Nonce(peer's) | prf(SK_p, RestOfIDPayload).
 * Initiator: IKE_SA_INIT request | Nr | prf(SK_pi, IDi body);
 * responder: IKE_SA_INIT response | Ni | prf(SK_pr, IDr body).
 * @id_body: the ID payload after its generic header (ID Type | RESERVED | data).
 * *@out is malloc'd: free() it.
 */
int ike_auth_octets(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len,
		    const uint8_t *msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *id_body, size_t id_body_len,
		    uint8_t **out, size_t *out_len);

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), octets); @auth: ike_prf_len(). */
int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const uint8_t *octets, size_t octets_len, uint8_t *auth);
/* Constant-time check of a received PSK AUTH; 0 or -EACCES. */
int ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
			const uint8_t *octets, size_t octets_len,
			const uint8_t *auth, size_t auth_len);

/* SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 4). Masks: bit (1u << id). */
int ike_sighash_build(uint32_t mask, uint8_t *out, size_t cap, size_t *len);
int ike_sighash_parse(const uint8_t *data, size_t len, uint32_t *mask);
/* What we announce: SHA-256, SHA-384, SHA-512. */
uint32_t ike_sighash_ours(void);

/*
 * Choose the AUTH method and hash for our key @key given the peer's announced
 * hash mask (0: peer sent no SIGNATURE_HASH_ALGORITHMS). With a mask: method
 * 14 with the strongest common SHA-2 hash; without: RSA -> 1 (SHA-1),
 * ECDSA P-256/384/521 -> 9/10/11.
 */
int ike_sig_choose(EVP_PKEY *key, uint32_t peer_hashes, uint8_t *method, uint8_t *hash);

/*
 * AUTH data (the bytes after the AUTH payload's method/reserved fields) for
 * @method/@hash over @octets with @key. Method 14 output: length byte |
 * AlgorithmIdentifier | signature (RFC 7427 3); with an RSA key, @hash may
 * carry IKE_CRYPTO_SIG_PSS (ike_sig_choose never picks PSS by itself).
 * Methods 9/10/11: raw r||s, @hash ignored (fixed by the method).
 */
int ike_sig_sign(EVP_PKEY *key, uint8_t method, uint8_t hash,
		 const uint8_t *octets, size_t octets_len,
		 uint8_t *out, size_t cap, size_t *out_len);

/* Verify received AUTH data with the peer's public key; 0, -EACCES, -EBADMSG
 * (malformed data or unknown AlgorithmIdentifier), -EINVAL (method/key clash).
 * Method 14 accepts sha256/384/512WithRSAEncryption, ecdsa-with-SHA256/384/512
 * and RSASSA-PSS with SHA-2, MGF1 of the same hash and any salt length. */
int ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
		   const uint8_t *octets, size_t octets_len);

/* X.509 and keys (ike_cert.c). Objects are OpenSSL's own: free with X509_free,
 * EVP_PKEY_free, X509_STORE_free. */
struct stack_st_X509;	/* STACK_OF(X509), <openssl/x509.h> */
/* The first certificate of a PEM file; with @chain non-NULL, the ones after it
 * too (intermediate CAs of a bundle, in file order; free with sk_X509_pop_free). */
int ike_cert_load_pem(const char *path, X509 **out, STACK_OF(X509) **chain);
int ike_key_load_pem(const char *path, EVP_PKEY **out);	/* unencrypted key */
int ike_ca_load_pem(const char *path, X509_STORE **out);	/* all certs: anchors */
/* DER of @cert for our CERT payload (encoding 4). *@der: OPENSSL_free(). */
int ike_cert_der(X509 *cert, uint8_t **der, size_t *len);

/*
 * Parse the peer's end-entity cert (CERT payload data, encoding 4) and verify
 * it against @store (signature chain, validity at the current time). On
 * success *@out is the cert (X509_free). -EBADMSG unparsable, -EACCES untrusted.
 */
int ike_cert_verify(X509_STORE *store, const uint8_t *der, size_t der_len, X509 **out);

/*
 * Same, with up to IKE_CERT_MAX_CHAIN intermediate CA certificates (DER, from
 * further CERT payloads). They are untrusted: used only to build the path
 * from the end-entity cert to an anchor in @store. -E2BIG if too many.
 */
int ike_cert_verify_chain(X509_STORE *store, const uint8_t *der, size_t der_len,
			  const struct ike_cbuf *extra, unsigned n_extra, X509 **out);

/* Public key of @cert with a new reference (EVP_PKEY_free). */
int ike_cert_pubkey(X509 *cert, EVP_PKEY **out);

/*
 * Does the peer's ID match @cert? DER_ASN1_DN: DER subject equality;
 * FQDN / RFC822 / IPv4 / IPv6: a subjectAltName dNSName / rfc822Name /
 * iPAddress equal to the ID (FQDN and e-mail compared case-insensitively).
 * 0 or -EACCES.
 */
int ike_cert_match_id(X509 *cert, const struct ike_id *id);

/* CERTREQ data (RFC 7296 3.7): SHA-1 of each CA's SubjectPublicKeyInfo in
 * @store, concatenated. *@len = 20 * number of CAs. */
int ike_certreq_build(X509_STORE *store, uint8_t *out, size_t cap, size_t *len);

/* ------------------------------------------------------------------------
 * Jobs (ike_job.c): DH and signature work for any thread
 * ------------------------------------------------------------------------ */

enum ike_job_kind {
	IKE_JOB_DH = 1,		/* keygen (if needed) + public value + shared secret */
	IKE_JOB_SIGN,		/* our AUTH signature */
	IKE_JOB_VERIFY,		/* peer cert chain + ID match + AUTH signature */
};

/*
 * A self-contained unit of work: everything it reads is owned by (or holds a
 * reference in) the job, so ike_job_run() can run on any thread with no
 * access to an SA or context. The creator fills the inputs through the
 * ike_job_*_create functions, the installed runner calls ike_job_run(), and the
 * state machine reads the outputs, then ike_job_destroy() wipes and frees.
 */
struct ike_job {
	uint8_t kind;			/* enum ike_job_kind */
	int result;			/* out: 0 or negative errno */
	void *owner;			/* the requester's cookie (e.g. the ctx) */
	uint64_t sa_id;			/* the IKE SA that asked */
	uint32_t tag;			/* which step asked (free use) */
	union {
		struct {
			uint16_t group;
			struct ike_dh *dh;	/* in/out: NULL = generate; owned */
			uint8_t peer[IKE_DH_MAX_LEN];	/* in: peer KE data */
			size_t peer_len;	/* 0: keygen only, no shared */
			uint8_t pub[IKE_DH_MAX_LEN];	/* out: our KE data */
			size_t pub_len;
			uint8_t shared[IKE_DH_MAX_LEN];	/* out: g^ir (secret) */
			size_t shared_len;
		} dh;
		struct {
			EVP_PKEY *key;		/* reference held */
			uint8_t method, hash;	/* from ike_sig_choose */
			uint8_t *octets;	/* owned copy */
			size_t octets_len;
			uint8_t auth[IKE_SIG_MAX_LEN];	/* out: AUTH data */
			size_t auth_len;
		} sign;
		struct {
			X509_STORE *store;	/* reference held; NULL: use @pub */
			uint8_t *cert_der;	/* owned copy; with @store */
			size_t cert_der_len;
			uint8_t *chain_der[IKE_CERT_MAX_CHAIN];	/* owned copies */
			size_t chain_len[IKE_CERT_MAX_CHAIN];
			unsigned n_chain;	/* see ike_job_verify_add_chain */
			struct ike_id id;	/* peer's ID to match to the cert */
			EVP_PKEY *pub;		/* reference held, or set from cert */
			uint8_t method;
			uint8_t *auth;		/* owned copy */
			size_t auth_len;
			uint8_t *octets;	/* owned copy */
			size_t octets_len;
		} verify;
	} u;
};

/*
 * DH job. @dh: an existing key pair to use (ownership moves into the job), or
 * NULL to generate one of @group. @peer/@peer_len: peer KE data, or NULL/0
 * for key generation only. After the run, take job->u.dh.dh (set it to NULL
 * to keep it past ike_job_destroy) and copy pub/shared.
 */
int ike_job_dh_create(uint16_t group, struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		      struct ike_job **out);
/* Sign job: @octets copied, @key referenced. */
int ike_job_sign_create(EVP_PKEY *key, uint8_t method, uint8_t hash,
			const uint8_t *octets, size_t octets_len, struct ike_job **out);
/*
 * Verify job. Either @store + @cert_der (chain verified, ID @id matched, key
 * taken from the cert; @id NULL or of type ANY skips the match) or @pub (raw
 * key). All inputs copied or referenced.
 */
int ike_job_verify_create(X509_STORE *store, const uint8_t *cert_der, size_t cert_der_len,
			  const struct ike_id *id, EVP_PKEY *pub, uint8_t method,
			  const uint8_t *auth, size_t auth_len,
			  const uint8_t *octets, size_t octets_len, struct ike_job **out);
/* Add an intermediate CA cert (copied) to a verify job with a store. */
int ike_job_verify_add_chain(struct ike_job *job, const uint8_t *der, size_t der_len);
/* Wipe secrets and free the job and everything it owns; NULL ok. */
void ike_job_destroy(struct ike_job *job);

/*
 * ike_job_run() (declared in ike.h, implemented in ike_job.c) sets
 * job->result: -EINPROGRESS until it has run, then 0 or a negative errno.
 * VERIFY with a store: -EBADMSG (cert unparsable), -EACCES (untrusted cert,
 * ID mismatch, bad signature), -EINVAL (method does not fit the key).
 */

#endif
