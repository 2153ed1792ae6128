/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/: cryptodev set-up for the lookaside ESP backend (lib/esp/esp_cdev.h,
 * docs/ARCHITECTURE.md "Cryptodev backend"). Finds the configured devices
 * (a software PMD name that EAL did not probe, e.g. crypto_aesni_mb0, is
 * created with rte_vdev_init; anything else missing is refused by name),
 * gives every worker its own queue pair (workers round robin over the
 * devices) and op pool, makes the session pool, starts the devices and
 * registers them with lib/esp. Control core only, start-up and shutdown.
 */
#ifndef RAMPART_CDEV_H
#define RAMPART_CDEV_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "esp/esp_cdev.h"

struct esp_worker;

enum cdev_limits {
	CDEV_MAX_WORKERS = 128,
	CDEV_QP_DESC = 2048,		/* descriptors per queue pair */
	CDEV_OPS_PER_WORKER = 1023,	/* ops in a worker's pool (>= 2 bursts) */
};

struct cdev_ctx {
	struct esp_cdev_conf conf;	/* devices and session pool, as registered */
	unsigned n_workers;
	uint8_t w_dev[CDEV_MAX_WORKERS];
	uint16_t w_qp[CDEV_MAX_WORKERS];
	struct rte_mempool *w_ops[CDEV_MAX_WORKERS];
	bool started[ESP_CDEV_MAX_DEV];
};

/*
 * Set up @n_names devices for @n_workers workers, with room for
 * @max_sessions sessions per device (one per SA per device), and register
 * them with lib/esp (esp_cdev_register). On failure writes a message that
 * names the device into @err and returns -ENODEV (missing), -ENOTSUP (not
 * enough queue pairs, not symmetric crypto), -ENOMEM or the DPDK error.
 */
int cdev_setup(const char *const names[], unsigned n_names, unsigned n_workers,
	       unsigned max_sessions, int socket_id, struct cdev_ctx **out, char *err,
	       size_t err_cap);

/*
 * The EAL argument a configured device needs: "-a<PCI address>" for a PCI
 * device (a bare address such as 0000:3d:01.0, or a cryptodev name that
 * starts with one, as QAT's 0000:3d:01.0_qat_sym); "" for a software PMD
 * (cdev_setup creates it). Returns 0 or -ENAMETOOLONG.
 */
int cdev_eal_arg(const char *device, char *buf, size_t cap);

/* Attach worker @worker_idx's esp_worker to its queue pair (esp_worker_cdev_attach). */
int cdev_worker_attach(struct cdev_ctx *c, unsigned worker_idx, struct esp_worker *w);

/* Unregister, stop and close the devices, free the pools. After every SA is destroyed. */
void cdev_teardown(struct cdev_ctx *c);

#endif
