/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local EAP back end: EAP-MSCHAPv2 (RFC 2759 inside EAP, Type 26, as
 * Windows and strongSwan speak it) against the eap_users file, for
 * connections with `remote_auth: eap-mschapv2` (sites without RADIUS). It
 * also routes lib/ike's ops.eap: those connections here, the others to
 * RADIUS (ctl_radius.c).
 *
 * Exchange, after lib/ike's EAP-Request/Identity:
 *   peer: Response/Identity        -> Request/MSCHAPv2 Challenge (16 random octets)
 *   peer: Response/MSCHAPv2 Response -> NT-Response checked against the user's
 *         NT hash: Request/MSCHAPv2 Success ("S=<authenticator response>"),
 *         or EAP-Failure (wrong password, unknown user: the same answer)
 *   peer: Response/MSCHAPv2 Success -> EAP-Success, with the MSK (RFC 3079)
 * Answers go back through ike_eap_done() from the control loop's next
 * iteration (rd_eaplocal_poll), never from inside ops.eap. Nothing of the
 * exchange is logged but the user name and the outcome; hashes and MSKs are
 * wiped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rampartd.h"
#include "rd_mschap.h"

enum {
	EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4,
	EAP_T_IDENTITY = 1, EAP_T_NAK = 3, EAP_T_MSCHAPV2 = 26,
	MS_CHALLENGE = 1, MS_RESPONSE = 2, MS_SUCCESS = 3, MS_FAILURE = 4,
	LOC_MAX_CONVS = 1024,
	LOC_IDLE_MS = 120000,
	LOC_ANS_MAX = 128,
};

enum loc_state { LOC_WANT_ID, LOC_CHALLENGED, LOC_SUCCESS_SENT };

struct loc_conv {
	uint64_t ike_sa_id;
	uint64_t touched_ms;
	uint8_t state;			/* enum loc_state */
	uint8_t ms_id;			/* MS-CHAPv2-ID of our challenge */
	uint8_t auth_ch[16];
	char user[CONF_EAP_USER_MAX];	/* the EAP identity */
	size_t user_len;
	uint8_t msk[RD_MSCHAP_MSK_LEN];
	/* the answer for the next loop iteration */
	bool pending;
	int status;			/* IKE_EAP_* */
	uint8_t ans[LOC_ANS_MAX];
	size_t ans_len;
};

static struct {
	bool ready;			/* the legacy provider loaded */
	struct loc_conv *c;		/* packed [0, n) */
	unsigned n, n_pending;
	uint64_t next_scan_ms;
	struct {
		uint64_t started, success, wrong_password, unknown_user, bad_messages, busy;
	} st;
} loc;

static bool
conn_is_local(const char *conn)
{
	unsigned i;

	for (i = 0; rd.conf != NULL && i < rd.conf->n_conns; i++)
		if (strcmp(rd.conf->conns[i].name, conn) == 0)
			return rd.conf->conn_eap_local[i];
	return false;
}

int
rd_eaplocal_init(void)
{
	int rc;

	if (loc.ready)
		return 0;
	rc = rd_mschap_init();
	if (rc < 0)
		return rc;
	loc.c = calloc(LOC_MAX_CONVS, sizeof(*loc.c));
	if (loc.c == NULL) {
		rd_mschap_fini();
		return -ENOMEM;
	}
	loc.ready = true;
	return 0;
}

void
rd_eaplocal_fini(void)
{
	if (loc.c != NULL) {
		OPENSSL_cleanse(loc.c, LOC_MAX_CONVS * sizeof(*loc.c));
		free(loc.c);
	}
	loc.c = NULL;
	loc.n = loc.n_pending = 0;
	if (loc.ready)
		rd_mschap_fini();
	loc.ready = false;
}

json_t *
rd_eaplocal_stats_json(void)
{
	return json_pack("{sI sI sI sI sI sI sI}", "started", (json_int_t)loc.st.started,
			 "success", (json_int_t)loc.st.success,
			 "wrong_password", (json_int_t)loc.st.wrong_password,
			 "unknown_user", (json_int_t)loc.st.unknown_user,
			 "bad_messages", (json_int_t)loc.st.bad_messages,
			 "busy", (json_int_t)loc.st.busy, "conversations", (json_int_t)loc.n);
}

static void
conv_free(struct loc_conv *v)
{
	struct loc_conv *last = &loc.c[loc.n - 1];

	if (v->pending)
		loc.n_pending--;
	if (v != last)
		*v = *last;
	OPENSSL_cleanse(last, sizeof(*last));
	loc.n--;
}

static void
answer(struct loc_conv *v, int status, const uint8_t *eap, size_t len)
{
	v->status = status;
	v->ans_len = len;
	if (len > 0)
		memcpy(v->ans, eap, len);
	if (!v->pending)
		loc.n_pending++;
	v->pending = true;
}

/* An EAP-Request of Type MSCHAPv2 with @op, @ms_id and @data after MS-Length. */
static size_t
ms_request(uint8_t *b, uint8_t eap_id, uint8_t op, uint8_t ms_id, const void *data,
	   size_t len)
{
	size_t total = 9 + len;

	b[0] = EAP_REQUEST;
	b[1] = eap_id;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[4] = EAP_T_MSCHAPV2;
	b[5] = op;
	b[6] = ms_id;
	b[7] = (uint8_t)((total - 5) >> 8);	/* MS-Length: from OpCode on */
	b[8] = (uint8_t)(total - 5);
	memcpy(b + 9, data, len);
	return total;
}

/* The user name for a log line: the peer chose it, so no control bytes. */
static const char *
printable_user(const struct loc_conv *v, char *buf, size_t cap)
{
	size_t i, n = v->user_len < cap - 1 ? v->user_len : cap - 1;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)v->user[i] < 0x20 || v->user[i] == 0x7f ? '?' : v->user[i];
	buf[n] = '\0';
	return buf;
}

static void
fail(struct loc_conv *v, const char *why)
{
	char u[CONF_EAP_USER_MAX];

	RD_LOG(NOTICE, "eap-mschapv2: IKE SA %" PRIu64 " user %s: %s\n", v->ike_sa_id,
	       printable_user(v, u, sizeof(u)), why);
	answer(v, IKE_EAP_FAILURE, NULL, 0);
}

/* The peer's MSCHAPv2 Response (RFC 2759 4 in EAP): check the NT-Response. */
static void
on_response(struct loc_conv *v, const uint8_t *eap, size_t len)
{
	const struct conf_eap_user *u;
	uint8_t want[24], b[LOC_ANS_MAX];
	char s[RD_MSCHAP_AUTH_RESP_LEN + 16];
	const char *name;
	size_t name_len, ms_len;

	ms_len = (size_t)eap[7] << 8 | eap[8];
	/* 9 header octets, Value-Size 49: Peer-Challenge, 8 reserved, NT-Response, Flags */
	if (len < 10 + 49 || eap[9] != 49 || ms_len != len - 5 || eap[6] != v->ms_id) {
		loc.st.bad_messages++;
		fail(v, "malformed MSCHAPv2 Response");
		return;
	}
	/* RFC 2759 8.2: the user name of the Response, without a domain */
	name = (const char *)eap + 59;
	name_len = len - 59;
	for (size_t i = name_len; i > 0; i--)
		if (name[i - 1] == '\\') {
			name_len -= i;
			name += i;
			break;
		}
	u = conf_eap_user_find(rd.conf, v->user, v->user_len);
	if (u == NULL) {
		loc.st.unknown_user++;
		fail(v, "unknown user: refused");
		return;
	}
	if (rd_mschap_nt_response(v->auth_ch, eap + 10, name, name_len, u->nt_hash, want) < 0 ||
	    CRYPTO_memcmp(want, eap + 10 + 24, 24) != 0) {
		loc.st.wrong_password++;
		fail(v, "wrong password: refused");
		return;
	}
	if (rd_mschap_auth_response(u->nt_hash, eap + 34, eap + 10, v->auth_ch, name, name_len,
				    s) < 0 ||
	    rd_mschap_msk(u->nt_hash, eap + 34, v->msk) < 0) {
		fail(v, "MS-CHAPv2 computation failed");
		return;
	}
	memcpy(s + RD_MSCHAP_AUTH_RESP_LEN, " M=welcome", 11);
	v->state = LOC_SUCCESS_SENT;
	answer(v, IKE_EAP_CONTINUE, b,
	       ms_request(b, (uint8_t)(eap[1] + 1), MS_SUCCESS, v->ms_id, s, strlen(s)));
}

static int
route_local(uint64_t ike_sa_id, const uint8_t *eap, size_t len)
{
	static const char srv_name[] = "rampart";
	char u[CONF_EAP_USER_MAX];
	struct loc_conv *v = NULL;
	uint8_t b[LOC_ANS_MAX], data[1 + 16 + sizeof(srv_name) - 1];
	unsigned i;

	/* first use after a reload added eap_users */
	if (!loc.ready && rd_eaplocal_init() < 0)
		return -EOPNOTSUPP;
	for (i = 0; i < loc.n; i++)
		if (loc.c[i].ike_sa_id == ike_sa_id) {
			v = &loc.c[i];
			break;
		}
	if (v == NULL) {
		if (loc.n == LOC_MAX_CONVS) {
			loc.st.busy++;
			return -EBUSY;
		}
		v = &loc.c[loc.n++];
		memset(v, 0, sizeof(*v));
		v->ike_sa_id = ike_sa_id;
		loc.st.started++;
	}
	if (v->pending)
		return -EBUSY;
	v->touched_ms = rd_now_ms();
	if (len < 5 || eap[0] != EAP_RESPONSE || ((size_t)eap[2] << 8 | eap[3]) != len) {
		loc.st.bad_messages++;
		fail(v, "malformed EAP-Response");
		return 0;
	}
	switch (v->state) {
	case LOC_WANT_ID:
		if (eap[4] != EAP_T_IDENTITY || len - 5 >= sizeof(v->user) || len == 5) {
			loc.st.bad_messages++;
			fail(v, "no usable EAP-Response/Identity");
			break;
		}
		v->user_len = len - 5;
		memcpy(v->user, eap + 5, v->user_len);
		if (RAND_bytes(v->auth_ch, 16) != 1 || RAND_bytes(&v->ms_id, 1) != 1) {
			fail(v, "no randomness");
			break;
		}
		data[0] = 16;				/* Value-Size */
		memcpy(data + 1, v->auth_ch, 16);
		memcpy(data + 17, srv_name, sizeof(srv_name) - 1);
		v->state = LOC_CHALLENGED;
		answer(v, IKE_EAP_CONTINUE, b, ms_request(b, (uint8_t)(eap[1] + 1), MS_CHALLENGE,
							  v->ms_id, data, sizeof(data)));
		break;
	case LOC_CHALLENGED:
		if (eap[4] == EAP_T_NAK) {
			fail(v, "the client wants another EAP method (only MSCHAPv2 here)");
			break;
		}
		if (eap[4] != EAP_T_MSCHAPV2 || len < 9 || eap[5] != MS_RESPONSE) {
			loc.st.bad_messages++;
			fail(v, "expected an MSCHAPv2 Response");
			break;
		}
		on_response(v, eap, len);
		break;
	case LOC_SUCCESS_SENT:
		if (eap[4] != EAP_T_MSCHAPV2 || len != 6 || eap[5] != MS_SUCCESS) {
			loc.st.bad_messages++;
			fail(v, "expected the MSCHAPv2 Success acknowledgement");
			break;
		}
		loc.st.success++;
		RD_LOG(INFO, "eap-mschapv2: IKE SA %" PRIu64 " user %s authenticated\n",
		       v->ike_sa_id, printable_user(v, u, sizeof(u)));
		answer(v, IKE_EAP_SUCCESS, NULL, 0);
		break;
	default:
		fail(v, "unexpected message");
		break;
	}
	return 0;
}

/* ops.eap of lib/ike: the connection says which back end. */
int
rd_eap_backend(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
	       size_t eap_len)
{
	if (conn != NULL && conn_is_local(conn))
		return route_local(ike_sa_id, eap, eap_len);
	return rd_radius_eap(user, ike_sa_id, conn, eap, eap_len);
}

unsigned
rd_eaplocal_poll(uint64_t now)
{
	unsigned i, n = 0;

	if (loc.n_pending == 0 && (loc.n == 0 || now < loc.next_scan_ms))
		return 0;
	loc.next_scan_ms = now + 1000;
	for (i = 0; i < loc.n;) {
		struct loc_conv *v = &loc.c[i];
		int rc;

		if (!v->pending) {
			if (now - v->touched_ms > LOC_IDLE_MS) {
				conv_free(v);
				continue;
			}
			i++;
			continue;
		}
		v->pending = false;
		loc.n_pending--;
		n++;
		rc = ike_eap_done(rd.ike, v->ike_sa_id, v->status, v->ans_len ? v->ans : NULL,
				  v->ans_len, v->status == IKE_EAP_SUCCESS ? v->msk : NULL,
				  v->status == IKE_EAP_SUCCESS ? sizeof(v->msk) : 0, now);
		if (rc == -ENOENT || v->status != IKE_EAP_CONTINUE) {
			conv_free(v);
			continue;
		}
		i++;
	}
	return n;
}
