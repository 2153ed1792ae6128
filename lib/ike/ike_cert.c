/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X.509 for IKEv2 (RFC 7296 3.6, 3.7, 2.15 and RFC 4945 for ID matching):
 * loading our certificate, key and trust anchors from PEM files, verifying a
 * peer's end-entity certificate (CERT encoding 4) against the anchors,
 * matching the peer's ID payload to that certificate, and the CERTREQ
 * certification-authority hashes.
 *
 * Objects are OpenSSL's own (X509, EVP_PKEY, X509_STORE); the caller frees
 * them. Nothing here logs or keeps state; a verification failure is a plain
 * -EACCES (the caller decides what to count and report).
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

int
ike_cert_load_pem(const char *path, X509 **out, STACK_OF(X509) **chain)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int rc = 0;

	*out = NULL;
	if (chain != NULL)
		*chain = NULL;
	if (b == NULL)
		return -ENOENT;
	*out = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (*out == NULL)
		rc = -EBADMSG;
	else if (chain != NULL && (*chain = sk_X509_new_null()) == NULL)
		rc = -ENOMEM;
	while (rc == 0 && chain != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(*chain, x) <= 0) {
			X509_free(x);
			rc = -ENOMEM;
		}
	}
	ERR_clear_error();	/* end of file */
	BIO_free(b);
	if (rc != 0) {
		X509_free(*out);
		*out = NULL;
		if (chain != NULL) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
		}
	}
	return rc;
}

int
ike_key_load_pem(const char *path, EVP_PKEY **out)
{
	BIO *b = BIO_new_file(path, "r");

	*out = NULL;
	if (b == NULL)
		return -ENOENT;
	/* no password callback: an encrypted key fails instead of prompting */
	*out = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	return *out == NULL ? -EBADMSG : 0;
}

int
ike_ca_load_pem(const char *path, X509_STORE **out)
{
	X509_STORE *st;
	STACK_OF(X509_OBJECT) *objs;

	*out = NULL;
	st = X509_STORE_new();
	if (st == NULL)
		return -ENOMEM;
	if (X509_STORE_load_file(st, path) != 1) {
		X509_STORE_free(st);
		return -EBADMSG;
	}
	objs = X509_STORE_get0_objects(st);
	if (objs == NULL || sk_X509_OBJECT_num(objs) == 0) {
		X509_STORE_free(st);
		return -EBADMSG;
	}
	*out = st;
	return 0;
}

int
ike_cert_der(X509 *cert, uint8_t **der, size_t *len)
{
	int n;

	*der = NULL;
	n = i2d_X509(cert, der);
	if (n <= 0)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

/* One DER certificate, exactly (no trailing bytes). */
static X509 *
cert_from_der(const uint8_t *der, size_t der_len)
{
	const unsigned char *p = der;
	X509 *cert;

	if (der == NULL || der_len == 0 || der_len > 65535)
		return NULL;
	cert = d2i_X509(NULL, &p, (long)der_len);
	if (cert != NULL && p != der + der_len) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

int
ike_cert_verify_chain(X509_STORE *store, const uint8_t *der, size_t der_len,
		      const struct ike_cbuf *extra, unsigned n_extra, X509 **out)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *cert, *ca;
	unsigned i;
	int ret = -EBADMSG;

	*out = NULL;
	if (n_extra > IKE_CERT_MAX_CHAIN)
		return -E2BIG;
	cert = cert_from_der(der, der_len);
	if (cert == NULL)
		return -EBADMSG;	/* unparsable, or trailing bytes */
	if (n_extra != 0) {
		untrusted = sk_X509_new_null();
		if (untrusted == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n_extra; i++) {
			/* intermediates only help build the path; trust stays in @store */
			ca = cert_from_der(extra[i].ptr, extra[i].len);
			if (ca == NULL)
				goto out;
			if (!sk_X509_push(untrusted, ca)) {
				X509_free(ca);
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	ret = -ENOMEM;
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, cert, untrusted) != 1)
		goto out;
	ret = X509_verify_cert(ctx) == 1 ? 0 : -EACCES;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	if (ret == 0)
		*out = cert;
	else
		X509_free(cert);
	return ret;
}

int
ike_cert_verify(X509_STORE *store, const uint8_t *der, size_t der_len, X509 **out)
{
	return ike_cert_verify_chain(store, der, der_len, NULL, 0, out);
}

int
ike_cert_pubkey(X509 *cert, EVP_PKEY **out)
{
	*out = X509_get_pubkey(cert);
	return *out == NULL ? -EBADMSG : 0;
}

int
ike_cert_match_id(X509 *cert, const struct ike_id *id)
{
	/* IDs are matched to subjectAltName only, never to the subject CN */
	const unsigned int flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
				   X509_CHECK_FLAG_NO_WILDCARDS;
	unsigned char *dn = NULL;
	int n, ret = -EACCES;

	if (id->len > IKE_MAX_ID_LEN || id->len == 0)
		return -EACCES;
	switch (id->type) {
	case IKE_ID_DER_ASN1_DN:
		n = i2d_X509_NAME(X509_get_subject_name(cert), &dn);
		if (n > 0 && (size_t)n == id->len && memcmp(dn, id->data, id->len) == 0)
			ret = 0;
		OPENSSL_free(dn);
		return ret;
	case IKE_ID_FQDN:
		return X509_check_host(cert, (const char *)id->data, id->len, flags, NULL) == 1
			       ? 0 : -EACCES;
	case IKE_ID_RFC822_ADDR:
		return X509_check_email(cert, (const char *)id->data, id->len, flags) == 1
			       ? 0 : -EACCES;
	case IKE_ID_IPV4_ADDR:
		if (id->len != 4)
			return -EACCES;
		return X509_check_ip(cert, id->data, 4, 0) == 1 ? 0 : -EACCES;
	case IKE_ID_IPV6_ADDR:
		if (id->len != 16)
			return -EACCES;
		return X509_check_ip(cert, id->data, 16, 0) == 1 ? 0 : -EACCES;
	default:
		return -EACCES;		/* KEY_ID and others: no binding to a cert */
	}
}

int
ike_certreq_build(X509_STORE *store, uint8_t *out, size_t cap, size_t *len)
{
	STACK_OF(X509_OBJECT) *objs;
	size_t n = 0;
	int i, cnt;

	*len = 0;
	if (X509_STORE_lock(store) != 1)
		return -EIO;
	objs = X509_STORE_get0_objects(store);
	cnt = objs == NULL ? 0 : sk_X509_OBJECT_num(objs);
	for (i = 0; i < cnt; i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		unsigned char *spki = NULL;
		unsigned int mdlen = 0;
		int l;

		if (ca == NULL)
			continue;		/* a CRL */
		if (n / IKE_SHA1_LEN >= IKE_CERTREQ_MAX_CAS)
			break;
		if (cap - n < IKE_SHA1_LEN) {
			X509_STORE_unlock(store);
			return -ENOSPC;
		}
		/* RFC 7296 3.7: SHA-1 of the CA's SubjectPublicKeyInfo element */
		l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &spki);
		if (l <= 0 || EVP_Digest(spki, (size_t)l, out + n, &mdlen, EVP_sha1(), NULL) != 1 ||
		    mdlen != IKE_SHA1_LEN) {
			OPENSSL_free(spki);
			X509_STORE_unlock(store);
			return -EIO;
		}
		OPENSSL_free(spki);
		n += IKE_SHA1_LEN;
	}
	X509_STORE_unlock(store);
	*len = n;
	return 0;
}
