/* SPDX-License-Identifier: BSD-3-Clause */
/* Cryptodev set-up for the lookaside ESP backend (cdev.h). */
#include "cdev.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "esp/esp.h"

/* Software PMDs that may be created on demand from their device name. */
static const char *const sw_pmds[] = {
	"crypto_aesni_mb", "crypto_aesni_gcm", "crypto_openssl", "crypto_null",
};

static bool
is_sw_pmd(const char *name)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(sw_pmds); i++)
		if (strncmp(name, sw_pmds[i], strlen(sw_pmds[i])) == 0)
			return true;
	return false;
}

/* Length of a leading PCI address (DDDD:BB:DD.F), or 0. */
static size_t
pci_prefix(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";
	size_t i;

	for (i = 0; i < sizeof(pat) - 1; i++) {
		if (pat[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pat[i])
			return 0;
	}
	return i;
}

int
cdev_eal_arg(const char *device, char *buf, size_t cap)
{
	size_t n = pci_prefix(device);
	int k;

	if (n == 0 || is_sw_pmd(device)) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	k = snprintf(buf, cap, "-a%.*s", (int)n, device);
	return k < 0 || (size_t)k >= cap ? -ENAMETOOLONG : 0;
}

static int
dev_find(const char *name, char *err, size_t cap)
{
	char qat[RTE_CRYPTODEV_NAME_MAX_LEN];
	int id = rte_cryptodev_get_dev_id(name);

	if (id >= 0)
		return id;
	/* a bare PCI address: QAT names its symmetric device ADDR_qat_sym */
	if (pci_prefix(name) == strlen(name) &&
	    snprintf(qat, sizeof(qat), "%s_qat_sym", name) < (int)sizeof(qat)) {
		id = rte_cryptodev_get_dev_id(qat);
		if (id >= 0)
			return id;
	}
	if (is_sw_pmd(name)) {
		if (rte_vdev_init(name, NULL) != 0) {
			snprintf(err, cap, "cryptodev '%s': creating the software device failed",
				 name);
			return -ENODEV;
		}
		id = rte_cryptodev_get_dev_id(name);
		if (id >= 0)
			return id;
	}
	snprintf(err, cap, "cryptodev '%s' not found (a PCI device must be probed by EAL: "
		 "check the address and its driver; software devices are crypto_aesni_mbN, "
		 "crypto_aesni_gcmN, crypto_opensslN)", name);
	return -ENODEV;
}

int
cdev_setup(const char *const names[], unsigned n_names, unsigned n_workers,
	   unsigned max_sessions, int socket_id, struct cdev_ctx **out, char *err,
	   size_t err_cap)
{
	static unsigned seq;		/* unique pool names */
	struct rte_cryptodev_info info;
	struct cdev_ctx *c;
	unsigned i, d, nqp, sess_size = 0;
	char pname[RTE_MEMPOOL_NAMESIZE];
	int rc, id;

	snprintf(err, err_cap, "cryptodev set-up failed");
	if (n_names == 0 || n_names > ESP_CDEV_MAX_DEV || n_workers == 0 ||
	    n_workers > CDEV_MAX_WORKERS) {
		snprintf(err, err_cap, "cryptodev: 1..%d devices and 1..%d workers",
			 ESP_CDEV_MAX_DEV, CDEV_MAX_WORKERS);
		return -EINVAL;
	}
	c = rte_zmalloc("cdev_ctx", sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	c->n_workers = n_workers;
	c->conf.n_dev = n_names;
	seq++;
	for (d = 0; d < n_names; d++) {
		unsigned j;

		id = dev_find(names[d], err, err_cap);
		if (id < 0) {
			rc = id;
			goto fail;
		}
		for (j = 0; j < d; j++)
			if (c->conf.dev_id[j] == (uint8_t)id) {
				snprintf(err, err_cap, "cryptodev '%s' listed twice", names[d]);
				rc = -EINVAL;
				goto fail;
			}
		c->conf.dev_id[d] = (uint8_t)id;
		rte_cryptodev_info_get((uint8_t)id, &info);
		if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO)) {
			snprintf(err, err_cap, "cryptodev '%s' does no symmetric crypto", names[d]);
			rc = -ENOTSUP;
			goto fail;
		}
		nqp = (n_workers + n_names - 1 - d) / n_names;	/* workers d, d+n, ... */
		if (nqp > info.max_nb_queue_pairs) {
			snprintf(err, err_cap, "cryptodev '%s': %u queue pairs needed, it has %u",
				 names[d], nqp, info.max_nb_queue_pairs);
			rc = -ENOTSUP;
			goto fail;
		}
		if (rte_cryptodev_sym_get_private_session_size((uint8_t)id) > sess_size)
			sess_size = rte_cryptodev_sym_get_private_session_size((uint8_t)id);
	}
	snprintf(pname, sizeof(pname), "cdev_sess_%u", seq);
	c->conf.sess_pool = rte_cryptodev_sym_session_pool_create(pname,
			max_sessions * n_names, sess_size, 0, 0, socket_id);
	if (c->conf.sess_pool == NULL) {
		snprintf(err, err_cap, "cryptodev: session pool of %u: %s", max_sessions * n_names,
			 rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto fail;
	}
	for (d = 0; d < n_names; d++) {
		struct rte_cryptodev_config dc = {
			.socket_id = socket_id,
			.nb_queue_pairs = (uint16_t)((n_workers + n_names - 1 - d) / n_names),
			.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
		};
		struct rte_cryptodev_qp_conf qc = {
			.nb_descriptors = CDEV_QP_DESC,
			.mp_session = c->conf.sess_pool,
		};
		uint8_t id8 = c->conf.dev_id[d];
		uint16_t q;

		rc = rte_cryptodev_configure(id8, &dc);
		for (q = 0; rc == 0 && q < dc.nb_queue_pairs; q++)
			rc = rte_cryptodev_queue_pair_setup(id8, q, &qc, socket_id);
		if (rc == 0)
			rc = rte_cryptodev_start(id8);
		if (rc != 0) {
			snprintf(err, err_cap, "cryptodev '%s': configure/start: %s", names[d],
				 strerror(rc < 0 ? -rc : rc));
			goto fail;
		}
		c->started[d] = true;
	}
	for (i = 0; i < n_workers; i++) {
		c->w_dev[i] = c->conf.dev_id[i % n_names];
		c->w_qp[i] = (uint16_t)(i / n_names);
		snprintf(pname, sizeof(pname), "cdev_ops_%u_%u", seq, i);
		c->w_ops[i] = rte_crypto_op_pool_create(pname, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
							CDEV_OPS_PER_WORKER, 0, ESP_CDEV_OP_PRIV,
							socket_id);
		if (c->w_ops[i] == NULL) {
			snprintf(err, err_cap, "cryptodev: op pool: %s", rte_strerror(rte_errno));
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = esp_cdev_register(&c->conf);
	if (rc != 0)
		goto fail;
	err[0] = '\0';
	*out = c;
	return 0;
fail:
	cdev_teardown(c);
	return rc;
}

int
cdev_worker_attach(struct cdev_ctx *c, unsigned worker_idx, struct esp_worker *w)
{
	if (worker_idx >= c->n_workers)
		return -EINVAL;
	return esp_worker_cdev_attach(w, c->w_dev[worker_idx], c->w_qp[worker_idx],
				      c->w_ops[worker_idx]);
}

void
cdev_teardown(struct cdev_ctx *c)
{
	unsigned i;

	if (c == NULL)
		return;
	esp_cdev_register(NULL);
	for (i = 0; i < c->conf.n_dev; i++) {
		if (c->started[i])
			rte_cryptodev_stop(c->conf.dev_id[i]);
	}
	for (i = 0; i < c->n_workers; i++)
		rte_mempool_free(c->w_ops[i]);
	rte_mempool_free(c->conf.sess_pool);
	rte_free(c);
}
