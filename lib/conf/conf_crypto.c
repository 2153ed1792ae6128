/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The crypto section: which backend runs ESP crypto on the workers.
 *
 *   crypto:
 *     backend: cryptodev           # ipsecmb (default) | cryptodev
 *     devices: [crypto_aesni_mb0]  # cryptodev only: 1..8 rte_cryptodev names
 *
 * ipsecmb: Intel IPsec-MB on the worker cores (and gcm_engine's multi-packet
 * AES-GCM). cryptodev: lookaside through rte_cryptodev (QAT and other
 * accelerators, or the software PMDs crypto_aesni_mb, crypto_aesni_gcm,
 * crypto_openssl); workers are spread round robin over the devices, one
 * queue pair each (drivers/cdev.h). Whether a device exists is checked at
 * start by rampartd, not here. Validation only; no side effects.
 */
#include <ctype.h>
#include <string.h>

#include "conf_priv.h"

static int
parse_device(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf_crypto *cr = arg;
	const char *s;
	size_t k, len;
	int rc;

	rc = cx_scalar(x, item, "a device name", &s);
	if (rc < 0)
		return rc;
	len = strlen(s);
	if (len == 0 || len >= CONF_MAX_CDEV_NAME)
		return cx_err(x, item, "device name must be 1..%d characters",
			      CONF_MAX_CDEV_NAME - 1);
	for (k = 0; k < len; k++)
		if (!isalnum((unsigned char)s[k]) && strchr("_-.:", s[k]) == NULL)
			return cx_err(x, item, "device name '%s': letters, digits, '_-.:' only", s);
	for (k = 0; k < i; k++)
		if (strcmp(cr->devices[k], s) == 0)
			return cx_err(x, item, "device '%s' listed twice", s);
	memcpy(cr->devices[i], s, len + 1);
	return 0;
}

int
conf_parse_crypto(struct cx *x, const yaml_node_t *n)
{
	enum { K_BACKEND, K_DEVICES, K_N };
	static const char *const keys[K_N] = { "backend", "devices" };
	struct conf_crypto *cr = &x->c->crypto;
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "crypto");
	char s[16];
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0 && v[K_BACKEND] != NULL) {
		rc = cx_str(x, "backend", v[K_BACKEND], s, sizeof(s));
		if (rc == 0 && strcmp(s, "ipsecmb") == 0) {
			cr->backend = CONF_CRYPTO_IPSECMB;
		} else if (rc == 0 && strcmp(s, "cryptodev") == 0) {
			cr->backend = CONF_CRYPTO_CRYPTODEV;
		} else if (rc == 0) {
			rc = cx_key_err(x, "backend", v[K_BACKEND],
					"unknown backend '%s' (ipsecmb, cryptodev)", s);
		}
	}
	if (rc == 0 && v[K_DEVICES] != NULL)
		rc = cx_seq_each(x, "devices", v[K_DEVICES], true, "at least one device needed",
				 CONF_MAX_CDEV, &cr->n_devices, parse_device, cr);
	if (rc == 0 && cr->backend == CONF_CRYPTO_CRYPTODEV && cr->n_devices == 0)
		rc = cx_err(x, n, "backend cryptodev needs 'devices' (e.g. [crypto_aesni_mb0], "
			    "or the QAT device names)");
	if (rc == 0 && cr->backend == CONF_CRYPTO_IPSECMB && cr->n_devices != 0)
		rc = cx_err(x, v[K_DEVICES], "devices are for backend cryptodev only");
	cx_pop(x, m);
	return rc;
}
