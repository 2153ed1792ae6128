/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_driver: runs lib/ike (ike.h) over Linux UDP sockets, for the interop
 * tests against strongSwan in tests/interop/ike. Test tool only.
 *
 * It binds UDP 500 and 4500 on one local address (IPv4 or IPv6), strips the
 * 4-byte non-ESP marker on 4500 (ESP, i.e. a non-zero marker, and 1-byte NAT
 * keepalives are dropped: there is no datapath here), learns the local
 * address of each datagram through IP_PKTINFO / IPV6_PKTINFO and drives the
 * library's timers with poll() on CLOCK_MONOTONIC milliseconds.
 *
 * Usage: ike_driver [--print-keys] CONFIG
 *   CONFIG: key=value lines (see parse_line()); '#' starts a comment.
 *   stdin: one command per line: initiate [CONN] | rekey-child [ID] |
 *          rekey-ike [ID] | terminate [ID] | expire-child [ID] |
 *          expire-child-hard [ID] | shutdown | list | stats | quit
 *          (without ID: the newest child / IKE SA).
 *   stdout: one line per event or command result, "KEY=VALUE" fields:
 *          READY, EV IKE_UP, EV IKE_DOWN, EV CHILD_UP, EV CHILD_DOWN,
 *          SA (IKE SA listing, after each change), CHILD, OK, ERR, STATS,
 *          IKEKEY (with --print-keys).
 *   stderr: the library's log lines.
 *
 * --print-keys adds the child SA keys (hex) to EV CHILD_UP and prints the IKE
 * SA keys (IKEKEY lines, through ike_ctx_set_key_hook). It exists only so
 * the test can prove that both peers derived the same keys (compared with the
 * keys charon logs at ike=4/chd=4); the SAs are throwaway test SAs and no
 * production code prints keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "perf_common.h"

enum drv_limits {
	DRV_MAX_SEEN = 256,		/* IKE SAs we remember for SA lines */
	DRV_BUF = 65536,
};

struct drv {
	struct ike_ctx *ctx;
	struct ike_conn_cfg conn;
	struct ike_ctx_cfg cfg;
	int af;
	int fd500, fd4500;
	bool print_keys;
	bool quit;
	bool sa_dirty;		/* an IKE event happened: print SA lines */
	uint64_t last_child, last_ike;
	int log_level;
};

static const char *
addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	uint8_t af, bytes[16];
	uint16_t port;

	ike_addr_split(sa, &af, bytes, &port);
	if (af == 0) {
		snprintf(buf, len, "any");
		return buf;
	}
	inet_ntop(af == 4 ? AF_INET : AF_INET6, bytes, a, sizeof(a));
	snprintf(buf, len, "%s[%u]", a, port);
	return buf;
}

static unsigned
sa_port(const struct sockaddr *sa)
{
	uint8_t af, a[16];
	uint16_t port;

	ike_addr_split(sa, &af, a, &port);	/* 0 for another family */
	return port;
}

static void
hex_print(FILE *f, const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, " %s=", name);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	if (n == 0)
		fputc('-', f);
}

/* Prefix length if [s, e] is exactly one CIDR block, else -1. */
static int
range_prefix(const uint8_t *s, const uint8_t *e, unsigned nbytes)
{
	unsigned bit, nbits = nbytes * 8;
	int plen = -1;

	for (bit = 0; bit < nbits; bit++) {
		unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
		bool sb = s[byte] & mask, eb = e[byte] & mask;

		if (plen < 0) {
			if (sb == eb)
				continue;
			plen = (int)bit;
		}
		if (sb || !eb)
			return -1;
	}
	return plen < 0 ? (int)nbits : plen;
}

static void
ts_print(FILE *f, const char *name, const struct ike_ts *ts, unsigned n)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned i;

	fprintf(f, " %s=", name);
	if (n == 0)
		fputc('-', f);
	for (i = 0; i < n; i++) {
		int fam = ts[i].af == 6 ? AF_INET6 : AF_INET;
		int plen = range_prefix(ts[i].saddr, ts[i].eaddr, ts[i].af == 6 ? 16 : 4);

		inet_ntop(fam, ts[i].saddr, a, sizeof(a));
		inet_ntop(fam, ts[i].eaddr, b, sizeof(b));
		if (i)
			fputc(',', f);
		if (plen >= 0)
			fprintf(f, "%s/%d", a, plen);
		else
			fprintf(f, "%s-%s", a, b);
		if (ts[i].proto || ts[i].sport != 0 || ts[i].eport != 65535)
			fprintf(f, "[%u/%u-%u]", ts[i].proto, ts[i].sport, ts[i].eport);
	}
}

/* ---- ike_ops callbacks ---- */

static int
op_send(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	const struct sockaddr *to)
{
	struct drv *d = user;
	socklen_t tolen = to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						      : sizeof(struct sockaddr_in);
	bool natt = sa_port(from) == 4500 || (from->sa_family == AF_UNSPEC && sa_port(to) == 4500);
	int rc;

	if (to->sa_family != d->af)
		return -EAFNOSUPPORT;
	rc = perf_ike_sendto(natt ? d->fd4500 : d->fd500, natt, buf, len, to, tolen);
	if (rc < 0) {
		char t[80];

		fprintf(stderr, "send to %s: %s\n", addr_str(to, t, sizeof(t)), strerror(-rc));
	}
	return rc;
}

static void
op_event(void *user, const struct ike_event *ev)
{
	struct drv *d = user;
	const struct ike_child_sa *c = ev->child;
	char l[80], r[80];
	unsigned salt;

	switch (ev->type) {
	case IKE_EV_IKE_UP:
		printf("EV IKE_UP ike=%" PRIu64 "\n", ev->ike_sa_id);
		d->last_ike = ev->ike_sa_id;
		break;
	case IKE_EV_IKE_DOWN:
		printf("EV IKE_DOWN ike=%" PRIu64 "\n", ev->ike_sa_id);
		break;
	case IKE_EV_CHILD_UP:
	case IKE_EV_CHILD_DOWN:
		if (!c) {
			printf("EV %s ike=%" PRIu64 " child=none\n",
			       ev->type == IKE_EV_CHILD_UP ? "CHILD_UP" : "CHILD_DOWN",
			       ev->ike_sa_id);
			break;
		}
		printf("EV %s child=%" PRIu64 " rekey_of=%" PRIu64 " ike=%" PRIu64
		       " conn=%s spi_in=%08x spi_out=%08x enc=%u enc_key_len=%u integ=%u"
		       " integ_key_len=%u esn=%d natt=%d local=%s remote=%s",
		       ev->type == IKE_EV_CHILD_UP ? "CHILD_UP" : "CHILD_DOWN",
		       c->id, c->rekey_of, c->ike_sa_id, c->conn, c->spi_in, c->spi_out,
		       c->enc, c->enc_key_len, c->integ, c->integ_key_len, c->esn, c->natt,
		       addr_str((const struct sockaddr *)&c->local, l, sizeof(l)),
		       addr_str((const struct sockaddr *)&c->remote, r, sizeof(r)));
		ts_print(stdout, "lts", c->local_ts, c->n_local_ts);
		ts_print(stdout, "rts", c->remote_ts, c->n_remote_ts);
		/* Test only, see the file header: keys of throwaway SAs. */
		if (d->print_keys && ev->type == IKE_EV_CHILD_UP) {
			/* AES-GCM (RFC 4106): 4-byte salt after the key. */
			salt = (c->enc >= 18 && c->enc <= 20) ? 4 : 0;
			if (c->enc_key_len + salt <= IKE_MAX_KEY_LEN) {
				hex_print(stdout, "key_in", c->key_in, c->enc_key_len + salt);
				hex_print(stdout, "key_out", c->key_out, c->enc_key_len + salt);
			}
			if (c->integ_key_len <= IKE_MAX_KEY_LEN) {
				hex_print(stdout, "integ_in", c->integ_in, c->integ_key_len);
				hex_print(stdout, "integ_out", c->integ_out, c->integ_key_len);
			}
		}
		putchar('\n');
		if (ev->type == IKE_EV_CHILD_UP)
			d->last_child = c->id;
		break;
	default:
		printf("EV UNKNOWN type=%u ike=%" PRIu64 "\n", ev->type, ev->ike_sa_id);
		break;
	}
	d->sa_dirty = true;
	fflush(stdout);
}

static void
op_log(void *user, int level, const char *msg)
{
	struct drv *d = user;

	perf_ike_log(level, d->log_level, msg);
}

/* Test only, see the file header: IKE SA keys (SK_*) for the key check. */
static void
op_key(void *user, uint64_t ike_sa_id, uint64_t spi_i, uint64_t spi_r, const char *name,
       const uint8_t *key, size_t len)
{
	(void)user;
	printf("IKEKEY ike=%" PRIu64 " spi_i=%016" PRIx64 " spi_r=%016" PRIx64 " name=%s",
	       ike_sa_id, spi_i, spi_r, name);
	hex_print(stdout, "key", key, len);
	putchar('\n');
	fflush(stdout);
}

/* ---- listings ---- */

static int
print_sa(void *arg, const struct ike_sa_info *i)
{
	char l[80], r[80], v[INET6_ADDRSTRLEN] = "-";

	(void)arg;
	if (i->vip_af == 4)
		inet_ntop(AF_INET, i->vip, v, sizeof(v));
	else if (i->vip_af == 6)
		inet_ntop(AF_INET6, i->vip, v, sizeof(v));
	printf("SA ike=%" PRIu64 " spi_i=%016" PRIx64 " spi_r=%016" PRIx64
	       " conn=%s state=%s initiator=%d local=%s remote=%s vip=%s children=%u\n",
	       i->id, i->spi_i, i->spi_r, i->conn, i->state ? i->state : "?", i->initiator,
	       addr_str((const struct sockaddr *)&i->local, l, sizeof(l)),
	       addr_str((const struct sockaddr *)&i->remote, r, sizeof(r)), v, i->n_children);
	return 0;
}

static int
print_child(void *arg, const struct ike_child_info *i)
{
	(void)arg;
	printf("CHILD child=%" PRIu64 " ike=%" PRIu64 " spi_in=%08x spi_out=%08x enc=%u"
	       " enc_key_len=%u integ=%u esn=%d natt=%d\n",
	       i->id, i->ike_sa_id, i->spi_in, i->spi_out, i->enc, i->enc_key_len, i->integ,
	       i->esn, i->natt);
	return 0;
}

static void
list_all(struct drv *d)
{
	ike_foreach_sa(d->ctx, print_sa, NULL);
	ike_foreach_child(d->ctx, print_child, NULL);
	printf("END\n");
	fflush(stdout);
}

/* ---- config ---- */

static int
parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	uint8_t a[16];

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(s, "any") || !*s) {
		ss->ss_family = AF_UNSPEC;
		return 0;
	}
	if (inet_pton(AF_INET, s, a) == 1) {
		ike_addr_make(ss, 4, a, port);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		ike_addr_make(ss, 6, a, port);
		return 0;
	}
	return -EINVAL;
}

static int
parse_id(const char *s, struct ike_id *id)
{
	const char *v = strchr(s, ':');
	size_t n;

	memset(id, 0, sizeof(*id));
	if (!strcmp(s, "any")) {
		id->type = IKE_ID_ANY;
		return 0;
	}
	if (!v)
		return -EINVAL;
	v++;
	n = strlen(v);
	if (!strncmp(s, "fqdn:", 5) || !strncmp(s, "email:", 6)) {
		if (n > IKE_MAX_ID_LEN)
			return -EINVAL;
		id->type = s[0] == 'f' ? IKE_ID_FQDN : IKE_ID_RFC822_ADDR;
		memcpy(id->data, v, n);
		id->len = (uint16_t)n;
		return 0;
	}
	if (!strncmp(s, "ipv4:", 5) && inet_pton(AF_INET, v, id->data) == 1) {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (!strncmp(s, "ipv6:", 5) && inet_pton(AF_INET6, v, id->data) == 1) {
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	return -EINVAL;
}

/* "A.B.C.D/LEN" or "X::/LEN" -> one range selector, any protocol and port. */
static int
parse_ts(const char *s, struct ike_ts *ts)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned plen, nbytes, bit;
	int fam;

	memset(ts, 0, sizeof(*ts));
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, ts->saddr) == 1) {
		fam = 4;
		nbytes = 4;
	} else if (inet_pton(AF_INET6, buf, ts->saddr) == 1) {
		fam = 6;
		nbytes = 16;
	} else {
		return -EINVAL;
	}
	plen = slash ? (unsigned)atoi(slash) : nbytes * 8;
	if (plen > nbytes * 8)
		return -EINVAL;
	memcpy(ts->eaddr, ts->saddr, nbytes);
	for (bit = plen; bit < nbytes * 8; bit++) {
		ts->saddr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
		ts->eaddr[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	ts->af = (uint8_t)fam;
	ts->proto = 0;
	ts->sport = 0;
	ts->eport = 65535;
	return 0;
}

/* "FIRST,SIZE", e.g. "10.3.0.1,100" */
static int
parse_pool(const char *s, struct ike_pool_cfg *p)
{
	char buf[INET6_ADDRSTRLEN + 16], *comma;

	snprintf(buf, sizeof(buf), "%s", s);
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma++ = '\0';
	p->size = (uint32_t)strtoul(comma, NULL, 10);
	if (inet_pton(AF_INET, buf, p->first) == 1)
		p->af = 4;
	else if (inet_pton(AF_INET6, buf, p->first) == 1)
		p->af = 6;
	else
		return -EINVAL;
	return 0;
}

static bool
yes(const char *v)
{
	return !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "true");
}

static int
copy_str(char *dst, size_t len, const char *v)
{
	if (strlen(v) >= len)
		return -ENAMETOOLONG;
	snprintf(dst, len, "%s", v);
	return 0;
}

static int
parse_line(struct drv *d, const char *k, const char *v)
{
	struct ike_conn_cfg *c = &d->conn;

	if (!strcmp(k, "name"))
		return copy_str(c->name, sizeof(c->name), v);
	if (!strcmp(k, "local"))
		return parse_addr(v, 500, &c->local);
	if (!strcmp(k, "remote"))
		return parse_addr(v, 500, &c->remote);
	if (!strcmp(k, "local_id"))
		return parse_id(v, &c->local_id);
	if (!strcmp(k, "remote_id"))
		return parse_id(v, &c->remote_id);
	if (!strcmp(k, "auth") || !strcmp(k, "remote_auth")) {
		uint8_t m = !strcmp(v, "psk") ? IKE_AUTHM_PSK :
			    !strcmp(v, "pubkey") ? IKE_AUTHM_PUBKEY : 0;

		if (!m)
			return -EINVAL;
		if (k[0] == 'a')
			c->auth = m;
		else
			c->remote_auth = m;
		return 0;
	}
	if (!strcmp(k, "psk")) {
		if (strlen(v) > IKE_MAX_PSK_LEN)
			return -EINVAL;
		memcpy(c->psk, v, strlen(v));
		c->psk_len = strlen(v);
		return 0;
	}
	if (!strcmp(k, "cert"))
		return copy_str(c->cert_file, sizeof(c->cert_file), v);
	if (!strcmp(k, "key"))
		return copy_str(c->key_file, sizeof(c->key_file), v);
	if (!strcmp(k, "ca"))
		return copy_str(c->ca_file, sizeof(c->ca_file), v);
	if (!strcmp(k, "ike")) {
		if (c->n_ike_proposals >= IKE_MAX_PROPOSALS)
			return -ENOSPC;
		return copy_str(c->ike_proposals[c->n_ike_proposals++],
				sizeof(c->ike_proposals[0]), v);
	}
	if (!strcmp(k, "esp")) {
		if (c->n_esp_proposals >= IKE_MAX_PROPOSALS)
			return -ENOSPC;
		return copy_str(c->esp_proposals[c->n_esp_proposals++],
				sizeof(c->esp_proposals[0]), v);
	}
	if (!strcmp(k, "local_ts")) {
		if (c->n_local_ts >= IKE_MAX_TS)
			return -ENOSPC;
		return parse_ts(v, &c->local_ts[c->n_local_ts++]);
	}
	if (!strcmp(k, "remote_ts")) {
		if (c->n_remote_ts >= IKE_MAX_TS)
			return -ENOSPC;
		return parse_ts(v, &c->remote_ts[c->n_remote_ts++]);
	}
	if (!strcmp(k, "pool"))
		return parse_pool(v, &c->pool);
	if (!strcmp(k, "dns")) {
		struct ike_pool_cfg *p = &c->pool;

		if (p->n_dns >= IKE_MAX_DNS)
			return -ENOSPC;
		if (inet_pton(AF_INET, v, p->dns[p->n_dns]) == 1)
			p->dns_af[p->n_dns++] = 4;
		else if (inet_pton(AF_INET6, v, p->dns[p->n_dns]) == 1)
			p->dns_af[p->n_dns++] = 6;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "ike_lifetime"))
		c->ike_lifetime_s = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "child_lifetime"))
		c->child_lifetime_s = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "dpd"))
		c->dpd_s = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "replay_window"))
		c->replay_window = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "initiate"))
		c->initiate = yes(v);
	else if (!strcmp(k, "request_vip"))
		c->request_vip = yes(v);
	else if (!strcmp(k, "retransmit_base_ms"))
		d->cfg.retransmit_base_ms = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "retransmit_tries"))
		d->cfg.retransmit_tries = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(k, "cookie_threshold"))
		d->cfg.cookie_threshold = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(k, "window_size"))
		d->cfg.window_size = (uint16_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "nat_keepalive"))
		d->cfg.nat_keepalive_s = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "log_level"))
		d->log_level = atoi(v);
	else
		return -ENOENT;
	return 0;
}

static int
load_config(struct drv *d, const char *path)
{
	char line[1024];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;
		int rc;

		lineno++;
		k += strspn(k, " \t");
		e = k + strcspn(k, "#\r\n");
		*e = '\0';
		while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*k)
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "%s:%u: expected key=value\n", path, lineno);
			fclose(f);
			return -1;
		}
		*v++ = '\0';
		e = v - 1;
		while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		v += strspn(v, " \t");
		rc = parse_line(d, k, v);
		if (rc < 0) {
			fprintf(stderr, "%s:%u: %s=%s: %s\n", path, lineno, k, v, strerror(-rc));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (d->conn.local.ss_family != AF_INET && d->conn.local.ss_family != AF_INET6) {
		fprintf(stderr, "%s: local address required\n", path);
		return -1;
	}
	d->af = d->conn.local.ss_family;
	return 0;
}

/* ---- sockets ---- */

static int
open_udp(struct drv *d, uint16_t port)
{
	struct sockaddr_storage ss = d->conn.local;
	socklen_t len = d->af == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd, one = 1;

	if (d->af == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	fd = socket(d->af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (d->af == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	return fd;
fail:
	one = -errno;
	close(fd);
	return one;
}

static void
rx(struct drv *d, int fd, uint16_t port)
{
	static uint8_t buf[DRV_BUF];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	} cbuf;

	for (;;) {
		struct sockaddr_storage from, to;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
		};
		struct cmsghdr *cm;
		const uint8_t *p = buf;
		ssize_t n = recvmsg(fd, &mh, 0);
		size_t len;
		int rc;

		if (n < 0)
			return;
		len = (size_t)n;
		/* The local address: bound address, refined by PKTINFO. */
		to = d->conn.local;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				((struct sockaddr_in *)&to)->sin_addr = pi.ipi_addr;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi6;

				memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
				((struct sockaddr_in6 *)&to)->sin6_addr = pi6.ipi6_addr;
			}
		}
		if (to.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&to)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&to)->sin_port = htons(port);
		if (port == 4500) {
			/* RFC 3948: 0xFF keepalive; non-zero marker = ESP (no datapath). */
			if (len == 1 && buf[0] == 0xff)
				continue;
			if (len < 4 || buf[0] || buf[1] || buf[2] || buf[3])
				continue;
			p += 4;
			len -= 4;
		}
		rc = ike_input(d->ctx, p, len, (struct sockaddr *)&from, (struct sockaddr *)&to,
			       perf_now_ms());
		if (rc < 0 && d->log_level >= IKE_LOG_DEBUG)
			fprintf(stderr, "ike_input: %s\n", ike_strerror(rc));
	}
}

/* ---- commands ---- */

/* Default targets: the newest live SA (after a rekey collision the child or
 * IKE SA we created last may be the one that was deleted). */
static int
newest_child(void *arg, const struct ike_child_info *i)
{
	uint64_t *id = arg;

	if (i->id > *id)
		*id = i->id;
	return 0;
}

static int
newest_sa(void *arg, const struct ike_sa_info *i)
{
	uint64_t *id = arg;

	if (i->id > *id && i->state && !strcmp(i->state, "ESTABLISHED"))
		*id = i->id;
	return 0;
}

static uint64_t
default_child(struct drv *d)
{
	uint64_t id = 0;

	ike_foreach_child(d->ctx, newest_child, &id);
	return id ? id : d->last_child;
}

static uint64_t
default_sa(struct drv *d)
{
	uint64_t id = 0;

	ike_foreach_sa(d->ctx, newest_sa, &id);
	return id ? id : d->last_ike;
}

static void
command(struct drv *d, char *line)
{
	char cmd[32] = "", arg[128] = "";
	uint64_t id;
	int rc = 0;

	if (sscanf(line, "%31s %127s", cmd, arg) < 1)
		return;
	if (!strcmp(cmd, "initiate")) {
		rc = ike_initiate(d->ctx, arg[0] ? arg : d->conn.name, perf_now_ms());
	} else if (!strcmp(cmd, "rekey-child")) {
		id = arg[0] ? strtoull(arg, NULL, 10) : default_child(d);
		rc = ike_rekey_child(d->ctx, id, perf_now_ms());
	} else if (!strcmp(cmd, "rekey-ike")) {
		id = arg[0] ? strtoull(arg, NULL, 10) : default_sa(d);
		rc = ike_rekey_ike(d->ctx, id, perf_now_ms());
	} else if (!strcmp(cmd, "terminate")) {
		id = arg[0] ? strtoull(arg, NULL, 10) : default_sa(d);
		rc = ike_terminate_ike(d->ctx, id, perf_now_ms());
	} else if (!strcmp(cmd, "expire-child") || !strcmp(cmd, "expire-child-hard")) {
		/* what the datapath reports at a soft (rekey) or hard (delete) limit */
		id = arg[0] ? strtoull(arg, NULL, 10) : default_child(d);
		rc = ike_child_expired(d->ctx, id, strcmp(cmd, "expire-child") != 0, perf_now_ms());
	} else if (!strcmp(cmd, "list")) {
		list_all(d);
		return;
	} else if (!strcmp(cmd, "stats")) {
		struct ike_stats st;

		ike_stats_get(d->ctx, &st);
		printf("STATS rx=%" PRIu64 " tx=%" PRIu64 " rx_invalid=%" PRIu64
		       " rx_dropped=%" PRIu64 " retransmits=%" PRIu64 " ike_up=%" PRIu64
		       " ike_down=%" PRIu64 " child_up=%" PRIu64 " child_down=%" PRIu64
		       " auth_failed=%" PRIu64 " no_proposal=%" PRIu64 " half_open=%" PRIu64
		       " resend_refused=%" PRIu64 " resend_limited=%" PRIu64
		       " frag_preauth_refused=%" PRIu64 " frag_mem_refused=%" PRIu64 "\n",
		       st.rx, st.tx, st.rx_invalid, st.rx_dropped, st.retransmits, st.ike_up,
		       st.ike_down, st.child_up, st.child_down, st.auth_failed, st.no_proposal,
		       st.half_open, st.resend_refused, st.resend_limited, st.frag_preauth_refused,
		       st.frag_mem_refused);
		fflush(stdout);
		return;
	} else if (!strcmp(cmd, "shutdown")) {
		ike_shutdown(d->ctx, perf_now_ms());
	} else if (!strcmp(cmd, "quit")) {
		d->quit = true;
	} else {
		rc = -EINVAL;
	}
	if (rc < 0)
		printf("ERR %s rc=%d %s\n", cmd, rc, ike_strerror(rc));
	else
		printf("OK %s\n", cmd);
	fflush(stdout);
}

static void
read_stdin(struct drv *d)
{
	static char buf[4096];
	static size_t have;
	ssize_t n = read(STDIN_FILENO, buf + have, sizeof(buf) - 1 - have);
	char *nl;

	if (n <= 0) {
		d->quit = true;	/* harness closed stdin: stop */
		return;
	}
	have += (size_t)n;
	buf[have] = '\0';
	while ((nl = strchr(buf, '\n'))) {
		*nl = '\0';
		command(d, buf);
		memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
		have -= (size_t)(nl + 1 - buf);
	}
	if (have == sizeof(buf) - 1)
		have = 0;	/* overlong line: drop */
}

int
main(int argc, char **argv)
{
	static struct drv d;
	const char *conf = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--print-keys"))
			d.print_keys = true;
		else if (!strcmp(argv[i], "-v"))
			d.log_level = IKE_LOG_DEBUG;
		else
			conf = argv[i];
	}
	if (!conf) {
		fprintf(stderr, "usage: %s [--print-keys] [-v] CONFIG\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	d.log_level = d.log_level ? d.log_level : IKE_LOG_INFO;
	d.cfg.window_size = 1;
	d.cfg.cookie_threshold = 50;
	d.cfg.half_open_max = 200;
	if (load_config(&d, conf) < 0)
		return 2;
	d.fd500 = open_udp(&d, 500);
	d.fd4500 = open_udp(&d, 4500);
	if (d.fd500 < 0 || d.fd4500 < 0) {
		fprintf(stderr, "bind: %s\n", strerror(-(d.fd500 < 0 ? d.fd500 : d.fd4500)));
		return 1;
	}
	d.cfg.conns = &d.conn;
	d.cfg.n_conns = 1;
	d.cfg.ops.send = op_send;
	d.cfg.ops.event = op_event;
	d.cfg.ops.log = op_log;
	d.cfg.user = &d;
	rc = ike_ctx_create(&d.cfg, &d.ctx);
	if (rc < 0) {
		fprintf(stderr, "ike_ctx_create: %s\n", ike_strerror(rc));
		return 1;
	}
	if (d.print_keys)
		ike_ctx_set_key_hook(d.ctx, op_key, &d);
	printf("READY\n");
	fflush(stdout);
	if (d.conn.initiate) {
		rc = ike_initiate(d.ctx, d.conn.name, perf_now_ms());
		printf("%s initiate rc=%d\n", rc < 0 ? "ERR" : "OK", rc);
		fflush(stdout);
	}
	while (!d.quit) {
		struct pollfd pfd[3] = {
			{ .fd = d.fd500, .events = POLLIN },
			{ .fd = d.fd4500, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		uint64_t t = ike_next_timeout_ms(d.ctx, perf_now_ms());
		int to = t > 1000 ? 1000 : (int)t;

		if (poll(pfd, 3, to) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			rx(&d, d.fd500, 500);
		if (pfd[1].revents & POLLIN)
			rx(&d, d.fd4500, 4500);
		if (pfd[2].revents & (POLLIN | POLLHUP))
			read_stdin(&d);
		ike_tick(d.ctx, perf_now_ms());
		if (d.sa_dirty) {
			d.sa_dirty = false;
			list_all(&d);
		}
	}
	ike_ctx_destroy(d.ctx);
	close(d.fd500);
	close(d.fd4500);
	return 0;
}
