/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server: a non-blocking UNIX stream listener with up to
 * CTL_MAX_CLIENTS clients, newline-delimited JSON requests and replies. Runs
 * on the control core inside ctl_sock_poll(), which never blocks: every
 * socket is non-blocking and the work per call is bounded (accepts, requests,
 * reply bytes). Each client has a fixed input buffer of max_request_len + 1
 * bytes and an output queue capped at CTL_MAX_REPLY; a client that sends an
 * oversized line gets an error and the rest of that line is skipped; one that
 * does not read its replies is dropped, and so is one that stays idle (no
 * complete request, no reply bytes taken) for the idle timeout. Credentials
 * come from SO_PEERCRED at accept, never from anything the client sends.
 * This file never calls DPDK or lib/ike.
 */
#include "ctl_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	CTL_ACCEPT_PER_POLL = 16,
	CTL_LISTEN_BACKLOG = 16,
	CTL_MAX_PEER_GROUPS = 256,	/* supplementary groups looked at per client */
};

struct ctl_client {
	int fd;				/* -1: slot free */
	char *in;			/* max_req + 1 bytes */
	size_t in_len;
	bool skipping;			/* inside an oversized line: drop to '\n' */
	bool eof;			/* peer shut down its side */
	char *out;
	size_t out_len, out_off, out_cap;
	uint64_t active_ms;		/* accept, last complete request, last bytes sent */
	struct ctl_peer peer;
};

struct ctl_sock {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;			/* of the socket file we created */
	ino_t ino;
	unsigned max_clients;
	unsigned next;			/* round-robin start for ctl_sock_poll() */
	size_t max_req;
	uint64_t idle_ms;
	gid_t gid;			/* the socket's group: its members may mutate */
	const struct ctl_client *cur;	/* client whose request the handler runs for */
	struct ctl_sock_stats st;
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

/* Mutating commands change the daemon's state: root or the group only. */
static const struct {
	const char *name;
	bool mutating;
} known_cmds[] = {
	{"status", false}, {"list-sas", false}, {"list-children", false}, {"stats", false},
	{"list-manual", false},
	{"initiate", true}, {"terminate", true}, {"rekey", true}, {"reload", true},
	{"fault", true}, {"redirect", true},
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- socket file ---- */

/* An existing socket file: is a daemon still answering on it? */
static int
check_stale(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		return -EADDRINUSE;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED)
		return -rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc != 0)
		return -rc;
	if (res == NULL)
		return -ENOENT;
	*gid = res->gr_gid;
	return 0;
}

int
ctl_sock_create(const struct ctl_sock_cfg *cfg, struct ctl_sock **out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	unsigned mode = cfg->mode != 0 ? cfg->mode : 0600;
	struct ctl_sock *s;
	struct stat st;
	gid_t gid = (gid_t)-1;
	mode_t old_mask;
	unsigned i;
	int rc;

	if (cfg->path == NULL || cfg->path[0] == '\0')
		return -EINVAL;
	if (strlen(cfg->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (mode > 0777)
		return -EINVAL;
	if (cfg->group != NULL && cfg->group[0] != '\0' && (rc = lookup_group(cfg->group, &gid)) < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->fd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	s->max_clients = cfg->max_clients == 0 || cfg->max_clients > CTL_MAX_CLIENTS ?
			 CTL_MAX_CLIENTS : cfg->max_clients;
	s->max_req = cfg->max_request_len != 0 ? cfg->max_request_len : CTL_DEFAULT_MAX_REQ;
	s->idle_ms = cfg->idle_timeout_ms != 0 ? cfg->idle_timeout_ms : CTL_IDLE_TIMEOUT_MS;
	s->gid = gid;
	memcpy(s->path, cfg->path, strlen(cfg->path) + 1);
	memcpy(sun.sun_path, cfg->path, strlen(cfg->path) + 1);

	/* One missing directory level (/run/rampart) is created, 0755. */
	{
		char dir[sizeof(s->path)];
		char *slash;

		memcpy(dir, s->path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				rc = -errno;
				goto fail;
			}
		}
	}
	rc = check_stale(s->path);
	if (rc < 0)
		goto fail;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* The file is born with @mode: no window in which others may connect.
	 * umask is process-wide: call this at start-up, before other threads
	 * create files (rampartd does, on the control core). */
	old_mask = umask((mode_t)(~mode & 0777));
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc < 0) {
		rc = -errno;
		goto fail;
	}
	if (stat(s->path, &st) < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (gid != (gid_t)-1 && chown(s->path, (uid_t)-1, gid) < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	if (chmod(s->path, (mode_t)mode) < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	if (listen(s->fd, CTL_LISTEN_BACKLOG) < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	*out = s;
	return 0;
fail_unlink:
	unlink(s->path);
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return rc;
}

static void
client_close(struct ctl_sock *s, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->st.clients--;
}

void
ctl_sock_destroy(struct ctl_sock *s)
{
	struct stat st;
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(s, &s->cl[i]);
	if (s->fd >= 0)
		close(s->fd);
	/* Remove the file only if it is still ours (not a successor's socket). */
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

int
ctl_sock_fd(const struct ctl_sock *s)
{
	return s->fd;
}

/* ---- replies ---- */

/* Queue @len bytes; false if the client's queue would pass CTL_MAX_REPLY. */
static bool
queue_out(struct ctl_client *c, const char *buf, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (len > CTL_MAX_REPLY - pending)
		return false;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (len > c->out_cap - c->out_len) {
		size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
		char *p;

		while (cap - c->out_len < len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return true;
}

/* Serialise @reply (consumed) plus '\n'; drops the client on overflow. */
static void
send_reply(struct ctl_sock *s, struct ctl_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	bool ok = text != NULL;

	json_decref(reply);
	if (ok) {
		size_t n = strlen(text);

		text[n] = '\n';		/* json_dumps leaves room: write over the NUL */
		ok = queue_out(c, text, n + 1);
		free(text);
	}
	if (!ok) {
		s->st.reply_overflow++;
		client_close(s, c);
	}
}

static json_t *
error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static void
send_error(struct ctl_sock *s, struct ctl_client *c, const char *msg, json_t *id)
{
	json_t *r = error_reply(msg);

	s->st.replies_err++;
	if (r != NULL && id != NULL)
		json_object_set(r, "id", id);
	if (r == NULL) {
		s->st.reply_overflow++;
		client_close(s, c);
		return;
	}
	send_reply(s, c, r);
}

/* Index into known_cmds[], or -1. */
static int
find_cmd(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++) {
		if (strcmp(cmd, known_cmds[i].name) == 0)
			return (int)i;
	}
	return -1;
}

/* One complete request line (without '\n'). */
static void
handle_line(struct ctl_sock *s, struct ctl_client *c, const char *line, size_t len,
	    ctl_sock_handler handler, void *user)
{
	json_t *req, *cmdv, *args, *id, *reply = NULL, *r;
	json_error_t jerr;
	const char *cmd;
	char msg[192];
	int rc, k;

	s->st.requests++;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		s->st.bad_json++;
		snprintf(msg, sizeof(msg), "bad JSON at column %d: %.100s", jerr.column, jerr.text);
		send_error(s, c, msg, NULL);
		return;
	}
	if (!json_is_object(req)) {
		s->st.bad_request++;
		send_error(s, c, "request must be a JSON object", NULL);
		goto out;
	}
	id = json_object_get(req, "id");
	cmdv = json_object_get(req, "cmd");
	args = json_object_get(req, "args");
	if (!json_is_string(cmdv)) {
		s->st.bad_request++;
		send_error(s, c, "missing or non-string \"cmd\"", id);
		goto out;
	}
	if (args != NULL && !json_is_object(args) && !json_is_null(args)) {
		s->st.bad_request++;
		send_error(s, c, "\"args\" must be an object", id);
		goto out;
	}
	cmd = json_string_value(cmdv);
	if (strcmp(cmd, "ping") == 0) {
		reply = json_object();
		rc = 0;
		goto answer;
	}
	k = find_cmd(cmd);
	if (k < 0) {
		s->st.unknown_cmd++;
		snprintf(msg, sizeof(msg), "unknown command \"%.64s\"", cmd);
		send_error(s, c, msg, id);
		goto out;
	}
	if (known_cmds[k].mutating && !c->peer.admin) {
		s->st.denied++;
		snprintf(msg, sizeof(msg), "permission denied: %s needs root or the control group",
			 known_cmds[k].name);
		send_error(s, c, msg, id);
		goto out;
	}
	if (handler == NULL) {
		send_error(s, c, "not available", id);
		goto out;
	}
	if (args == NULL || json_is_null(args)) {
		args = json_object();
		if (args == NULL) {
			send_error(s, c, "out of memory", id);
			goto out;
		}
		json_object_set_new(req, "args", args);
	}
	s->cur = c;
	rc = handler(user, cmd, args, &reply);
	s->cur = NULL;
answer:
	if (reply != NULL && !json_is_object(reply)) {
		json_decref(reply);
		reply = NULL;
		if (rc == 0)
			rc = -EPROTO;	/* our daemon's bug, reported as such */
	}
	if (rc < 0 && (reply == NULL || !json_is_string(json_object_get(reply, "error")))) {
		if (reply == NULL)
			reply = json_object();
		if (reply != NULL)
			json_object_set_new(reply, "error", json_string(strerror(-rc)));
	}
	/* "ok" first, then the handler's fields, then the echoed id. */
	r = json_pack("{s:b}", "ok", rc == 0);
	if (r == NULL || (reply != NULL && json_object_update(r, reply) < 0) ||
	    (id != NULL && json_object_set(r, "id", id) < 0)) {
		json_decref(r);
		json_decref(reply);
		send_error(s, c, "out of memory", id);
		goto out;
	}
	json_decref(reply);
	if (rc == 0)
		s->st.replies_ok++;
	else
		s->st.replies_err++;
	send_reply(s, c, r);
out:
	json_decref(req);
}

/* ---- per-client I/O ---- */

static void
flush_out(struct ctl_sock *s, struct ctl_client *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_close(s, c);
			return;
		}
		c->out_off += (size_t)n;
		c->active_ms = now_ms();
	}
	if (c->fd >= 0) {
		c->out_off = 0;
		c->out_len = 0;
	}
}

/*
 * Consume one line (or one oversized chunk) from the input buffer. Returns
 * true if something was consumed (a request may have been answered).
 */
static bool
take_line(struct ctl_sock *s, struct ctl_client *c, ctl_sock_handler handler, void *user,
	  unsigned *handled)
{
	char *nl = memchr(c->in, '\n', c->in_len);
	size_t len, rest;

	if (nl == NULL) {
		if (c->in_len <= s->max_req)
			return false;
		/* max_req + 1 bytes and no newline: the line is too long. */
		c->in_len = 0;
		if (!c->skipping) {
			c->skipping = true;
			s->st.requests++;
			s->st.oversized++;
			send_error(s, c, "request too long", NULL);
			(*handled)++;
		}
		return true;
	}
	len = (size_t)(nl - c->in);
	rest = c->in_len - len - 1;
	if (c->skipping) {
		c->skipping = false;
	} else {
		size_t l = len;

		if (l > 0 && c->in[l - 1] == '\r')
			l--;
		if (l > 0) {
			c->active_ms = now_ms();
			handle_line(s, c, c->in, l, handler, user);
			(*handled)++;
		}
	}
	if (c->fd >= 0) {
		memmove(c->in, nl + 1, rest);
		c->in_len = rest;
	}
	return true;
}

static void
serve_client(struct ctl_sock *s, struct ctl_client *c, ctl_sock_handler handler, void *user,
	     unsigned *handled)
{
	flush_out(s, c);
	while (c->fd >= 0 && *handled < CTL_MAX_REQ_PER_POLL) {
		ssize_t n;

		/* Answer in order; do not read more while replies are queued. */
		if (c->out_len > c->out_off)
			break;
		if (take_line(s, c, handler, user, handled))
			continue;
		if (c->eof)
			break;
		n = recv(c->fd, c->in + c->in_len, s->max_req + 1 - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			client_close(s, c);
			return;
		}
		if (n == 0) {
			c->eof = true;
			continue;
		}
		c->in_len += (size_t)n;
	}
	if (c->fd >= 0)
		flush_out(s, c);
	/* Peer closed and everything it asked for is answered: done. */
	if (c->fd >= 0 && c->eof && c->out_len == c->out_off &&
	    memchr(c->in, '\n', c->in_len) == NULL)
		client_close(s, c);
}

static bool
in_groups(const gid_t *g, unsigned n, gid_t want)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (g[i] == want)
			return true;
	}
	return false;
}

/*
 * The peer's credentials as the kernel saw them at connect(). Admin: uid 0,
 * or the socket's group as primary or supplementary group (SO_PEERGROUPS;
 * a peer with more than CTL_MAX_PEER_GROUPS groups counts by its primary
 * group only). Unknown credentials are never admin.
 */
static void
peer_creds(const struct ctl_sock *s, int fd, struct ctl_peer *p)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[CTL_MAX_PEER_GROUPS];

	*p = (struct ctl_peer){.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1, .admin = false};
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || len != sizeof(uc))
		return;
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	p->admin = uc.uid == 0;
	if (p->admin || s->gid == (gid_t)-1)
		return;
	if (uc.gid == s->gid) {
		p->admin = true;
		return;
	}
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		p->admin = in_groups(groups, len / sizeof(gid_t), s->gid);
}

int
ctl_sock_peer(const struct ctl_sock *s, struct ctl_peer *peer)
{
	if (s->cur == NULL)
		return -ENOENT;
	*peer = s->cur->peer;
	return 0;
}

static int
accept_clients(struct ctl_sock *s)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
	unsigned n, i;

	for (n = 0; n < CTL_ACCEPT_PER_POLL; n++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *c = NULL;

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED || errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				return 0;	/* try again next poll */
			return -errno;
		}
		for (i = 0; i < s->max_clients && c == NULL; i++) {
			if (s->cl[i].fd < 0)
				c = &s->cl[i];
		}
		if (c != NULL) {
			c->in = malloc(s->max_req + 1);
			if (c->in == NULL)
				c = NULL;
		}
		if (c == NULL) {
			s->st.refused++;
			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				/* best effort only */
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->active_ms = now_ms();
		peer_creds(s, fd, &c->peer);
		s->st.accepted++;
		s->st.clients++;
	}
	return 0;
}

/*
 * One poll(2) with a zero timeout finds the busy descriptors, so an idle
 * control loop pays a single system call per ctl_sock_poll(). Clients are
 * served round-robin from a rotating start so a chatty one cannot starve
 * the others of the per-call request budget.
 */
int
ctl_sock_poll(struct ctl_sock *s, ctl_sock_handler handler, void *user)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	unsigned idx[CTL_MAX_CLIENTS + 1];
	unsigned handled = 0, n = 1, i, k;
	uint64_t now = now_ms();
	int rc;

	pfd[0] = (struct pollfd){.fd = s->fd, .events = POLLIN};
	for (i = 0; i < s->max_clients; i++) {
		struct ctl_client *c = &s->cl[i];

		if (c->fd < 0)
			continue;
		if (now - c->active_ms >= s->idle_ms) {
			s->st.idle_closed++;
			client_close(s, c);
			continue;
		}
		pfd[n] = (struct pollfd){.fd = c->fd, .events = c->eof ? 0 : POLLIN};
		if (c->out_len > c->out_off)
			pfd[n].events |= POLLOUT;
		idx[n++] = i;
	}
	rc = poll(pfd, n, 0);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	for (k = 0; k < n - 1; k++) {
		unsigned j = 1 + (s->next + k) % (n - 1);
		struct ctl_client *c = &s->cl[idx[j]];

		/* Ready, or holding complete requests left over from the budget. */
		if (c->fd >= 0 && (pfd[j].revents != 0 || c->eof ||
				   memchr(c->in, '\n', c->in_len) != NULL))
			serve_client(s, c, handler, user, &handled);
	}
	s->next++;
	if (pfd[0].revents & POLLIN) {
		rc = accept_clients(s);
		if (rc < 0)
			return rc;
	}
	return (int)handled;
}

void
ctl_sock_stats_get(const struct ctl_sock *s, struct ctl_sock_stats *st)
{
	*st = s->st;
}

json_t *
ctl_sock_stats_json(const struct ctl_sock *s)
{
	const struct ctl_sock_stats *st = &s->st;
	json_t *o = json_object();

#define CTL_JSON(f, help) json_object_set_new(o, #f, json_integer((json_int_t)st->f));
	if (o != NULL) {
		CTL_SOCK_STATS_LIST(CTL_JSON)
		json_object_set_new(o, "clients", json_integer((json_int_t)st->clients));
	}
#undef CTL_JSON
	return o;
}
