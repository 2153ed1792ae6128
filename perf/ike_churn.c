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

enum churn_limits {
	CH_MAX_SRC = 16,
	CH_MAX_BATCH = 256,
	CH_MAX_LOAD = 65536,	/* set-ups of one --load run */
	CH_BUF = 65536,
};

enum ch_state {
	CH_INIT = 0,		/* initiated, child not up yet */
	CH_UP,			/* child SA installed */
	CH_FAILED,		/* went down before its child came up */
	CH_DELETING,		/* Delete sent */
	CH_DOWN,		/* deleted */
};

struct ch_slot {
	uint8_t state;		/* enum ch_state */
	uint64_t ike_sa_id;
	uint64_t t_start_us, t_up_us;	/* --load: ike_initiate(), CHILD_UP */
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
	/* current batch (--load: all set-ups) */
	struct ike_ctx *ctx;
	struct ch_slot *slot;	/* CH_MAX_BATCH, or --total with --load */
	unsigned n_slot;
	unsigned in_flight;	/* --load: slots in CH_INIT */
	unsigned n_up;		/* --load: set-ups whose child came up */
	/* results */
	unsigned long setups, failed, deleted, forgotten, delete_timeouts;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

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
	static uint8_t out[CH_BUF];
	const struct sockaddr_in *f = (const struct sockaddr_in *)(const void *)from;
	const struct sockaddr_in *t = (const struct sockaddr_in *)(const void *)to;
	const uint8_t *p = buf;
	size_t n = len;
	unsigned i, s = 0;
	int fd;

	if (to->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	/* RFC 7296 3.1: exchange type at offset 18; 34 = IKE_SA_INIT */
	if (c->stop_mid && (len < 19 || buf[18] != 34))
		return 0;
	if (from->sa_family == AF_INET)
		for (i = 0; i < c->n_src; i++)
			if (c->src[i].sin_addr.s_addr == f->sin_addr.s_addr)
				s = i;
	fd = c->fd500[s];
	/* RFC 3948 2.2: IKE on 4500 carries a 4-byte zero non-ESP marker. */
	if ((from->sa_family == AF_INET && ntohs(f->sin_port) == 4500) ||
	    ntohs(t->sin_port) == 4500) {
		if (len + 4 > sizeof(out))
			return -EMSGSIZE;
		memset(out, 0, 4);
		memcpy(out + 4, buf, len);
		p = out;
		n = len + 4;
		fd = c->fd4500[s];
	}
	if (sendto(fd, p, n, 0, to, sizeof(struct sockaddr_in)) < 0)
		return -errno;
	return 0;
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
			c->slot[i].t_up_us = now_us();
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

	if (level <= c->log_level)
		fprintf(stderr, "%llu <%d> %s\n", (unsigned long long)now_ms(), level, msg);
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
		if (c->ctx != NULL)
			ike_input(c->ctx, p, len, (struct sockaddr *)&from, (struct sockaddr *)&to,
				  now_ms());
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
	t = c->ctx != NULL ? ike_next_timeout_ms(c->ctx, now_ms()) : 100;
	if (t > max_ms)
		t = max_ms;
	if (poll(pfd, 2 * c->n_src, (int)t) > 0)
		for (i = 0; i < 2 * c->n_src; i++)
			if (pfd[i].revents & POLLIN)
				rx(c, i / 2, i % 2);
	if (c->ctx != NULL)
		ike_tick(c->ctx, now_ms());
}

/* Poll sockets and run timers for up to @ms, or until @done(c) holds. */
static void
run(struct churn *c, uint64_t ms, bool (*done)(const struct churn *c))
{
	uint64_t end = now_ms() + ms;

	while (!done(c) && now_ms() < end)
		step(c, 50);
}

static bool
all_settled(const struct churn *c)
{
	unsigned i;

	for (i = 0; i < c->n_slot; i++)
		if (c->slot[i].state == CH_INIT)
			return false;
	return true;
}

static bool
all_deleted(const struct churn *c)
{
	unsigned i;

	for (i = 0; i < c->n_slot; i++)
		if (c->slot[i].state == CH_DELETING)
			return false;
	return true;
}

static bool
never(const struct churn *c)
{
	(void)c;
	return false;
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

/* A fresh context holding @n connections (set-ups @seq0 ...) and @n empty slots. */
static int
ctx_create(struct churn *c, unsigned n, unsigned long seq0)
{
	struct ike_conn_cfg *conns;
	struct ike_ctx_cfg cfg;
	unsigned i;
	int rc = 0;

	conns = calloc(n, sizeof(*conns));
	if (conns == NULL)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++)
		rc = fill_conn(c, &conns[i], i, seq0 + i);
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = conns;
	cfg.n_conns = n;
	cfg.ops.send = op_send;
	cfg.ops.event = op_event;
	cfg.ops.log = op_log;
	cfg.user = c;
	cfg.window_size = 1;
	cfg.cookie_threshold = 10000;
	cfg.half_open_max = 10000;
	cfg.retransmit_base_ms = 1000;
	cfg.retransmit_tries = 4;
	if (rc == 0)
		rc = ike_ctx_create(&cfg, &c->ctx);
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
	uint64_t t = now_ms();
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
	run(c, (uint64_t)c->batch_timeout_s * 1000, all_settled);
	t = now_ms();
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
	run(c, 15000, all_deleted);
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
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of @n sorted values, in ms. */
static double
pct_ms(const uint64_t *v, unsigned n, unsigned pct)
{
	unsigned k;

	if (n == 0)
		return -1;
	k = (unsigned)(((uint64_t)pct * n + 99) / 100);
	return (double)v[k == 0 ? 0 : k - 1] / 1000.0;
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
	t0 = now_us();
	while (lo < n) {
		uint64_t now;

		/* a responder that answers nothing: give up after one window */
		if (timed_out >= c->window && c->n_up == 0)
			break;

		while (c->in_flight < c->window && nxt < n) {
			struct ch_slot *s = &c->slot[nxt];

			snprintf(name, sizeof(name), "c%u", nxt);
			s->t_start_us = now_us();
			s->state = CH_INIT;
			c->in_flight++;
			if (ike_initiate(c->ctx, name, now_ms()) != 0) {
				s->state = CH_FAILED;
				c->in_flight--;
			}
			nxt++;
		}
		step(c, 10);
		/* a set-up that failed before its child came up sends no event we
		 * can map to it: it times out */
		now = now_us();
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
	t1 = now_us();
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
	qsort(lat, n_lat, sizeof(*lat), cmp_u64);
	secs = (double)(t1 - t0) / 1e6;
	printf("LOAD setups=%lu failed=%lu secs=%.3f rate=%.1f window=%u lat_p50_ms=%.2f "
	       "lat_p90_ms=%.2f lat_p99_ms=%.2f lat_max_ms=%.2f resp_cpu_s=%.2f "
	       "resp_main_cpu_s=%.2f\n", c->setups, c->failed, secs,
	       secs > 0 ? (double)c->setups / secs : 0.0, c->window, pct_ms(lat, n_lat, 50),
	       pct_ms(lat, n_lat, 90), pct_ms(lat, n_lat, 99), pct_ms(lat, n_lat, 100),
	       cpu_diff(m0.proc, m1.proc), cpu_diff(m0.main, m1.main));
	fflush(stdout);
	free(lat);

	/* Delete everything, so the responder ends where it started. */
	cpu_mark(c, &m0);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		struct ch_slot *s = &c->slot[i];

		if (s->state == CH_UP && ike_terminate_ike(c->ctx, s->ike_sa_id, now_ms()) == 0)
			s->state = CH_DELETING;
	}
	run(c, 60000, all_deleted);
	t1 = now_us();
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

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --gw ADDR --src ADDR[,ADDR...] --psk PSK --gw-id FQDN\n"
		"  [--total N] [--batch N] [--forget PCT] [--ike PROP] [--esp PROP]\n"
		"  [--remote-ts CIDR] [--batch-timeout S] [--prefix P] [--stop-mid] [-v]\n"
		"  [--load [--window N] [--cpu-pid PID]] [--cert-dir DIR]\n", prog);
}

static int
parse_srcs(struct churn *c, const char *list)
{
	char buf[1024], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (c->n_src == CH_MAX_SRC)
			return -ENOSPC;
		memset(&c->src[c->n_src], 0, sizeof(c->src[0]));
		c->src[c->n_src].sin_family = AF_INET;
		if (inet_pton(AF_INET, tok, &c->src[c->n_src].sin_addr) != 1)
			return -EINVAL;
		c->n_src++;
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
	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;

		if (!strcmp(a, "-v")) {
			c.log_level = IKE_LOG_DEBUG;
			continue;
		}
		if (!strcmp(a, "--stop-mid")) {
			c.stop_mid = true;
			continue;
		}
		if (!strcmp(a, "--load")) {
			c.load = true;
			continue;
		}
		if (v == NULL) {
			usage(argv[0]);
			return 2;
		}
		k++;
		if (!strcmp(a, "--gw")) {
			gw->sin_family = AF_INET;
			gw->sin_port = htons(500);
			if (inet_pton(AF_INET, v, &gw->sin_addr) != 1)
				goto bad;
		} else if (!strcmp(a, "--src")) {
			if (parse_srcs(&c, v) != 0)
				goto bad;
		} else if (!strcmp(a, "--psk")) {
			c.psk = v;
		} else if (!strcmp(a, "--gw-id")) {
			c.gw_id = v;
		} else if (!strcmp(a, "--total")) {
			c.total = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--batch")) {
			c.batch = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--forget")) {
			c.forget_pct = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--ike")) {
			c.ike = v;
		} else if (!strcmp(a, "--esp")) {
			c.esp = v;
		} else if (!strcmp(a, "--remote-ts")) {
			c.remote_ts = v;
		} else if (!strcmp(a, "--batch-timeout")) {
			c.batch_timeout_s = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--prefix")) {
			c.prefix = v;
		} else if (!strcmp(a, "--window")) {
			c.window = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--cpu-pid")) {
			c.cpu_pid = atoi(v);
		} else if (!strcmp(a, "--cert-dir")) {
			c.cert_dir = v;
		} else {
			goto bad;
		}
	}
	if (gw->sin_family != AF_INET || c.n_src == 0 || (c.psk == NULL && c.cert_dir == NULL) ||
	    c.gw_id == NULL || c.batch == 0 || c.batch > CH_MAX_BATCH || c.forget_pct > 100 ||
	    (c.load && (c.total == 0 || c.total > CH_MAX_LOAD || c.window == 0 || c.stop_mid)))
		goto bad;
	c.slot = calloc(c.load ? c.total : CH_MAX_BATCH, sizeof(*c.slot));
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
	if (c.load) {
		if (load_run(&c) != 0)
			return 1;
		run(&c, 200, never);
		return c.failed == 0 && c.delete_timeouts == 0 ? 0 : 1;
	}
	t0 = now_ms();
	while (done < c.total) {
		unsigned n = c.total - done < c.batch ? (unsigned)(c.total - done) : c.batch;

		if (one_batch(&c, n, done) != 0)
			return 1;
		done += n;
		if (++batches % 10 == 0) {
			printf("PROGRESS done=%lu setups=%lu failed=%lu secs=%.1f\n", done, c.setups,
			       c.failed, (double)(now_ms() - t0) / 1000);
			fflush(stdout);
		}
	}
	/* Answer stray retransmits a moment longer (nothing is left to answer them
	 * with: the sockets just drain), so the gateway's last Deletes complete. */
	run(&c, 200, never);
	secs = (double)(now_ms() - t0) / 1000;
	printf("RESULT setups=%lu failed=%lu deleted=%lu forgotten=%lu delete_timeouts=%lu "
	       "secs=%.1f rate=%.1f\n", c.setups, c.failed, c.deleted, c.forgotten,
	       c.delete_timeouts, secs, secs > 0 ? (double)c.setups / secs : 0.0);
	fflush(stdout);
	return c.failed == 0 && c.delete_timeouts == 0 ? 0 : 1;
bad:
	usage(argv[0]);
	return 2;
}
