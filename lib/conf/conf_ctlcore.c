/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control_core section: how the control lcore protects itself under
 * load (rampartd's IKE token buckets and its DH/signature helper threads).
 *
 *   control_core:
 *     crypto_threads: 1            # 0..16; 0 = DH and signatures inline
 *     ike_rate: 5000               # IKE datagrams/s accepted in all
 *     ike_burst: 1000
 *     ike_rate_per_source: 50      # per source address
 *     ike_burst_per_source: 100
 *     ike_sources: 16384           # source addresses tracked (then evicted)
 *
 * Validation only; no side effects.
 */
#include <errno.h>

#include "conf_priv.h"

enum {
	CTLCORE_MAX_RATE = 10000000,
	CTLCORE_MIN_SOURCES = 64,
	CTLCORE_MAX_SOURCES = 1 << 22,
};

void
conf_ctlcore_defaults(struct conf_ctlcore *cc)
{
	cc->crypto_threads = 1;
	cc->ike_rate = 5000;
	cc->ike_burst = 1000;
	cc->ike_rate_src = 50;
	cc->ike_burst_src = 100;
	cc->ike_sources = 16384;
}

int
conf_parse_ctlcore(struct cx *x, const yaml_node_t *n)
{
	enum { K_THREADS, K_RATE, K_BURST, K_RATE_SRC, K_BURST_SRC, K_SOURCES, K_N };
	static const char *const keys[K_N] = {
		"crypto_threads", "ike_rate", "ike_burst", "ike_rate_per_source",
		"ike_burst_per_source", "ike_sources",
	};
	static const struct {
		uint64_t min, max;
	} range[K_N] = {
		[K_THREADS] = { 0, CONF_MAX_CRYPTO_THREADS },
		[K_RATE] = { 1, CTLCORE_MAX_RATE },
		[K_BURST] = { 1, CTLCORE_MAX_RATE },
		[K_RATE_SRC] = { 1, CTLCORE_MAX_RATE },
		[K_BURST_SRC] = { 1, CTLCORE_MAX_RATE },
		[K_SOURCES] = { CTLCORE_MIN_SOURCES, CTLCORE_MAX_SOURCES },
	};
	struct conf_ctlcore *cc = &x->c->ctlcore;
	uint32_t *dst[K_N] = {
		&cc->crypto_threads, &cc->ike_rate, &cc->ike_burst, &cc->ike_rate_src,
		&cc->ike_burst_src, &cc->ike_sources,
	};
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "control_core");
	unsigned i;
	uint64_t u;
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	for (i = 0; rc == 0 && i < K_N; i++)
		if (v[i] != NULL &&
		    (rc = cx_uint(x, keys[i], v[i], range[i].min, range[i].max, &u)) == 0)
			*dst[i] = (uint32_t)u;
	/* A burst below the per-second rate would cap the rate at the burst
	 * for any sender that arrives in clumps (every sender does). */
	if (rc == 0 && cc->ike_burst_src > cc->ike_burst)
		rc = cx_key_err(x, keys[K_BURST_SRC], v[K_BURST_SRC] != NULL ? v[K_BURST_SRC] : n,
				"%u above ike_burst (%u)", cc->ike_burst_src, cc->ike_burst);
	cx_pop(x, m);
	return rc;
}
