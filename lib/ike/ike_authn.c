/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 AUTH payload computation (RFC 7296 2.15): the signed octets, shared
 * key (PSK) authentication, and signature authentication with RSA PKCS#1 v1.5
 * + SHA-1 (method 1, legacy peers), ECDSA with raw r||s (methods 9/10/11,
 * RFC 4754) and RFC 7427 Digital Signature (method 14) with its ASN.1
 * AlgorithmIdentifier prefix (RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA), plus the
 * SIGNATURE_HASH_ALGORITHMS notify data.
 *
 * This file owns the wire form of AUTH data and the rules for which hash goes
 * with which key. It holds no state, never logs, and reads keys only through
 * EVP_PKEY. Values derived from the PSK are wiped before returning.
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* ------------------------------------------------------------------------
 * Signed octets and PSK
 * ------------------------------------------------------------------------ */

int
ike_auth_octets(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len,
		const uint8_t *msg, size_t msg_len,
		const uint8_t *nonce, size_t nonce_len,
		const uint8_t *id_body, size_t id_body_len,
		uint8_t **out, size_t *out_len)
{
	struct ike_cbuf id = { id_body, id_body_len };
	size_t plen = ike_prf_len(prf);
	uint8_t *buf;
	int ret;

	*out = NULL;
	if (plen == 0 || msg_len == 0 || nonce_len == 0)
		return -EINVAL;
	if (msg_len > SIZE_MAX / 2 || nonce_len > 65535)
		return -EINVAL;
	buf = malloc(msg_len + nonce_len + plen);
	if (buf == NULL)
		return -ENOMEM;
	/* RealMessage | NonceData | prf(SK_p, RestOfIDPayload) */
	memcpy(buf, msg, msg_len);
	memcpy(buf + msg_len, nonce, nonce_len);
	ret = ike_prf(prf, sk_p, sk_p_len, &id, 1, buf + msg_len + nonce_len);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = msg_len + nonce_len + plen;
	return 0;
}

static const char key_pad[] = "Key Pad for IKEv2";	/* RFC 7296 2.15, 17 octets */

int
ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
	     const uint8_t *octets, size_t octets_len, uint8_t *auth)
{
	struct ike_cbuf pad = { (const uint8_t *)key_pad, sizeof(key_pad) - 1 };
	struct ike_cbuf oct = { octets, octets_len };
	uint8_t k[IKE_PRF_MAX_LEN];
	int ret;

	if (ike_prf_len(prf) == 0 || psk == NULL || psk_len == 0)
		return -EINVAL;
	/* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <signed octets>) */
	ret = ike_prf(prf, psk, psk_len, &pad, 1, k);
	if (ret == 0)
		ret = ike_prf(prf, k, ike_prf_len(prf), &oct, 1, auth);
	OPENSSL_cleanse(k, sizeof(k));
	return ret;
}

int
ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
		    const uint8_t *octets, size_t octets_len,
		    const uint8_t *auth, size_t auth_len)
{
	uint8_t want[IKE_PRF_MAX_LEN];
	int ret;

	ret = ike_auth_psk(prf, psk, psk_len, octets, octets_len, want);
	if (ret < 0)
		return ret;
	if (auth_len != ike_prf_len(prf) || CRYPTO_memcmp(want, auth, auth_len) != 0)
		ret = -EACCES;
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

/* ------------------------------------------------------------------------
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4)
 * ------------------------------------------------------------------------ */

uint32_t
ike_sighash_ours(void)
{
	return 1u << IKE_CRYPTO_HASH_SHA256 | 1u << IKE_CRYPTO_HASH_SHA384 |
	       1u << IKE_CRYPTO_HASH_SHA512;
}

int
ike_sighash_build(uint32_t mask, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	unsigned id;

	for (id = 1; id < 32; id++) {
		if (!(mask & 1u << id))
			continue;
		if (cap - n < 2)
			return -ENOSPC;
		put_be16(out + n, (uint16_t)id);
		n += 2;
	}
	*len = n;
	return 0;
}

int
ike_sighash_parse(const uint8_t *data, size_t len, uint32_t *mask)
{
	size_t i;
	unsigned id;

	*mask = 0;
	if (len % 2 != 0)
		return -EBADMSG;
	for (i = 0; i < len; i += 2) {
		id = net_rd16(data + i);
		if (id > 0 && id < 32)
			*mask |= 1u << id;	/* unknown ids are ignored */
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Signatures
 * ------------------------------------------------------------------------ */

/* RFC 7427 appendix A: DER AlgorithmIdentifier of each supported scheme. */
struct sig_alg {
	uint8_t hash;		/* IKE_CRYPTO_HASH_* */
	bool ec;
	uint8_t der_len;
	uint8_t der[15];
};

static const struct sig_alg sig_algs[] = {
	/* sha256WithRSAEncryption, ..., with NULL parameters (A.1) */
	{ IKE_CRYPTO_HASH_SHA256, false, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	    0x05, 0x00 } },
	{ IKE_CRYPTO_HASH_SHA384, false, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c,
	    0x05, 0x00 } },
	{ IKE_CRYPTO_HASH_SHA512, false, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d,
	    0x05, 0x00 } },
	/* ecdsa-with-SHA256/384/512, no parameters (A.3) */
	{ IKE_CRYPTO_HASH_SHA256, true, 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 } },
	{ IKE_CRYPTO_HASH_SHA384, true, 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 } },
	{ IKE_CRYPTO_HASH_SHA512, true, 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 } },
};

static const struct sig_alg *
sig_alg_find(uint8_t hash, bool ec)
{
	size_t i;

	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (sig_algs[i].hash == hash && sig_algs[i].ec == ec)
			return &sig_algs[i];
	return NULL;
}

/*
 * Match a received AlgorithmIdentifier. RSA ones are also accepted without
 * the NULL parameters (absent parameters are seen in the wild).
 */
static const struct sig_alg *
sig_alg_parse(const uint8_t *der, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
		const struct sig_alg *a = &sig_algs[i];

		if (len == a->der_len && memcmp(der, a->der, len) == 0)
			return a;
		if (!a->ec && len == 13 && der[0] == 0x30 && der[1] == 0x0b &&
		    memcmp(der + 2, a->der + 2, 11) == 0)
			return a;
	}
	return NULL;
}

static const EVP_MD *
hash_md(uint8_t hash)
{
	switch (hash) {
	case IKE_CRYPTO_HASH_SHA1:
		return EVP_sha1();
	case IKE_CRYPTO_HASH_SHA256:
		return EVP_sha256();
	case IKE_CRYPTO_HASH_SHA384:
		return EVP_sha384();
	case IKE_CRYPTO_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/*
 * RSASSA-PSS AlgorithmIdentifier as we send it (RFC 7427 A.4.3 layout):
 * hash SHA-2 with NULL parameters, MGF1 with the same hash, salt length =
 * hash length, default trailer field.
 */
enum { PSS_ALGID_LEN = 67 };

static void
pss_algid(uint8_t hash, uint8_t *out)
{
	static const uint8_t tmpl[PSS_ALGID_LEN] = {
		0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
		0x30, 0x34,
		0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x00, 0x05, 0x00,
		0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x00, 0x05, 0x00,
		0xa2, 0x03, 0x02, 0x01, 0x00,
	};
	/* id-sha256/384/512 end in 1/2/3; salt 32/48/64 */
	uint8_t arc = (uint8_t)(hash - IKE_CRYPTO_HASH_SHA256 + 1);

	memcpy(out, tmpl, sizeof(tmpl));
	out[29] = arc;
	out[59] = arc;
	out[66] = (uint8_t)EVP_MD_get_size(hash_md(hash));
}

static int
md_nid_to_hash(int nid, uint8_t *hash)
{
	switch (nid) {
	case NID_sha256:
		*hash = IKE_CRYPTO_HASH_SHA256;
		return 0;
	case NID_sha384:
		*hash = IKE_CRYPTO_HASH_SHA384;
		return 0;
	case NID_sha512:
		*hash = IKE_CRYPTO_HASH_SHA512;
		return 0;
	default:
		return -EBADMSG;
	}
}

/*
 * Parse a received RSASSA-PSS AlgorithmIdentifier (RFC 4055 3.1): SHA-2
 * hash, MGF1 with the same hash, explicit salt length, trailer field 1.
 * Anything else (SHA-1 defaults included) is -EBADMSG.
 */
static int
pss_parse(const uint8_t *der, size_t len, uint8_t *hash, int *salt)
{
	const unsigned char *p = der;
	X509_ALGOR *alg = NULL, *mgf_md = NULL;
	RSA_PSS_PARAMS *pp = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, ret = -EBADMSG;
	uint8_t mgf_hash;
	long sl;

	alg = d2i_X509_ALGOR(NULL, &p, (long)len);
	if (alg == NULL || p != der + len)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_rsassaPss || ptype != V_ASN1_SEQUENCE)
		goto out;
	pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
	if (pp == NULL || pp->hashAlgorithm == NULL || pp->maskGenAlgorithm == NULL ||
	    pp->saltLength == NULL)
		goto out;
	if (pp->trailerField != NULL && ASN1_INTEGER_get(pp->trailerField) != 1)
		goto out;
	if (md_nid_to_hash(OBJ_obj2nid(pp->hashAlgorithm->algorithm), hash) < 0)
		goto out;
	if (OBJ_obj2nid(pp->maskGenAlgorithm->algorithm) != NID_mgf1 ||
	    pp->maskGenAlgorithm->parameter == NULL)
		goto out;
	mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
					   pp->maskGenAlgorithm->parameter);
	if (mgf_md == NULL || md_nid_to_hash(OBJ_obj2nid(mgf_md->algorithm), &mgf_hash) < 0 ||
	    mgf_hash != *hash)
		goto out;
	sl = ASN1_INTEGER_get(pp->saltLength);
	if (sl < 0 || sl > 512)
		goto out;
	*salt = (int)sl;
	ret = 0;
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pp);
	X509_ALGOR_free(alg);
	return ret;
}

static bool
key_is_rsa(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "RSA");
}

static bool
key_is_ec(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "EC");
}

/* Raw r||s component length for an ECDSA key, 0 if unsupported curve. */
static size_t
ec_field_len(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_bits(key)) {
	case 256:
		return 32;
	case 384:
		return 48;
	case 521:
		return 66;
	default:
		return 0;
	}
}

/* RFC 4754: method 9/10/11 fixes both the curve and the hash. */
static int
ecdsa_method_params(EVP_PKEY *key, uint8_t method, uint8_t *hash)
{
	size_t flen = ec_field_len(key);

	switch (method) {
	case IKE_CRYPTO_AUTH_ECDSA_256:
		*hash = IKE_CRYPTO_HASH_SHA256;
		return flen == 32 ? 0 : -EINVAL;
	case IKE_CRYPTO_AUTH_ECDSA_384:
		*hash = IKE_CRYPTO_HASH_SHA384;
		return flen == 48 ? 0 : -EINVAL;
	case IKE_CRYPTO_AUTH_ECDSA_521:
		*hash = IKE_CRYPTO_HASH_SHA512;
		return flen == 66 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

int
ike_sig_choose(EVP_PKEY *key, uint32_t peer_hashes, uint8_t *method, uint8_t *hash)
{
	static const uint8_t rsa_pref[] = {
		IKE_CRYPTO_HASH_SHA256, IKE_CRYPTO_HASH_SHA384, IKE_CRYPTO_HASH_SHA512,
	};
	uint32_t common = peer_hashes & ike_sighash_ours();
	uint8_t natural = IKE_CRYPTO_HASH_SHA256;
	size_t i;

	if (key_is_ec(key)) {
		switch (ec_field_len(key)) {
		case 32:
			*method = IKE_CRYPTO_AUTH_ECDSA_256;
			natural = IKE_CRYPTO_HASH_SHA256;
			break;
		case 48:
			*method = IKE_CRYPTO_AUTH_ECDSA_384;
			natural = IKE_CRYPTO_HASH_SHA384;
			break;
		case 66:
			*method = IKE_CRYPTO_AUTH_ECDSA_521;
			natural = IKE_CRYPTO_HASH_SHA512;
			break;
		default:
			return -EINVAL;
		}
		*hash = natural;
		if (common == 0)
			return 0;
		/* RFC 7427: prefer the hash that matches the curve's strength */
		*method = IKE_CRYPTO_AUTH_DIGITAL_SIG;
		if (common & 1u << natural)
			return 0;
		for (i = 0; i < sizeof(rsa_pref); i++)
			if (common & 1u << rsa_pref[i]) {
				*hash = rsa_pref[i];
				return 0;
			}
		return -EINVAL;
	}
	if (!key_is_rsa(key))
		return -EINVAL;
	if (common == 0) {
		*method = IKE_CRYPTO_AUTH_RSA_SIG;	/* legacy: PKCS#1 v1.5 SHA-1 */
		*hash = IKE_CRYPTO_HASH_SHA1;
		return 0;
	}
	*method = IKE_CRYPTO_AUTH_DIGITAL_SIG;
	for (i = 0; i < sizeof(rsa_pref); i++)
		if (common & 1u << rsa_pref[i]) {
			*hash = rsa_pref[i];
			return 0;
		}
	return -EINVAL;
}

/* RSA padding: PKCS#1 v1.5, or PSS with MGF1(same hash) and @pss_salt (>= 0). */
static int
set_rsa_padding(EVP_PKEY_CTX *pctx, const EVP_MD *md, int pss_salt)
{
	if (pss_salt < 0)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 ? 0 : -EIO;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) <= 0)
		return -EIO;
	return 0;
}

/*
 * A digest context that signs (@sign) or verifies with @key and hash @hash;
 * RSA: PKCS#1 v1.5 or, with @pss_salt >= 0, PSS. The caller frees *out.
 */
static int
digest_init(EVP_PKEY *key, uint8_t hash, int pss_salt, bool sign, EVP_MD_CTX **out)
{
	const EVP_MD *md = hash_md(hash);
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (md == NULL)
		return -EINVAL;
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL)
		return -ENOMEM;
	ok = sign ? EVP_DigestSignInit(mctx, &pctx, md, NULL, key) :
		    EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key);
	if (ok != 1 || (key_is_rsa(key) && set_rsa_padding(pctx, md, pss_salt) < 0)) {
		EVP_MD_CTX_free(mctx);
		return -EIO;
	}
	*out = mctx;
	return 0;
}

/*
 * DER signature (RSA: PKCS#1 v1.5 or, with @pss_salt >= 0, PSS; EC:
 * ECDSA-Sig-Value) over @octets.
 */
static int
sign_raw(EVP_PKEY *key, uint8_t hash, int pss_salt, const uint8_t *octets, size_t octets_len,
	 uint8_t *sig, size_t cap, size_t *sig_len)
{
	EVP_MD_CTX *mctx;
	size_t n = 0;
	int ret;

	ret = digest_init(key, hash, pss_salt, true, &mctx);
	if (ret < 0)
		return ret;
	ret = -EIO;
	if (EVP_DigestSign(mctx, NULL, &n, octets, octets_len) != 1)
		goto out;
	if (n > cap) {
		ret = -ENOSPC;
		goto out;
	}
	if (EVP_DigestSign(mctx, sig, &n, octets, octets_len) != 1)
		goto out;
	*sig_len = n;
	ret = 0;
out:
	EVP_MD_CTX_free(mctx);
	return ret;
}

static int
verify_raw(EVP_PKEY *key, uint8_t hash, int pss_salt, const uint8_t *sig, size_t sig_len,
	   const uint8_t *octets, size_t octets_len)
{
	EVP_MD_CTX *mctx;
	int ret;

	ret = digest_init(key, hash, pss_salt, false, &mctx);
	if (ret < 0)
		return ret;
	ret = EVP_DigestVerify(mctx, sig, sig_len, octets, octets_len) == 1 ? 0 : -EACCES;
	EVP_MD_CTX_free(mctx);
	return ret;
}

/* ECDSA-Sig-Value (DER) -> r || s, each padded to @flen (RFC 4754 7). */
static int
ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t flen, uint8_t *out)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int ret = -EIO;

	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL)
		return -EIO;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, (int)flen) == (int)flen &&
	    BN_bn2binpad(s, out + flen, (int)flen) == (int)flen)
		ret = 0;
	ECDSA_SIG_free(es);
	return ret;
}

/* r || s -> freshly allocated DER (OPENSSL_free). */
static int
ecdsa_raw_to_der(const uint8_t *raw, size_t flen, uint8_t **der, size_t *der_len)
{
	BIGNUM *r = BN_bin2bn(raw, (int)flen, NULL);
	BIGNUM *s = BN_bin2bn(raw + flen, (int)flen, NULL);
	ECDSA_SIG *es = ECDSA_SIG_new();
	int n, ret = -ENOMEM;

	*der = NULL;
	if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;			/* owned by es now */
	n = i2d_ECDSA_SIG(es, der);
	if (n <= 0)
		goto out;
	*der_len = (size_t)n;
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

int
ike_sig_sign(EVP_PKEY *key, uint8_t method, uint8_t hash,
	     const uint8_t *octets, size_t octets_len,
	     uint8_t *out, size_t cap, size_t *out_len)
{
	const struct sig_alg *alg;
	uint8_t der[IKE_SIG_MAX_LEN];
	size_t n, flen, off;
	int ret;

	switch (method) {
	case IKE_CRYPTO_AUTH_RSA_SIG:
		if (!key_is_rsa(key))
			return -EINVAL;
		return sign_raw(key, IKE_CRYPTO_HASH_SHA1, -1, octets, octets_len, out, cap,
				out_len);
	case IKE_CRYPTO_AUTH_ECDSA_256:
	case IKE_CRYPTO_AUTH_ECDSA_384:
	case IKE_CRYPTO_AUTH_ECDSA_521:
		if (!key_is_ec(key) || ecdsa_method_params(key, method, &hash) < 0)
			return -EINVAL;
		flen = ec_field_len(key);
		if (cap < 2 * flen)
			return -ENOSPC;
		ret = sign_raw(key, hash, -1, octets, octets_len, der, sizeof(der), &n);
		if (ret == 0)
			ret = ecdsa_der_to_raw(der, n, flen, out);
		if (ret == 0)
			*out_len = 2 * flen;
		return ret;
	case IKE_CRYPTO_AUTH_DIGITAL_SIG:
		if (hash & IKE_CRYPTO_SIG_PSS) {
			hash &= (uint8_t)~IKE_CRYPTO_SIG_PSS;
			if (!key_is_rsa(key) || hash_md(hash) == NULL ||
			    hash == IKE_CRYPTO_HASH_SHA1)
				return -EINVAL;
			/* RFC 7427 3: length | AlgorithmIdentifier | signature */
			if (cap < 1u + PSS_ALGID_LEN)
				return -ENOSPC;
			out[0] = PSS_ALGID_LEN;
			pss_algid(hash, out + 1);
			off = 1u + PSS_ALGID_LEN;
			ret = sign_raw(key, hash, EVP_MD_get_size(hash_md(hash)), octets,
				       octets_len, out + off, cap - off, &n);
			if (ret == 0)
				*out_len = off + n;
			return ret;
		}
		alg = sig_alg_find(hash, key_is_ec(key));
		if (alg == NULL || (!key_is_ec(key) && !key_is_rsa(key)))
			return -EINVAL;
		/* RFC 7427 3: length | AlgorithmIdentifier | signature */
		off = 1u + alg->der_len;
		if (cap < off)
			return -ENOSPC;
		out[0] = alg->der_len;
		memcpy(out + 1, alg->der, alg->der_len);
		ret = sign_raw(key, hash, -1, octets, octets_len, out + off, cap - off, &n);
		if (ret == 0)
			*out_len = off + n;
		return ret;
	default:
		return -EINVAL;
	}
}

int
ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
	       const uint8_t *octets, size_t octets_len)
{
	const struct sig_alg *alg;
	uint8_t *der = NULL;
	uint8_t hash;
	size_t flen, der_len, alen;
	int ret, salt;

	switch (method) {
	case IKE_CRYPTO_AUTH_RSA_SIG:
		if (!key_is_rsa(pub))
			return -EINVAL;
		return verify_raw(pub, IKE_CRYPTO_HASH_SHA1, -1, auth, auth_len, octets,
				  octets_len);
	case IKE_CRYPTO_AUTH_ECDSA_256:
	case IKE_CRYPTO_AUTH_ECDSA_384:
	case IKE_CRYPTO_AUTH_ECDSA_521:
		if (!key_is_ec(pub) || ecdsa_method_params(pub, method, &hash) < 0)
			return -EINVAL;
		flen = ec_field_len(pub);
		if (auth_len != 2 * flen)
			return -EBADMSG;
		ret = ecdsa_raw_to_der(auth, flen, &der, &der_len);
		if (ret == 0)
			ret = verify_raw(pub, hash, -1, der, der_len, octets, octets_len);
		OPENSSL_free(der);
		return ret;
	case IKE_CRYPTO_AUTH_DIGITAL_SIG:
		if (auth_len < 1)
			return -EBADMSG;
		alen = auth[0];
		if (alen == 0 || alen > auth_len - 1 || auth_len - 1 - alen == 0)
			return -EBADMSG;
		alg = sig_alg_parse(auth + 1, alen);
		if (alg == NULL) {
			ret = pss_parse(auth + 1, alen, &hash, &salt);
			if (ret < 0)
				return ret;	/* unknown or unsupported scheme */
			if (!key_is_rsa(pub))
				return -EINVAL;
			return verify_raw(pub, hash, salt, auth + 1 + alen, auth_len - 1 - alen,
					  octets, octets_len);
		}
		if (alg->ec != key_is_ec(pub) || (!alg->ec && !key_is_rsa(pub)))
			return -EINVAL;		/* scheme does not fit the cert's key */
		return verify_raw(pub, alg->hash, -1, auth + 1 + alen, auth_len - 1 - alen, octets,
				  octets_len);
	default:
		return -EINVAL;
	}
}
