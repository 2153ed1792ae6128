/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike-churn: IKEv2 set-up/tear-down load generator built on lib/ike, over
 * Linux UDP sockets. Test and measurement tool only; never part of rampartd.
 *
 * It runs batches: each batch is one fresh lib/ike context holding BATCH
 * initiator connections, each with its own identity (PREFIX<seq>.churn.test,
 * so a gateway's pool hands every set-up its own lease), PSK authentication
 * and a virtual IP requested from the gateway's pool. All of a batch's IKE
 * SAs are initiated at once; once their child SAs are up (or the batch
 * timeout passed), FORGET percent of them are simply forgotten (the context
 * is destroyed without a Delete: the gateway must reap them through its
 * liveness checks) and the others are deleted properly (INFORMATIONAL
 * Delete, answered). Connections are spread over several local addresses.
 *
 *   ike-churn --gw ADDR --src ADDR[,ADDR...] --psk PSK --gw-id FQDN
 *             [--total N] [--batch N] [--forget PCT] [--ike PROP] [--esp PROP]
 *             [--remote-ts CIDR] [--batch-timeout S] [--prefix P] [--stop-mid] [-v]
 *
 * --stop-mid: send IKE_SA_INIT and nothing after it (the IKE_AUTH request is
 * swallowed): each set-up leaves a half-open SA at the gateway, a peer that
 * stopped mid-exchange. Every set-up then fails (exit status 1).
 *
 * stdout: one PROGRESS line per 10 batches, then
 *   RESULT setups=N failed=N deleted=N forgotten=N delete_timeouts=N secs=F rate=F
 * Exit status 0 when every set-up succeeded, 1 otherwise, 2 on usage errors.
 *
 * --load (perf/ike_load.py): one context holds all --total connections; set-ups
 * are started as earlier ones finish, --window of them in flight at any time
 * (a steady offered load instead of batches). Each set-up's latency is the
 * time from ike_initiate() to its CHILD_UP event. Once every set-up settled,
 * all IKE SAs are deleted (answered INFORMATIONAL Delete), so the responder
 * ends where it started. With --cpu-pid PID, utime+stime of that process
 * (the responder) and of its main thread are read from /proc right before
 * the first ike_initiate() and right after the last set-up settled, and again
 * around the delete phase. --cert-dir DIR: ECDSA certificates instead of the
 * PSK: DIR/ca.pem (trust anchor), DIR/client.key (one key for all), and
 * DIR/c<N>.pem for set-up N (subjectAltName dNSName PREFIX<N>.churn.test).
 *   LOAD setups=N failed=N secs=F rate=F window=N lat_p50_ms=F lat_p90_ms=F
 *        lat_p99_ms=F lat_max_ms=F resp_cpu_s=F resp_main_cpu_s=F
 *   DELETE deleted=N timeouts=N secs=F resp_cpu_s=F resp_main_cpu_s=F
 * (resp_* are -1 without --cpu-pid or when /proc could not be read).
 *
 * --hold (perf/scale.py): --total connections, one lib/ike context per
 * source address (connection i uses source i mod the number of sources),
 * driven by commands on stdin, one per line, each answered by one line:
 *   up A B W        set up connections [A, B), W in flight
 *                   -> UP ok=N failed=N secs=F rate=F held=N
 *   ping K SEED     one ICMP echo (ESP, AES-GCM, to --lan) on each of K
 *                   random held tunnels plus the first and the last (K 0:
 *                   on every held tunnel once) -> PING ok=N sent=N misrouted=N
 *                   (misrouted: replies that came, decryptable, on another
 *                   tunnel's SA)
 *   flood MODE S    S seconds of echoes, 64 outstanding, on the first held
 *                   tunnel (MODE first) or on random held ones (random)
 *                   -> FLOOD mode=M sent=N recv=N secs=F pps=F
 *   down W          Delete every held IKE SA, W in flight
 *                   -> DOWN deleted=N timeouts=N secs=F held=N
 *   reset           forget every SA (contexts re-created, no Delete) -> RESET
 *   quit
 * ESP is sent and received on raw IPv4 sockets (no UDP encapsulation: the
 * gateway is not behind a NAT); the keys come from the CHILD_UP events and
 * are wiped on exit. --fixed-spi HEX: every client picks this inbound SPI
 * (the gateway's outbound SPI), to test two peers choosing the same one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "churn_esp.h"
#include "perf_common.h"

enum churn_limits {
	CH_MAX_SRC = 256,
	CH_MAX_BATCH = 256,
	CH_MAX_LOAD = 65536,	/* set-ups of one --load run */
	CH_MAX_HOLD = 4194304,	/* tunnels of one --hold run */
	CH_BUF = 65536,
};

enum ch_state {
	CH_INIT = 0,		/* initiated, child not up yet */
	CH_UP,			/* child SA installed */
	CH_FAILED,		/* went down before its child came up */
	CH_DELETING,		/* Delete sent */
	CH_DOWN,		/* deleted */
	CH__NONE,		/* no slot's: run() for the whole time */
};

struct ch_slot {
	uint8_t state;		/* enum ch_state */
	uint64_t ike_sa_id;
	uint64_t t_start_us, t_up_us;	/* --load: ike_initiate(), CHILD_UP */
	/* --hold: the child's ESP SAs */
	uint32_t spi_in, spi_out, seq, vip;	/* vip: network order */
	struct cesp_key kin, kout;
	bool replied;
};

struct churn;

/* --hold: one lib/ike context per source address */
struct hctx {
	struct churn *c;
	unsigned k;			/* source index */
	struct ike_ctx *ctx;
};

struct churn {
	struct sockaddr_storage gw;
	struct sockaddr_in src[CH_MAX_SRC];
	unsigned n_src;
	int fd500[CH_MAX_SRC], fd4500[CH_MAX_SRC];
	const char *psk, *gw_id, *ike, *esp, *remote_ts, *prefix;
	unsigned total, batch, forget_pct, batch_timeout_s;
	bool stop_mid;		/* send IKE_SA_INIT only: a peer gone mid-exchange */
	bool load;		/* --load: steady window instead of batches */
	unsigned window;
	int cpu_pid;		/* responder whose CPU time --load reports, 0 = none */
	const char *cert_dir;	/* certificates instead of the PSK */
	int log_level;
	bool hold;
	struct hctx *hc;		/* --hold: n_src contexts */
	struct in_addr lan;		/* --hold: echo target behind the gateway */
	int raw_tx, raw_rx;		/* --hold: ESP sockets */
	uint32_t *spi_map;		/* --hold: inbound SPI -> slot + 1 */
	unsigned spi_mask;
	unsigned n_held;
	uint64_t flood_recv;
	uint64_t misrouted;		/* --hold: replies decrypted by another tunnel */
	uint64_t n_replied;		/* --hold: echo replies (first per tunnel) */
	uint32_t fixed_spi;		/* --hold --fixed-spi: every client's inbound SPI */
	/* current batch (--load: all set-ups) */
	struct ike_ctx *ctx;
	struct ch_slot *slot;	/* CH_MAX_BATCH, or --total with --load */
	unsigned n_slot;
	unsigned in_flight;	/* --load: slots in CH_INIT */
	unsigned n_up;		/* --load: set-ups whose child came up */
	/* results */
	unsigned long setups, failed, deleted, forgotten, delete_timeouts;
};

static unsigned
slot_of_conn(const char *conn)
{
	return conn[0] == 'c' ? (unsigned)strtoul(conn + 1, NULL, 10) : UINT32_MAX;
}

static struct ch_slot *
slot_by_ike(struct churn *c, uint64_t id)
{
	unsigned i;

	for (i = 0; i < c->n_slot; i++)
		if (c->slot[i].ike_sa_id == id)
			return &c->slot[i];
	return NULL;
}

/* ---- lib/ike callbacks ---- */

static int
op_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	const struct sockaddr *to)
{
	struct churn *c = user;
	const struct sockaddr_in *f = (const struct sockaddr_in *)(const void *)from;
	const struct sockaddr_in *t = (const struct sockaddr_in *)(const void *)to;
	unsigned i, s = 0;
	bool natt;

	if (to->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	/* RFC 7296 3.1: exchange type at offset 18; 34 = IKE_SA_INIT */
	if (c->stop_mid && (len < 19 || buf[18] != 34))
		return 0;
	if (from->sa_family == AF_INET)
		for (i = 0; i < c->n_src; i++)
			if (c->src[i].sin_addr.s_addr == f->sin_addr.s_addr)
				s = i;
	natt = (from->sa_family == AF_INET && ntohs(f->sin_port) == 4500) ||
	       ntohs(t->sin_port) == 4500;
	return perf_ike_sendto(natt ? c->fd4500[s] : c->fd500[s], natt, buf, len, to,
			       sizeof(struct sockaddr_in));
}

static void
op_event(void *user, const struct ike_event *ev)
{
	struct churn *c = user;
	struct ch_slot *s;
	unsigned i;

	switch (ev->type) {
	case IKE_EV_CHILD_UP:
		if (ev->child == NULL)
			break;
		i = slot_of_conn(ev->child->conn);
		if (i < c->n_slot && c->slot[i].state == CH_INIT) {
			c->slot[i].state = CH_UP;
			c->slot[i].ike_sa_id = ev->child->ike_sa_id;
			c->slot[i].t_up_us = perf_now_us();
			c->n_up++;
			if (c->in_flight > 0)
				c->in_flight--;
		}
		break;
	case IKE_EV_IKE_DOWN:
		s = slot_by_ike(c, ev->ike_sa_id);
		if (s != NULL)
			s->state = s->state == CH_DELETING ? CH_DOWN : CH_FAILED;
		break;
	default:
		break;
	}
}

static void
op_log(void *user, int level, const char *msg)
{
	struct churn *c = user;

	perf_ike_log(level, c->log_level, msg);
}

/* ---- sockets ---- */

static int
open_udp(const struct sockaddr_in *src, uint16_t port)
{
	struct sockaddr_in a = *src;
	int fd, one = 1;

	a.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		one = -errno;
		close(fd);
		return one;
	}
	return fd;
}

static void
rx(struct churn *c, unsigned s, bool natt)
{
	static uint8_t buf[CH_BUF];
	int fd = natt ? c->fd4500[s] : c->fd500[s];

	for (;;) {
		struct sockaddr_storage from;
		struct sockaddr_in to = c->src[s];
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		const uint8_t *p = buf;
		size_t len;

		if (n < 0)
			return;
		len = (size_t)n;
		to.sin_port = htons(natt ? 4500 : 500);
		if (natt) {
			/* keepalives and ESP (non-zero marker): no datapath here */
			if (len < 4 || buf[0] || buf[1] || buf[2] || buf[3])
				continue;
			p += 4;
			len -= 4;
		}
		if (c->hold && c->hc[s].ctx != NULL)
			ike_input(c->hc[s].ctx, p, len, (struct sockaddr *)&from,
				  (struct sockaddr *)&to, perf_now_ms());
		else if (c->ctx != NULL)
			ike_input(c->ctx, p, len, (struct sockaddr *)&from, (struct sockaddr *)&to,
				  perf_now_ms());
	}
}

/* Wait up to @max_ms (or the next timer) for datagrams, feed them, run timers. */
static void
step(struct churn *c, uint64_t max_ms)
{
	struct pollfd pfd[2 * CH_MAX_SRC];
	uint64_t t;
	unsigned i;

	for (i = 0; i < c->n_src; i++) {
		pfd[2 * i].fd = c->fd500[i];
		pfd[2 * i + 1].fd = c->fd4500[i];
		pfd[2 * i].events = pfd[2 * i + 1].events = POLLIN;
	}
	t = c->ctx != NULL ? ike_next_timeout_ms(c->ctx, perf_now_ms()) : 100;
	if (t > max_ms)
		t = max_ms;
	if (poll(pfd, 2 * c->n_src, (int)t) > 0)
		for (i = 0; i < 2 * c->n_src; i++)
			if (pfd[i].revents & POLLIN)
				rx(c, i / 2, i % 2);
	if (c->ctx != NULL)
		ike_tick(c->ctx, perf_now_ms());
}

/* Whether a slot is in @state. */
static bool
any_in(const struct churn *c, enum ch_state state)
{
	unsigned i;

	for (i = 0; i < c->n_slot; i++)
		if (c->slot[i].state == state)
			return true;
	return false;
}

/* Poll sockets and run timers for up to @ms, while a slot is in @state (CH__NONE: all @ms). */
static void
run(struct churn *c, uint64_t ms, enum ch_state state)
{
	uint64_t end = perf_now_ms() + ms;

	while ((state == CH__NONE || any_in(c, state)) && perf_now_ms() < end)
		step(c, 50);
}

/* ---- configuration of one batch ---- */

static int
parse_ts(const char *s, struct ike_ts *ts)
{
	char buf[INET_ADDRSTRLEN + 4], *slash;
	unsigned plen = 32, bit;

	memset(ts, 0, sizeof(*ts));
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		plen = (unsigned)atoi(slash);
	}
	if (plen > 32 || inet_pton(AF_INET, buf, ts->saddr) != 1)
		return -EINVAL;
	memcpy(ts->eaddr, ts->saddr, 4);
	for (bit = plen; bit < 32; bit++) {
		ts->saddr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
		ts->eaddr[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	ts->af = 4;
	ts->eport = 65535;
	return 0;
}

static void
set_id(struct ike_id *id, const char *s)
{
	size_t n = strlen(s);

	memset(id, 0, sizeof(*id));
	id->type = IKE_ID_FQDN;
	id->len = (uint16_t)(n < IKE_MAX_ID_LEN ? n : IKE_MAX_ID_LEN);
	memcpy(id->data, s, id->len);
}

/* Connection @i of a context, set-up number @seq (its identity). */
static int
fill_conn(const struct churn *c, struct ike_conn_cfg *k, unsigned i, unsigned long seq)
{
	struct sockaddr_in *l = (struct sockaddr_in *)&k->local;
	char id[128];
	int n;

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "c%u", i);
	*l = c->src[i % c->n_src];
	l->sin_port = htons(500);
	k->remote = c->gw;
	snprintf(id, sizeof(id), "%s%lu.churn.test", c->prefix, seq);
	set_id(&k->local_id, id);
	set_id(&k->remote_id, c->gw_id);
	if (c->cert_dir != NULL) {
		k->auth = k->remote_auth = IKE_AUTHM_PUBKEY;
		n = snprintf(k->cert_file, sizeof(k->cert_file), "%s/c%lu.pem", c->cert_dir, seq);
		if (n < 0 || (size_t)n >= sizeof(k->cert_file))
			return -ENAMETOOLONG;
		snprintf(k->key_file, sizeof(k->key_file), "%s/client.key", c->cert_dir);
		snprintf(k->ca_file, sizeof(k->ca_file), "%s/ca.pem", c->cert_dir);
	} else {
		k->auth = k->remote_auth = IKE_AUTHM_PSK;
		k->psk_len = strlen(c->psk) < IKE_MAX_PSK_LEN ? strlen(c->psk) : IKE_MAX_PSK_LEN;
		memcpy(k->psk, c->psk, k->psk_len);
	}
	snprintf(k->ike_proposals[0], sizeof(k->ike_proposals[0]), "%s", c->ike);
	k->n_ike_proposals = 1;
	snprintf(k->esp_proposals[0], sizeof(k->esp_proposals[0]), "%s", c->esp);
	k->n_esp_proposals = 1;
	/* local: whatever the gateway assigns (0.0.0.0/0 narrowed to the vip) */
	parse_ts("0.0.0.0/0", &k->local_ts[0]);
	k->n_local_ts = 1;
	if (parse_ts(c->remote_ts, &k->remote_ts[0]) != 0)
		return -EINVAL;
	k->n_remote_ts = 1;
	k->request_vip = true;
	return 0;
}

/* A lib/ike context of @n connections, the settings of @tmpl, callbacks' @user. */
static int
ctx_of(const struct ike_ctx_cfg *tmpl, const struct ike_conn_cfg *conns, unsigned n, void *user,
       struct ike_ctx **ctx)
{
	struct ike_ctx_cfg cfg = *tmpl;

	cfg.conns = conns;
	cfg.n_conns = n;
	cfg.user = user;
	return ike_ctx_create(&cfg, ctx);
}

/* A client's lib/ike settings in batches and with --load: window 1, no cookies. */
static const struct ike_ctx_cfg batch_cfg = {
	.ops = { .send = op_send, .event = op_event, .log = op_log },
	.window_size = 1, .cookie_threshold = 10000, .half_open_max = 10000,
	.retransmit_base_ms = 1000, .retransmit_tries = 4,
};

/* A fresh context holding @n connections (set-ups @seq0 ...) and @n empty slots. */
static int
ctx_create(struct churn *c, unsigned n, unsigned long seq0)
{
	struct ike_conn_cfg *conns;
	unsigned i;
	int rc = 0;

	conns = calloc(n, sizeof(*conns));
	if (conns == NULL)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++)
		rc = fill_conn(c, &conns[i], i, seq0 + i);
	if (rc == 0)
		rc = ctx_of(&batch_cfg, conns, n, c, &c->ctx);
	memset(conns, 0, (size_t)n * sizeof(*conns));	/* PSK copies */
	free(conns);
	if (rc != 0)
		return rc;
	memset(c->slot, 0, (size_t)n * sizeof(c->slot[0]));
	c->n_slot = n;
	c->in_flight = 0;
	return 0;
}

static int
one_batch(struct churn *c, unsigned n, unsigned long seq0)
{
	uint64_t t = perf_now_ms();
	char name[16];
	unsigned i;
	int rc;

	rc = ctx_create(c, n, seq0);
	if (rc != 0) {
		fprintf(stderr, "ike_ctx_create: %s\n", ike_strerror(rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		if (ike_initiate(c->ctx, name, t) != 0)
			c->slot[i].state = CH_FAILED;
	}
	run(c, (uint64_t)c->batch_timeout_s * 1000, CH_INIT);
	t = perf_now_ms();
	for (i = 0; i < n; i++) {
		struct ch_slot *s = &c->slot[i];

		if (s->state != CH_UP) {
			c->failed++;
			continue;
		}
		c->setups++;
		if ((seq0 + i) % 100 < c->forget_pct) {
			c->forgotten++;		/* destroyed below, without a Delete */
			continue;
		}
		if (ike_terminate_ike(c->ctx, s->ike_sa_id, t) == 0)
			s->state = CH_DELETING;
		else
			c->failed++;
	}
	run(c, 15000, CH_DELETING);
	for (i = 0; i < n; i++) {
		if (c->slot[i].state == CH_DOWN)
			c->deleted++;
		else if (c->slot[i].state == CH_DELETING)
			c->delete_timeouts++;
	}
	ike_ctx_destroy(c->ctx);
	c->ctx = NULL;
	return 0;
}

/* ---- --load: a steady window of set-ups, latency and responder CPU ---- */

/* utime + stime in seconds of process @pid (@tid 0) or of its thread @tid; -1 on error. */
static double
proc_cpu_s(int pid, int tid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* proc(5): after "pid (comm)", field 3 is the state; utime and stime are
	 * fields 14 and 15, in clock ticks. comm may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct cpu_mark {
	double proc, main;
};

static void
cpu_mark(const struct churn *c, struct cpu_mark *m)
{
	m->proc = proc_cpu_s(c->cpu_pid, 0);
	m->main = proc_cpu_s(c->cpu_pid, c->cpu_pid);
}

static double
cpu_diff(double a, double b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

static int
load_run(struct churn *c)
{
	unsigned n = c->total, nxt = 0, lo = 0, i, n_lat = 0, timed_out = 0;
	uint64_t t0, t1, timeout_us = (uint64_t)c->batch_timeout_s * 1000000;
	struct cpu_mark m0, m1;
	uint64_t *lat;
	char name[16];
	double secs;
	int rc;

	rc = ctx_create(c, n, 0);
	if (rc != 0) {
		fprintf(stderr, "ike_ctx_create: %s\n", ike_strerror(rc));
		return rc;
	}
	cpu_mark(c, &m0);
	t0 = perf_now_us();
	while (lo < n) {
		uint64_t now;

		/* a responder that answers nothing: give up after one window */
		if (timed_out >= c->window && c->n_up == 0)
			break;

		while (c->in_flight < c->window && nxt < n) {
			struct ch_slot *s = &c->slot[nxt];

			snprintf(name, sizeof(name), "c%u", nxt);
			s->t_start_us = perf_now_us();
			s->state = CH_INIT;
			c->in_flight++;
			if (ike_initiate(c->ctx, name, perf_now_ms()) != 0) {
				s->state = CH_FAILED;
				c->in_flight--;
			}
			nxt++;
		}
		step(c, 10);
		/* a set-up that failed before its child came up sends no event we
		 * can map to it: it times out */
		now = perf_now_us();
		for (i = lo; i < nxt; i++) {
			struct ch_slot *s = &c->slot[i];

			if (s->state == CH_INIT && now - s->t_start_us > timeout_us) {
				s->state = CH_FAILED;
				c->in_flight--;
				timed_out++;
			}
		}
		while (lo < nxt && c->slot[lo].state != CH_INIT)
			lo++;
	}
	t1 = perf_now_us();
	cpu_mark(c, &m1);
	lat = calloc(n ? n : 1, sizeof(*lat));
	if (lat == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (c->slot[i].state == CH_UP) {
			lat[n_lat++] = c->slot[i].t_up_us - c->slot[i].t_start_us;
			c->setups++;
		} else {
			c->failed++;
		}
	}
	qsort(lat, n_lat, sizeof(*lat), perf_cmp_u64);
	secs = (double)(t1 - t0) / 1e6;
	printf("LOAD setups=%lu failed=%lu secs=%.3f rate=%.1f window=%u lat_p50_ms=%.2f "
	       "lat_p90_ms=%.2f lat_p99_ms=%.2f lat_max_ms=%.2f resp_cpu_s=%.2f "
	       "resp_main_cpu_s=%.2f\n", c->setups, c->failed, secs,
	       secs > 0 ? (double)c->setups / secs : 0.0, c->window,
	       perf_pct_u64(lat, n_lat, 500, 1000.0), perf_pct_u64(lat, n_lat, 900, 1000.0),
	       perf_pct_u64(lat, n_lat, 990, 1000.0), perf_pct_u64(lat, n_lat, 1000, 1000.0),
	       cpu_diff(m0.proc, m1.proc), cpu_diff(m0.main, m1.main));
	fflush(stdout);
	free(lat);

	/* Delete everything, so the responder ends where it started. */
	cpu_mark(c, &m0);
	t0 = perf_now_us();
	for (i = 0; i < n; i++) {
		struct ch_slot *s = &c->slot[i];

		if (s->state == CH_UP && ike_terminate_ike(c->ctx, s->ike_sa_id, perf_now_ms()) == 0)
			s->state = CH_DELETING;
	}
	run(c, 60000, CH_DELETING);
	t1 = perf_now_us();
	cpu_mark(c, &m1);
	for (i = 0; i < n; i++) {
		if (c->slot[i].state == CH_DOWN)
			c->deleted++;
		else if (c->slot[i].state == CH_DELETING)
			c->delete_timeouts++;
	}
	printf("DELETE deleted=%lu timeouts=%lu secs=%.3f resp_cpu_s=%.2f resp_main_cpu_s=%.2f\n",
	       c->deleted, c->delete_timeouts, (double)(t1 - t0) / 1e6,
	       cpu_diff(m0.proc, m1.proc), cpu_diff(m0.main, m1.main));
	fflush(stdout);
	ike_ctx_destroy(c->ctx);
	c->ctx = NULL;
	return 0;
}

/* ---- --hold: N tunnels held, driven from stdin (perf/scale.py) ---- */

static void
spi_put(struct churn *c, uint32_t spi, unsigned slot)
{
	unsigned h = (spi * 2654435761u) & c->spi_mask;

	while (c->spi_map[2 * h] != 0)
		h = (h + 1) & c->spi_mask;
	c->spi_map[2 * h] = spi;
	c->spi_map[2 * h + 1] = slot + 1;
}

/* Two clients may have picked the same inbound SPI: the outer destination
 * (the client's source address) tells them apart. */
static struct ch_slot *
spi_get(struct churn *c, uint32_t spi, const uint8_t *dst)
{
	unsigned h = (spi * 2654435761u) & c->spi_mask;

	while (c->spi_map[2 * h] != 0) {
		uint32_t i = c->spi_map[2 * h + 1] - 1;

		if (c->spi_map[2 * h] == spi && c->slot[i].spi_in == spi &&
		    memcmp(&c->src[i % c->n_src].sin_addr, dst, 4) == 0)
			return &c->slot[i];
		h = (h + 1) & c->spi_mask;
	}
	return NULL;
}

static int
hop_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	 const struct sockaddr *to)
{
	return op_send(((struct hctx *)user)->c, buf, len, from, to);
}

static void
hop_log(void *user, int level, const char *msg)
{
	op_log(((struct hctx *)user)->c, level, msg);
}

static void
hop_event(void *user, const struct ike_event *ev)
{
	struct hctx *h = user;
	struct churn *c = h->c;
	const struct ike_child_sa *ch = ev->child;
	struct ch_slot *s;
	unsigned i;

	switch (ev->type) {
	case IKE_EV_CHILD_UP:
		if (ch == NULL)
			break;
		i = slot_of_conn(ch->conn);
		if (i >= c->n_slot || c->slot[i].state != CH_INIT)
			break;
		s = &c->slot[i];
		if (cesp_key_set(&s->kin, ch->key_in, ch->enc_key_len) != 0 ||
		    cesp_key_set(&s->kout, ch->key_out, ch->enc_key_len) != 0 ||
		    ch->n_local_ts == 0) {
			s->state = CH_FAILED;	/* not AES-GCM: no traffic check */
		} else {
			s->state = CH_UP;
			s->spi_in = ch->spi_in;
			s->spi_out = ch->spi_out;
			s->seq = 0;
			memcpy(&s->vip, ch->local_ts[0].saddr, 4);
			spi_put(c, ch->spi_in, i);
			c->n_held++;
		}
		s->ike_sa_id = ch->ike_sa_id;
		s->t_up_us = perf_now_us();
		if (c->in_flight > 0)
			c->in_flight--;
		break;
	case IKE_EV_CHILD_DOWN:
		/* the gateway deleted the child alone: its IKE SA stays, no traffic */
		if (ch == NULL)
			break;
		i = slot_of_conn(ch->conn);
		if (i < c->n_slot && c->slot[i].state == CH_UP &&
		    c->slot[i].spi_in == ch->spi_in) {
			c->slot[i].state = CH_FAILED;
			c->n_held--;
		}
		break;
	case IKE_EV_IKE_DOWN:
		for (i = h->k; i < c->n_slot; i += c->n_src) {
			s = &c->slot[i];
			if (s->ike_sa_id != ev->ike_sa_id ||
			    (s->state != CH_UP && s->state != CH_DELETING))
				continue;
			if (s->state == CH_DELETING) {
				s->state = CH_DOWN;
				if (c->in_flight > 0)
					c->in_flight--;
			} else {
				s->state = CH_FAILED;
			}
			c->n_held--;
			break;
		}
		break;
	default:
		break;
	}
}

static uint32_t
hop_fixed_spi(void *user)
{
	return ((struct hctx *)user)->c->fixed_spi;
}

static void
hold_destroy(struct churn *c)
{
	unsigned k;

	for (k = 0; k < c->n_src; k++) {
		if (c->hc[k].ctx != NULL)
			ike_ctx_destroy(c->hc[k].ctx);
		c->hc[k].ctx = NULL;
	}
}

/* --hold's lib/ike settings: every client at once, longer retransmits. */
static const struct ike_ctx_cfg hold_cfg = {
	.ops = { .send = hop_send, .event = hop_event, .log = hop_log },
	.window_size = 1, .cookie_threshold = 1000000, .half_open_max = 1000000,
	.half_open_per_src = 1000000, .retransmit_base_ms = 2000, .retransmit_tries = 5,
};

/* Contexts for all --total connections, slots and SPI map empty. */
static int
hold_create(struct churn *c)
{
	unsigned per = (c->total + c->n_src - 1) / c->n_src, k, j, n;
	struct ike_ctx_cfg cfg = hold_cfg;
	struct ike_conn_cfg *conns;
	int rc = 0;

	if (c->fixed_spi != 0)
		cfg.ops.alloc_spi = hop_fixed_spi;
	conns = calloc(per, sizeof(*conns));
	if (conns == NULL)
		return -ENOMEM;
	for (k = 0; k < c->n_src && rc == 0; k++) {
		c->hc[k].c = c;
		c->hc[k].k = k;
		for (n = 0, j = k; j < c->total && rc == 0; j += c->n_src, n++) {
			rc = fill_conn(c, &conns[n], j, j);
			conns[n].local = conns[0].local;
			((struct sockaddr_in *)&conns[n].local)->sin_addr = c->src[k].sin_addr;
		}
		if (rc != 0)
			break;
		rc = ctx_of(&cfg, conns, n, &c->hc[k], &c->hc[k].ctx);
		memset(conns, 0, (size_t)per * sizeof(*conns));	/* PSK copies */
	}
	free(conns);
	if (rc != 0) {
		hold_destroy(c);
		return rc;
	}
	memset(c->slot, 0, (size_t)c->total * sizeof(c->slot[0]));
	memset(c->spi_map, 0, 2 * ((size_t)c->spi_mask + 1) * sizeof(uint32_t));
	c->n_slot = c->total;
	c->in_flight = 0;
	c->n_held = 0;
	return 0;
}

static void
esp_rx(struct churn *c, bool count_flood)
{
	static uint8_t buf[CH_BUF], in[CH_BUF];

	for (;;) {
		ssize_t n = recv(c->raw_rx, buf, sizeof(buf), 0);
		struct ch_slot *s;
		unsigned ihl;
		uint8_t nh;
		int l;

		if (n < 0)
			return;
		if (n < 20)
			continue;
		ihl = (unsigned)(buf[0] & 0x0f) * 4;
		if ((size_t)n < ihl + CESP_HDR)
			continue;
		s = spi_get(c, (uint32_t)buf[ihl] << 24 | (uint32_t)buf[ihl + 1] << 16 |
			       (uint32_t)buf[ihl + 2] << 8 | buf[ihl + 3], buf + 16);
		if (s == NULL)
			continue;
		l = cesp_decrypt(&s->kin, buf + ihl, (size_t)n - ihl, in, sizeof(in), &nh);
		/* an ICMP echo reply (type 0) to our virtual IP; one to another
		 * tunnel's address came through the wrong SA */
		if (l < 28 || nh != 4 || in[9] != 1 || in[(in[0] & 0x0f) * 4] != 0)
			continue;
		if (memcmp(in + 16, &s->vip, 4) != 0) {
			c->misrouted++;
			continue;
		}
		c->n_replied += !s->replied;
		s->replied = true;
		if (count_flood)
			c->flood_recv++;
	}
}

/* One ESP-protected ICMP echo request from slot @i's virtual IP to --lan. */
static int
esp_ping(struct churn *c, unsigned i)
{
	struct ch_slot *s = &c->slot[i];
	uint8_t pkt[128], out[256];
	struct sockaddr_in to;
	uint16_t ck;
	int l;

	memset(pkt, 0, sizeof(pkt));
	/* inner IPv4 + ICMP echo (RFC 792), 56 bytes of data */
	pkt[0] = 0x45;
	pkt[2] = 0;
	pkt[3] = 84;
	pkt[8] = 64;
	pkt[9] = 1;
	memcpy(pkt + 12, &s->vip, 4);
	memcpy(pkt + 16, &c->lan, 4);
	ck = cesp_csum(pkt, 20);
	pkt[10] = (uint8_t)(ck >> 8);
	pkt[11] = (uint8_t)ck;
	pkt[20] = 8;
	pkt[24] = (uint8_t)(i >> 8);
	pkt[25] = (uint8_t)i;
	pkt[26] = (uint8_t)(s->seq >> 8);
	pkt[27] = (uint8_t)s->seq;
	memcpy(pkt + 28, &i, sizeof(i));
	ck = cesp_csum(pkt + 20, 64);
	pkt[22] = (uint8_t)(ck >> 8);
	pkt[23] = (uint8_t)ck;
	/* outer IPv4 (IP_HDRINCL), ESP after it */
	memset(out, 0, 20);
	l = cesp_encrypt(&s->kout, s->spi_out, ++s->seq, pkt, 84, out + 20, sizeof(out) - 20);
	if (l < 0)
		return -1;
	out[0] = 0x45;
	out[2] = (uint8_t)((l + 20) >> 8);
	out[3] = (uint8_t)(l + 20);
	out[8] = 64;
	out[9] = 50;
	memcpy(out + 12, &c->src[i % c->n_src].sin_addr, 4);
	memcpy(out + 16, &((struct sockaddr_in *)&c->gw)->sin_addr, 4);
	ck = cesp_csum(out, 20);
	out[10] = (uint8_t)(ck >> 8);
	out[11] = (uint8_t)ck;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = ((struct sockaddr_in *)&c->gw)->sin_addr;
	return sendto(c->raw_tx, out, (size_t)l + 20, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ?
	       -1 : 0;
}

/* Poll every socket (and stdin) up to @max_ms; run every context's timers. */
static void
hold_step(struct churn *c, uint64_t max_ms, bool flood)
{
	struct pollfd pfd[2 * CH_MAX_SRC + 1];
	uint64_t t = max_ms, now = perf_now_ms(), d;
	unsigned i, np = 2 * c->n_src;

	for (i = 0; i < c->n_src; i++) {
		pfd[2 * i].fd = c->fd500[i];
		pfd[2 * i + 1].fd = c->fd4500[i];
		pfd[2 * i].events = pfd[2 * i + 1].events = POLLIN;
		d = ike_next_timeout_ms(c->hc[i].ctx, now);
		if (d < t)
			t = d;
	}
	pfd[np].fd = c->raw_rx;
	pfd[np].events = POLLIN;
	if (poll(pfd, np + 1, (int)t) > 0) {
		for (i = 0; i < np; i++)
			if (pfd[i].revents & POLLIN)
				rx(c, i / 2, i % 2);
		if (pfd[np].revents & POLLIN)
			esp_rx(c, flood);
	}
	now = perf_now_ms();
	for (i = 0; i < c->n_src; i++)
		ike_tick(c->hc[i].ctx, now);
}

static void
hold_up(struct churn *c, unsigned a, unsigned b, unsigned window)
{
	uint64_t t0 = perf_now_us(), timeout_us = (uint64_t)c->batch_timeout_s * 1000000;
	unsigned nxt = a, lo = a, i, ok = 0, failed = 0, k;
	char name[16];
	double secs;

	while (lo < b) {
		while (c->in_flight < window && nxt < b) {
			struct ch_slot *s = &c->slot[nxt];

			if (s->state == CH_UP || s->state == CH_DELETING) {
				nxt++;
				continue;
			}
			snprintf(name, sizeof(name), "c%u", nxt);
			k = nxt % c->n_src;
			/* again after a failure: the IKE SA of a refused child goes first */
			if (s->ike_sa_id != 0)
				(void)ike_terminate_ike(c->hc[k].ctx, s->ike_sa_id, perf_now_ms());
			memset(s, 0, sizeof(*s));
			s->t_start_us = perf_now_us();
			s->state = CH_INIT;
			c->in_flight++;
			if (ike_initiate(c->hc[k].ctx, name, perf_now_ms()) != 0) {
				s->state = CH_FAILED;
				c->in_flight--;
			}
			nxt++;
		}
		hold_step(c, 10, false);
		for (i = lo; i < nxt; i++) {
			struct ch_slot *s = &c->slot[i];

			if (s->state == CH_INIT && perf_now_us() - s->t_start_us > timeout_us) {
				s->state = CH_FAILED;
				c->in_flight--;
			}
		}
		while (lo < nxt && c->slot[lo].state != CH_INIT)
			lo++;
	}
	for (i = a; i < b; i++) {
		if (c->slot[i].state == CH_UP)
			ok++;
		else
			failed++;
	}
	secs = (double)(perf_now_us() - t0) / 1e6;
	printf("UP ok=%u failed=%u secs=%.3f rate=%.1f held=%u\n", ok, failed, secs,
	       secs > 0 ? ok / secs : 0.0, c->n_held);
}

/* The held slots, in order: a list for random picks. */
static unsigned *
held_list(struct churn *c, unsigned *n)
{
	unsigned *v = malloc(((size_t)c->n_held + 1) * sizeof(*v)), i;

	*n = 0;
	for (i = 0; v != NULL && i < c->n_slot; i++)
		if (c->slot[i].state == CH_UP && *n < c->n_held)
			v[(*n)++] = i;
	return v;
}

static void
hold_ping(struct churn *c, unsigned k, uint64_t seed)
{
	unsigned n, i, m, ok = 0, *v = held_list(c, &n), *pick;
	uint64_t end, base;

	c->misrouted = 0;
	/* k 0: every held tunnel once; else the first, the last and k random */
	m = k == 0 ? n : k + 2;
	if (v == NULL || n == 0 || (pick = calloc(m, sizeof(*pick))) == NULL) {
		free(v);
		printf("PING ok=0 sent=0 misrouted=0\n");
		return;
	}
	seed = seed ? seed : 1;
	if (k == 0) {
		memcpy(pick, v, (size_t)n * sizeof(*pick));
	} else {
		pick[0] = v[0];
		pick[1] = v[n - 1];
		for (i = 0; i < k; i++)
			pick[2 + i] = v[perf_xorshift64(&seed) % n];
	}
	for (i = 0; i < m; i++)
		c->slot[pick[i]].replied = false;
	base = c->n_replied;
	for (i = 0; i < m; i++) {
		uint64_t stall = perf_now_ms() + 200;

		/* at most 256 outstanding (lost ones free the window after 200 ms) */
		while (i - (c->n_replied - base) >= 256) {
			if (perf_now_ms() >= stall) {
				base = c->n_replied - i;	/* count them lost */
				break;
			}
			hold_step(c, 1, false);
		}
		esp_ping(c, pick[i]);	/* a send error shows as no reply */
		if (i % 32 == 31)
			hold_step(c, 0, false);
	}
	end = perf_now_ms() + 5000;
	for (;;) {
		for (ok = 0, i = 0; i < m; i++)
			ok += c->slot[pick[i]].replied;
		if (ok == m || perf_now_ms() > end)
			break;
		hold_step(c, 20, false);
	}
	/* a tunnel drawn twice counts twice: ok and sent are over the picks */
	printf("PING ok=%u sent=%u misrouted=%" PRIu64 "\n", ok, m, c->misrouted);
	free(pick);
	free(v);
}

static void
hold_flood(struct churn *c, bool random, unsigned secs)
{
	unsigned n, *v = held_list(c, &n);
	uint64_t seed = 88172645463325252ull, sent = 0, lost = 0, t0 = perf_now_us(), end, last_rx;
	uint64_t last_recv = 0;
	double s;

	if (v == NULL || n == 0) {
		free(v);
		printf("FLOOD mode=%s sent=0 recv=0 secs=0 pps=0\n", random ? "random" : "first");
		return;
	}
	c->flood_recv = 0;
	end = t0 + (uint64_t)secs * 1000000;
	last_rx = perf_now_us();
	while (perf_now_us() < end) {
		/* 64 outstanding; after 200 ms without a reply, count them lost */
		while (sent - c->flood_recv - lost < 64) {
			if (esp_ping(c, random ? v[perf_xorshift64(&seed) % n] : v[0]) != 0)
				break;
			sent++;
		}
		hold_step(c, 1, true);
		if (c->flood_recv != last_recv) {
			last_recv = c->flood_recv;
			last_rx = perf_now_us();
		} else if (perf_now_us() - last_rx > 200000) {
			lost = sent - c->flood_recv;
			last_rx = perf_now_us();
		}
	}
	s = (double)(perf_now_us() - t0) / 1e6;
	hold_step(c, 200, true);	/* the last replies */
	printf("FLOOD mode=%s sent=%" PRIu64 " recv=%" PRIu64 " secs=%.3f pps=%.1f\n",
	       random ? "random" : "first", sent, c->flood_recv, s,
	       s > 0 ? (double)c->flood_recv / s : 0.0);
	free(v);
}

static void
hold_down(struct churn *c, unsigned window)
{
	uint64_t t0 = perf_now_us(), end = perf_now_ms() + 120000;
	unsigned nxt = 0, i, deleted = 0, timeouts = 0;
	double secs;

	c->in_flight = 0;
	while (perf_now_ms() < end) {
		while (c->in_flight < window && nxt < c->n_slot) {
			struct ch_slot *s = &c->slot[nxt++];

			if (s->state != CH_UP)
				continue;
			if (ike_terminate_ike(c->hc[(nxt - 1) % c->n_src].ctx, s->ike_sa_id,
					      perf_now_ms()) == 0) {
				s->state = CH_DELETING;
				c->in_flight++;
			}
		}
		if (nxt >= c->n_slot && c->in_flight == 0)
			break;
		hold_step(c, 10, false);
	}
	for (i = 0; i < c->n_slot; i++) {
		if (c->slot[i].state == CH_DOWN)
			deleted++;
		else if (c->slot[i].state == CH_DELETING)
			timeouts++;
	}
	secs = (double)(perf_now_us() - t0) / 1e6;
	printf("DOWN deleted=%u timeouts=%u secs=%.3f held=%u\n", deleted, timeouts, secs,
	       c->n_held);
}

static int
hold_run(struct churn *c)
{
	char line[256], cmd[16], mode[16];
	unsigned a, b, w;
	unsigned long long seed;
	int rc, one = 1;
	size_t mapn;

	for (mapn = 1; mapn < 2 * (size_t)c->total; mapn <<= 1)
		;
	c->spi_mask = (unsigned)mapn - 1;
	c->spi_map = calloc(2 * mapn, sizeof(uint32_t));
	c->hc = calloc(c->n_src, sizeof(*c->hc));
	c->raw_tx = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	c->raw_rx = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ESP);
	if (c->spi_map == NULL || c->hc == NULL || c->raw_tx < 0 || c->raw_rx < 0) {
		fprintf(stderr, "hold: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(c->raw_tx, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	one = 8 << 20;
	setsockopt(c->raw_rx, SOL_SOCKET, SO_RCVBUFFORCE, &one, sizeof(one));
	rc = hold_create(c);
	if (rc != 0) {
		fprintf(stderr, "ike_ctx_create: %s\n", ike_strerror(rc));
		return -1;
	}
	printf("READY total=%u sources=%u\n", c->total, c->n_src);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "%15s", cmd) != 1)
			continue;
		if (!strcmp(cmd, "up") && sscanf(line, "%*s %u %u %u", &a, &b, &w) == 3 &&
		    a < b && b <= c->n_slot && w > 0) {
			hold_up(c, a, b, w);
		} else if (!strcmp(cmd, "ping") && sscanf(line, "%*s %u %llu", &a, &seed) == 2) {
			hold_ping(c, a, seed);
		} else if (!strcmp(cmd, "flood") && sscanf(line, "%*s %15s %u", mode, &a) == 2) {
			hold_flood(c, !strcmp(mode, "random"), a);
		} else if (!strcmp(cmd, "down") && sscanf(line, "%*s %u", &w) == 1 && w > 0) {
			hold_down(c, w);
		} else if (!strcmp(cmd, "reset")) {
			hold_destroy(c);
			rc = hold_create(c);
			printf(rc == 0 ? "RESET\n" : "ERROR reset %d\n", rc);
		} else if (!strcmp(cmd, "wait") && sscanf(line, "%*s %u", &a) == 1) {
			uint64_t end = perf_now_ms() + a;

			while (perf_now_ms() < end)
				hold_step(c, 10, false);
			printf("WAITED held=%u\n", c->n_held);
		} else if (!strcmp(cmd, "quit")) {
			break;
		} else {
			printf("ERROR bad command\n");
		}
		fflush(stdout);
	}
	hold_destroy(c);
	/* child keys */
	memset(c->slot, 0, (size_t)c->total * sizeof(c->slot[0]));
	return 0;
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --gw ADDR --src ADDR[,ADDR...] --psk PSK --gw-id FQDN\n"
		"  [--total N] [--batch N] [--forget PCT] [--ike PROP] [--esp PROP]\n"
		"  [--remote-ts CIDR] [--batch-timeout S] [--prefix P] [--stop-mid] [-v]\n"
		"  [--load [--window N] [--cpu-pid PID]] [--cert-dir DIR]\n"
		"  [--hold --lan ADDR [--fixed-spi HEX]] (--src ADDR+N: N consecutive addresses)\n", prog);
}

static int
parse_srcs(struct churn *c, const char *list)
{
	char buf[4096], *tok, *save = NULL, *plus;
	unsigned long cnt, j;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		cnt = 1;
		plus = strchr(tok, '+');
		if (plus != NULL) {
			*plus++ = '\0';
			cnt = strtoul(plus, NULL, 10);
		}
		if (inet_pton(AF_INET, tok, &a) != 1 || cnt == 0)
			return -EINVAL;
		for (j = 0; j < cnt; j++) {
			if (c->n_src == CH_MAX_SRC)
				return -ENOSPC;
			memset(&c->src[c->n_src], 0, sizeof(c->src[0]));
			c->src[c->n_src].sin_family = AF_INET;
			c->src[c->n_src].sin_addr.s_addr = htonl(ntohl(a.s_addr) + (uint32_t)j);
			c->n_src++;
		}
	}
	return c->n_src ? 0 : -EINVAL;
}

int
main(int argc, char **argv)
{
	static struct churn c;
	struct sockaddr_in *gw = (struct sockaddr_in *)&c.gw;
	unsigned long done = 0, batches = 0;
	uint64_t t0;
	double secs;
	const struct perf_opt opts[] = {
		PERF_OPT_ARG("gw", 'g'),
		PERF_OPT_ARG("src", 's'),
		PERF_OPT_STR("psk", c.psk),
		PERF_OPT_STR("gw-id", c.gw_id),
		PERF_OPT_NUM("total", 0, UINT32_MAX, c.total, NULL),
		PERF_OPT_NUM("batch", 1, CH_MAX_BATCH, c.batch, NULL),
		PERF_OPT_NUM("forget", 0, 100, c.forget_pct, NULL),
		PERF_OPT_STR("ike", c.ike),
		PERF_OPT_STR("esp", c.esp),
		PERF_OPT_STR("remote-ts", c.remote_ts),
		PERF_OPT_NUM("batch-timeout", 0, UINT32_MAX, c.batch_timeout_s, NULL),
		PERF_OPT_STR("prefix", c.prefix),
		PERF_OPT_BOOL("stop-mid", c.stop_mid),
		PERF_OPT_BOOL("load", c.load),
		PERF_OPT_NUM("window", 0, UINT32_MAX, c.window, NULL),
		PERF_OPT_ARG("cpu-pid", 'p'),
		PERF_OPT_STR("cert-dir", c.cert_dir),
		PERF_OPT_BOOL("hold", c.hold),
		PERF_OPT_ARG("lan", 'l'),
		PERF_OPT_ARG("fixed-spi", 'f'),
	};
	unsigned i;
	int k;

	c.total = 1000;
	c.batch = 50;
	c.forget_pct = 10;
	c.batch_timeout_s = 30;
	c.ike = "aes256gcm16-prfsha256-x25519";
	c.esp = "aes256gcm16";
	c.remote_ts = "10.1.0.0/24";
	c.prefix = "u";
	c.log_level = IKE_LOG_WARNING;
	c.window = 16;
	while ((k = perf_getopt(argv[0], argc, argv, "v", opts, PERF_DIM(opts))) != -1) {
		switch (k) {
		case 'v':
			c.log_level = IKE_LOG_DEBUG;
			break;
		case 'g':
			gw->sin_family = AF_INET;
			gw->sin_port = htons(500);
			if (inet_pton(AF_INET, optarg, &gw->sin_addr) != 1)
				goto bad;
			break;
		case 's':
			if (parse_srcs(&c, optarg) != 0)
				goto bad;
			break;
		case 'p':
			c.cpu_pid = atoi(optarg);
			break;
		case 'f':
			c.fixed_spi = (uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 'l':
			if (inet_pton(AF_INET, optarg, &c.lan) != 1)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (gw->sin_family != AF_INET || c.n_src == 0 || (c.psk == NULL && c.cert_dir == NULL) ||
	    c.gw_id == NULL || c.batch == 0 || c.batch > CH_MAX_BATCH || c.forget_pct > 100 ||
	    (c.load && (c.total == 0 || c.total > CH_MAX_LOAD || c.window == 0 || c.stop_mid)) ||
	    (c.hold && (c.load || c.stop_mid || c.total == 0 || c.total > CH_MAX_HOLD ||
			c.lan.s_addr == 0)))
		goto bad;
	c.slot = calloc(c.load || c.hold ? c.total : CH_MAX_BATCH, sizeof(*c.slot));
	if (c.slot == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < c.n_src; i++) {
		c.fd500[i] = open_udp(&c.src[i], 500);
		c.fd4500[i] = open_udp(&c.src[i], 4500);
		if (c.fd500[i] < 0 || c.fd4500[i] < 0) {
			fprintf(stderr, "bind: %s\n", strerror(-(c.fd500[i] < 0 ? c.fd500[i] :
								   c.fd4500[i])));
			return 2;
		}
	}
	if (c.hold)
		return hold_run(&c) == 0 ? 0 : 1;
	if (c.load) {
		if (load_run(&c) != 0)
			return 1;
		run(&c, 200, CH__NONE);
		return c.failed == 0 && c.delete_timeouts == 0 ? 0 : 1;
	}
	t0 = perf_now_ms();
	while (done < c.total) {
		unsigned n = c.total - done < c.batch ? (unsigned)(c.total - done) : c.batch;

		if (one_batch(&c, n, done) != 0)
			return 1;
		done += n;
		if (++batches % 10 == 0) {
			printf("PROGRESS done=%lu setups=%lu failed=%lu secs=%.1f\n", done, c.setups,
			       c.failed, (double)(perf_now_ms() - t0) / 1000);
			fflush(stdout);
		}
	}
	/* Answer stray retransmits a moment longer (nothing is left to answer them
	 * with: the sockets just drain), so the gateway's last Deletes complete. */
	run(&c, 200, CH__NONE);
	secs = (double)(perf_now_ms() - t0) / 1000;
	printf("RESULT setups=%lu failed=%lu deleted=%lu forgotten=%lu delete_timeouts=%lu "
	       "secs=%.1f rate=%.1f\n", c.setups, c.failed, c.deleted, c.forgotten,
	       c.delete_timeouts, secs, secs > 0 ? (double)c.setups / secs : 0.0);
	fflush(stdout);
	return c.failed == 0 && c.delete_timeouts == 0 ? 0 : 1;
bad:
	usage(argv[0]);
	return 2;
}
