/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookaside ESP crypto through rte_cryptodev (QAT and other accelerators;
 * the software vdevs crypto_aesni_mb, crypto_aesni_gcm, crypto_openssl in
 * the tests). drivers/cdev.c configures the devices, queue pairs and pools
 * and registers them here; lib/esp then creates one symmetric session per
 * registered device for every SA built by esp_sa_create() (freed by
 * esp_sa_destroy()), and a worker attached with esp_worker_cdev_attach()
 * runs the crypto pass of esp_in_burst/esp_out_burst through its queue pair
 * instead of IPsec-MB (docs/ARCHITECTURE.md, "Cryptodev backend").
 */
#ifndef RAMPART_ESP_CDEV_H
#define RAMPART_ESP_CDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

struct esp_worker;

enum esp_cdev_limits {
	ESP_CDEV_MAX_DEV = 8,
	/* bytes of per-op private data the op pools must have (nonce or CBC
	 * IV, AAD, digest, job index: struct esp_cdev_priv) */
	ESP_CDEV_OP_PRIV = 96,
};

/* What drivers/cdev.c hands to lib/esp: started devices and the session pool. */
struct esp_cdev_conf {
	unsigned n_dev;
	uint8_t dev_id[ESP_CDEV_MAX_DEV];
	struct rte_mempool *sess_pool;	/* rte_cryptodev_sym_session_pool_create() */
};

/*
 * Control core: from now on esp_sa_create() makes sessions on these devices
 * (an SA whose algorithm one of them lacks is refused with -ENOTSUP).
 * @c NULL unregisters (SAs made before keep and later free their sessions).
 * The conf is copied. Returns 0 or -EINVAL.
 */
int esp_cdev_register(const struct esp_cdev_conf *c);
bool esp_cdev_registered(void);

/*
 * Switch worker @w to the cryptodev backend: queue pair @qp of @dev_id (a
 * registered device, the queue pair owned by this worker alone), ops from
 * @op_pool (private size >= ESP_CDEV_OP_PRIV). Before the worker runs.
 * Returns 0, -EINVAL (not registered, bad pool) or -ENOMEM.
 */
int esp_worker_cdev_attach(struct esp_worker *w, uint8_t dev_id, uint16_t qp,
			   struct rte_mempool *op_pool);
/* The worker's backend: true when attached to a cryptodev. */
bool esp_worker_uses_cdev(const struct esp_worker *w);

struct esp_cdev_stats {
	uint64_t enqueued, dequeued;
	uint64_t op_errors;		/* status other than success/auth failed */
	uint64_t no_ops;		/* op pool empty: packets dropped */
	uint64_t polls_empty;		/* dequeue polls that returned nothing */
};

void esp_worker_cdev_stats_get(const struct esp_worker *w, struct esp_cdev_stats *st);

/*
 * Tests only (fault injection): the completions of each dequeue are handed
 * on in reverse order, as a device that completes out of order would.
 */
void esp_cdev_test_reverse(bool on);

#endif
