/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Manually keyed SAs (conf manual_sas) and static neighbours (conf
 * neighbors), installed once at start-up on the control core.
 *
 * A manual SA pair goes through the same path as an IKE child: esp_sa_create
 * for both directions on the owner worker's socket, the prefix ownership
 * check (a manual prefix belongs to identity "manual:NAME", so no IKE peer
 * can claim it), sa_mgr_child_up (records, ADD_IN/ADD_OUT to the owner,
 * routes to every worker's SPD). It runs after sa_mgr_init and before IKE
 * exists, so every manual inbound SPI holds its direct-index slot in the
 * SPI allocator before IKE can ask for one: IKE never gets a manual SPI.
 * Child ids are RD_MANUAL_ID_BASE + n, far above IKE's counter.
 *
 * Manual SAs have no lifetime and no rekey: a worker event about one
 * (sequence near wrap) goes to IKE, which does not know the id and ignores
 * it. Changes need a restart (reload warns). Keys are never logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "rampartd.h"
#include "rd_manual_sa.h"

static bool manual_failed;

bool
rd_manual_failed(void)
{
	return manual_failed;
}

bool
rd_child_is_manual(uint64_t id)
{
	return id >= RD_MANUAL_ID_BASE;
}

static void
install_neighbors(const struct conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_neighbors; i++) {
		const struct conf_neighbor *cn = &c->neighbors[i];
		struct net_nbr *e = net_nbr_get(&rd.master.nbr, cn->af, cn->addr);
		char a[INET6_ADDRSTRLEN];

		inet_ntop(cn->af == 4 ? AF_INET : AF_INET6, cn->addr, a, sizeof(a));
		if (e == NULL) {
			RD_LOG(WARNING, "static neighbour %s: neighbour table full, ignored\n", a);
			continue;
		}
		memcpy(e->mac, cn->mac, 6);
		e->state = NET_NBR_STATIC;
		e->port = (uint8_t)cn->port;
		e->tries = 0;
		e->updated_ms = rd_now_ms();
		rd.fwd_dirty = true;
		RD_LOG(INFO, "static neighbour %s -> %02x:%02x:%02x:%02x:%02x:%02x on %s\n", a,
		       cn->mac[0], cn->mac[1], cn->mac[2], cn->mac[3], cn->mac[4], cn->mac[5],
		       c->ports[cn->port].name);
	}
}

/* Largest inner packet the outbound SA carries within the MTU towards @ms's peer. */
static uint16_t
manual_max_inner(const struct conf_manual_sa *ms)
{
	bool gcm = ms->enc == ESP_ENC_AES_GCM16;
	const struct net_route *r;
	uint8_t nh[16], dst[16];
	unsigned ov, mtu;

	memcpy(dst, ms->remote, 16);
	r = net_route_lookup(&rd.master.routes, ms->af, dst, nh);
	if (r == NULL)
		return 0;
	mtu = rd.sh.ports[r->port].mtu ? rd.sh.ports[r->port].mtu : 1500;
	ov = (ms->af == 4 ? 20u : 40u) + 8 + (gcm ? 8 + 3 : 16 + 15) + 2 + 16;
	return mtu > ov + 68 ? (uint16_t)(mtu - ov) : 0;
}

/* The remote prefixes of SA @i of block @ms. */
static unsigned
manual_routes(const struct conf_manual_sa *ms, uint32_t i, struct sa_route *r)
{
	unsigned k;

	for (k = 0; k < ms->n_remote_ts; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].af = ms->remote_ts[k].af;
		r[k].depth = ms->remote_ts[k].len;
		memcpy(r[k].addr, ms->remote_ts[k].addr, 16);
	}
	if (i > 0) {		/* conf: one IPv4 prefix, no overflow */
		uint32_t a = (uint32_t)r[0].addr[0] << 24 | (uint32_t)r[0].addr[1] << 16 |
			     (uint32_t)r[0].addr[2] << 8 | r[0].addr[3];

		a += i << (32 - r[0].depth);
		r[0].addr[0] = (uint8_t)(a >> 24);
		r[0].addr[1] = (uint8_t)(a >> 16);
		r[0].addr[2] = (uint8_t)(a >> 8);
		r[0].addr[3] = (uint8_t)a;
	}
	return ms->n_remote_ts;
}

static int
install_one(const struct conf_manual_sa *ms, uint32_t i, uint64_t id)
{
	struct sa_route routes[CONF_MAX_MANUAL_TS];
	struct esp_sa *sa_in = NULL, *sa_out = NULL;
	uint32_t spi_in = ms->spi_in + i;
	unsigned owner = sa_spi_worker(spi_in), bad = 0, n;
	struct esp_sa_params p;
	struct sa_child_cfg cc;
	struct ike_id mid;
	uint64_t holder = 0;
	int ret;

	if (owner >= rd.sh.n_workers) {
		RD_LOG(ERR, "manual SA '%s': spi_in %08x belongs to worker %u (top 4 bits), "
		       "only %u workers\n", ms->name, spi_in, owner, rd.sh.n_workers);
		return -EINVAL;
	}
	memset(&mid, 0, sizeof(mid));
	mid.type = IKE_ID_KEY_ID;
	mid.len = (uint16_t)snprintf((char *)mid.data, sizeof(mid.data), "manual:%s", ms->name);
	n = manual_routes(ms, i, routes);
	ret = rd_own_check(routes, n, &mid, &bad, &holder);
	if (ret == 0)
		ret = rd_own_claim(routes, n, 0, &mid);
	if (ret != 0) {
		RD_LOG(ERR, "manual SA '%s' #%u: remote prefixes: %s\n", ms->name, i,
		       ret == -EPERM ? "overlap another manual SA's" : strerror(-ret));
		return ret;
	}
	rd_manual_sa_params(&p, ms, i, ESP_DIR_IN, id, false);
	ret = esp_sa_create(&p, rd.workers[owner]->socket, &sa_in);
	if (ret == 0) {
		rd_manual_sa_params(&p, ms, i, ESP_DIR_OUT, id, false);
		ret = esp_sa_create(&p, rd.workers[owner]->socket, &sa_out);
	}
	OPENSSL_cleanse(&p, sizeof(p));
	if (ret == 0) {
		memset(&cc, 0, sizeof(cc));
		cc.id = id;
		cc.conn = ms->name;
		cc.spi_in = spi_in;
		cc.spi_out = ms->spi_out + i;
		cc.initiator = true;
		cc.enc = ms->enc;
		cc.enc_key_len = ms->enc_key_len;
		cc.integ = ms->integ;
		cc.max_inner = manual_max_inner(ms);
		cc.sa_in = sa_in;
		cc.sa_out = sa_out;
		cc.routes = routes;
		cc.n_routes = n;
		ret = sa_mgr_child_up(&rd.sam, &cc, rd_now_ms(), NULL);
	}
	if (ret != 0) {
		RD_LOG(ERR, "manual SA '%s' spi %08x/%08x: install: %s\n", ms->name, spi_in,
		       ms->spi_out + i, ret == -EADDRINUSE ? "outbound SPI in use" :
		       strerror(-ret));
		if (sa_in != NULL)
			esp_sa_destroy(sa_in);
		if (sa_out != NULL)
			esp_sa_destroy(sa_out);
		rd_own_release(routes, n);
		return ret;
	}
	/* its direct-index slot is now held: sa_mgr_spi_alloc never returns it */
	return 0;
}

int
rd_manual_install(void)
{
	const struct conf *c = rd.conf;
	uint64_t id = RD_MANUAL_ID_BASE;
	unsigned b;
	uint32_t i;
	int ret;

	install_neighbors(c);
	for (b = 0; b < c->n_manual; b++) {
		const struct conf_manual_sa *ms = &c->manual[b];

		RD_LOG(WARNING, "MANUAL KEYS: '%s', %u SA pair%s from spi_in %08x spi_out %08x to "
		       "peer: static keys, no IKE, no rekey, no forward secrecy%s\n", ms->name,
		       ms->count, ms->count > 1 ? "s" : "", ms->spi_in, ms->spi_out,
		       ms->replay_window == 0 ? ", ANTI-REPLAY OFF" : "");
		for (i = 0; i < ms->count; i++) {
			ret = install_one(ms, i, id++);
			if (ret != 0) {
				manual_failed = true;
				return ret;
			}
			if ((i & 4095) == 4095)
				sa_mgr_flush(&rd.sam);
		}
	}
	return 0;
}

/* list-manual: the blocks of the config with their live state; never keys. */
json_t *
rd_manual_json(void)
{
	const struct conf *c = rd.conf;
	json_t *a = json_array();
	unsigned b, k;

	for (b = 0; a != NULL && b < c->n_manual; b++) {
		const struct conf_manual_sa *ms = &c->manual[b];
		char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN], spi_in[12], spi_out[12];
		json_t *rts = json_array();
		unsigned live = 0;
		const char *esp = ms->enc == ESP_ENC_AES_GCM16 ?
				  (ms->enc_key_len == 16 ? "aes128gcm16" : "aes256gcm16") :
				  (ms->enc_key_len == 16 ? "aes128-sha256" : "aes256-sha256");

		for (k = 0; k < rd.sam.n_children; k++) {
			const struct sa_child *ch = &rd.sam.children[k];

			if (rd_child_is_manual(ch->id) && sa_child_is_live(ch) &&
			    strcmp(ch->conn, ms->name) == 0)
				live++;
		}
		for (k = 0; k < ms->n_remote_ts; k++) {
			char p[INET6_ADDRSTRLEN + 8];

			inet_ntop(ms->remote_ts[k].af == 4 ? AF_INET : AF_INET6,
				  ms->remote_ts[k].addr, p, INET6_ADDRSTRLEN);
			snprintf(p + strlen(p), 8, "/%u", ms->remote_ts[k].len);
			json_array_append_new(rts, json_string(p));
		}
		inet_ntop(ms->af == 4 ? AF_INET : AF_INET6, ms->local, l, sizeof(l));
		inet_ntop(ms->af == 4 ? AF_INET : AF_INET6, ms->remote, r, sizeof(r));
		snprintf(spi_in, sizeof(spi_in), "%08x", ms->spi_in);
		snprintf(spi_out, sizeof(spi_out), "%08x", ms->spi_out);
		json_array_append_new(a, json_pack("{ss ss ss ss sI sI ss ss so sI sb}",
			"name", ms->name, "spi_in", spi_in, "spi_out", spi_out, "esp", esp,
			"count", (json_int_t)ms->count, "installed", (json_int_t)live,
			"local", l, "remote", r, "remote_ts", rts,
			"replay_window", (json_int_t)ms->replay_window,
			"anti_replay", ms->replay_window != 0));
	}
	return a;
}
