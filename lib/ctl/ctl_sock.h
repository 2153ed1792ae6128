/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server side of rampartd's control socket (lib/ctl, ctl_dep; sources
 * lib/ctl/ctl_sock.c). Runs on the control core only; never blocks, never
 * calls into DPDK or lib/ike: the daemon's handler does that.
 *
 * Protocol: a UNIX stream socket; each request is one line of JSON
 *
 *   {"cmd": "status", "args": {...}, "id": ANY}\n
 *
 * and each reply is one line holding a JSON object, {"ok": true, ...} or
 * {"ok": false, "error": "text"}; "id" is echoed when the request had one.
 * Requests on one connection are answered in order. A line longer than the
 * configured limit, bad JSON, a missing/non-string "cmd", non-object "args"
 * or an unknown command get an error reply and bump a counter; the handler is
 * not called. An oversized line is skipped up to its newline.
 *
 * Which commands exist, and which of them mutate, is the daemon's table
 * (struct ctl_sock_cfg's cmds; rampartd's is in app/rampartd/ctl_cmd.c):
 * lib/ctl knows no command but "ping", which it answers itself. rampartd's
 * commands and the replies rampartctl expects from them (all counters
 * are JSON integers; unknown extra fields are fine; missing ones print "-"):
 *
 *   ping            -> {}                               (answered here)
 *   status          -> {"version", "uptime_s", "workers", "conns", "ike_sas",
 *                       "child_sas", "ports": [{"name", "role", "device",
 *                       "link_up", "rx_pkts", "tx_pkts", "rx_dropped"}]}
 *   list-sas        -> {"sas": [{"id", "conn", "state", "initiator",
 *                       "local", "remote" ("addr:port" strings), "remote_id",
 *                       "vip", "spi_i", "spi_r" (16 hex digits strings),
 *                       "established_s", "children": [CHILD...]}]}
 *   list-children   -> {"children": [CHILD...]} (manual SAs carry "manual": true)
 *   list-manual     -> {"manual_sas": [{name, spi_in, spi_out, esp, count, installed, ...}]}
 *        CHILD = {"id", "ike_sa_id", "conn", "spi_in", "spi_out" (8 hex digit
 *                 strings), "enc" (e.g. "aes256gcm16"), "esn", "natt",
 *                 "worker", "established_s", "bytes_in", "bytes_out",
 *                 "pkts_in", "pkts_out"}
 *   initiate        args {"conn": NAME}             -> {}
 *   terminate       args {"ike": ID}                -> {}
 *   rekey           args {"child": ID} or {"ike": ID} -> {}
 *   reload          args {} or {"file": PATH}       -> {"conns": N}
 *   stats           -> {"ike": {name: count...}, "ctl": {...},
 *                       "ports": [{"name", ...counters}],
 *                       "workers": [{"id", ...counters}]}
 *
 * The "ctl" object of stats can be filled with ctl_sock_stats_json().
 *
 * Access: the socket file's mode and group decide who may connect. On top of
 * that, each client's credentials are taken with SO_PEERCRED (and
 * SO_PEERGROUPS) when it connects: the mutating commands (the table's
 * mutating entries) are answered only for root or a member of the
 * configured group; anyone else gets "permission denied" (counter "denied")
 * and the handler is not called. The handler can read the credentials with
 * ctl_sock_peer(), e.g. to show secrets to root only. A client that sends no
 * complete request and reads no reply for idle_timeout_ms is closed (counter
 * "idle_closed"), so silent or trickling clients cannot hold the
 * CTL_MAX_CLIENTS slots.
 */
#ifndef RAMPART_CTL_SOCK_H
#define RAMPART_CTL_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

enum ctl_limits {
	CTL_MAX_CLIENTS = 64,		/* hard cap; more connections are refused */
	CTL_DEFAULT_MAX_REQ = 64 * 1024,	/* bytes per request line */
	CTL_MAX_REPLY = 16 * 1024 * 1024,	/* queued reply bytes per client */
	CTL_MAX_REQ_PER_POLL = 32,	/* requests handled per ctl_sock_poll() */
	CTL_IDLE_TIMEOUT_MS = 30000,	/* default: close a client silent this long */
};

/* One command of the daemon; mutating: root or the socket's group only. */
struct ctl_cmd_def {
	const char *name;
	bool mutating;
};

struct ctl_sock_cfg {
	const char *path;		/* socket file */
	unsigned mode;			/* file mode, e.g. 0600 (0 = 0600) */
	const char *group;		/* NULL/"": keep; else chown to this group */
	unsigned max_clients;		/* 0 = CTL_MAX_CLIENTS; capped there */
	size_t max_request_len;		/* 0 = CTL_DEFAULT_MAX_REQ */
	unsigned idle_timeout_ms;	/* 0 = CTL_IDLE_TIMEOUT_MS */
	const struct ctl_cmd_def *cmds;	/* the commands the handler answers (kept, */
	unsigned n_cmds;		/* not copied); any other name: unknown_cmd */
};

struct ctl_sock_stats {
	uint64_t accepted, refused;	/* connections; refused: over max_clients */
	uint64_t requests, replies_ok, replies_err;
	uint64_t bad_json, oversized, unknown_cmd, bad_request;
	uint64_t reply_overflow;	/* client dropped: it did not read its replies */
	uint64_t denied;		/* mutating command from a peer neither root nor in group */
	uint64_t idle_closed;		/* client closed after idle_timeout_ms without a request */
	unsigned clients;		/* connected now */
};
/*
 * The name table of struct ctl_sock_stats's counters, X(field, "help"): the
 * JSON (ctl_sock_stats_json, keyed by field) and rampartd's Prometheus
 * names (rampart_ctl_<field>_total) come from it. "clients" is a gauge.
 */
#define CTL_SOCK_STATS_LIST(X) \
	X(accepted, "connections accepted") \
	X(refused, "connections refused: over max_clients") \
	X(requests, "requests read") \
	X(replies_ok, "successful replies") \
	X(replies_err, "error replies") \
	X(bad_json, "requests that were not JSON") \
	X(oversized, "requests over the size limit") \
	X(unknown_cmd, "requests naming no command") \
	X(bad_request, "requests of the wrong shape") \
	X(reply_overflow, "clients dropped: replies not read") \
	X(denied, "mutating commands refused: neither root nor in the group") \
	X(idle_closed, "clients closed after the idle timeout")

/* A client's credentials, taken with SO_PEERCRED when it connected. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;			/* (uid_t)-1 if the kernel did not tell */
	gid_t gid;
	bool admin;			/* root or in the socket's group: may mutate */
};

struct ctl_sock;

/*
 * Handler implemented by rampartd. @cmd is one of the table's commands (never
 * "ping"), @args is always a JSON object (borrowed; empty if the request had
 * none). Return 0 and optionally set *@reply to a new JSON object (its
 * reference moves to the library, which adds "ok": true), or return a
 * negative errno and optionally set *@reply to an object with "error"; without
 * one the library uses strerror(-ret). Called from inside ctl_sock_poll().
 */
typedef int (*ctl_sock_handler)(void *user, const char *cmd, json_t *args, json_t **reply);

/*
 * Create the listening socket. An existing socket file nobody listens on is
 * removed first; if a live daemon answers on it, returns -EADDRINUSE; if the
 * path exists and is not a socket, -EEXIST. A missing parent directory (one
 * level, e.g. /run/rampart) is created with mode 0755. The socket is created with
 * @cfg->mode (no window with wider permissions) and chowned to @cfg->group.
 * Returns 0 or a negative errno (-ENAMETOOLONG, -ENOENT for a missing group...).
 */
int ctl_sock_create(const struct ctl_sock_cfg *cfg, struct ctl_sock **out);

/* Close every client and the listener, unlink the socket file. NULL is fine. */
void ctl_sock_destroy(struct ctl_sock *s);

/*
 * Accept new clients, read whatever is available, run @handler for complete
 * requests (at most CTL_MAX_REQ_PER_POLL) and write pending replies. Never
 * blocks. Returns the number of requests handled (>= 0) or a negative errno
 * if the listening socket itself failed.
 */
int ctl_sock_poll(struct ctl_sock *s, ctl_sock_handler handler, void *user);

/*
 * Inside a handler call only: the credentials of the client whose request is
 * being handled. Returns 0, or -ENOENT outside a handler call.
 */
int ctl_sock_peer(const struct ctl_sock *s, struct ctl_peer *peer);

/* Listening descriptor, for a caller that wants to sleep in poll/epoll. */
int ctl_sock_fd(const struct ctl_sock *s);

void ctl_sock_stats_get(const struct ctl_sock *s, struct ctl_sock_stats *st);

/*
 * An id argument of a request: args[@key] as a non-negative JSON integer or a
 * string strtoull(,,0) reads whole (decimal or 0x hex). 0, -ENOENT (absent or
 * another type) or -EINVAL (a string with trailing junk).
 */
int ctl_arg_id(json_t *args, const char *key, uint64_t *id);

/* The counters above as a new JSON object (NULL on allocation failure). */
json_t *ctl_sock_stats_json(const struct ctl_sock *s);

#endif
