/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REDIRECT (RFC 5685): gateway identities, the responder's decision to
 * redirect an IKE_SA_INIT request (sent by ike_xchg_init.c), the operator's
 * redirect of established SAs (INFORMATIONAL, ike_redirect), and the
 * initiator's side: REDIRECT_SUPPORTED / REDIRECTED_FROM and following a
 * REDIRECT answer to an address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_priv.h"

enum {
	MAX_REDIRECTS = 2,	/* RFC 5685 4.4: limit the chain (and loops) */
};

int
ike_gw_id_encode(const char *target, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(target), i;

	if (cap < 2 + 16)
		return -ENOSPC;
	if (inet_pton(AF_INET, target, out + 2) == 1) {
		out[0] = IKE_GW_ID_IPV4;
		out[1] = 4;
	} else if (inet_pton(AF_INET6, target, out + 2) == 1) {
		out[0] = IKE_GW_ID_IPV6;
		out[1] = 16;
	} else {
		if (n == 0 || n > 255 || n + 2 > cap)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			char c = target[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.'))
				return -EINVAL;
		}
		out[0] = IKE_GW_ID_FQDN;
		out[1] = (uint8_t)n;
		memcpy(out + 2, target, n);
	}
	*len = 2 + (size_t)out[1];
	return 0;
}

/*
 * RFC 5685 4.2: should IKE_SA_INIT request @m on @conn be answered with
 * REDIRECT? Only a peer that announced REDIRECT_SUPPORTED, when the
 * connection is configured for it and (with a threshold) holds enough SAs.
 * A peer that arrives with REDIRECTED_FROM was redirected once already and
 * is served here, so two gateways that point at each other never bounce a
 * client. Returns 1 with the notify data (GW identity, then the initiator's
 * Ni as Nonce Data) in @data, else 0.
 */
int
ike_redirect_answer(const struct ike_conn *conn, const struct ike_msg *m, uint8_t *data,
		    size_t cap, size_t *len)
{
	if (conn->cfg.redirect_to[0] == '\0' || conn->cfg.redirect_in_auth ||
	    ike_msg_notify(m, IKE_N_REDIRECT_SUPPORTED) == NULL ||
	    ike_msg_notify(m, IKE_N_REDIRECTED_FROM) != NULL)
		return 0;
	/* refs: the context's own reference plus one per SA */
	if (conn->cfg.redirect_tunnels != 0 && conn->refs - 1 < conn->cfg.redirect_tunnels)
		return 0;
	if (ike_gw_id_encode(conn->cfg.redirect_to, data, cap, len) < 0 ||
	    *len + m->nonce.len > cap)
		return 0;	/* validated by the config: cannot happen */
	memcpy(data + *len, m->nonce.p, m->nonce.len);
	*len += m->nonce.len;
	return 1;
}

/*
 * RFC 5685 6: redirect @sa in its IKE_AUTH response (connection configured
 * with at: auth, the peer announced REDIRECT_SUPPORTED and was not
 * redirected here already, the tunnel threshold reached). Returns 1 with the
 * notify data (GW identity only: no Nonce Data outside IKE_SA_INIT) in
 * @data, else 0.
 */
int
ike_redirect_auth_answer(const struct ike_sa *sa, uint8_t *data, size_t cap, size_t *len)
{
	const struct ike_conn *conn = sa->conn;

	if (conn->cfg.redirect_to[0] == '\0' || !conn->cfg.redirect_in_auth ||
	    !sa->peer_redirect || sa->peer_redirected)
		return 0;
	/* refs: the context's own, one per SA (this one included) */
	if (conn->cfg.redirect_tunnels != 0 && conn->refs - 2 < conn->cfg.redirect_tunnels)
		return 0;
	return ike_gw_id_encode(conn->cfg.redirect_to, data, cap, len) == 0;
}

int
ike_redirect(struct ike_ctx *ctx, uint64_t ike_sa_id, const char *target, uint64_t now_ms,
	     unsigned *n_sent)
{
	uint8_t data[2 + 255];
	struct ike_sa *sa;
	size_t len;
	int rc;

	ctx->now_ms = now_ms;
	*n_sent = 0;
	if (target == NULL || ike_gw_id_encode(target, data, sizeof(data), &len) < 0)
		return -EINVAL;
	if (ike_sa_id != 0) {
		sa = ike_sa_by_id(ctx, ike_sa_id);
		if (sa == NULL)
			return -ENOENT;
		if (sa->state != IKE_ST_ESTABLISHED || !sa->peer_redirect)
			return -EPERM;
		/* RFC 5685 5: no Nonce Data outside IKE_SA_INIT */
		rc = ike_info_notify_start(sa, IKE_N_REDIRECT, data, len);
		if (rc < 0)
			return rc;
		ctx->st.redirects++;
		*n_sent = 1;
		SA_LOG(sa, NOTICE, "redirected to %s", target);
		return 0;
	}
	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		if (sa->state != IKE_ST_ESTABLISHED || !sa->peer_redirect)
			continue;
		if (ike_info_notify_start(sa, IKE_N_REDIRECT, data, len) < 0)
			continue;
		ctx->st.redirects++;
		(*n_sent)++;
		SA_LOG(sa, NOTICE, "redirected to %s", target);
	}
	return 0;
}

/* RFC 5685 4.1, 4.3: REDIRECT_SUPPORTED, or REDIRECTED_FROM (the first
 * gateway) once redirected. */
int
ike_redirect_caps_bld(struct ike_bld *b, const struct ike_sa *sa)
{
	uint8_t gw[2 + 16];
	const struct sockaddr_storage *ss = &sa->redirected_from;
	size_t n;

	if (sa->redirects == 0)
		return ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
	if (ss->ss_family == AF_INET6) {
		n = 16;
		memcpy(gw + 2, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, n);
	} else {
		n = 4;
		memcpy(gw + 2, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, n);
	}
	gw[0] = n == 4 ? IKE_GW_ID_IPV4 : IKE_GW_ID_IPV6;
	gw[1] = (uint8_t)n;
	return ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_REDIRECTED_FROM, gw, 2 + n);
}

/*
 * RFC 5685 4.2: the responder sends us elsewhere. The Nonce Data must be our
 * Ni (else it is not an answer to our request: ignored, the request is
 * retransmitted); a host name is not resolved on this thread (refused);
 * the SA starts over at the new address with a new nonce and DH value.
 */
int
ike_redirect_follow(struct ike_sa *sa, const struct ike_notify *n)
{
	struct sockaddr_storage to;
	size_t idlen;

	if (n->data.len < 2 || (idlen = n->data.p[1]) + 2 > n->data.len ||
	    n->data.len - 2 - idlen != sa->ni_len ||
	    CRYPTO_memcmp(n->data.p + 2 + idlen, sa->ni, sa->ni_len) != 0) {
		sa->ctx->st.rx_invalid++;
		SA_LOG(sa, NOTICE, "REDIRECT without our nonce: ignored");
		return -EBADMSG;
	}
	memset(&to, 0, sizeof(to));
	if (n->data.p[0] == IKE_GW_ID_IPV4 && idlen == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&to;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, n->data.p + 2, 4);
	} else if (n->data.p[0] == IKE_GW_ID_IPV6 && idlen == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&to;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, n->data.p + 2, 16);
	} else {
		ike_sa_kill(sa, "REDIRECT to a host name or an unknown identity type");
		return -EPROTO;
	}
	if (to.ss_family != sa->local.ss_family || ++sa->redirects > MAX_REDIRECTS) {
		ike_sa_kill(sa, "REDIRECT: too many, or another address family");
		return -EPROTO;
	}
	if (sa->redirects == 1)
		sa->redirected_from = sa->remote;
	ike_set_port(&to, 500);
	sa->remote = to;
	ike_set_port(&sa->local, 500);
	sa->natt = false;
	free(sa->cookie);
	sa->cookie = NULL;
	sa->cookie_len = 0;
	ike_dh_destroy(sa->dh);
	sa->dh = NULL;
	sa->ni_len = 0;
	{
		char a[64];

		SA_LOG(sa, NOTICE, "redirected to %s", ike_addr_str(&to, a, sizeof(a)));
	}
	return ike_init_start(sa);
}
