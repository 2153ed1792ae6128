/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAP back end of lib/ike (ops.eap): each EAP message of a peer goes to
 * a RADIUS server in an Access-Request (RFC 3579 passthrough) and the answer
 * comes back through ike_eap_done(). Runs on the control core only and
 * never blocks: one non-blocking, connected UDP socket per configured
 * server, drained by rd_radius_poll() from the control loop, which also
 * retransmits after the timeout and fails over to the next server when a
 * server has used up its tries.
 *
 * Why not radcli: its send path (rc_aaa, rc_send_server) waits for the
 * answer inside the call, retransmitting by itself; it offers no way to
 * hand the control loop a socket and feed it the answer later, and the
 * control core must never wait on a network peer. The packet code here is
 * small (rd_radius.c) and unit-tested against RFC 2865/3579 facts.
 *
 * One slot per EAP conversation; the slot index is the RADIUS Identifier
 * (so at most RD_RADIUS_SLOTS conversations at once: more are refused and
 * counted). A conversation keeps its User-Name and State between rounds.
 * Secrets and MSKs are wiped; nothing of EAP or RADIUS contents is logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rampartd.h"
#include "rd_idmap.h"
#include "rd_radius.h"
#include "sa_mgr.h"

enum {
	RD_RADIUS_SLOTS = 256,		/* the Identifier space of one server socket */
	RD_RADIUS_RX_BURST = 32,
	RD_RADIUS_IDLE_MS = 120000,	/* a peer silent this long between rounds */
	RD_ACCT_SLOTS = 256,		/* Accounting-Requests in flight */
	RD_ACCT_PKT = 1024,
	RD_ACCT_SCAN_MS = 1000,		/* interims, Session-Timeout, stale sessions */
	RD_ACCT_UNSTARTED_MS = 120000,	/* accepted but no child this long: dropped */
};

/*
 * One authenticated user session (from Access-Accept to IKE_DOWN): what
 * accounting and Session-Timeout need. Found by IKE SA id through an
 * rd_idmap; after an IKE rekey the session follows the new SA and keeps
 * the previous id as well (children installed before the rekey still carry
 * it).
 */
struct acct_sess {
	uint64_t ike_sa_id, prev_id;
	uint64_t accept_ms, start_ms, next_interim_ms;
	uint64_t in_octets, out_octets, in_packets, out_packets;	/* children gone */
	uint32_t session_timeout_s;
	uint32_t cause;			/* set before we end it (Session-Timeout) */
	bool started, has_framed_ip;
	uint8_t framed_ip[4];
	char sid[40];			/* Acct-Session-Id */
	uint8_t user[RD_RADIUS_MAX_USER];
	size_t user_len;
	uint8_t class_[253];
	size_t class_len;
	/* live children's counters, filled by sum_live() */
	uint64_t live_in_o, live_out_o, live_in_p, live_out_p;
};

struct acct_req {
	bool used;
	unsigned server, tries;
	uint64_t deadline_ms;
	uint8_t auth[16];
	uint8_t pkt[RD_ACCT_PKT];
	size_t pkt_len;
};

struct rad_slot {
	bool used, pending;
	uint64_t ike_sa_id;
	uint8_t user[RD_RADIUS_MAX_USER];
	size_t user_len;
	uint8_t state[RD_RADIUS_MAX_STATE];
	size_t state_len;
	uint8_t eap[RD_RADIUS_MAX_EAP];	/* the EAP message in flight (failover) */
	size_t eap_len;
	unsigned server;		/* index it was last sent to */
	unsigned tries;			/* sends to that server */
	uint64_t deadline_ms;
	uint8_t auth[16];		/* Request Authenticator in flight */
	uint8_t pkt[RD_RADIUS_MAX_PKT];
	size_t pkt_len;
};

static struct {
	struct conf_radius cfg;		/* a copy: a reload frees rd.conf */
	int fd[CONF_MAX_RADIUS];
	struct rad_slot *slots;
	uint64_t next_scan_ms;
	struct rd_radius_stats st;
	/* accounting and sessions */
	int acct_fd[CONF_MAX_RADIUS];
	struct acct_req *acct;		/* RD_ACCT_SLOTS; index = Identifier */
	unsigned acct_next_id;
	struct acct_sess *sess;		/* packed [0, n_sess) */
	unsigned n_sess, cap_sess, max_sess;
	struct rd_idmap sess_idx;	/* IKE SA id (and previous id) -> sess[] */
	uint64_t next_acct_scan_ms;
	uint32_t boot;			/* Acct-Session-Id prefix: start time */
} rad = { .fd = { -1, -1, -1, -1 }, .acct_fd = { -1, -1, -1, -1 } };

static void
slot_free(struct rad_slot *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

static int
server_socket(const struct conf_radius_server *sv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	ike_addr_make(&ss, sv->af, sv->addr, sv->port);
	sl = sv->af == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: only this server's datagrams reach the socket */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int
rd_radius_init(const struct conf_radius *cfg)
{
	unsigned i;
	int fd;

	rad.cfg = *cfg;
	if (cfg->n_servers == 0)
		return 0;
	rad.max_sess = rd.conf->max_tunnels > 0 ? rd.conf->max_tunnels : 1024;
	if (rd_idmap_init(&rad.sess_idx, 2 * rad.max_sess) < 0)
		return -ENOMEM;
	rad.boot = (uint32_t)time(NULL);
	if (cfg->n_acct_servers > 0) {
		rad.acct = calloc(RD_ACCT_SLOTS, sizeof(*rad.acct));
		if (rad.acct == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < cfg->n_acct_servers; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(cfg->acct_servers[i].af == 4 ? AF_INET : AF_INET6,
			  cfg->acct_servers[i].addr, a, sizeof(a));
		fd = server_socket(&cfg->acct_servers[i]);
		if (fd < 0) {
			RD_LOG(WARNING, "radius accounting server %s port %u: %s\n", a,
			       cfg->acct_servers[i].port, strerror(-fd));
			continue;
		}
		rad.acct_fd[i] = fd;
		RD_LOG(INFO, "radius accounting server %u: %s port %u, interim %u s\n", i, a,
		       cfg->acct_servers[i].port, cfg->interim_ms / 1000);
	}
	rad.slots = calloc(RD_RADIUS_SLOTS, sizeof(*rad.slots));
	if (rad.slots == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->n_servers; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(cfg->servers[i].af == 4 ? AF_INET : AF_INET6, cfg->servers[i].addr, a,
			  sizeof(a));
		fd = server_socket(&cfg->servers[i]);
		if (fd < 0) {
			/* no route yet is not fatal: sends fail and fail over */
			RD_LOG(WARNING, "radius server %s port %u: %s\n", a, cfg->servers[i].port,
			       strerror(-fd));
			continue;
		}
		rad.fd[i] = fd;
		RD_LOG(INFO, "radius server %u: %s port %u, timeout %u ms, %u retries\n", i, a,
		       cfg->servers[i].port, cfg->timeout_ms, cfg->retries);
	}
	return 0;
}

void
rd_radius_fini(void)
{
	unsigned i;

	for (i = 0; i < CONF_MAX_RADIUS; i++) {
		if (rad.fd[i] >= 0)
			close(rad.fd[i]);
		rad.fd[i] = -1;
		if (rad.acct_fd[i] >= 0)
			close(rad.acct_fd[i]);
		rad.acct_fd[i] = -1;
	}
	free(rad.acct);
	rad.acct = NULL;
	if (rad.sess != NULL)
		OPENSSL_cleanse(rad.sess, rad.cap_sess * sizeof(*rad.sess));
	free(rad.sess);
	rad.sess = NULL;
	rad.n_sess = rad.cap_sess = 0;
	rd_idmap_fini(&rad.sess_idx);
	if (rad.slots != NULL) {
		OPENSSL_cleanse(rad.slots, RD_RADIUS_SLOTS * sizeof(*rad.slots));
		free(rad.slots);
	}
	rad.slots = NULL;
	OPENSSL_cleanse(&rad.cfg, sizeof(rad.cfg));
}

void
rd_radius_stats_get(struct rd_radius_stats *st)
{
	*st = rad.st;
}

json_t *
rd_radius_stats_json(void)
{
	const struct rd_radius_stats *s = &rad.st;
	json_t *o = json_object();
	unsigned i, n = 0;

	for (i = 0; rad.slots != NULL && i < RD_RADIUS_SLOTS; i++)
		n += rad.slots[i].used;
#define J(f) json_object_set_new(o, #f, json_integer((json_int_t)s->f))
	J(requests);
	J(retransmits);
	J(timeouts);
	J(failovers);
	J(send_errors);
	J(accepts);
	J(rejects);
	J(challenges);
	J(bad_responses);
	J(unexpected);
	J(busy);
	J(framed_ips);
	J(acct_requests);
	J(acct_responses);
	J(acct_retransmits);
	J(acct_timeouts);
	J(acct_failovers);
	J(acct_dropped);
	J(acct_bad_responses);
	J(session_timeouts);
#undef J
	json_object_set_new(o, "sessions", json_integer((json_int_t)rad.n_sess));
	json_object_set_new(o, "servers", json_integer((json_int_t)rad.cfg.n_servers));
	json_object_set_new(o, "conversations", json_integer((json_int_t)n));
	return o;
}

/* Build the request for the slot's current server and send it. */
static int
slot_send(struct rad_slot *s, uint64_t now)
{
	const struct conf_radius_server *sv = &rad.cfg.servers[s->server];
	struct rd_radius_req r = {
		.id = (uint8_t)(s - rad.slots),
		.user = s->user, .user_len = s->user_len,
		.eap = s->eap, .eap_len = s->eap_len,
		.state = s->state, .state_len = s->state_len,
		.nas_id = rad.cfg.nas_id,
	};
	int rc;

	if (s->tries == 0) {
		if (RAND_bytes(s->auth, sizeof(s->auth)) != 1)
			return -EIO;
		memcpy(r.authenticator, s->auth, 16);
		rc = rd_radius_build_request(&r, sv->secret, sv->secret_len, s->pkt,
					     sizeof(s->pkt), &s->pkt_len);
		if (rc < 0)
			return rc;
	} else {
		rad.st.retransmits++;	/* RFC 2865 2.5: same ID and authenticator */
	}
	s->tries++;
	s->pending = true;
	s->deadline_ms = now + rad.cfg.timeout_ms;
	rad.st.requests++;
	if (rad.fd[s->server] < 0 || send(rad.fd[s->server], s->pkt, s->pkt_len, 0) < 0)
		rad.st.send_errors++;	/* the timeout retries or fails over */
	return 0;
}

static void sess_new(const struct rad_slot *s, const struct rd_radius_resp *r, uint64_t now);

static void
slot_finish(struct rad_slot *s, int status, const uint8_t *eap, size_t eap_len,
	    const uint8_t *msk, size_t msk_len, uint64_t now)
{
	int rc = ike_eap_done(rd.ike, s->ike_sa_id, status, eap, eap_len, msk, msk_len, now);

	s->pending = false;
	/* an idle conversation whose SA went away is freed after this */
	s->deadline_ms = now + RD_RADIUS_IDLE_MS;
	if (rc == -ENOENT || status != IKE_EAP_CONTINUE)
		slot_free(s);
}

int
rd_radius_eap(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
	      size_t eap_len)
{
	struct rad_slot *s = NULL, *free_slot = NULL;
	unsigned i;
	int rc;

	(void)user;
	(void)conn;
	if (rad.slots == NULL || rd.ike == NULL)
		return -EOPNOTSUPP;
	if (eap_len > RD_RADIUS_MAX_EAP)
		return -EMSGSIZE;
	for (i = 0; i < RD_RADIUS_SLOTS; i++) {
		if (rad.slots[i].used && rad.slots[i].ike_sa_id == ike_sa_id) {
			s = &rad.slots[i];
			break;
		}
		if (!rad.slots[i].used && free_slot == NULL)
			free_slot = &rad.slots[i];
	}
	if (s == NULL) {
		if (free_slot == NULL) {
			rad.st.busy++;
			return -EBUSY;
		}
		s = free_slot;
		s->used = true;
		s->ike_sa_id = ike_sa_id;
		s->server = 0;
		/* RFC 3579 2.1: User-Name from the EAP-Response/Identity */
		if (eap_len > 5 && eap[0] == 2 && eap[4] == 1) {
			s->user_len = eap_len - 5 > RD_RADIUS_MAX_USER ? RD_RADIUS_MAX_USER
								       : eap_len - 5;
			memcpy(s->user, eap + 5, s->user_len);
		}
	}
	if (s->pending)
		return -EBUSY;
	memcpy(s->eap, eap, eap_len);
	s->eap_len = eap_len;
	/* a conversation stays on the server that answered it: its State
	 * means nothing to another one */
	s->tries = 0;
	rc = slot_send(s, rd_now_ms());
	if (rc < 0)
		slot_free(s);
	return rc;
}

static void
on_response(unsigned server, const uint8_t *pkt, size_t len, uint64_t now)
{
	const struct conf_radius_server *sv = &rad.cfg.servers[server];
	struct rd_radius_resp *r;
	struct rad_slot *s;
	bool v4_set = false;
	int rc;

	if (len < RD_RADIUS_HDR_LEN) {
		rad.st.bad_responses++;
		return;
	}
	s = &rad.slots[pkt[1]];
	if (!s->used || !s->pending || s->server != server) {
		rad.st.unexpected++;
		return;
	}
	r = malloc(sizeof(*r));
	if (r == NULL)
		return;
	rc = rd_radius_parse_response(pkt, len, pkt[1], s->auth, sv->secret, sv->secret_len, r);
	if (rc < 0) {
		/* RFC 2865 3: an invalid authenticator is silently discarded */
		rad.st.bad_responses++;
		RD_LOG(DEBUG, "radius server %u: response %u dropped: %s\n", server, pkt[1],
		       strerror(-rc));
		goto out;
	}
	switch (r->code) {
	case RD_RADIUS_ACCESS_CHALLENGE:
		rad.st.challenges++;
		memcpy(s->state, r->state, r->state_len);
		s->state_len = r->state_len;
		s->pending = false;
		slot_finish(s, IKE_EAP_CONTINUE, r->eap, r->eap_len, NULL, 0, now);
		break;
	case RD_RADIUS_ACCESS_ACCEPT:
		rad.st.accepts++;
		if (!r->has_msk) {
			RD_LOG(NOTICE, "radius server %u: Access-Accept without MS-MPPE keys: "
			       "refused (the EAP method must derive an MSK)\n", server);
			slot_finish(s, IKE_EAP_FAILURE, NULL, 0, NULL, 0, now);
			break;
		}
		if (r->has_framed_ip) {
			/* RFC 2865 5.8: the user's address, allocated by the server;
			 * 255.255.255.254 / .255 mean "NAS chooses": the pool */
			uint8_t a[16] = { 0 };

			memcpy(a, r->framed_ip, 4);
			if (!(a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] >= 254) &&
			    ike_eap_set_vip(rd.ike, s->ike_sa_id, 4, a) == 0) {
				rad.st.framed_ips++;
				v4_set = true;
			}
		}
		/* RFC 6911 / RFC 3162 (a /128): the IPv6 address, overriding an
		 * IPv6 pool; one virtual IP per SA, so an IPv4 one wins */
		if (r->has_framed_ip6 && !v4_set &&
		    ike_eap_set_vip(rd.ike, s->ike_sa_id, 6, r->framed_ip6) == 0)
			rad.st.framed_ips++;
		sess_new(s, r, now);
		slot_finish(s, IKE_EAP_SUCCESS, r->eap, r->eap_len, r->msk, sizeof(r->msk), now);
		break;
	default:
		rad.st.rejects++;
		slot_finish(s, IKE_EAP_FAILURE, r->eap, r->eap_len, NULL, 0, now);
		break;
	}
out:
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}


/* ---- sessions and accounting (RFC 2866) ---- */

static struct acct_sess *
sess_find(uint64_t ike_sa_id)
{
	uint32_t i;

	return ike_sa_id != 0 && rad.sess_idx.keys != NULL &&
	       rd_idmap_get(&rad.sess_idx, ike_sa_id, &i) ? &rad.sess[i] : NULL;
}

static void
sess_free(struct acct_sess *x)
{
	unsigned i = (unsigned)(x - rad.sess), last = rad.n_sess - 1;

	rd_idmap_del(&rad.sess_idx, x->ike_sa_id);
	if (x->prev_id != 0)
		rd_idmap_del(&rad.sess_idx, x->prev_id);
	if (i != last) {
		*x = rad.sess[last];
		rd_idmap_set(&rad.sess_idx, x->ike_sa_id, i);
		if (x->prev_id != 0)
			rd_idmap_set(&rad.sess_idx, x->prev_id, i);
	}
	OPENSSL_cleanse(&rad.sess[last], sizeof(rad.sess[last]));
	rad.n_sess--;
}

/* Access-Accept: the session starts (its accounting Start waits for the
 * first child). A full table only costs the accounting of that user. */
static void
sess_new(const struct rad_slot *s, const struct rd_radius_resp *r, uint64_t now)
{
	struct acct_sess *x = sess_find(s->ike_sa_id);

	if (x != NULL)
		sess_free(x);
	if (rad.n_sess >= rad.max_sess) {
		rad.st.acct_dropped++;
		return;
	}
	if (rad.n_sess == rad.cap_sess) {
		unsigned cap = rad.cap_sess ? 2 * rad.cap_sess : 64;
		struct acct_sess *n;

		if (cap > rad.max_sess)
			cap = rad.max_sess;
		n = realloc(rad.sess, cap * sizeof(*n));
		if (n == NULL) {
			rad.st.acct_dropped++;
			return;
		}
		rad.sess = n;
		rad.cap_sess = cap;
	}
	x = &rad.sess[rad.n_sess];
	memset(x, 0, sizeof(*x));
	if (rd_idmap_add(&rad.sess_idx, s->ike_sa_id, rad.n_sess) < 0) {
		rad.st.acct_dropped++;
		return;
	}
	rad.n_sess++;
	x->ike_sa_id = s->ike_sa_id;
	x->accept_ms = now;
	snprintf(x->sid, sizeof(x->sid), "%08" PRIx32 "-%016" PRIx64, rad.boot, s->ike_sa_id);
	memcpy(x->user, s->user, s->user_len);
	x->user_len = s->user_len;
	memcpy(x->class_, r->class_, r->class_len);
	x->class_len = r->class_len;
	x->session_timeout_s = r->session_timeout;
	if (r->has_framed_ip) {
		x->has_framed_ip = true;
		memcpy(x->framed_ip, r->framed_ip, 4);
	}
}

static struct acct_req *
acct_slot(void)
{
	unsigned k;

	for (k = 0; k < RD_ACCT_SLOTS; k++) {
		unsigned i = (rad.acct_next_id + k) % RD_ACCT_SLOTS;

		if (!rad.acct[i].used) {
			rad.acct_next_id = i + 1;
			return &rad.acct[i];
		}
	}
	return NULL;
}

static void
acct_xmit(struct acct_req *q, uint64_t now)
{
	if (q->tries > 0)
		rad.st.acct_retransmits++;
	q->tries++;
	q->deadline_ms = now + rad.cfg.timeout_ms;
	rad.st.acct_requests++;
	if (rad.acct_fd[q->server] < 0 || send(rad.acct_fd[q->server], q->pkt, q->pkt_len, 0) < 0)
		rad.st.send_errors++;
}

/* Build the packet for the first server and queue it; never waits. */
static void
acct_send(struct acct_sess *x, uint8_t status, uint64_t now)
{
	const struct conf_radius_server *sv = &rad.cfg.acct_servers[0];
	struct rd_radius_acct a = {
		.status = status, .session_id = x->sid,
		.user = x->user, .user_len = x->user_len,
		.class_ = x->class_, .class_len = x->class_len,
		.nas_id = rad.cfg.nas_id,
		.has_framed_ip = x->has_framed_ip,
		.in_octets = x->in_octets + x->live_in_o,
		.out_octets = x->out_octets + x->live_out_o,
		.in_packets = x->in_packets + x->live_in_p,
		.out_packets = x->out_packets + x->live_out_p,
		.session_time = x->started ? (uint32_t)((now - x->start_ms) / 1000) : 0,
		.cause = x->cause,
	};
	struct acct_req *q;

	if (rad.acct == NULL)
		return;
	memcpy(a.framed_ip, x->framed_ip, 4);
	q = acct_slot();
	if (q == NULL) {
		rad.st.acct_dropped++;
		return;
	}
	a.id = (uint8_t)(q - rad.acct);
	/* every server has its own secret: the packet is rebuilt on failover */
	if (rd_radius_build_acct(&a, sv->secret, sv->secret_len, q->pkt, sizeof(q->pkt),
				 &q->pkt_len, q->auth) < 0) {
		rad.st.acct_dropped++;
		return;
	}
	q->used = true;
	q->server = 0;
	q->tries = 0;
	acct_xmit(q, now);
}

/* Rebuild @q for server @server (its secret) keeping Identifier and content. */
static int
acct_rebuild(struct acct_req *q, unsigned server)
{
	const struct conf_radius_server *sv = &rad.cfg.acct_servers[server];
	uint8_t md[16];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int ol = 0;
	int ok;

	if (c == NULL)
		return -ENOMEM;
	memset(q->pkt + 4, 0, 16);
	ok = EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(c, q->pkt, q->pkt_len) == 1 &&
	     EVP_DigestUpdate(c, sv->secret, sv->secret_len) == 1 &&
	     EVP_DigestFinal_ex(c, md, &ol) == 1 && ol == 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -EIO;
	memcpy(q->pkt + 4, md, 16);
	memcpy(q->auth, md, 16);
	return 0;
}

/* The counters of the live children of sessions: one pass over the
 * children (O(children)), only when an interim is due. Replaced children
 * already went into the session's totals at their CHILD_DOWN. */
static void
sum_live(void)
{
	unsigned i;

	for (i = 0; i < rad.n_sess; i++) {
		rad.sess[i].live_in_o = rad.sess[i].live_out_o = 0;
		rad.sess[i].live_in_p = rad.sess[i].live_out_p = 0;
	}
	for (i = 0; i < rd.sam.n_children; i++) {
		const struct sa_child *ch = &rd.sam.children[i];
		struct esp_sa_stats in = { 0 }, out = { 0 };
		struct acct_sess *x;

		if (!sa_child_is_live(ch) || (x = sess_find(ch->ike_sa_id)) == NULL)
			continue;
		if (ch->sa_in != NULL)
			esp_sa_stats_get(ch->sa_in, &in);
		if (ch->sa_out != NULL)
			esp_sa_stats_get(ch->sa_out, &out);
		x->live_in_o += in.bytes;
		x->live_in_p += in.packets;
		x->live_out_o += out.bytes;
		x->live_out_p += out.packets;
	}
}

void
rd_radius_child_up(uint64_t ike_sa_id, const struct ike_child_sa *c, bool first)
{
	struct acct_sess *x = sess_find(ike_sa_id);
	uint64_t now = rd_now_ms();

	if (x == NULL || x->started || !first)
		return;
	/* the user's virtual address: a single-address IPv4 remote selector */
	if (!x->has_framed_ip && c != NULL && c->n_remote_ts > 0 && c->remote_ts[0].af == 4 &&
	    memcmp(c->remote_ts[0].saddr, c->remote_ts[0].eaddr, 4) == 0) {
		x->has_framed_ip = true;
		memcpy(x->framed_ip, c->remote_ts[0].saddr, 4);
	}
	x->started = true;
	x->start_ms = now;
	x->next_interim_ms = rad.cfg.interim_ms ? now + rad.cfg.interim_ms : 0;
	acct_send(x, RD_ACCT_START, now);
}

void
rd_radius_child_gone(uint64_t ike_sa_id, const struct esp_sa_stats *in,
		     const struct esp_sa_stats *out)
{
	struct acct_sess *x = sess_find(ike_sa_id);

	if (x == NULL)
		return;
	x->in_octets += in->bytes;
	x->in_packets += in->packets;
	x->out_octets += out->bytes;
	x->out_packets += out->packets;
}

static uint32_t
cause_of(const char *why)
{
	if (why == NULL)
		return RD_ACCT_CAUSE_NAS_ERROR;
	if (strcmp(why, "deleted by peer") == 0)
		return RD_ACCT_CAUSE_USER_REQUEST;
	if (strcmp(why, "peer not responding") == 0 ||
	    strcmp(why, "INITIAL_CONTACT from the same identity") == 0)
		return RD_ACCT_CAUSE_LOST_CARRIER;
	if (strcmp(why, "terminated") == 0 || strcmp(why, "connection removed by reload") == 0)
		return RD_ACCT_CAUSE_ADMIN_RESET;
	if (strcmp(why, "shutdown") == 0)
		return RD_ACCT_CAUSE_NAS_REBOOT;
	return RD_ACCT_CAUSE_NAS_ERROR;
}

void
rd_radius_ike_down(uint64_t ike_sa_id, uint64_t successor_id, const char *why)
{
	struct acct_sess *x = sess_find(ike_sa_id);
	uint64_t now = rd_now_ms();
	uint32_t idx;

	if (x == NULL || x->ike_sa_id != ike_sa_id)
		return;		/* not ours, or an id the session already left */
	if (successor_id != 0) {
		/* IKE rekey: the session goes on under the new SA */
		idx = (uint32_t)(x - rad.sess);
		if (x->prev_id != 0)
			rd_idmap_del(&rad.sess_idx, x->prev_id);
		x->prev_id = ike_sa_id;
		x->ike_sa_id = successor_id;
		if (rd_idmap_add(&rad.sess_idx, successor_id, idx) == 0)
			return;
		x->ike_sa_id = ike_sa_id;	/* no room: end it here */
		x->prev_id = 0;
	}
	if (x->started) {
		if (x->cause == 0)
			x->cause = cause_of(why);
		x->live_in_o = x->live_out_o = x->live_in_p = x->live_out_p = 0;
		acct_send(x, RD_ACCT_STOP, now);
	}
	sess_free(x);
}

static void
acct_response(unsigned server, const uint8_t *pkt, size_t len)
{
	const struct conf_radius_server *sv = &rad.cfg.acct_servers[server];
	struct acct_req *q;

	if (len < RD_RADIUS_HDR_LEN) {
		rad.st.acct_bad_responses++;
		return;
	}
	q = &rad.acct[pkt[1]];
	if (!q->used || q->server != server) {
		rad.st.unexpected++;
		return;
	}
	if (rd_radius_parse_acct_response(pkt, len, pkt[1], q->auth, sv->secret,
					  sv->secret_len) < 0) {
		rad.st.acct_bad_responses++;
		return;
	}
	rad.st.acct_responses++;
	q->used = false;
}

static void
acct_scan(uint64_t now)
{
	bool interim = false;
	unsigned i;

	for (i = 0; rad.acct != NULL && i < RD_ACCT_SLOTS; i++) {
		struct acct_req *q = &rad.acct[i];

		if (!q->used || now < q->deadline_ms)
			continue;
		if (q->tries <= rad.cfg.retries) {
			acct_xmit(q, now);
			continue;
		}
		rad.st.acct_timeouts++;
		if (q->server + 1 < rad.cfg.n_acct_servers && acct_rebuild(q, q->server + 1) == 0) {
			RD_LOG(NOTICE, "radius accounting server %u not answering: trying %u\n",
			       q->server, q->server + 1);
			rad.st.acct_failovers++;
			q->server++;
			q->tries = 0;
			acct_xmit(q, now);
			continue;
		}
		rad.st.acct_dropped++;
		q->used = false;
	}
	for (i = 0; i < rad.n_sess; i++) {
		struct acct_sess *x = &rad.sess[i];

		if (x->started && x->next_interim_ms != 0 && now >= x->next_interim_ms)
			interim = true;
	}
	if (interim && rad.acct != NULL)
		sum_live();
	for (i = 0; i < rad.n_sess;) {
		struct acct_sess *x = &rad.sess[i];

		if (!x->started && now - x->accept_ms > RD_ACCT_UNSTARTED_MS) {
			sess_free(x);	/* authenticated, but the SA never came up */
			continue;
		}
		if (x->started && x->next_interim_ms != 0 && now >= x->next_interim_ms) {
			x->next_interim_ms = now + rad.cfg.interim_ms;
			acct_send(x, RD_ACCT_INTERIM, now);
		}
		/* RFC 2865 5.27: the session ends after Session-Timeout seconds */
		if (x->session_timeout_s != 0 && x->cause == 0 &&
		    now - x->accept_ms >= (uint64_t)x->session_timeout_s * 1000) {
			RD_LOG(INFO, "IKE SA %" PRIu64 ": RADIUS Session-Timeout (%" PRIu32
			       " s) reached: deleting it\n", x->ike_sa_id, x->session_timeout_s);
			uint64_t id = x->ike_sa_id;
			int rc;

			x->cause = RD_ACCT_CAUSE_SESSION_TIMEOUT;
			rad.st.session_timeouts++;
			/* an IKE_DOWN inside the call frees sess[i] (the last moves
			 * in): look at i again; else the delete exchange runs */
			rc = ike_terminate_ike(rd.ike, id, now);
			if (i < rad.n_sess && rad.sess[i].ike_sa_id == id) {
				if (rc < 0)
					sess_free(&rad.sess[i]);
				else
					i++;
			}
			continue;
		}
		i++;
	}
}

/* Retransmit, fail over, or give up on requests past their deadline. */
static void
scan_timeouts(uint64_t now)
{
	unsigned i;

	for (i = 0; i < RD_RADIUS_SLOTS; i++) {
		struct rad_slot *s = &rad.slots[i];

		if (!s->used || now < s->deadline_ms)
			continue;
		if (!s->pending) {
			slot_free(s);
			continue;
		}
		if (s->tries <= rad.cfg.retries) {
			slot_send(s, now);
			continue;
		}
		rad.st.timeouts++;
		if (s->server + 1 < rad.cfg.n_servers) {
			RD_LOG(NOTICE, "radius server %u not answering: trying server %u\n",
			       s->server, s->server + 1);
			rad.st.failovers++;
			s->server++;
			s->tries = 0;
			if (slot_send(s, now) == 0)
				continue;
		}
		RD_LOG(NOTICE, "radius: no server answered for IKE SA %" PRIu64 "\n",
		       s->ike_sa_id);
		slot_finish(s, IKE_EAP_FAILURE, NULL, 0, NULL, 0, now);
	}
}

unsigned
rd_radius_poll(uint64_t now)
{
	uint8_t buf[RD_RADIUS_MAX_PKT];
	unsigned i, n = 0;

	if (rad.slots == NULL)
		return 0;
	for (i = 0; i < rad.cfg.n_servers; i++) {
		unsigned k;

		for (k = 0; rad.fd[i] >= 0 && k < RD_RADIUS_RX_BURST; k++) {
			ssize_t got = recv(rad.fd[i], buf, sizeof(buf), MSG_DONTWAIT);

			if (got < 0)
				break;	/* EAGAIN, or ICMP unreachable: the timeout handles it */
			on_response(i, buf, (size_t)got, now);
			n++;
		}
	}
	for (i = 0; rad.acct != NULL && i < rad.cfg.n_acct_servers; i++) {
		unsigned k;

		for (k = 0; rad.acct_fd[i] >= 0 && k < RD_RADIUS_RX_BURST; k++) {
			ssize_t got = recv(rad.acct_fd[i], buf, sizeof(buf), MSG_DONTWAIT);

			if (got < 0)
				break;
			acct_response(i, buf, (size_t)got);
			n++;
		}
	}
	if (now >= rad.next_scan_ms) {
		scan_timeouts(now);
		rad.next_scan_ms = now + 10;
	}
	if (now >= rad.next_acct_scan_ms) {
		acct_scan(now);
		rad.next_acct_scan_ms = now + RD_ACCT_SCAN_MS;
	}
	return n;
}
