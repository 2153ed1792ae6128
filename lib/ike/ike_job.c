/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The job object (struct ike_job, ike_crypto.h): creation, ike_job_run() and
 * destruction of self-contained DH and signature work.
 *
 * A job owns copies of its inputs and holds references on the OpenSSL
 * objects it uses, so ike_job_run() touches nothing else and may run on any
 * thread. Submission, completion and the link back to the SA (owner, sa_id)
 * belong to the state machine (ike_job_done, ike_ctx_set_job_runner). The DH
 * shared secret is wiped when the job is destroyed.
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

static int
dup_buf(const uint8_t *src, size_t len, uint8_t **dst)
{
	*dst = NULL;
	if (len == 0)
		return 0;
	*dst = malloc(len);
	if (*dst == NULL)
		return -ENOMEM;
	memcpy(*dst, src, len);
	return 0;
}

static struct ike_job *
job_alloc(uint8_t kind)
{
	struct ike_job *job = calloc(1, sizeof(*job));

	if (job != NULL) {
		job->kind = kind;
		job->result = -EINPROGRESS;
	}
	return job;
}

int
ike_job_dh_create(uint16_t group, struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		  struct ike_job **out)
{
	struct ike_job *job;

	*out = NULL;
	if (!ike_dh_supported(group) || (dh != NULL && ike_dh_group(dh) != group) ||
	    peer_len > IKE_DH_MAX_LEN || (peer_len != 0 && peer == NULL))
		return -EINVAL;
	job = job_alloc(IKE_JOB_DH);
	if (job == NULL)
		return -ENOMEM;
	job->u.dh.group = group;
	job->u.dh.dh = dh;		/* ownership moves in */
	if (peer_len != 0)
		memcpy(job->u.dh.peer, peer, peer_len);
	job->u.dh.peer_len = peer_len;
	*out = job;
	return 0;
}

int
ike_job_sign_create(EVP_PKEY *key, uint8_t method, uint8_t hash,
		    const uint8_t *octets, size_t octets_len, struct ike_job **out)
{
	struct ike_job *job;

	*out = NULL;
	if (key == NULL || octets == NULL || octets_len == 0)
		return -EINVAL;
	job = job_alloc(IKE_JOB_SIGN);
	if (job == NULL)
		return -ENOMEM;
	if (dup_buf(octets, octets_len, &job->u.sign.octets) < 0) {
		free(job);
		return -ENOMEM;
	}
	EVP_PKEY_up_ref(key);
	job->u.sign.key = key;
	job->u.sign.method = method;
	job->u.sign.hash = hash;
	job->u.sign.octets_len = octets_len;
	*out = job;
	return 0;
}

int
ike_job_verify_create(X509_STORE *store, const uint8_t *cert_der, size_t cert_der_len,
		      const struct ike_id *id, EVP_PKEY *pub, uint8_t method,
		      const uint8_t *auth, size_t auth_len,
		      const uint8_t *octets, size_t octets_len, struct ike_job **out)
{
	struct ike_job *job;

	*out = NULL;
	if ((store == NULL) == (pub == NULL) || (store != NULL && cert_der_len == 0) ||
	    auth_len == 0 || octets_len == 0)
		return -EINVAL;
	job = job_alloc(IKE_JOB_VERIFY);
	if (job == NULL)
		return -ENOMEM;
	if (dup_buf(cert_der, store != NULL ? cert_der_len : 0, &job->u.verify.cert_der) < 0 ||
	    dup_buf(auth, auth_len, &job->u.verify.auth) < 0 ||
	    dup_buf(octets, octets_len, &job->u.verify.octets) < 0) {
		ike_job_destroy(job);
		return -ENOMEM;
	}
	if (store != NULL) {
		X509_STORE_up_ref(store);
		job->u.verify.store = store;
		job->u.verify.cert_der_len = cert_der_len;
	} else {
		EVP_PKEY_up_ref(pub);
		job->u.verify.pub = pub;
	}
	if (id != NULL)
		job->u.verify.id = *id;
	job->u.verify.method = method;
	job->u.verify.auth_len = auth_len;
	job->u.verify.octets_len = octets_len;
	*out = job;
	return 0;
}

int
ike_job_verify_add_chain(struct ike_job *job, const uint8_t *der, size_t der_len)
{
	unsigned n = job->u.verify.n_chain;

	if (job->kind != IKE_JOB_VERIFY || job->u.verify.store == NULL || der_len == 0)
		return -EINVAL;
	if (n >= IKE_CERT_MAX_CHAIN)
		return -E2BIG;
	if (dup_buf(der, der_len, &job->u.verify.chain_der[n]) < 0)
		return -ENOMEM;
	job->u.verify.chain_len[n] = der_len;
	job->u.verify.n_chain = n + 1;
	return 0;
}

static int
run_dh(struct ike_job *job)
{
	int ret;

	if (job->u.dh.dh == NULL) {
		ret = ike_dh_create(job->u.dh.group, &job->u.dh.dh);
		if (ret < 0)
			return ret;
	}
	ret = ike_dh_pub(job->u.dh.dh, job->u.dh.pub, sizeof(job->u.dh.pub), &job->u.dh.pub_len);
	if (ret < 0 || job->u.dh.peer_len == 0)
		return ret;
	return ike_dh_shared(job->u.dh.dh, job->u.dh.peer, job->u.dh.peer_len, job->u.dh.shared,
			     sizeof(job->u.dh.shared), &job->u.dh.shared_len);
}

static int
run_verify(struct ike_job *job)
{
	struct ike_cbuf chain[IKE_CERT_MAX_CHAIN];
	X509 *cert = NULL;
	EVP_PKEY *pk = NULL;
	unsigned i;
	int ret;

	if (job->u.verify.store != NULL) {
		for (i = 0; i < job->u.verify.n_chain; i++)
			chain[i] = (struct ike_cbuf){ job->u.verify.chain_der[i],
						      job->u.verify.chain_len[i] };
		ret = ike_cert_verify_chain(job->u.verify.store, job->u.verify.cert_der,
					    job->u.verify.cert_der_len, chain,
					    job->u.verify.n_chain, &cert);
		if (ret < 0)
			return ret;
		if (job->u.verify.id.type != IKE_ID_ANY) {
			ret = ike_cert_match_id(cert, &job->u.verify.id);
			if (ret < 0)
				goto out;
		}
		ret = ike_cert_pubkey(cert, &pk);
		if (ret < 0)
			goto out;
		EVP_PKEY_free(job->u.verify.pub);
		job->u.verify.pub = pk;		/* output: the peer's key */
	}
	ret = ike_sig_verify(job->u.verify.pub, job->u.verify.method, job->u.verify.auth,
			     job->u.verify.auth_len, job->u.verify.octets,
			     job->u.verify.octets_len);
out:
	X509_free(cert);
	return ret;
}

void
ike_job_run(struct ike_job *job)
{
	switch (job->kind) {
	case IKE_JOB_DH:
		job->result = run_dh(job);
		break;
	case IKE_JOB_SIGN:
		job->result = ike_sig_sign(job->u.sign.key, job->u.sign.method, job->u.sign.hash,
					   job->u.sign.octets, job->u.sign.octets_len,
					   job->u.sign.auth, sizeof(job->u.sign.auth),
					   &job->u.sign.auth_len);
		break;
	case IKE_JOB_VERIFY:
		job->result = run_verify(job);
		break;
	default:
		job->result = -EINVAL;
		break;
	}
}

void
ike_job_destroy(struct ike_job *job)
{
	unsigned i;

	if (job == NULL)
		return;
	switch (job->kind) {
	case IKE_JOB_DH:
		ike_dh_destroy(job->u.dh.dh);
		break;
	case IKE_JOB_SIGN:
		EVP_PKEY_free(job->u.sign.key);
		free(job->u.sign.octets);
		break;
	case IKE_JOB_VERIFY:
		X509_STORE_free(job->u.verify.store);
		EVP_PKEY_free(job->u.verify.pub);
		free(job->u.verify.cert_der);
		free(job->u.verify.auth);
		free(job->u.verify.octets);
		for (i = 0; i < job->u.verify.n_chain; i++)
			free(job->u.verify.chain_der[i]);
		break;
	default:
		break;
	}
	OPENSSL_cleanse(job, sizeof(*job));	/* g^ir lives in the union */
	free(job);
}
