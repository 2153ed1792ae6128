/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartctl: the operator's CLI over rampartd's control socket. Sends one
 * JSON request line (protocol in lib/ctl/ctl_sock.h), waits for one reply
 * line, prints it as a table (default) or as JSON (--json).
 *
 * Exit status: 0 success, 1 the daemon refused or could not be reached,
 * 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_profile.h"
#include "ctl_top.h"

#define DEFAULT_SOCKET "/run/rampart/rampart.sock"

enum {
	CTL_MAX_REPLY_LEN = 64 * 1024 * 1024,
	TABLE_MAX_COLS = 16,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

static const char *prog = "rampartctl";

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  status                     daemon, ports and SA counts\n"
		"  list-sas                   IKE SAs with their child SAs and counters\n"
		"  list-children              child SAs only\n"
		"  list-manual                manually keyed SAs of the config (never keys)\n"
		"  initiate CONN              start connection CONN\n"
		"  terminate IKE_ID           delete an IKE SA and its children\n"
		"  redirect IKE_ID|--all GW   send clients to gateway GW (address or host name,\n"
		"                             RFC 5685; peers that announced REDIRECT_SUPPORTED)\n"
		"  rekey --child ID | --ike ID\n"
		"                             rekey a child SA or an IKE SA\n"
		"  reload [FILE]              reload the configuration (default: same file)\n"
		"  stats                      all counters\n"
		"  conn-info CONN             a connection's public facts (proposals, identity,\n"
		"                             auth, CA certificate; never a secret)\n"
		"  client-profile CONN --os windows|macos|ios|android|linux\n"
		"                 [--server NAME] [--user NAME] [--from FILE]\n"
		"                             client set-up for that OS from the running\n"
		"                             configuration (docs/clients.md); --from: a saved\n"
		"                             conn-info reply instead of the daemon\n"
		"  top [--once | --iterations N]\n"
		"                             live view, refreshed each second: tunnels, Mpps\n"
		"                             and Gbps per worker, drops by reason, IKE rates\n"
		"  ping                       check that rampartd answers\n"
		"  fault WHAT MS              test builds (-Dfault_inject=true) only: ring-full\n"
		"                             or mbuf-exhaust for MS milliseconds\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH          control socket (default $RAMPART_SOCKET or "
		DEFAULT_SOCKET ")\n"
		"  -j, --json                 print the raw JSON reply\n"
		"  -t, --timeout SECONDS      wait this long for the reply (default 10)\n"
		"  -V, --version              print the version\n"
		"  -h, --help                 this text\n", prog);
}

static int
bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

static bool
parse_id(const char *s, json_int_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > (unsigned long long)LLONG_MAX)
		return false;
	*out = (json_int_t)v;
	return true;
}

/* ---- transport ---- */

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path too long: %s\n", prog, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		fprintf(stderr, "%s: cannot connect to %s: %s%s\n", prog, path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is rampartd running? see -s)" :
			e == EACCES ? " (permission denied: run as root or in the socket's group)"
				    : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send @req as one line; return the parsed reply object or NULL (reported). */
static json_t *
exchange(int fd, json_t *req, int timeout_s)
{
	char *text = json_dumps(req, JSON_COMPACT), *buf = NULL, *nl = NULL;
	size_t len, off = 0, cap = 0;
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	json_error_t jerr;
	json_t *reply;

	if (text == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return NULL;
	}
	len = strlen(text);
	text[len] = '\n';	/* over the NUL: the buffer is len + 1 bytes */
	while (off < len + 1) {
		ssize_t n = send(fd, text + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: send: %s\n", prog, strerror(errno));
			free(text);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	off = 0;
	while (nl == NULL) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			fprintf(stderr, "%s: no reply within %d s\n", prog, timeout_s);
			goto fail;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (cap - off < 65536) {
			char *p;

			if (cap >= CTL_MAX_REPLY_LEN) {
				fprintf(stderr, "%s: reply larger than %d bytes\n", prog,
					CTL_MAX_REPLY_LEN);
				goto fail;
			}
			cap = cap == 0 ? 131072 : cap * 2;
			p = realloc(buf, cap);
			if (p == NULL) {
				fprintf(stderr, "%s: out of memory\n", prog);
				goto fail;
			}
			buf = p;
		}
		n = recv(fd, buf + off, cap - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: recv: %s\n", prog, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			fprintf(stderr, "%s: rampartd closed the connection without a reply\n", prog);
			goto fail;
		}
		nl = memchr(buf + off, '\n', (size_t)n);
		off += (size_t)n;
	}
	reply = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	free(buf);
	if (reply == NULL || !json_is_object(reply)) {
		fprintf(stderr, "%s: bad reply from rampartd: %s\n", prog,
			reply == NULL ? jerr.text : "not an object");
		json_decref(reply);
		return NULL;
	}
	return reply;
fail:
	free(buf);
	return NULL;
}

/* Send @req (consumed; NULL: nothing) over a new connection to @sock: the
 * reply, or NULL (reported). */
static json_t *
ask(const char *sock, json_t *req, int timeout_s)
{
	json_t *reply;
	int fd;

	if (req == NULL)
		return NULL;
	fd = ctl_connect(sock);
	if (fd < 0) {
		json_decref(req);
		return NULL;
	}
	reply = exchange(fd, req, timeout_s);
	close(fd);
	json_decref(req);
	return reply;
}

/* @reply if it says ok; else NULL, its error reported as "@what: ...". */
static json_t *
reply_ok(json_t *reply, const char *what)
{
	if (reply != NULL && !json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "error"));

		fprintf(stderr, "%s: %s: %s\n", prog, what, msg != NULL ? msg : "failed");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* ---- rendering ---- */

/* Text for one JSON value into @dst ("-" for missing). */
static void
val_str(const json_t *v, char *dst, size_t size)
{
	if (v == NULL || json_is_null(v))
		snprintf(dst, size, "-");
	else if (json_is_string(v))
		snprintf(dst, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(dst, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(dst, size, "%.3f", json_real_value(v));
	else if (json_is_true(v))
		snprintf(dst, size, "yes");
	else if (json_is_false(v))
		snprintf(dst, size, "no");
	else if (json_is_array(v))
		snprintf(dst, size, "[%zu]", json_array_size(v));
	else
		snprintf(dst, size, "{...}");
}

struct table {
	unsigned n_cols;
	const char *head[TABLE_MAX_COLS];
	char **cells;			/* n_rows * n_cols strings */
	size_t n_rows, cap_rows;
	size_t width[TABLE_MAX_COLS];
};

static void
table_init(struct table *t, unsigned n_cols, const char *const head[])
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols > TABLE_MAX_COLS ? TABLE_MAX_COLS : n_cols;
	for (i = 0; i < t->n_cols; i++) {
		t->head[i] = head[i];
		t->width[i] = strlen(head[i]);
	}
}

/* Append a row; @vals has n_cols strings (copied). */
static int
table_add(struct table *t, char *const vals[])
{
	unsigned i;

	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows != 0 ? t->cap_rows * 2 : 16;
		char **p = realloc(t->cells, cap * t->n_cols * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		t->cells = p;
		t->cap_rows = cap;
	}
	for (i = 0; i < t->n_cols; i++) {
		char *s = strdup(vals[i]);

		if (s == NULL)
			s = strdup("?");
		t->cells[t->n_rows * t->n_cols + i] = s;
		if (s != NULL && strlen(s) > t->width[i])
			t->width[i] = strlen(s);
	}
	t->n_rows++;
	return 0;
}

static void
table_print(struct table *t, const char *indent)
{
	size_t r;
	unsigned i;

	printf("%s", indent);
	for (i = 0; i < t->n_cols; i++)
		printf("%-*s%s", i + 1 < t->n_cols ? (int)t->width[i] : 0, t->head[i],
		       i + 1 < t->n_cols ? "  " : "\n");
	for (r = 0; r < t->n_rows; r++) {
		printf("%s", indent);
		for (i = 0; i < t->n_cols; i++) {
			const char *s = t->cells[r * t->n_cols + i];

			printf("%-*s%s", i + 1 < t->n_cols ? (int)t->width[i] : 0,
			       s != NULL ? s : "?", i + 1 < t->n_cols ? "  " : "\n");
		}
	}
}

static void
table_fini(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static const json_t *get_dotted(const json_t *o, const char *key);

/* A table of @arr (objects) with the given keys as columns. */
static void
print_rows(const json_t *arr, const char *const keys[], const char *const head[],
	   unsigned n, const char *indent)
{
	char bufs[TABLE_MAX_COLS][256];
	char *vals[TABLE_MAX_COLS];
	struct table t;
	size_t i;
	unsigned k;

	table_init(&t, n, head);
	for (k = 0; k < t.n_cols; k++)
		vals[k] = bufs[k];
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);

		for (k = 0; k < t.n_cols; k++)
			val_str(get_dotted(o, keys[k]), bufs[k], sizeof(bufs[k]));
		table_add(&t, vals);
	}
	table_print(&t, indent);
	table_fini(&t);
}

static void print_kv(const json_t *obj, const char *prefix);

/* Member @key of @o, where "a.b" looks into the nested object "a". */
static const json_t *
get_dotted(const json_t *o, const char *key)
{
	const char *dot = strchr(key, '.');
	char head[128];

	if (dot == NULL || (size_t)(dot - key) >= sizeof(head))
		return json_object_get(o, key);
	memcpy(head, key, (size_t)(dot - key));
	head[dot - key] = '\0';
	return json_object_get(json_object_get(o, head), dot + 1);
}

enum { AUTO_MAX_KEYS = 96, AUTO_WIDE = 10, AUTO_MAX_ITEMS = TABLE_MAX_COLS - 1 };

/* Scalar keys of @o, and of its nested objects one level down ("a.b"). */
static unsigned
collect_keys(const json_t *o, char names[][64], unsigned max)
{
	const char *key, *k2;
	json_t *v, *v2;
	unsigned n = 0;

	json_object_foreach((json_t *)o, key, v) {
		if (json_is_object(v)) {
			json_object_foreach(v, k2, v2) {
				if (n < max && !json_is_object(v2) && !json_is_array(v2))
					snprintf(names[n++], 64, "%.31s.%.31s", key, k2);
			}
		} else if (n < max && !json_is_array(v)) {
			snprintf(names[n++], 64, "%s", key);
		}
	}
	return n;
}

/*
 * An array of objects: a table with one row per item when the items are
 * narrow, else one column per item (counters down the side), else blocks.
 */
static void
print_auto_rows(const json_t *arr, const char *indent)
{
	static char names[AUTO_MAX_KEYS][64];
	const json_t *first = json_array_get(arr, 0);
	const char *cols[TABLE_MAX_COLS];
	size_t n_items = json_array_size(arr), i;
	unsigned n, k;

	if (!json_is_object(first))
		return;
	n = collect_keys(first, names, AUTO_MAX_KEYS);
	if (n <= AUTO_WIDE) {
		for (k = 0; k < n; k++)
			cols[k] = names[k];
		print_rows(arr, cols, cols, n, indent);
		return;
	}
	if (n_items <= AUTO_MAX_ITEMS) {
		char heads[TABLE_MAX_COLS][32], bufs[TABLE_MAX_COLS][64];
		char *vals[TABLE_MAX_COLS];
		struct table t;

		cols[0] = "COUNTER";
		for (i = 0; i < n_items; i++) {
			const json_t *o = json_array_get(arr, i);
			const json_t *label = json_object_get(o, "name");

			if (label == NULL)
				label = json_object_get(o, "id");
			if (label != NULL)
				val_str(label, heads[i], sizeof(heads[i]));
			else
				snprintf(heads[i], sizeof(heads[i]), "#%zu", i);
			cols[i + 1] = heads[i];
		}
		table_init(&t, (unsigned)n_items + 1, cols);
		for (k = 0; k < TABLE_MAX_COLS; k++)
			vals[k] = bufs[k];
		for (k = 0; k < n; k++) {
			if (strcmp(names[k], "name") == 0 || strcmp(names[k], "id") == 0)
				continue;
			snprintf(bufs[0], sizeof(bufs[0]), "%.63s", names[k]);
			for (i = 0; i < n_items; i++)
				val_str(get_dotted(json_array_get(arr, i), names[k]), bufs[i + 1],
					sizeof(bufs[i + 1]));
			table_add(&t, vals);
		}
		table_print(&t, indent);
		table_fini(&t);
		return;
	}
	for (i = 0; i < n_items; i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s[%zu].", indent, i);
		print_kv(json_array_get(arr, i), p);
	}
}

/* "key  value" lines for scalar members; nested objects as "obj.key". */
static void
print_kv(const json_t *obj, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		char buf[256];

		if (strcmp(key, "ok") == 0 || strcmp(key, "id") == 0)
			continue;
		if (json_is_object(v)) {
			char p[128];

			snprintf(p, sizeof(p), "%s%s.", prefix, key);
			print_kv(v, p);
			continue;
		}
		if (json_is_array(v))
			continue;
		val_str(v, buf, sizeof(buf));
		printf("%s%-*s %s\n", prefix, 24 - (int)strlen(prefix) > 0 ?
		       24 - (int)strlen(prefix) : 0, key, buf);
	}
}

static void
print_arrays(const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_array(v) && json_array_size(v) > 0 &&
		    json_is_object(json_array_get(v, 0))) {
			printf("\n%s:\n", key);
			print_auto_rows(v, "  ");
		}
	}
}

static void
print_status(const json_t *r)
{
	static const char *const keys[] = {
		"name", "role", "device", "link_up", "rx_pkts", "tx_pkts", "rx_dropped",
	};
	static const char *const head[] = {
		"PORT", "ROLE", "DEVICE", "LINK", "RX-PKTS", "TX-PKTS", "RX-DROP",
	};
	const json_t *ports = json_object_get(r, "ports");

	print_kv(r, "");
	if (json_is_array(ports) && json_array_size(ports) > 0) {
		printf("\n");
		print_rows(ports, keys, head, 7, "");
	}
}

static const char *const child_keys[] = {
	"id", "ike_sa_id", "conn", "spi_in", "spi_out", "enc", "esn", "natt", "worker",
	"bytes_in", "bytes_out", "pkts_in", "pkts_out", "established_s",
};
static const char *const child_head[] = {
	"CHILD", "IKE", "CONN", "SPI-IN", "SPI-OUT", "ENC", "ESN", "NATT", "WORKER",
	"BYTES-IN", "BYTES-OUT", "PKTS-IN", "PKTS-OUT", "AGE-S",
};

/* @r's array @member, or NULL after printing @none when it is empty. */
static const json_t *
rows_or_none(const json_t *r, const char *member, const char *none)
{
	const json_t *a = json_object_get(r, member);

	if (!json_is_array(a) || json_array_size(a) == 0) {
		printf("%s\n", none);
		return NULL;
	}
	return a;
}

static void
print_sas(const json_t *r)
{
	static const char *const keys[] = {
		"id", "conn", "state", "initiator", "remote", "remote_id", "vip", "spi_i",
		"spi_r", "established_s",
	};
	static const char *const head[] = {
		"IKE", "CONN", "STATE", "INITIATOR", "REMOTE", "REMOTE-ID", "VIP", "SPI-I",
		"SPI-R", "AGE-S",
	};
	const json_t *sas = rows_or_none(r, "sas", "no IKE SAs");
	size_t i;

	if (sas == NULL)
		return;
	for (i = 0; i < json_array_size(sas); i++) {
		const json_t *sa = json_array_get(sas, i);
		const json_t *ch = json_object_get(sa, "children");
		json_t *one = json_array();

		json_array_append(one, (json_t *)sa);
		print_rows(one, keys, head, 10, "");
		json_decref(one);
		if (json_is_array(ch) && json_array_size(ch) > 0)
			print_rows(ch, child_keys, child_head, 14, "    ");
		else
			printf("    (no child SAs)\n");
		if (i + 1 < json_array_size(sas))
			printf("\n");
	}
}

static void
print_children(const json_t *r)
{
	const json_t *ch = rows_or_none(r, "children", "no child SAs");

	if (ch == NULL)
		return;
	print_rows(ch, child_keys, child_head, 14, "");
}

static void
print_manual(const json_t *r)
{
	static const char *const keys[] = {
		"name", "spi_in", "spi_out", "esp", "count", "installed", "local", "remote",
		"replay_window",
	};
	static const char *const head[] = {
		"NAME", "SPI-IN", "SPI-OUT", "ESP", "COUNT", "INSTALLED", "LOCAL", "REMOTE",
		"REPLAY",
	};
	const json_t *m = rows_or_none(r, "manual_sas", "no manual SAs");

	if (m == NULL)
		return;
	print_rows(m, keys, head, 9, "");
}

static void
print_reply(const char *cmd, const json_t *r)
{
	if (strcmp(cmd, "status") == 0) {
		print_status(r);
	} else if (strcmp(cmd, "list-sas") == 0) {
		print_sas(r);
	} else if (strcmp(cmd, "list-children") == 0) {
		print_children(r);
	} else if (strcmp(cmd, "list-manual") == 0) {
		print_manual(r);
	} else {
		size_t n = json_object_size(r) - (json_object_get(r, "id") != NULL) - 1;

		if (n == 0) {
			printf("ok\n");
			return;
		}
		print_kv(r, "");
		print_arrays(r);
	}
}

/* ---- top ---- */

struct top_arg {
	const char *sock;
	int timeout_s;
};

static json_t *
top_fetch(void *arg)
{
	const struct top_arg *a = arg;

	return reply_ok(ask(a->sock, json_pack("{s:s, s:{}}", "cmd", "stats", "args"),
			    a->timeout_s), "stats");
}

static int
top_cmd(int argc, char **argv, const char *sock, int timeout_s)
{
	struct top_arg a = { sock, timeout_s };
	unsigned long n = 0;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			n = 1;
		} else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			errno = 0;
			n = strtoul(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 1000000)
				return bad_usage("bad iteration count '%s' (1..1000000)", argv[i]);
		} else {
			return bad_usage("top: unknown argument '%s'", argv[i]);
		}
	}
	return top_run(top_fetch, &a, (unsigned)n, 1000, n != 1 && isatty(STDOUT_FILENO)) ?
	       EXIT_FAIL : 0;
}

/* ---- client-profile ---- */

static json_t *
conn_info_fetch(const char *sock, int timeout_s, const char *conn)
{
	char what[300];

	snprintf(what, sizeof(what), "conn-info %s", conn);
	return reply_ok(ask(sock, json_pack("{s:s, s:{s:s}}", "cmd", "conn-info", "args", "conn",
					    conn), timeout_s), what);
}

static int
profile_cmd(int argc, char **argv, const char *sock, int timeout_s)
{
	struct ctl_profile_opt o = { 0 };
	const char *conn = NULL, *from = NULL;
	char err[512];
	json_error_t jerr;
	json_t *info;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--os") == 0 && i + 1 < argc)
			o.os = argv[++i];
		else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			o.server = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			o.user = argv[++i];
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (argv[i][0] != '-' && conn == NULL)
			conn = argv[i];
		else
			return bad_usage("client-profile: unknown argument '%s'", argv[i]);
	}
	if (conn == NULL || o.os == NULL)
		return bad_usage("%s", "client-profile needs CONN and --os OS");
	if (from != NULL) {
		info = json_load_file(from, 0, &jerr);
		if (info == NULL) {
			fprintf(stderr, "%s: %s:%d: %s\n", prog, from, jerr.line, jerr.text);
			return EXIT_FAIL;
		}
		if (!json_is_string(json_object_get(info, "name")) ||
		    strcmp(json_string_value(json_object_get(info, "name")), conn) != 0) {
			fprintf(stderr, "%s: %s: not the conn-info of connection %s\n", prog, from,
				conn);
			json_decref(info);
			return EXIT_FAIL;
		}
	} else {
		info = conn_info_fetch(sock, timeout_s, conn);
		if (info == NULL)
			return EXIT_FAIL;
	}
	rc = ctl_profile_write(info, &o, stdout, err, sizeof(err));
	json_decref(info);
	if (rc != 0) {
		fprintf(stderr, "%s: client-profile %s --os %s: %s\n", prog, conn, o.os, err);
		return EXIT_FAIL;
	}
	return 0;
}

/* ---- commands ---- */

/* Build the request for argv[0..argc); returns EXIT_USAGE on bad arguments. */
static int
build_request(int argc, char **argv, json_t **req)
{
	const char *cmd = argv[0];
	json_t *args = json_object();
	json_int_t id;
	int rc = 0;

	if (args == NULL)
		return EXIT_FAIL;
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "list-sas") == 0 ||
	    strcmp(cmd, "list-children") == 0 || strcmp(cmd, "stats") == 0 ||
	    strcmp(cmd, "list-manual") == 0 || strcmp(cmd, "ping") == 0) {
		if (argc != 1)
			rc = bad_usage("%s takes no arguments", cmd);
	} else if (strcmp(cmd, "initiate") == 0 || strcmp(cmd, "conn-info") == 0) {
		if (argc != 2)
			rc = bad_usage("%s needs one connection name", cmd);
		else
			json_object_set_new(args, "conn", json_string(argv[1]));
	} else if (strcmp(cmd, "terminate") == 0) {
		if (argc != 2)
			rc = bad_usage("%s needs one IKE SA id", cmd);
		else if (!parse_id(argv[1], &id))
			rc = bad_usage("bad IKE SA id '%s'", argv[1]);
		else
			json_object_set_new(args, "ike", json_integer(id));
	} else if (strcmp(cmd, "redirect") == 0) {
		if (argc != 3)
			rc = bad_usage("%s needs IKE_ID or --all, and the gateway", cmd);
		else if (strcmp(argv[1], "--all") == 0)
			json_object_set_new(args, "all", json_true());
		else if (!parse_id(argv[1], &id))
			rc = bad_usage("bad IKE SA id '%s'", argv[1]);
		else
			json_object_set_new(args, "ike", json_integer(id));
		if (rc == 0)
			json_object_set_new(args, "to", json_string(argv[2]));
	} else if (strcmp(cmd, "rekey") == 0) {
		if (argc != 3 || (strcmp(argv[1], "--child") != 0 && strcmp(argv[1], "--ike") != 0))
			rc = bad_usage("%s needs --child ID or --ike ID", cmd);
		else if (!parse_id(argv[2], &id))
			rc = bad_usage("bad id '%s'", argv[2]);
		else
			json_object_set_new(args, argv[1] + 2, json_integer(id));
	} else if (strcmp(cmd, "reload") == 0) {
		if (argc > 2) {
			rc = bad_usage("%s takes at most one file", cmd);
		} else if (argc == 2) {
			/* The daemon has its own working directory: send a full path. */
			char *abs = realpath(argv[1], NULL);

			if (abs == NULL) {
				fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
				rc = EXIT_FAIL;
			} else {
				json_object_set_new(args, "file", json_string(abs));
				free(abs);
			}
		}
	} else if (strcmp(cmd, "fault") == 0) {
		if (argc != 3 || !parse_id(argv[2], &id))
			rc = bad_usage("%s needs WHAT and MS", cmd);
		else if (json_object_set_new(args, "what", json_string(argv[1])) != 0 ||
			 json_object_set_new(args, "ms", json_integer(id)) != 0)
			rc = EXIT_FAIL;
	} else {
		rc = bad_usage("unknown command '%s'", cmd);
	}
	if (rc != 0) {
		json_decref(args);
		return rc;
	}
	*req = json_pack("{s:s, s:o}", "cmd", cmd, "args", args);
	return *req != NULL ? 0 : EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = getenv("RAMPART_SOCKET");
	bool as_json = false;
	int timeout_s = 10, opt, rc;
	json_t *req = NULL, *reply;
	char *end;
	long t;

	if (sock == NULL || sock[0] == '\0')
		sock = DEFAULT_SOCKET;
	/* '+': stop at the command, so "rekey --child 5" reaches build_request. */
	while ((opt = getopt_long(argc, argv, "+s:jt:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || t < 1 || t > 3600)
				return bad_usage("bad timeout '%s' (1..3600 seconds)", optarg);
			timeout_s = (int)t;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rampartctl %s\n", RAMPART_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "missing command");
	if (strcmp(argv[optind], "top") == 0)
		return top_cmd(argc - optind, argv + optind, sock, timeout_s);
	if (strcmp(argv[optind], "client-profile") == 0)
		return profile_cmd(argc - optind, argv + optind, sock, timeout_s);
	rc = build_request(argc - optind, argv + optind, &req);
	if (rc != 0)
		return rc;
	reply = ask(sock, req, timeout_s);
	if (reply == NULL)
		return EXIT_FAIL;
	rc = json_is_true(json_object_get(reply, "ok")) ? 0 : EXIT_FAIL;
	if (as_json) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (rc != 0) {
		const char *msg = json_string_value(json_object_get(reply, "error"));

		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], msg != NULL ? msg : "failed");
	} else {
		print_reply(argv[optind], reply);
	}
	json_decref(reply);
	return rc;
}
