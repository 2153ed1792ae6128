/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for lib/ike's protocol half while it is not linked yet: the
 * context cannot be created, so rampartd runs datapath-only (ARP, ICMP,
 * routing). Built only when lib/ike/meson.build does not list ike_ctx.c.
 */
#include <errno.h>

#include "ike/ike.h"

int
ike_ctx_create(const struct ike_ctx_cfg *cfg, struct ike_ctx **out)
{
	(void)cfg;
	*out = NULL;
	return -ENOTSUP;
}

void ike_ctx_destroy(struct ike_ctx *ctx) { (void)ctx; }

int
ike_input(struct ike_ctx *ctx, const uint8_t *buf, size_t len, const struct sockaddr *from,
	  const struct sockaddr *to, uint64_t now_ms)
{
	(void)ctx; (void)buf; (void)len; (void)from; (void)to; (void)now_ms;
	return -ENOTSUP;
}

void ike_tick(struct ike_ctx *ctx, uint64_t now_ms) { (void)ctx; (void)now_ms; }

uint64_t
ike_next_timeout_ms(const struct ike_ctx *ctx, uint64_t now_ms)
{
	(void)ctx; (void)now_ms;
	return 1000;
}

int
ike_initiate(struct ike_ctx *ctx, const char *conn, uint64_t now_ms)
{
	(void)ctx; (void)conn; (void)now_ms;
	return -ENOTSUP;
}

int
ike_terminate_ike(struct ike_ctx *ctx, uint64_t id, uint64_t now_ms)
{
	(void)ctx; (void)id; (void)now_ms;
	return -ENOTSUP;
}

int
ike_rekey_child(struct ike_ctx *ctx, uint64_t id, uint64_t now_ms)
{
	(void)ctx; (void)id; (void)now_ms;
	return -ENOTSUP;
}

int
ike_rekey_ike(struct ike_ctx *ctx, uint64_t id, uint64_t now_ms)
{
	(void)ctx; (void)id; (void)now_ms;
	return -ENOTSUP;
}

int
ike_child_expired(struct ike_ctx *ctx, uint64_t id, bool hard, uint64_t now_ms)
{
	(void)ctx; (void)id; (void)hard; (void)now_ms;
	return -ENOTSUP;
}

void ike_shutdown(struct ike_ctx *ctx, uint64_t now_ms) { (void)ctx; (void)now_ms; }

int
ike_foreach_sa(struct ike_ctx *ctx, int (*fn)(void *arg, const struct ike_sa_info *i), void *arg)
{
	(void)ctx; (void)fn; (void)arg;
	return 0;
}

int
ike_foreach_child(struct ike_ctx *ctx, int (*fn)(void *arg, const struct ike_child_info *i),
		  void *arg)
{
	(void)ctx; (void)fn; (void)arg;
	return 0;
}

void
ike_stats_get(const struct ike_ctx *ctx, struct ike_stats *st)
{
	(void)ctx;
	*st = (struct ike_stats){ 0 };
}

int
ike_reconfigure(struct ike_ctx *ctx, const struct ike_conn_cfg *conns, unsigned n)
{
	(void)ctx; (void)conns; (void)n;
	return -ENOTSUP;
}

const char *
ike_strerror(int err)
{
	(void)err;
	return "IKE not built";
}
