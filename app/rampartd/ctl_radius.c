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
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rampartd.h"
#include "rd_radius.h"

enum {
	RD_RADIUS_SLOTS = 256,		/* the Identifier space of one server socket */
	RD_RADIUS_RX_BURST = 32,
	RD_RADIUS_IDLE_MS = 120000,	/* a peer silent this long between rounds */
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
} rad = { .fd = { -1, -1, -1, -1 } };

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

	memset(&ss, 0, sizeof(ss));
	if (sv->af == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(sv->port);
		memcpy(&s4->sin_addr, sv->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(sv->port);
		memcpy(&s6->sin6_addr, sv->addr, 16);
		sl = sizeof(*s6);
	}
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
	}
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
#undef J
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
			    ike_eap_set_vip(rd.ike, s->ike_sa_id, 4, a) == 0)
				rad.st.framed_ips++;
		}
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
	if (now >= rad.next_scan_ms) {
		scan_timeouts(now);
		rad.next_scan_ms = now + 10;
	}
	return n;
}
