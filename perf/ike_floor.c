/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike-floor: the crypto floor of one IKEv2 responder set-up (IKE SA + first
 * child), timed in isolation with lib/ike's own crypto functions (OpenSSL 3
 * EVP underneath). Test and measurement tool only.
 *
 *   ike-floor [--cert-dir DIR] [--iters N] [--rounds N]
 *
 * What one responder set-up must compute, whatever the implementation
 * (IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16):
 *   dh     X25519 key generation and g^ir from the initiator's public value
 *   kdf    SKEYSEED and SK_* (RFC 7296 2.14), KEYMAT of the first child (2.17)
 *   psk    AUTH octets of both sides (prf(SK_p, ID) over the IKE_SA_INIT
 *          message), the initiator's PSK AUTH checked, ours computed (2.15)
 *   cert   AUTH octets of both sides, the initiator's certificate parsed and
 *          verified against the CA (one ECDSA P-256 verify plus X.509 work),
 *          its AUTH signature verified, ours signed (ECDSA P-256, RFC 7427
 *          method 14, the hash lib/ike picks when both sides announce
 *          SIGNATURE_HASH_ALGORITHMS)
 * SK payload encryption (AES-GCM over about 1-2 KB per set-up) and message
 * parsing are not included. With --cert-dir, DIR/client.key, DIR/c0.pem and
 * DIR/ca.pem are used (perf/ike_load.py creates them); without it only the
 * PSK floor is measured.
 *
 * Each step runs --iters times per round, --rounds rounds; the figure is the
 * median over rounds of the thread CPU time per iteration
 * (CLOCK_THREAD_CPUTIME_ID), so time spent descheduled on a busy machine is
 * not counted. stdout:
 *   FLOOR step=NAME us=F            (one per step)
 *   FLOOR_TOTAL psk_us=F cert_us=F  (dh + kdf + psk; dh + kdf + cert; -1 if not run)
 * Exit status 0, 1 when a step failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/ike_crypto.h"
#include "perf_common.h"

enum floor_limits {
	FL_MAX_ROUNDS = 64,
	FL_MSG_LEN = 420,	/* a PSK/X25519 IKE_SA_INIT message, about */
	FL_NONCE_LEN = 32,
};

struct floor_in {
	uint8_t peer_pub[IKE_DH_MAX_LEN];
	size_t peer_pub_len;
	uint8_t msg_i[FL_MSG_LEN], msg_r[FL_MSG_LEN];	/* IKE_SA_INIT request/response */
	uint8_t ni[FL_NONCE_LEN], nr[FL_NONCE_LEN];
	uint8_t spi_i[8], spi_r[8];
	uint8_t idi[64], idr[64];		/* ID payload bodies */
	size_t idi_len, idr_len;
	struct ike_sa_keys keys;		/* from one run of step_kdf */
	uint8_t psk[32];
	uint8_t psk_auth_i[IKE_PRF_MAX_LEN];	/* the initiator's PSK AUTH */
	/* certificates */
	EVP_PKEY *key;				/* ours (the responder's) */
	EVP_PKEY *peer_pub_key;			/* the initiator's */
	X509_STORE *store;
	uint8_t *peer_der;
	size_t peer_der_len;
	uint8_t sig_method, sig_hash;
	uint8_t sig_i[IKE_SIG_MAX_LEN];		/* the initiator's AUTH signature */
	size_t sig_i_len;
};

static int
step_dh(struct floor_in *in)
{
	uint8_t pub[IKE_DH_MAX_LEN], gir[IKE_DH_MAX_LEN];
	struct ike_dh *dh = NULL;
	size_t pl, gl;
	int rc;

	rc = ike_dh_create(IKE_CRYPTO_DH_CURVE25519, &dh);
	if (rc == 0)
		rc = ike_dh_pub(dh, pub, sizeof(pub), &pl);
	if (rc == 0)
		rc = ike_dh_shared(dh, in->peer_pub, in->peer_pub_len, gir, sizeof(gir), &gl);
	ike_dh_destroy(dh);
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

static int
step_kdf(struct floor_in *in)
{
	struct ike_sa_keys k;
	struct ike_child_keys ck;
	uint8_t gir[32];
	int rc;

	memset(gir, 0x5a, sizeof(gir));
	rc = ike_kdf_ike_sa(IKE_CRYPTO_PRF_HMAC_SHA2_256, gir, sizeof(gir), in->ni, sizeof(in->ni),
			    in->nr, sizeof(in->nr), in->spi_i, in->spi_r,
			    IKE_CRYPTO_ENCR_AES_GCM16, 128, IKE_CRYPTO_INTEG_NONE, &k);
	if (rc == 0)
		rc = ike_kdf_child_keys(k.prf, k.sk_d, k.prf_len, NULL, 0, in->ni, sizeof(in->ni),
					in->nr, sizeof(in->nr),
					ike_encr_key_len(IKE_CRYPTO_ENCR_AES_GCM16, 128), 0, &ck);
	if (rc == 0 && in->keys.prf_len == 0)
		in->keys = k;
	ike_sa_keys_wipe(&k);
	ike_child_keys_wipe(&ck);
	return rc;
}

/* The two AUTH octet strings of a set-up: the initiator's (checked) and ours. */
struct octets {
	uint8_t *i, *r;
	size_t il, rl;
};

static void
octets_free(struct octets *o)
{
	free(o->i);
	free(o->r);
}

static int
octets_both(struct floor_in *in, struct octets *o)
{
	const struct ike_sa_keys *k = &in->keys;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = ike_auth_octets(k->prf, k->sk_pi, k->prf_len, in->msg_i, sizeof(in->msg_i), in->nr,
			     sizeof(in->nr), in->idi, in->idi_len, &o->i, &o->il);
	if (rc == 0)
		rc = ike_auth_octets(k->prf, k->sk_pr, k->prf_len, in->msg_r, sizeof(in->msg_r),
				     in->ni, sizeof(in->ni), in->idr, in->idr_len, &o->r, &o->rl);
	return rc;
}

static int
step_psk(struct floor_in *in)
{
	uint8_t auth[IKE_PRF_MAX_LEN];
	struct octets o;
	int rc;

	rc = octets_both(in, &o);
	if (rc == 0)
		rc = ike_auth_psk_verify(in->keys.prf, in->psk, sizeof(in->psk), o.i, o.il,
					 in->psk_auth_i, in->keys.prf_len);
	if (rc == 0)
		rc = ike_auth_psk(in->keys.prf, in->psk, sizeof(in->psk), o.r, o.rl, auth);
	octets_free(&o);
	return rc;
}

static int
step_cert(struct floor_in *in)
{
	uint8_t sig[IKE_SIG_MAX_LEN];
	struct octets o;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	size_t sl;
	int rc;

	rc = octets_both(in, &o);
	if (rc == 0)
		rc = ike_cert_verify(in->store, in->peer_der, in->peer_der_len, &cert);
	if (rc == 0)
		rc = ike_cert_pubkey(cert, &pub);
	if (rc == 0)
		rc = ike_sig_verify(pub, in->sig_method, in->sig_i, in->sig_i_len, o.i, o.il);
	if (rc == 0)
		rc = ike_sig_sign(in->key, in->sig_method, in->sig_hash, o.r, o.rl, sig, sizeof(sig),
				  &sl);
	EVP_PKEY_free(pub);
	X509_free(cert);
	octets_free(&o);
	return rc;
}

/* Everything the steps read: the initiator's side, computed once, untimed. */
static int
prepare(struct floor_in *in, const char *cert_dir)
{
	struct ike_dh *dh = NULL;
	struct octets o = { NULL, NULL, 0, 0 };
	char path[512];
	X509 *cert = NULL;
	EVP_PKEY *ikey = NULL;
	/* the messages, nonces, SPIs and PSK: random, their content costs nothing */
	const struct { uint8_t *p; size_t len; } rnd[] = {
		{ in->msg_i, sizeof(in->msg_i) }, { in->msg_r, sizeof(in->msg_r) },
		{ in->ni, sizeof(in->ni) }, { in->nr, sizeof(in->nr) },
		{ in->spi_i, sizeof(in->spi_i) }, { in->spi_r, sizeof(in->spi_r) },
		{ in->psk, sizeof(in->psk) },
	};
	size_t i;
	int rc;

	rc = ike_dh_create(IKE_CRYPTO_DH_CURVE25519, &dh);
	if (rc == 0)
		rc = ike_dh_pub(dh, in->peer_pub, sizeof(in->peer_pub), &in->peer_pub_len);
	ike_dh_destroy(dh);
	for (i = 0; i < PERF_DIM(rnd) && rc == 0; i++)
		rc = ike_rand_bytes(rnd[i].p, rnd[i].len);
	if (rc != 0)
		return rc;
	/* ID payload bodies: type FQDN (2), 3 reserved bytes, the name */
	in->idi_len = 4 + (size_t)snprintf((char *)in->idi + 4, sizeof(in->idi) - 4,
					   "u0.churn.test");
	in->idr_len = 4 + (size_t)snprintf((char *)in->idr + 4, sizeof(in->idr) - 4,
					   "gw.rampart.test");
	in->idi[0] = in->idr[0] = 2;
	rc = step_kdf(in);
	if (rc == 0)
		rc = octets_both(in, &o);
	if (rc == 0)
		rc = ike_auth_psk(in->keys.prf, in->psk, sizeof(in->psk), o.i, o.il, in->psk_auth_i);
	if (rc != 0 || cert_dir == NULL)
		goto out;
	/* The initiator signs with its key; we verify with its certificate. The
	 * responder's own key is the same file (the cost is the same). */
	snprintf(path, sizeof(path), "%s/client.key", cert_dir);
	rc = ike_key_load_pem(path, &ikey);
	if (rc == 0)
		rc = ike_key_load_pem(path, &in->key);
	snprintf(path, sizeof(path), "%s/ca.pem", cert_dir);
	if (rc == 0)
		rc = ike_ca_load_pem(path, &in->store);
	snprintf(path, sizeof(path), "%s/c0.pem", cert_dir);
	if (rc == 0)
		rc = ike_cert_load_pem(path, &cert, NULL);
	if (rc == 0)
		rc = ike_cert_der(cert, &in->peer_der, &in->peer_der_len);
	if (rc == 0)
		rc = ike_sig_choose(ikey, ike_sighash_ours(), &in->sig_method, &in->sig_hash);
	if (rc == 0)
		rc = ike_sig_sign(ikey, in->sig_method, in->sig_hash, o.i, o.il, in->sig_i,
				  sizeof(in->sig_i), &in->sig_i_len);
out:
	X509_free(cert);
	EVP_PKEY_free(ikey);
	octets_free(&o);
	return rc;
}

/* Median over @rounds of the CPU microseconds per call of @fn; -1 on failure. */
static double
time_step(int (*fn)(struct floor_in *in), struct floor_in *in, unsigned iters, unsigned rounds)
{
	double per[FL_MAX_ROUNDS];
	unsigned r, i;

	for (i = 0; i < iters / 10 + 1; i++)		/* warm-up */
		if (fn(in) != 0)
			return -1;
	for (r = 0; r < rounds; r++) {
		double t0 = (double)perf_cpu_ns() / 1e3;

		for (i = 0; i < iters; i++)
			if (fn(in) != 0)
				return -1;
		per[r] = ((double)perf_cpu_ns() / 1e3 - t0) / iters;
	}
	qsort(per, rounds, sizeof(per[0]), perf_cmp_double);
	return per[rounds / 2];
}

int
main(int argc, char **argv)
{
	static struct floor_in in;
	const char *cert_dir = NULL;
	unsigned iters = 200, rounds = 7;
	double dh, kdf, psk, cert = -1;
	int k, rc;

	for (k = 1; k + 1 < argc; k += 2) {
		if (!strcmp(argv[k], "--cert-dir"))
			cert_dir = argv[k + 1];
		else if (!strcmp(argv[k], "--iters"))
			iters = (unsigned)strtoul(argv[k + 1], NULL, 10);
		else if (!strcmp(argv[k], "--rounds"))
			rounds = (unsigned)strtoul(argv[k + 1], NULL, 10);
		else
			break;
	}
	if (k != argc || iters == 0 || rounds == 0 || rounds > FL_MAX_ROUNDS) {
		fprintf(stderr, "usage: %s [--cert-dir DIR] [--iters N] [--rounds N]\n", argv[0]);
		return 2;
	}
	rc = prepare(&in, cert_dir);
	if (rc != 0) {
		fprintf(stderr, "ike-floor: set-up failed: %s\n", strerror(-rc));
		return 1;
	}
	dh = time_step(step_dh, &in, iters, rounds);
	kdf = time_step(step_kdf, &in, iters, rounds);
	psk = time_step(step_psk, &in, iters, rounds);
	if (cert_dir != NULL)
		cert = time_step(step_cert, &in, iters, rounds);
	printf("FLOOR step=dh_x25519 us=%.1f\n", dh);
	printf("FLOOR step=kdf_ike_child us=%.1f\n", kdf);
	printf("FLOOR step=auth_psk us=%.1f\n", psk);
	if (cert_dir != NULL)
		printf("FLOOR step=auth_ecdsa_p256 us=%.1f\n", cert);
	printf("FLOOR_TOTAL psk_us=%.1f cert_us=%.1f\n", dh + kdf + psk,
	       cert_dir != NULL ? dh + kdf + cert : -1.0);
	ike_sa_keys_wipe(&in.keys);
	OPENSSL_cleanse(in.psk, sizeof(in.psk));
	EVP_PKEY_free(in.key);
	X509_STORE_free(in.store);
	OPENSSL_free(in.peer_der);
	return dh < 0 || kdf < 0 || psk < 0 || (cert_dir != NULL && cert < 0) ? 1 : 0;
}
