/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the cryptographic half of lib/ike, part 2: AUTH (signed
 * octets, PSK, RSA/ECDSA/RFC 7427 signatures incl. RSASSA-PSS), the
 * SIGNATURE_HASH_ALGORITHMS notify, X.509 loading, chain verification, ID
 * matching and CERTREQ data, and the job object. Keys and certificates are
 * generated once per run (suite init) and written to a temporary directory
 * for the PEM loaders; the directory is removed by the suite cleanup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike_crypto.h"

#include "test_ike_crypto.h"

/* ------------------------------------------------------------------------
 * AUTH: signed octets, PSK, signatures
 * ------------------------------------------------------------------------ */

static void
auth_octets_and_psk(void)
{
	/* Expected values computed with Python 3 hmac/hashlib (RFC 7296 2.15). */
	static const char exp_id_mac[] =
		"dd3b4992e0a586dd32675563d770f3bf5cefc2b2fe8f510a389a2cf1af59a9ef";
	static const char exp_auth[] =
		"cdfb70ed0d74bbde3f069beae0bfb5e79ffaed7bf525cecee8b1fe86176a7d0f";
	static const char psk[] = "sesame-open";
	uint8_t msg[64], nonce[32], skp[32], idb[18], e[32], auth[64];
	uint8_t *oct = NULL;
	size_t olen = 0, i;

	for (i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	memset(skp, 0x5a, sizeof(skp));
	memcpy(idb, "\x02\x00\x00\x00" "gw.example.com", 18);

	CU_ASSERT_EQUAL_FATAL(ike_auth_octets(5, skp, 32, msg, 64, nonce, 32, idb, 18, &oct,
					      &olen), 0);
	CU_ASSERT_EQUAL(olen, 64 + 32 + 32);
	CU_ASSERT(memcmp(oct, msg, 64) == 0 && memcmp(oct + 64, nonce, 32) == 0);
	tic_unhex(exp_id_mac, e, sizeof(e));
	CU_ASSERT(memcmp(oct + 96, e, 32) == 0);

	CU_ASSERT_EQUAL(ike_auth_psk(5, (const uint8_t *)psk, strlen(psk), oct, olen, auth), 0);
	tic_unhex(exp_auth, e, sizeof(e));
	CU_ASSERT(memcmp(auth, e, 32) == 0);
	CU_ASSERT_EQUAL(ike_auth_psk_verify(5, (const uint8_t *)psk, strlen(psk), oct, olen,
					    e, 32), 0);
	CU_ASSERT_EQUAL(ike_auth_psk_verify(5, (const uint8_t *)"sesame-opem", 11, oct, olen,
					    e, 32), -EACCES);
	CU_ASSERT_EQUAL(ike_auth_psk_verify(5, (const uint8_t *)psk, strlen(psk), oct, olen,
					    e, 31), -EACCES);
	oct[0] ^= 1;
	CU_ASSERT_EQUAL(ike_auth_psk_verify(5, (const uint8_t *)psk, strlen(psk), oct, olen,
					    e, 32), -EACCES);
	CU_ASSERT_EQUAL(ike_auth_psk(5, NULL, 0, oct, olen, auth), -EINVAL);
	free(oct);
}

static void
auth_sighash_notify(void)
{
	uint8_t buf[16];
	uint32_t mask;
	size_t n;

	CU_ASSERT_EQUAL(ike_sighash_build(ike_sighash_ours(), buf, sizeof(buf), &n), 0);
	CU_ASSERT(n == 6 && memcmp(buf, "\x00\x02\x00\x03\x00\x04", 6) == 0);
	CU_ASSERT_EQUAL(ike_sighash_build(ike_sighash_ours(), buf, 5, &n), -ENOSPC);
	CU_ASSERT_EQUAL(ike_sighash_parse((const uint8_t *)"\x00\x01\x00\x04\x00\x07\x12\x34",
					  8, &mask), 0);
	CU_ASSERT_EQUAL(mask, 1u << 1 | 1u << 4 | 1u << 7);
	CU_ASSERT_EQUAL(ike_sighash_parse(buf, 5, &mask), -EBADMSG);
	CU_ASSERT_EQUAL(ike_sighash_parse(buf, 0, &mask), 0);
	CU_ASSERT_EQUAL(mask, 0);
}

/* Keys and certificates made once for the auth suite. */
struct pki {
	char dir[64];
	EVP_PKEY *ca_key, *rsa_key, *ec256, *ec384, *ec521, *other_ca_key, *inter_key;
	X509 *ca, *rsa_cert, *ec_cert, *other_ca, *inter, *leaf;
	char ca_path[128], other_ca_path[128], cert_path[128], key_path[128];
};

static struct pki pki;

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
	  const char *san, long serial)
{
	X509 *c = X509_new();
	X509_NAME *name;

	if (c == NULL)
		return NULL;
	X509_set_version(c, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 30);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Rampart test",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
				   0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name);
	if (add_ext(c, issuer != NULL ? issuer : c, NID_basic_constraints,
		    ca ? "critical,CA:TRUE" : "CA:FALSE") < 0 ||
	    (ca && add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") < 0) ||
	    (san != NULL && add_ext(c, issuer, NID_subject_alt_name, san) < 0) ||
	    X509_sign(c, issuer_key, EVP_sha256()) <= 0) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static int
write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int ok = 1;

	if (f == NULL)
		return -1;
	if (cert != NULL)
		ok &= PEM_write_X509(f, cert);
	if (key != NULL)
		ok &= PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return ok == 1 ? 0 : -1;
}

static const char pki_san[] = "DNS:gw.example.com,email:vpn@example.com,IP:192.0.2.1,"
			      "IP:2001:db8::1";

static int
pki_init(void)
{
	snprintf(pki.dir, sizeof(pki.dir), "/tmp/ike_crypto_test.XXXXXX");
	if (mkdtemp(pki.dir) == NULL)
		return -1;
	snprintf(pki.ca_path, sizeof(pki.ca_path), "%s/ca.pem", pki.dir);
	snprintf(pki.other_ca_path, sizeof(pki.other_ca_path), "%s/other.pem", pki.dir);
	snprintf(pki.cert_path, sizeof(pki.cert_path), "%s/gw.pem", pki.dir);
	snprintf(pki.key_path, sizeof(pki.key_path), "%s/gw.key", pki.dir);
	pki.ca_key = EVP_RSA_gen(2048);
	pki.rsa_key = EVP_RSA_gen(2048);
	pki.ec256 = EVP_EC_gen("P-256");
	pki.ec384 = EVP_EC_gen("P-384");
	pki.ec521 = EVP_EC_gen("P-521");
	pki.other_ca_key = EVP_EC_gen("P-256");
	pki.inter_key = EVP_EC_gen("P-256");
	if (!pki.ca_key || !pki.rsa_key || !pki.ec256 || !pki.ec384 || !pki.ec521 ||
	    !pki.other_ca_key || !pki.inter_key)
		return -1;
	pki.ca = make_cert("Test CA", pki.ca_key, NULL, pki.ca_key, true, NULL, 1);
	pki.other_ca = make_cert("Other CA", pki.other_ca_key, NULL, pki.other_ca_key, true,
				 NULL, 1);
	if (pki.ca == NULL || pki.other_ca == NULL)
		return -1;
	pki.rsa_cert = make_cert("gw.example.com", pki.rsa_key, pki.ca, pki.ca_key, false,
				 pki_san, 2);
	pki.ec_cert = make_cert("ec.example.com", pki.ec384, pki.ca, pki.ca_key, false,
				"DNS:ec.example.com", 3);
	/* root -> intermediate -> leaf (ec256) */
	pki.inter = make_cert("Intermediate CA", pki.inter_key, pki.ca, pki.ca_key, true, NULL, 4);
	if (pki.inter == NULL)
		return -1;
	pki.leaf = make_cert("leaf", pki.ec256, pki.inter, pki.inter_key, false,
			     "DNS:leaf.example.com", 5);
	if (pki.rsa_cert == NULL || pki.ec_cert == NULL || pki.leaf == NULL)
		return -1;
	if (write_pem(pki.ca_path, pki.ca, NULL) < 0 ||
	    write_pem(pki.other_ca_path, pki.other_ca, NULL) < 0 ||
	    write_pem(pki.cert_path, pki.rsa_cert, NULL) < 0 ||
	    write_pem(pki.key_path, NULL, pki.rsa_key) < 0)
		return -1;
	return 0;
}

static int
pki_fini(void)
{
	unlink(pki.ca_path);
	unlink(pki.other_ca_path);
	unlink(pki.cert_path);
	unlink(pki.key_path);
	rmdir(pki.dir);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.rsa_key);
	EVP_PKEY_free(pki.ec256);
	EVP_PKEY_free(pki.ec384);
	EVP_PKEY_free(pki.ec521);
	EVP_PKEY_free(pki.other_ca_key);
	EVP_PKEY_free(pki.inter_key);
	X509_free(pki.inter);
	X509_free(pki.leaf);
	X509_free(pki.ca);
	X509_free(pki.other_ca);
	X509_free(pki.rsa_cert);
	X509_free(pki.ec_cert);
	return 0;
}

static void
auth_sig_choose(void)
{
	enum { ANY_HASH = 0xff };
	uint32_t ours = ike_sighash_ours();
	/* key, the peer's SIGNATURE_HASH_ALGORITHMS, the method and hash wanted */
	const struct {
		EVP_PKEY *key;
		uint32_t peer;
		uint8_t m, h;
	} t[] = {
		{ pki.rsa_key, 0, IKE_CRYPTO_AUTH_RSA_SIG, IKE_CRYPTO_HASH_SHA1 },
		{ pki.rsa_key, ours, IKE_CRYPTO_AUTH_DIGITAL_SIG, IKE_CRYPTO_HASH_SHA256 },
		{ pki.rsa_key, 1u << IKE_CRYPTO_HASH_SHA512, IKE_CRYPTO_AUTH_DIGITAL_SIG,
		  IKE_CRYPTO_HASH_SHA512 },
		{ pki.rsa_key, 1u << IKE_CRYPTO_HASH_SHA1, IKE_CRYPTO_AUTH_RSA_SIG, ANY_HASH },
		{ pki.ec256, 0, IKE_CRYPTO_AUTH_ECDSA_256, IKE_CRYPTO_HASH_SHA256 },
		{ pki.ec521, 0, IKE_CRYPTO_AUTH_ECDSA_521, IKE_CRYPTO_HASH_SHA512 },
		{ pki.ec384, ours, IKE_CRYPTO_AUTH_DIGITAL_SIG, IKE_CRYPTO_HASH_SHA384 },
		{ pki.ec384, 1u << IKE_CRYPTO_HASH_SHA256, IKE_CRYPTO_AUTH_DIGITAL_SIG,
		  IKE_CRYPTO_HASH_SHA256 },
	};
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t m = 0, h = 0;

		CU_ASSERT_EQUAL(ike_sig_choose(t[i].key, t[i].peer, &m, &h), 0);
		CU_ASSERT_EQUAL(m, t[i].m);
		if (t[i].h != ANY_HASH)
			CU_ASSERT_EQUAL(h, t[i].h);
	}
}

static void
sign_verify_one(EVP_PKEY *key, uint8_t method, uint8_t hash, EVP_PKEY *wrong_type)
{
	uint8_t oct[200], sig[IKE_SIG_MAX_LEN];
	size_t n = 0, i;

	for (i = 0; i < sizeof(oct); i++)
		oct[i] = (uint8_t)(i ^ 0x5c);
	CU_ASSERT_EQUAL_FATAL(ike_sig_sign(key, method, hash, oct, sizeof(oct), sig,
					   sizeof(sig), &n), 0);
	CU_ASSERT_EQUAL(ike_sig_verify(key, method, sig, n, oct, sizeof(oct)), 0);
	oct[7] ^= 1;
	CU_ASSERT_EQUAL(ike_sig_verify(key, method, sig, n, oct, sizeof(oct)), -EACCES);
	oct[7] ^= 1;
	sig[n - 3] ^= 0x10;
	CU_ASSERT_EQUAL(ike_sig_verify(key, method, sig, n, oct, sizeof(oct)), -EACCES);
	sig[n - 3] ^= 0x10;
	if (wrong_type != NULL)
		CU_ASSERT_EQUAL(ike_sig_verify(wrong_type, method, sig, n, oct, sizeof(oct)),
				-EINVAL);
	CU_ASSERT_EQUAL(ike_sig_sign(key, method, hash, oct, sizeof(oct), sig, 10, &n),
			-ENOSPC);
}

static void
auth_sign_verify_all_methods(void)
{
	static const uint8_t rsa_prefix256[] = {
		15, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
		0x05, 0x00,
	};
	static const uint8_t pss_sha256[] = {
		0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
		0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
		0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
	};
	static const uint8_t ec_prefix384[] = {
		12, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
	};
	uint8_t sig[IKE_SIG_MAX_LEN], oct[32] = { 1, 2, 3 };
	size_t n;
	uint8_t h;

	sign_verify_one(pki.rsa_key, IKE_CRYPTO_AUTH_RSA_SIG, IKE_CRYPTO_HASH_SHA1, pki.ec256);
	for (h = IKE_CRYPTO_HASH_SHA256; h <= IKE_CRYPTO_HASH_SHA512; h++) {
		sign_verify_one(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG, h, pki.ec256);
		sign_verify_one(pki.ec256, IKE_CRYPTO_AUTH_DIGITAL_SIG, h, pki.rsa_key);
		sign_verify_one(pki.ec521, IKE_CRYPTO_AUTH_DIGITAL_SIG, h, NULL);
	}
	for (h = IKE_CRYPTO_HASH_SHA256; h <= IKE_CRYPTO_HASH_SHA512; h++)
		sign_verify_one(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG, h | IKE_CRYPTO_SIG_PSS,
				pki.ec256);
	sign_verify_one(pki.ec256, IKE_CRYPTO_AUTH_ECDSA_256, 0, pki.ec384);
	sign_verify_one(pki.ec384, IKE_CRYPTO_AUTH_ECDSA_384, 0, pki.ec256);
	sign_verify_one(pki.ec521, IKE_CRYPTO_AUTH_ECDSA_521, 0, pki.rsa_key);

	/* wire forms: RFC 7427 prefix, RFC 4754 raw r || s */
	CU_ASSERT_EQUAL(ike_sig_sign(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG,
				     IKE_CRYPTO_HASH_SHA256, oct, sizeof(oct), sig, sizeof(sig),
				     &n), 0);
	CU_ASSERT(n == sizeof(rsa_prefix256) + 256 &&
		  memcmp(sig, rsa_prefix256, sizeof(rsa_prefix256)) == 0);
	/* the same signature without NULL parameters in the AlgorithmIdentifier */
	sig[2] = 0x0b;
	memmove(sig + 14, sig + 16, n - 16);
	sig[0] = 13;
	CU_ASSERT_EQUAL(ike_sig_verify(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG, sig, n - 2, oct,
				       sizeof(oct)), 0);
	CU_ASSERT_EQUAL(ike_sig_sign(pki.ec384, IKE_CRYPTO_AUTH_DIGITAL_SIG,
				     IKE_CRYPTO_HASH_SHA384, oct, sizeof(oct), sig, sizeof(sig),
				     &n), 0);
	CU_ASSERT(memcmp(sig, ec_prefix384, sizeof(ec_prefix384)) == 0);
	/* RSASSA-PSS SHA-256 AlgorithmIdentifier (RFC 7427 A.4.3 layout; the same
	 * bytes OpenSSL 3.0 reports as OSSL_SIGNATURE_PARAM_ALGORITHM_ID) */
	CU_ASSERT_EQUAL(ike_sig_sign(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG,
				     IKE_CRYPTO_HASH_SHA256 | IKE_CRYPTO_SIG_PSS, oct, sizeof(oct),
				     sig, sizeof(sig), &n), 0);
	CU_ASSERT(n == 1 + sizeof(pss_sha256) + 256 && sig[0] == sizeof(pss_sha256) &&
		  memcmp(sig + 1, pss_sha256, sizeof(pss_sha256)) == 0);
	CU_ASSERT_EQUAL(ike_sig_sign(pki.ec256, IKE_CRYPTO_AUTH_DIGITAL_SIG,
				     IKE_CRYPTO_HASH_SHA256 | IKE_CRYPTO_SIG_PSS, oct, sizeof(oct),
				     sig, sizeof(sig), &n), -EINVAL);
	/* RSASSA-PSS with empty parameters (SHA-1 defaults, A.4.1): refused */
	{
		uint8_t pss_empty[1 + 15 + 256];

		memcpy(pss_empty, "\x0f\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
		       "\x30\x00", 16);
		memset(pss_empty + 16, 0x11, 256);
		CU_ASSERT_EQUAL(ike_sig_verify(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG, pss_empty,
					       sizeof(pss_empty), oct, sizeof(oct)), -EBADMSG);
	}
	/* unknown AlgorithmIdentifier, bad length byte */
	sig[12] = 0x09;
	CU_ASSERT_EQUAL(ike_sig_verify(pki.ec384, IKE_CRYPTO_AUTH_DIGITAL_SIG, sig, n, oct,
				       sizeof(oct)), -EBADMSG);
	sig[0] = 200;
	CU_ASSERT_EQUAL(ike_sig_verify(pki.ec384, IKE_CRYPTO_AUTH_DIGITAL_SIG, sig, n, oct,
				       sizeof(oct)), -EBADMSG);
	CU_ASSERT_EQUAL(ike_sig_sign(pki.ec521, IKE_CRYPTO_AUTH_ECDSA_521, 0, oct, sizeof(oct),
				     sig, sizeof(sig), &n), 0);
	CU_ASSERT_EQUAL(n, 132);
	CU_ASSERT_EQUAL(ike_sig_verify(pki.ec521, IKE_CRYPTO_AUTH_ECDSA_521, sig, n - 1, oct,
				       sizeof(oct)), -EBADMSG);
	/* random AUTH data never verifies (and never crashes the parser) */
	{
		uint64_t st = 0x243f6a8885a308d3ull;
		size_t len, j, k;

		for (k = 0; k < 200; k++) {
			st ^= st << 13;
			st ^= st >> 7;
			st ^= st << 17;
			len = st % sizeof(sig);
			for (j = 0; j < len; j++)
				sig[j] = (uint8_t)(st >> (j % 56));
			if (k & 1 && len > 20)
				sig[0] = (uint8_t)(k % 70);
			CU_ASSERT(ike_sig_verify(pki.rsa_key, IKE_CRYPTO_AUTH_DIGITAL_SIG, sig, len,
						 oct, sizeof(oct)) < 0);
			CU_ASSERT(ike_sig_verify(pki.ec256, IKE_CRYPTO_AUTH_ECDSA_256, sig, len,
						 oct, sizeof(oct)) < 0);
			CU_ASSERT(ike_sig_verify(pki.rsa_key, IKE_CRYPTO_AUTH_RSA_SIG, sig, len,
						 oct, sizeof(oct)) < 0);
		}
	}
	/* method / curve mismatches */
	CU_ASSERT_EQUAL(ike_sig_sign(pki.ec384, IKE_CRYPTO_AUTH_ECDSA_256, 0, oct, sizeof(oct),
				     sig, sizeof(sig), &n), -EINVAL);
	CU_ASSERT_EQUAL(ike_sig_sign(pki.ec384, IKE_CRYPTO_AUTH_RSA_SIG, 0, oct, sizeof(oct),
				     sig, sizeof(sig), &n), -EINVAL);
	CU_ASSERT_EQUAL(ike_sig_sign(pki.rsa_key, IKE_CRYPTO_AUTH_PSK, 0, oct, sizeof(oct),
				     sig, sizeof(sig), &n), -EINVAL);
}

/* ------------------------------------------------------------------------
 * X.509
 * ------------------------------------------------------------------------ */

static void
set_id(struct ike_id *id, uint8_t type, const void *data, size_t len)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = (uint16_t)len;
	memcpy(id->data, data, len);
}

static void
cert_load_verify_and_match_id(void)
{
	X509_STORE *store = NULL, *other = NULL, *bad = NULL;
	X509 *mine = NULL, *peer = NULL;
	EVP_PKEY *key = NULL, *pub = NULL;
	uint8_t *der = NULL, *dn = NULL;
	size_t der_len = 0;
	struct ike_id id;
	int dn_len;

	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.ca_path, &store), 0);
	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.other_ca_path, &other), 0);
	CU_ASSERT_EQUAL_FATAL(ike_cert_load_pem(pki.cert_path, &mine, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ike_key_load_pem(pki.key_path, &key), 0);
	CU_ASSERT_EQUAL(ike_cert_load_pem("/nonexistent/x.pem", &peer, NULL), -ENOENT);
	CU_ASSERT_EQUAL(ike_ca_load_pem(pki.key_path, &bad), -EBADMSG);
	CU_ASSERT(bad == NULL);
	CU_ASSERT_EQUAL(ike_key_load_pem(pki.ca_path, &pub), -EBADMSG);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(key, pki.rsa_key), 1);

	CU_ASSERT_EQUAL_FATAL(ike_cert_der(mine, &der, &der_len), 0);
	CU_ASSERT_EQUAL(ike_cert_verify(store, der, der_len, &peer), 0);
	CU_ASSERT_FATAL(peer != NULL);
	CU_ASSERT_EQUAL(ike_cert_pubkey(peer, &pub), 0);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(pub, pki.rsa_key), 1);

	set_id(&id, IKE_ID_FQDN, "gw.example.com", 14);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	set_id(&id, IKE_ID_FQDN, "GW.Example.COM", 14);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	set_id(&id, IKE_ID_FQDN, "xx.example.com", 14);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	set_id(&id, IKE_ID_RFC822_ADDR, "vpn@example.com", 15);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	set_id(&id, IKE_ID_RFC822_ADDR, "vpm@example.com", 15);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	set_id(&id, IKE_ID_IPV4_ADDR, "\xc0\x00\x02\x01", 4);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	set_id(&id, IKE_ID_IPV4_ADDR, "\xc0\x00\x02\x02", 4);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	set_id(&id, IKE_ID_IPV6_ADDR,
	       "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	dn_len = i2d_X509_NAME(X509_get_subject_name(pki.rsa_cert), &dn);
	CU_ASSERT_FATAL(dn_len > 0 && dn_len <= IKE_MAX_ID_LEN);
	set_id(&id, IKE_ID_DER_ASN1_DN, dn, (size_t)dn_len);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), 0);
	id.data[id.len - 1] ^= 1;
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	/* the CN is never used for FQDN matching */
	set_id(&id, IKE_ID_FQDN, "ec.example.com", 14);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	set_id(&id, IKE_ID_KEY_ID, "abc", 3);
	CU_ASSERT_EQUAL(ike_cert_match_id(peer, &id), -EACCES);
	X509_free(peer);
	peer = NULL;

	/* wrong trust anchor, garbage, trailing bytes, tampered signature */
	CU_ASSERT_EQUAL(ike_cert_verify(other, der, der_len, &peer), -EACCES);
	CU_ASSERT_EQUAL(ike_cert_verify(store, der, der_len - 1, &peer), -EBADMSG);
	CU_ASSERT_EQUAL(ike_cert_verify(store, (const uint8_t *)"\x30\x03\x02\x01\x01", 5,
					&peer), -EBADMSG);
	der[der_len - 5] ^= 0x01;
	CU_ASSERT(ike_cert_verify(store, der, der_len, &peer) < 0);
	CU_ASSERT(peer == NULL);
	/* a CA cert presented as end entity by the other CA is not trusted by us */
	OPENSSL_free(der);
	der = NULL;
	CU_ASSERT_EQUAL(ike_cert_der(pki.other_ca, &der, &der_len), 0);
	CU_ASSERT_EQUAL(ike_cert_verify(store, der, der_len, &peer), -EACCES);

	OPENSSL_free(der);
	OPENSSL_free(dn);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	X509_free(mine);
	X509_STORE_free(store);
	X509_STORE_free(other);
}

static void
cert_chain_with_intermediate(void)
{
	X509_STORE *store = NULL;
	uint8_t *leaf = NULL, *inter = NULL, oct[50], sig[200];
	size_t leaf_len = 0, inter_len = 0, n = 0;
	struct ike_cbuf chain[IKE_CERT_MAX_CHAIN + 1];
	struct ike_job *jv = NULL;
	struct ike_id id;
	X509 *peer = NULL;
	unsigned i;

	memset(oct, 0x17, sizeof(oct));
	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.ca_path, &store), 0);
	CU_ASSERT_EQUAL_FATAL(ike_cert_der(pki.leaf, &leaf, &leaf_len), 0);
	CU_ASSERT_EQUAL_FATAL(ike_cert_der(pki.inter, &inter, &inter_len), 0);
	for (i = 0; i < N_ELEM(chain); i++)
		chain[i] = (struct ike_cbuf){ inter, inter_len };

	/* no path without the intermediate; with it, trusted */
	CU_ASSERT_EQUAL(ike_cert_verify(store, leaf, leaf_len, &peer), -EACCES);
	CU_ASSERT_EQUAL(ike_cert_verify_chain(store, leaf, leaf_len, chain, 1, &peer), 0);
	X509_free(peer);
	peer = NULL;
	CU_ASSERT_EQUAL(ike_cert_verify_chain(store, leaf, leaf_len, chain, IKE_CERT_MAX_CHAIN + 1,
					      &peer), -E2BIG);
	chain[0].len--;
	CU_ASSERT_EQUAL(ike_cert_verify_chain(store, leaf, leaf_len, chain, 1, &peer), -EBADMSG);
	chain[0].len++;
	/* the intermediate itself chains directly to the root */
	CU_ASSERT_EQUAL(ike_cert_verify_chain(store, inter, inter_len, NULL, 0, &peer), 0);
	X509_free(peer);
	peer = NULL;

	/* the same through a verify job */
	CU_ASSERT_EQUAL_FATAL(ike_sig_sign(pki.ec256, IKE_CRYPTO_AUTH_ECDSA_256, 0, oct,
					   sizeof(oct), sig, sizeof(sig), &n), 0);
	set_id(&id, IKE_ID_FQDN, "leaf.example.com", 16);
	CU_ASSERT_EQUAL_FATAL(ike_job_verify_create(store, leaf, leaf_len, &id, NULL,
						    IKE_CRYPTO_AUTH_ECDSA_256, sig, n, oct,
						    sizeof(oct), &jv), 0);
	ike_job_run(jv);
	CU_ASSERT_EQUAL(jv->result, -EACCES);
	jv->result = -EINPROGRESS;
	CU_ASSERT_EQUAL(ike_job_verify_add_chain(jv, inter, inter_len), 0);
	ike_job_run(jv);
	CU_ASSERT_EQUAL(jv->result, 0);
	for (i = 1; i < IKE_CERT_MAX_CHAIN; i++)
		CU_ASSERT_EQUAL(ike_job_verify_add_chain(jv, inter, inter_len), 0);
	CU_ASSERT_EQUAL(ike_job_verify_add_chain(jv, inter, inter_len), -E2BIG);
	ike_job_destroy(jv);

	OPENSSL_free(leaf);
	OPENSSL_free(inter);
	X509_STORE_free(store);
}

static void
certreq_hashes_ca_spki(void)
{
	X509_STORE *store = NULL;
	uint8_t out[64], want[20], *spki = NULL;
	unsigned int mdlen = 0;
	size_t n = 0;
	int l;

	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.ca_path, &store), 0);
	CU_ASSERT_EQUAL(ike_certreq_build(store, out, sizeof(out), &n), 0);
	CU_ASSERT_EQUAL(n, 20);
	l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(pki.ca), &spki);
	CU_ASSERT_FATAL(l > 0);
	CU_ASSERT(EVP_Digest(spki, (size_t)l, want, &mdlen, EVP_sha1(), NULL) == 1);
	CU_ASSERT(memcmp(out, want, 20) == 0);
	CU_ASSERT_EQUAL(ike_certreq_build(store, out, 19, &n), -ENOSPC);
	OPENSSL_free(spki);
	X509_STORE_free(store);
}

/* ------------------------------------------------------------------------
 * Jobs
 * ------------------------------------------------------------------------ */

static void
job_dh_initiator_and_responder(void)
{
	struct ike_job *ji = NULL, *jr = NULL, *ji2 = NULL;
	struct ike_dh *dh;

	/* initiator: key generation only (IKE_SA_INIT request) */
	CU_ASSERT_EQUAL_FATAL(ike_job_dh_create(19, NULL, NULL, 0, &ji), 0);
	CU_ASSERT_EQUAL(ji->result, -EINPROGRESS);
	ike_job_run(ji);
	CU_ASSERT_EQUAL(ji->result, 0);
	CU_ASSERT_EQUAL(ji->u.dh.pub_len, 64);
	CU_ASSERT_EQUAL(ji->u.dh.shared_len, 0);
	/* responder: key generation and g^ir in one job */
	CU_ASSERT_EQUAL_FATAL(ike_job_dh_create(19, NULL, ji->u.dh.pub, ji->u.dh.pub_len, &jr),
			      0);
	ike_job_run(jr);
	CU_ASSERT_EQUAL(jr->result, 0);
	CU_ASSERT_EQUAL(jr->u.dh.shared_len, 32);
	/* initiator again with its key pair (ownership moves to the new job) */
	dh = ji->u.dh.dh;
	ji->u.dh.dh = NULL;
	CU_ASSERT_EQUAL_FATAL(ike_job_dh_create(19, dh, jr->u.dh.pub, jr->u.dh.pub_len, &ji2),
			      0);
	ike_job_run(ji2);
	CU_ASSERT_EQUAL(ji2->result, 0);
	CU_ASSERT(ji2->u.dh.shared_len == 32 &&
		  memcmp(ji2->u.dh.shared, jr->u.dh.shared, 32) == 0);
	CU_ASSERT(memcmp(ji2->u.dh.pub, ji->u.dh.pub, 64) == 0);
	ike_job_destroy(ji);
	ike_job_destroy(jr);
	ike_job_destroy(ji2);

	/* a bad peer value fails the job, not the process */
	CU_ASSERT_EQUAL_FATAL(ike_job_dh_create(31, NULL, (const uint8_t *)"short", 5, &jr), 0);
	ike_job_run(jr);
	CU_ASSERT_EQUAL(jr->result, -EBADMSG);
	ike_job_destroy(jr);
	CU_ASSERT_EQUAL(ike_job_dh_create(99, NULL, NULL, 0, &jr), -EINVAL);
	ike_job_destroy(NULL);
}

/* Run a verify job of @js's signature over @oct (100 bytes): its result;
 * the job in *@keep, else destroyed. */
static int
verify_job(X509_STORE *store, const uint8_t *der, size_t der_len, const struct ike_id *id,
	   EVP_PKEY *pub, uint8_t m, const struct ike_job *js, const uint8_t oct[100],
	   struct ike_job **keep)
{
	struct ike_job *jv = NULL;
	int rc;

	CU_ASSERT_EQUAL_FATAL(ike_job_verify_create(store, der, der_len, id, pub, m,
						    js->u.sign.auth, js->u.sign.auth_len, oct,
						    100, &jv), 0);
	ike_job_run(jv);
	rc = jv->result;
	if (keep != NULL)
		*keep = jv;
	else
		ike_job_destroy(jv);
	return rc;
}

static void
job_sign_then_verify_with_cert(void)
{
	X509_STORE *store = NULL, *other = NULL;
	struct ike_job *js = NULL, *jv = NULL;
	uint8_t oct[100], *der = NULL;
	size_t der_len = 0;
	struct ike_id id;
	uint8_t m = 0, h = 0;

	memset(oct, 0x42, sizeof(oct));
	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.ca_path, &store), 0);
	CU_ASSERT_EQUAL_FATAL(ike_ca_load_pem(pki.other_ca_path, &other), 0);
	CU_ASSERT_EQUAL_FATAL(ike_cert_der(pki.rsa_cert, &der, &der_len), 0);
	CU_ASSERT_EQUAL(ike_sig_choose(pki.rsa_key, ike_sighash_ours(), &m, &h), 0);

	CU_ASSERT_EQUAL_FATAL(ike_job_sign_create(pki.rsa_key, m, h, oct, sizeof(oct), &js), 0);
	js->sa_id = 77;
	ike_job_run(js);
	CU_ASSERT_EQUAL(js->result, 0);
	CU_ASSERT(js->u.sign.auth_len > 256 && js->sa_id == 77);

	set_id(&id, IKE_ID_FQDN, "gw.example.com", 14);
	CU_ASSERT_EQUAL(verify_job(store, der, der_len, &id, NULL, m, js, oct, &jv), 0);
	CU_ASSERT(jv->u.verify.pub != NULL && EVP_PKEY_eq(jv->u.verify.pub, pki.rsa_key) == 1);
	ike_job_destroy(jv);

	/* wrong ID, wrong CA, tampered octets */
	set_id(&id, IKE_ID_FQDN, "gx.example.com", 14);
	CU_ASSERT_EQUAL(verify_job(store, der, der_len, &id, NULL, m, js, oct, NULL), -EACCES);
	set_id(&id, IKE_ID_ANY, "", 0);
	CU_ASSERT_EQUAL(verify_job(other, der, der_len, &id, NULL, m, js, oct, NULL), -EACCES);
	oct[0] ^= 1;
	CU_ASSERT_EQUAL(verify_job(NULL, NULL, 0, NULL, pki.rsa_key, m, js, oct, NULL), -EACCES);
	CU_ASSERT_EQUAL(ike_job_verify_create(store, der, der_len, NULL, pki.rsa_key, m,
					      js->u.sign.auth, js->u.sign.auth_len, oct,
					      sizeof(oct), &jv), -EINVAL);

	ike_job_destroy(js);
	OPENSSL_free(der);
	X509_STORE_free(store);
	X509_STORE_free(other);
}

static const struct tu_test auth_tests[] = {
	{ "auth_octets_and_psk", auth_octets_and_psk },
	{ "auth_sighash_notify", auth_sighash_notify },
	{ "auth_sig_choose", auth_sig_choose },
	{ "auth_sign_verify_all_methods", auth_sign_verify_all_methods },
	{ "cert_load_verify_and_match_id", cert_load_verify_and_match_id },
	{ "cert_chain_with_intermediate", cert_chain_with_intermediate },
	{ "certreq_hashes_ca_spki", certreq_hashes_ca_spki },
	{ "job_dh_initiator_and_responder", job_dh_initiator_and_responder },
	{ "job_sign_then_verify_with_cert", job_sign_then_verify_with_cert },
};

void
test_ike_crypto_auth_register(void)
{
	tu_suite_tab("ike_auth", pki_init, pki_fini, auth_tests, TU_N(auth_tests));
}
