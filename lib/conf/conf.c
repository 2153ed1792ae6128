/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf entry points and the walk over the libyaml document: the key-path
 * bookkeeping behind every message, typed value readers, and the top-level
 * sections (globals, control, ike). Ports and routes are in conf_ports.c,
 * connections in conf_conn.c. A load builds a fresh struct and hands it out only when every
 * check has passed; nothing here has a side effect beyond reading files.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf_priv.h"

static void (*log_fn)(void *user, int level, const char *msg);
static void *log_user;
static void (*free_hook)(const struct conf *c);

void
conf_set_log(void (*fn)(void *user, int level, const char *msg), void *user)
{
	log_fn = fn;
	log_user = user;
}

void
conf_set_free_hook(void (*fn)(const struct conf *c))
{
	free_hook = fn;
}

/* ---- key path and messages ---- */

static size_t
path_append(struct cx *x, const char *piece)
{
	size_t mark = x->path_len, n = strlen(piece);

	if (n >= sizeof(x->path) - x->path_len) {
		/* Cut, never overflow; the message shows "..." instead. */
		n = sizeof(x->path) - x->path_len - 1;
	}
	memcpy(x->path + x->path_len, piece, n);
	x->path_len += n;
	x->path[x->path_len] = '\0';
	return mark;
}

size_t
cx_push_key(struct cx *x, const char *key)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "%s%s", x->path_len > 0 ? "." : "", key);
	return path_append(x, buf);
}

size_t
cx_push_idx(struct cx *x, unsigned idx)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "[%u]", idx);
	return path_append(x, buf);
}

void
cx_pop(struct cx *x, size_t mark)
{
	x->path_len = mark;
	x->path[mark] = '\0';
}

static void
vformat(struct cx *x, const yaml_node_t *n, char *dst, size_t size, const char *fmt, va_list ap)
{
	int k;

	if (n != NULL)
		k = snprintf(dst, size, "%s:%zu:%zu: ", x->name, n->start_mark.line + 1,
			     n->start_mark.column + 1);
	else
		k = snprintf(dst, size, "%s: ", x->name);
	if (k < 0 || (size_t)k >= size)
		return;
	if (x->path_len > 0) {
		int m = snprintf(dst + k, size - (size_t)k, "%s: ", x->path);

		if (m < 0 || (size_t)m >= size - (size_t)k)
			return;
		k += m;
	}
	vsnprintf(dst + k, size - (size_t)k, fmt, ap);
}

static void
set_pos(struct cx *x, size_t line, size_t col)
{
	if (x->pos == NULL)
		return;
	x->pos->line = (unsigned)line;
	x->pos->col = (unsigned)col;
	snprintf(x->pos->key, sizeof(x->pos->key), "%s", x->path);
}

static int
verr(struct cx *x, const yaml_node_t *n, const char *fmt, va_list ap)
{
	if (n != NULL)
		set_pos(x, n->start_mark.line + 1, n->start_mark.column + 1);
	else
		set_pos(x, 0, 0);
	if (x->err_len == 0)
		return -EINVAL;
	vformat(x, n, x->err, x->err_len, fmt, ap);
	return -EINVAL;
}

int
cx_err(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verr(x, n, fmt, ap);
	va_end(ap);
	return rc;
}

int
cx_key_err(struct cx *x, const char *key, const yaml_node_t *n, const char *fmt, ...)
{
	size_t m = cx_push_key(x, key);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verr(x, n, fmt, ap);
	va_end(ap);
	cx_pop(x, m);
	return rc;
}

void
cx_warn(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[CONF_ERR_LEN];
	va_list ap;

	if (log_fn == NULL)
		return;
	va_start(ap, fmt);
	vformat(x, n, msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(log_user, IKE_LOG_WARNING, msg);
}

int
cx_missing(struct cx *x, const yaml_node_t *map, const char *key)
{
	return cx_err(x, map, "required key '%s' missing", key);
}

int
cx_req_str(struct cx *x, const yaml_node_t *map, const char *key, const yaml_node_t *n,
	   char *dst, size_t size)
{
	if (n == NULL)
		return cx_missing(x, map, key);
	return cx_str(x, key, n, dst, size);
}

/* ---- node access ---- */

yaml_node_t *
cx_node(struct cx *x, int index)
{
	return yaml_document_get_node(x->doc, index);
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* The text of a scalar node, or an error naming what it was instead. */
int
cx_scalar(struct cx *x, const yaml_node_t *n, const char *want, const char **out)
{
	const char *s;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return cx_err(x, n, "expected %s, got %s", want, node_kind(n));
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	if (len > CX_MAX_SCALAR)
		return cx_err(x, n, "value longer than %d bytes", CX_MAX_SCALAR);
	if (strlen(s) != len)
		return cx_err(x, n, "NUL byte in value");
	if (len == 0 && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return cx_err(x, n, "expected %s, got an empty value", want);
	*out = s;
	return 0;
}

int
cx_map(struct cx *x, const yaml_node_t *map, const char *const keys[], unsigned n_keys,
       yaml_node_t *v[])
{
	yaml_node_pair_t *p;
	unsigned i;

	for (i = 0; i < n_keys; i++)
		v[i] = NULL;
	if (map->type != YAML_MAPPING_NODE)
		return cx_err(x, map, "expected a mapping, got %s", node_kind(map));
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cx_node(x, p->key), *val = cx_node(x, p->value);
		const char *ks;

		if (k == NULL || val == NULL || k->type != YAML_SCALAR_NODE)
			return cx_err(x, k != NULL ? k : map, "keys must be plain strings");
		ks = (const char *)k->data.scalar.value;
		for (i = 0; i < n_keys; i++) {
			if (strcmp(ks, keys[i]) == 0)
				break;
		}
		if (i == n_keys || strlen(ks) != k->data.scalar.length)
			return cx_key_err(x, ks, k, "unknown key");
		if (v[i] != NULL)
			return cx_key_err(x, ks, k, "duplicate key");
		v[i] = val;
	}
	return 0;
}

int
cx_earlier(const void *items, size_t size, unsigned i, bool (*same)(const void *a, const void *b))
{
	const char *base = items;
	unsigned j;

	for (j = 0; j < i; j++)
		if (same(base + (size_t)j * size, base + (size_t)i * size))
			return (int)j;
	return -1;
}

static bool
same_name(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

int
cx_earlier_name(const void *items, size_t size, unsigned i)
{
	return cx_earlier(items, size, i, same_name);
}

int
cx_map_req(struct cx *x, const yaml_node_t *map, const char *const keys[], unsigned n_keys,
	   yaml_node_t *v[], unsigned need)
{
	unsigned i;
	int rc = cx_map(x, map, keys, n_keys, v);

	for (i = 0; rc == 0 && i < n_keys; i++)
		if ((need & 1u << i) && v[i] == NULL)
			rc = cx_missing(x, map, keys[i]);
	return rc;
}

/* ---- typed readers ---- */

/*
 * The frame of every typed reader: under @key, the scalar text of @n (an
 * error naming @want if it is not one), handed to @conv with @arg.
 */
static int
cx_typed(struct cx *x, const char *key, const yaml_node_t *n, const char *want,
	 int (*conv)(struct cx *x, const yaml_node_t *n, const char *s, void *arg), void *arg)
{
	size_t m = cx_push_key(x, key);
	const char *s;
	int rc;

	rc = cx_scalar(x, n, want, &s);
	if (rc == 0)
		rc = conv(x, n, s, arg);
	cx_pop(x, m);
	return rc;
}

struct str_arg {
	char *dst;
	size_t size;
};

static int
conv_str(struct cx *x, const yaml_node_t *n, const char *s, void *arg)
{
	struct str_arg *a = arg;

	if (strlen(s) >= a->size)
		return cx_err(x, n, "longer than %zu characters", a->size - 1);
	memcpy(a->dst, s, strlen(s) + 1);
	return 0;
}

int
cx_str(struct cx *x, const char *key, const yaml_node_t *n, char *dst, size_t size)
{
	struct str_arg a = { dst, size };

	return cx_typed(x, key, n, "a string", conv_str, &a);
}

static int
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

struct uint_arg {
	uint64_t min, max, *out;
};

static int
conv_uint(struct cx *x, const yaml_node_t *n, const char *s, void *arg)
{
	struct uint_arg *a = arg;
	uint64_t v = 0;

	if (parse_u64(s, &v) < 0)
		return cx_err(x, n, "expected a non-negative integer, got '%s'", s);
	if (v < a->min || v > a->max)
		return cx_err(x, n, "%s out of range %llu..%llu", s, (unsigned long long)a->min,
			      (unsigned long long)a->max);
	*a->out = v;
	return 0;
}

int
cx_uint(struct cx *x, const char *key, const yaml_node_t *n, uint64_t min, uint64_t max,
	uint64_t *out)
{
	struct uint_arg a = { min, max, out };

	return cx_typed(x, key, n, "an integer", conv_uint, &a);
}

static int
conv_bool(struct cx *x, const yaml_node_t *n, const char *s, void *arg)
{
	static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes"};
	static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No"};
	bool *out = arg;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*out = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return cx_err(x, n, "expected true or false, got '%.32s'", s);
}

int
cx_bool(struct cx *x, const char *key, const yaml_node_t *n, bool *out)
{
	return cx_typed(x, key, n, "a boolean", conv_bool, out);
}

/* "<digits><unit>" with the unit table given; the multiplier is checked. */
static int
scaled(const char *s, const char *const units[], const uint64_t mult[], unsigned n_units,
       uint64_t *out)
{
	unsigned long long v;
	char *end;
	unsigned i;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -ERANGE;
	for (i = 0; i < n_units; i++) {
		if (strcmp(end, units[i]) == 0) {
			if (mult[i] != 0 && v > UINT64_MAX / mult[i])
				return -ERANGE;
			*out = v * mult[i];
			return 0;
		}
	}
	return -EINVAL;
}

struct dur_arg {
	bool ms;
	uint64_t max, *out;
};

static int
conv_duration(struct cx *x, const yaml_node_t *n, const char *s, void *arg)
{
	static const char *const units_s[] = {"", "s", "m", "h", "d"};
	static const uint64_t mult_s[] = {1, 1, 60, 3600, 86400};
	static const char *const units_ms[] = {"", "ms", "s", "m", "h"};
	static const uint64_t mult_ms[] = {1, 1, 1000, 60000, 3600000};
	struct dur_arg *a = arg;
	uint64_t v = 0;
	int k = a->ms ? scaled(s, units_ms, mult_ms, 5, &v) : scaled(s, units_s, mult_s, 5, &v);

	if (k == -EINVAL)
		return cx_err(x, n, "bad duration '%s' (number with unit %s)", s,
			      a->ms ? "ms, s, m or h" : "s, m, h or d");
	if (k < 0 || v > a->max)
		return cx_err(x, n, "duration '%s' too long (max %llu%s)", s,
			      (unsigned long long)a->max, a->ms ? "ms" : "s");
	*a->out = v;
	return 0;
}

int
cx_duration(struct cx *x, const char *key, const yaml_node_t *n, bool ms, uint64_t max,
	    uint64_t *out)
{
	struct dur_arg a = { ms, max, out };

	return cx_typed(x, key, n, "a duration", conv_duration, &a);
}

struct size_arg {
	unsigned base;
	uint64_t *out;
};

static int
conv_size(struct cx *x, const yaml_node_t *n, const char *s, void *arg)
{
	static const char *const units[] = {"", "K", "M", "G", "T"};
	struct size_arg *a = arg;
	uint64_t b = a->base, mult[5] = {1, b, b * b, b * b * b, b * b * b * b};
	uint64_t v = 0;
	int k = scaled(s, units, mult, 5, &v);

	if (k == -EINVAL)
		return cx_err(x, n, "bad count '%s' (number with optional K, M, G or T)", s);
	if (k < 0)
		return cx_err(x, n, "count '%s' too large", s);
	*a->out = v;
	return 0;
}

int
cx_size(struct cx *x, const char *key, const yaml_node_t *n, unsigned base, uint64_t *out)
{
	struct size_arg a = { base, out };

	return cx_typed(x, key, n, "a count", conv_size, &a);
}

int
cx_seq(struct cx *x, const char *key, const yaml_node_t *n, bool scalar_ok,
       yaml_node_t *items[], unsigned max, unsigned *count)
{
	size_t m = cx_push_key(x, key);
	yaml_node_item_t *it;
	int rc = 0;

	*count = 0;
	if (n->type == YAML_SCALAR_NODE && scalar_ok) {
		items[0] = (yaml_node_t *)n;
		*count = 1;
		goto out;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		rc = cx_err(x, n, "expected a list, got %s", node_kind(n));
		goto out;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		if (*count >= max) {
			rc = cx_err(x, cx_node(x, *it), "more than %u entries", max);
			goto out;
		}
		items[(*count)++] = cx_node(x, *it);
	}
out:
	cx_pop(x, m);
	return rc;
}

int
cx_seq_each(struct cx *x, const char *key, const yaml_node_t *n, bool scalar_ok,
	    const char *if_empty, unsigned max, unsigned *count,
	    int (*fn)(struct cx *x, const yaml_node_t *item, unsigned i, void *arg), void *arg)
{
	yaml_node_t *items[CX_MAX_ITEMS];
	size_t m;
	unsigned i;
	int rc;

	if (max > CX_MAX_ITEMS)
		max = CX_MAX_ITEMS;	/* items[] bounds every list (no limit is larger) */
	rc = cx_seq(x, key, n, scalar_ok, items, max, count);
	if (rc < 0)
		return rc;
	m = cx_push_key(x, key);
	if (*count == 0 && if_empty != NULL)
		rc = cx_err(x, n, "%s", if_empty);
	for (i = 0; rc == 0 && i < *count; i++) {
		size_t k = cx_push_idx(x, i);

		rc = fn(x, items[i], i, arg);
		cx_pop(x, k);
	}
	cx_pop(x, m);
	return rc;
}

int
cx_open_secret(struct cx *x, const char *key, const yaml_node_t *n, char *path, size_t size,
	       struct stat *st)
{
	int fd, rc;

	rc = cx_path(x, key, n, path, size);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cx_err(x, n, "%s %s: cannot open: %s", key, path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return cx_err(x, n, "%s %s: not a regular file", key, path);
	}
	if ((rc = cx_secret_mode(x, key, n, path, (unsigned)st->st_mode)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

size_t
cx_read_close(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t k;

	while (got < cap) {
		k = read(fd, buf + got, cap - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	return got;
}

int
cx_secret_mode(struct cx *x, const char *key, const yaml_node_t *n, const char *what,
	       unsigned mode)
{
	size_t m;
	int rc;

	if ((mode & 0066) == 0)
		return 0;
	m = cx_push_key(x, key);
	rc = cx_err(x, n, "%s is readable or writable by group or others (mode %04o): "
		    "chmod 600", what, mode & 07777);
	cx_pop(x, m);
	return rc;
}

int
cx_path(struct cx *x, const char *key, const yaml_node_t *n, char *dst, size_t size)
{
	char raw[IKE_MAX_PATH];
	size_t m;
	int rc, k;

	rc = cx_str(x, key, n, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	if (raw[0] == '/' || x->dir[0] == '\0')
		k = snprintf(dst, size, "%s", raw);
	else
		k = snprintf(dst, size, "%s/%s", x->dir, raw);
	if (k < 0 || (size_t)k >= size) {
		m = cx_push_key(x, key);
		rc = cx_err(x, n, "path too long");
		cx_pop(x, m);
	}
	return rc;
}

/* ---- sections ---- */

int
conf_parse_log_level(struct cx *x, const yaml_node_t *n, int *out)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{"err", IKE_LOG_ERR}, {"error", IKE_LOG_ERR}, {"warning", IKE_LOG_WARNING},
		{"notice", IKE_LOG_NOTICE}, {"info", IKE_LOG_INFO}, {"debug", IKE_LOG_DEBUG},
	};
	char s[16];
	size_t i, m;
	int rc;

	rc = cx_str(x, "log_level", n, s, sizeof(s));
	for (i = 0; rc == 0 && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	}
	if (rc < 0)
		return rc;
	m = cx_push_key(x, "log_level");
	rc = cx_err(x, n, "unknown level '%s' (err, warning, notice, info, debug)", s);
	cx_pop(x, m);
	return rc;
}

static int
parse_control(struct cx *x, const yaml_node_t *n)
{
	enum { K_SOCKET, K_MODE, K_GROUP, K_N };
	static const char *const keys[K_N] = {"socket", "mode", "group"};
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "control");
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0 && v[K_SOCKET] != NULL) {
		rc = cx_str(x, "socket", v[K_SOCKET], x->c->ctl_path, sizeof(x->c->ctl_path));
		if (rc == 0 && x->c->ctl_path[0] != '/')
			rc = cx_key_err(x, "socket", v[K_SOCKET], "must be an absolute path");
	}
	if (rc == 0 && v[K_MODE] != NULL) {
		char s[8];
		char *end;
		unsigned long mode;

		rc = cx_str(x, "mode", v[K_MODE], s, sizeof(s));
		if (rc == 0) {
			size_t k = cx_push_key(x, "mode");

			mode = strtoul(s, &end, 8);
			if (!isdigit((unsigned char)s[0]) || *end != '\0' || mode > 0777)
				rc = cx_err(x, v[K_MODE], "expected an octal mode such as 0660");
			else if (mode & 0007)
				rc = cx_err(x, v[K_MODE], "the socket must not be world-accessible");
			else if ((mode & 0600) != 0600)
				rc = cx_err(x, v[K_MODE], "the owner needs read and write (0600)");
			cx_pop(x, k);
			x->c->ctl_mode = (uint32_t)mode;
		}
	}
	if (rc == 0 && v[K_GROUP] != NULL) {
		rc = cx_str(x, "group", v[K_GROUP], x->c->ctl_group, sizeof(x->c->ctl_group));
		if (rc == 0 && !conf_is_name(x->c->ctl_group, sizeof(x->c->ctl_group)))
			rc = cx_key_err(x, "group", v[K_GROUP], "bad group name");
	}
	cx_pop(x, m);
	return rc;
}

/* Memory caps against unauthenticated peers: v = half_open_per_source,
 * frag_memory_max, frag_preauth_max (bytes, K/M suffixes). */
static int
parse_ike_caps(struct cx *x, struct conf_ike *ike, yaml_node_t *const v[3])
{
	uint64_t u;
	int rc = 0;

	if (v[0] != NULL && (rc = cx_uint(x, "half_open_per_source", v[0], 1, 1000000, &u)) == 0)
		ike->half_open_per_src = (unsigned)u;
	if (rc == 0 && v[1] != NULL &&
	    (rc = cx_size(x, "frag_memory_max", v[1], 1024, &u)) == 0) {
		if (u < 64 * 1024 || u > 1024ULL * 1024 * 1024)
			rc = cx_key_err(x, "frag_memory_max", v[1],
					"%llu bytes out of range 64K..1G",
					(unsigned long long)u);
		ike->frag_mem_max = (size_t)u;
	}
	if (rc == 0 && v[2] != NULL &&
	    (rc = cx_size(x, "frag_preauth_max", v[2], 1024, &u)) == 0) {
		if (u < 2 * 1024 || u > 64 * 1024)
			rc = cx_key_err(x, "frag_preauth_max", v[2],
					"%llu bytes out of range 2K..64K",
					(unsigned long long)u);
		ike->frag_preauth_max = (size_t)u;
	}
	return rc;
}

static int
parse_ike(struct cx *x, const yaml_node_t *n)
{
	enum { K_WIN, K_COOKIE, K_HALF, K_RBASE, K_RTRIES, K_KEEP,
	       K_HO_SRC, K_FRAG_MEM, K_FRAG_PRE,
	       K_N };
	static const char *const keys[K_N] = {
		"window_size", "cookie_threshold", "half_open_max", "retransmit_base",
		"retransmit_tries", "nat_keepalive",
		"half_open_per_source", "frag_memory_max", "frag_preauth_max",
	};
	struct conf_ike *ike = &x->c->ike;
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "ike");
	uint64_t u;
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0 && v[K_WIN] != NULL && (rc = cx_uint(x, keys[K_WIN], v[K_WIN], 1, 64, &u)) == 0)
		ike->window_size = (uint16_t)u;
	if (rc == 0 && v[K_COOKIE] != NULL &&
	    (rc = cx_uint(x, keys[K_COOKIE], v[K_COOKIE], 0, 1000000, &u)) == 0)
		ike->cookie_threshold = (unsigned)u;
	if (rc == 0 && v[K_HALF] != NULL &&
	    (rc = cx_uint(x, keys[K_HALF], v[K_HALF], 1, 1000000, &u)) == 0)
		ike->half_open_max = (unsigned)u;
	if (rc == 0 && v[K_RBASE] != NULL &&
	    (rc = cx_duration(x, keys[K_RBASE], v[K_RBASE], true, 60000, &u)) == 0) {
		if (u < 100)
			rc = cx_key_err(x, keys[K_RBASE], v[K_RBASE], "below 100ms");
		ike->retransmit_base_ms = (uint32_t)u;
	}
	if (rc == 0 && v[K_RTRIES] != NULL &&
	    (rc = cx_uint(x, keys[K_RTRIES], v[K_RTRIES], 1, 20, &u)) == 0)
		ike->retransmit_tries = (unsigned)u;
	if (rc == 0 && v[K_KEEP] != NULL &&
	    (rc = cx_duration(x, keys[K_KEEP], v[K_KEEP], false, 3600, &u)) == 0)
		ike->nat_keepalive_s = (uint32_t)u;
	if (rc == 0)
		rc = parse_ike_caps(x, ike, &v[K_HO_SRC]);
	if (rc == 0 && ike->half_open_max < ike->cookie_threshold)
		rc = cx_err(x, v[K_HALF] != NULL ? v[K_HALF] : n,
			    "half_open_max (%u) below cookie_threshold (%u)", ike->half_open_max,
			    ike->cookie_threshold);
	cx_pop(x, m);
	return rc;
}

/* metrics: {listen: "ADDR:PORT" | "[V6ADDR]:PORT"} */
static int
parse_metrics(struct cx *x, const yaml_node_t *n)
{
	enum { K_LISTEN, K_N };
	static const char *const keys[K_N] = {"listen"};
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "metrics");
	char s[80], *colon, *host = s, *end;
	unsigned long port;
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0)
		rc = cx_req_str(x, n, "listen", v[K_LISTEN], s, sizeof(s));
	if (rc == 0) {
		size_t k = cx_push_key(x, "listen");

		colon = strrchr(s, ':');
		if (colon != NULL)
			*colon = '\0';
		if (s[0] == '[' && colon != NULL && colon > s + 1 && colon[-1] == ']') {
			host = s + 1;
			colon[-1] = '\0';
		}
		port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
		if (colon == NULL || !isdigit((unsigned char)colon[1]) || *end != '\0' ||
		    port == 0 || port > 65535 ||
		    conf_parse_addr(host, &x->c->metrics_af, x->c->metrics_addr) != 0 ||
		    (x->c->metrics_af == 6 && host == s))
			rc = cx_err(x, v[K_LISTEN], "expected ADDRESS:PORT or [IPV6]:PORT");
		else
			x->c->metrics_port = (uint16_t)port;
		cx_pop(x, k);
	}
	if (rc != 0)
		x->c->metrics_af = 0;
	cx_pop(x, m);
	return rc;
}

/* gcm_engine: auto | mgcm | ipsecmb (lib/crypto/cry_mgcm.h's modes). */
static int
parse_gcm_engine(struct cx *x, const yaml_node_t *n)
{
	static const char *const names[] = {
		[CONF_GCM_AUTO] = "auto", [CONF_GCM_MGCM] = "mgcm", [CONF_GCM_IPSECMB] = "ipsecmb",
	};
	char s[16];
	size_t m;
	unsigned i;
	int rc;

	rc = cx_str(x, "gcm_engine", n, s, sizeof(s));
	if (rc < 0)
		return rc;
	for (i = CONF_GCM_AUTO; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			x->c->gcm_engine = (enum conf_gcm_engine)i;
			return 0;
		}
	}
	m = cx_push_key(x, "gcm_engine");
	rc = cx_err(x, n, "unknown engine '%s' (auto, mgcm, ipsecmb)", s);
	cx_pop(x, m);
	return rc;
}

static void
set_defaults(struct conf *c)
{
	c->workers = 1;
	c->max_tunnels = CONF_MAX_TUNNELS_DEFAULT;
	c->log_level = IKE_LOG_INFO;
	c->telemetry = true;
	snprintf(c->ctl_path, sizeof(c->ctl_path), "/run/rampart/rampart.sock");
	c->ctl_mode = 0600;
	c->ike.window_size = 1;
	c->ike.cookie_threshold = 1000;
	c->ike.half_open_max = 10000;
	c->ike.retransmit_base_ms = 1000;
	c->ike.retransmit_tries = 5;
	c->ike.nat_keepalive_s = 20;
	conf_ctlcore_defaults(&c->ctlcore);
	c->ike.half_open_per_src = 32;
	c->ike.frag_mem_max = 8u << 20;
	c->ike.frag_preauth_max = 16u << 10;
}

static int
parse_root(struct cx *x, const yaml_node_t *root)
{
	enum { K_WORKERS, K_LOG, K_TELEM, K_CTL, K_IKE, K_PORTS, K_ROUTES, K_CONNS, K_CTLCORE,
	       K_METRICS, K_MAX_TUNNELS, K_RADIUS, K_GCM_ENGINE, K_EAP_USERS, K_MANUAL, K_NEIGH,
	       K_CRYPTO, K_N };
	static const char *const keys[K_N] = {
		"workers", "log_level", "telemetry", "control", "ike", "ports", "routes",
		"connections", "control_core", "metrics", "max_tunnels", "radius", "gcm_engine",
		"eap_users", "manual_sas", "neighbors", "crypto",
	};
	struct conf *c = x->c;
	yaml_node_t *v[K_N];
	uint64_t u;
	int rc;

	set_defaults(c);
	rc = cx_map(x, root, keys, K_N, v);
	if (rc < 0)
		return rc;
	if (v[K_WORKERS] != NULL) {
		if ((rc = cx_uint(x, "workers", v[K_WORKERS], 0, CONF_MAX_WORKERS, &u)) < 0)
			return rc;
		c->workers = (unsigned)u;
	}
	if (v[K_MAX_TUNNELS] != NULL) {
		if ((rc = cx_uint(x, "max_tunnels", v[K_MAX_TUNNELS], CONF_MAX_TUNNELS_MIN,
				  CONF_MAX_TUNNELS_MAX, &u)) < 0)
			return rc;
		c->max_tunnels = (unsigned)u;
	}
	if (v[K_LOG] != NULL && (rc = conf_parse_log_level(x, v[K_LOG], &c->log_level)) < 0)
		return rc;
	if (v[K_GCM_ENGINE] != NULL && (rc = parse_gcm_engine(x, v[K_GCM_ENGINE])) < 0)
		return rc;
	if (v[K_CRYPTO] != NULL && (rc = conf_parse_crypto(x, v[K_CRYPTO])) < 0)
		return rc;
	if (v[K_TELEM] != NULL && (rc = cx_bool(x, "telemetry", v[K_TELEM], &c->telemetry)) < 0)
		return rc;
	if (v[K_CTL] != NULL && (rc = parse_control(x, v[K_CTL])) < 0)
		return rc;
	if (v[K_IKE] != NULL && (rc = parse_ike(x, v[K_IKE])) < 0)
		return rc;
	if (v[K_CTLCORE] != NULL && (rc = conf_parse_ctlcore(x, v[K_CTLCORE])) < 0)
		return rc;
	if (v[K_METRICS] != NULL && (rc = parse_metrics(x, v[K_METRICS])) < 0)
		return rc;
	if (v[K_PORTS] == NULL)
		return cx_missing(x, root, "ports");
	if ((rc = conf_parse_ports(x, v[K_PORTS])) < 0)
		return rc;
	if (v[K_ROUTES] != NULL && (rc = conf_parse_routes(x, v[K_ROUTES])) < 0)
		return rc;
	if (v[K_CONNS] != NULL && (rc = conf_parse_conns(x, v[K_CONNS])) < 0)
		return rc;
	if (v[K_RADIUS] != NULL && (rc = conf_parse_radius(x, v[K_RADIUS])) < 0)
		return rc;
	if (v[K_EAP_USERS] != NULL && (rc = conf_parse_eap_users(x, v[K_EAP_USERS])) < 0)
		return rc;
	if (v[K_NEIGH] != NULL && (rc = conf_parse_neighbors(x, v[K_NEIGH])) < 0)
		return rc;
	if (v[K_MANUAL] != NULL && (rc = conf_parse_manual(x, v[K_MANUAL])) < 0)
		return rc;
	return conf_radius_check_conns(x, v[K_CONNS] != NULL ? v[K_CONNS] : root);
}

/* ---- entry points ---- */

/*
 * The YAML text holds PSKs: wipe every copy libyaml made (scalar values,
 * the parser's input buffers) before it frees them.
 */
static void
scrub_document(yaml_document_t *doc)
{
	yaml_node_t *n;

	for (n = doc->nodes.start; n != NULL && n < doc->nodes.top; n++) {
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
			OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
	}
}

static void
scrub_parser(yaml_parser_t *p)
{
	if (p->raw_buffer.start != NULL)
		OPENSSL_cleanse(p->raw_buffer.start,
				(size_t)(p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start != NULL)
		OPENSSL_cleanse(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
}

/*
 * Pass 1 over the event stream, before libyaml builds a document: refuse
 * nesting deeper than CX_MAX_DEPTH and more than CX_MAX_EVENTS events. The
 * document loader (and libyaml's scanner on deep flow nesting) is quadratic:
 * 80 000 '[' took seconds. Stops at the first event past a limit, so any
 * input costs at most that many events. A syntax error here is left to pass
 * 2, which reports it with its position. Scalars are wiped (PSKs).
 */
static int
check_events(struct cx *x, const char *yaml, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned depth = 0, events = 0;
	bool done = false;
	int rc = 0;

	if (!yaml_parser_initialize(&p)) {
		cx_err(x, NULL, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CX_MAX_DEPTH) {
				set_pos(x, ev.start_mark.line + 1, ev.start_mark.column + 1);
				if (x->err_len > 0)
					snprintf(x->err, x->err_len,
						 "%s:%zu:%zu: nested deeper than %d levels", x->name,
						 ev.start_mark.line + 1, ev.start_mark.column + 1,
						 CX_MAX_DEPTH);
				rc = -EINVAL;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.value != NULL)
				OPENSSL_cleanse(ev.data.scalar.value, ev.data.scalar.length);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		if (rc == 0 && ++events > CX_MAX_EVENTS) {
			set_pos(x, ev.start_mark.line + 1, ev.start_mark.column + 1);
			if (x->err_len > 0)
				snprintf(x->err, x->err_len, "%s:%zu:%zu: more than %d YAML nodes",
					 x->name, ev.start_mark.line + 1, ev.start_mark.column + 1,
					 CX_MAX_EVENTS);
			rc = -EINVAL;
		}
		yaml_event_delete(&ev);
	}
	scrub_parser(&p);
	yaml_parser_delete(&p);
	return rc;
}

struct load_args {
	bool is_file;
	unsigned file_mode;
	const uint8_t *gen_psk;
	size_t gen_psk_len;
	struct conf_err_pos *pos;
};

static int
load_text(const char *yaml, size_t len, const char *name, const struct load_args *a,
	  struct conf **out, char *err, size_t err_len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cx x;
	const char *slash;
	yaml_node_t *root;
	int rc;

	memset(&x, 0, sizeof(x));
	x.name = name != NULL && name[0] != '\0' ? name : "<string>";
	x.err = err;
	x.err_len = err_len;
	x.is_file = a->is_file;
	x.file_mode = a->file_mode;
	x.gen_psk = a->gen_psk;
	x.gen_psk_len = a->gen_psk_len;
	x.pos = a->pos;
	if (x.pos != NULL)
		memset(x.pos, 0, sizeof(*x.pos));
	if (err_len > 0)
		err[0] = '\0';
	slash = name != NULL ? strrchr(name, '/') : NULL;
	if (slash != NULL) {
		size_t dl = (size_t)(slash - name);

		if (dl == 0)
			dl = 1;		/* file in "/" */
		if (dl >= sizeof(x.dir))
			return cx_err(&x, NULL, "file name too long");
		memcpy(x.dir, name, dl);
		x.dir[dl] = '\0';
	}
	if (len > CONF_MAX_FILE_LEN) {
		cx_err(&x, NULL, "larger than %d bytes", CONF_MAX_FILE_LEN);
		return -EFBIG;
	}
	rc = check_events(&x, yaml, len);
	if (rc < 0)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		cx_err(&x, NULL, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		set_pos(&x, parser.problem_mark.line + 1, parser.problem_mark.column + 1);
		if (err_len > 0)
			snprintf(err, err_len, "%s:%zu:%zu: %s%s%s", x.name,
				 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				 parser.problem != NULL ? parser.problem : "YAML error",
				 parser.context != NULL ? " " : "",
				 parser.context != NULL ? parser.context : "");
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		scrub_parser(&parser);
		yaml_parser_delete(&parser);
		return rc;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	x.c = calloc(1, sizeof(*x.c));
	if (x.c == NULL) {
		cx_err(&x, NULL, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	snprintf(x.c->source, sizeof(x.c->source), "%s", x.name);
	if (root == NULL)
		rc = cx_err(&x, NULL, "empty configuration");
	else
		rc = parse_root(&x, root);
	if (rc == 0) {
		/* A second document would be ignored silently: refuse it. */
		yaml_document_t doc2;

		if (!yaml_parser_load(&parser, &doc2)) {
			rc = cx_err(&x, NULL, "YAML error after the first document");
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&doc2);

			if (r2 != NULL)
				rc = cx_err(&x, r2, "more than one YAML document");
			scrub_document(&doc2);
			yaml_document_delete(&doc2);
		}
	}
	if (rc == 0) {
		*out = x.c;
		x.c = NULL;
	}
out:
	if (x.c != NULL) {
		conf_wipe(x.c);
		free(x.c);
	}
	scrub_document(&doc);
	yaml_document_delete(&doc);
	scrub_parser(&parser);
	yaml_parser_delete(&parser);
	return rc;
}

int
conf_load_string(const char *yaml, size_t len, const char *name, struct conf **out, char *err,
		 size_t err_len)
{
	const struct load_args a = {.is_file = false};

	return load_text(yaml, len, name, &a, out, err, err_len);
}

int
conf_load_default(const uint8_t *psk, size_t psk_len, struct conf **out, char *err,
		  size_t err_len)
{
	const struct load_args a = {.gen_psk = psk, .gen_psk_len = psk_len};
	const char *y = conf_default_yaml();

	if (psk == NULL || psk_len == 0 || psk_len > IKE_MAX_PSK_LEN) {
		if (err_len > 0)
			snprintf(err, err_len, "<built-in>: bad generated PSK length");
		return -EINVAL;
	}
	return load_text(y, strlen(y), "<built-in>", &a, out, err, err_len);
}

int
conf_load(const char *path, struct conf **out, char *err, size_t err_len)
{
	return conf_load_pos(path, out, err, err_len, NULL);
}

int
conf_load_pos(const char *path, struct conf **out, char *err, size_t err_len,
	      struct conf_err_pos *pos)
{
	struct load_args a = {.is_file = true, .pos = pos};
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	if (pos != NULL)
		memset(pos, 0, sizeof(*pos));

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	if (st.st_size > CONF_MAX_FILE_LEN) {
		rc = -EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			goto fail;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	fd = -1;
	a.file_mode = (unsigned)st.st_mode & 07777;	/* of the open file, not the name */
	rc = load_text(buf, got, path, &a, out, err, err_len);
	OPENSSL_cleanse(buf, got);
	free(buf);
	return rc;
fail:
	if (err_len > 0)
		snprintf(err, err_len, "%s: %s", path,
			 rc == -EFBIG ? "config file too large" :
			 rc == -EINVAL ? "not a regular file" : strerror(-rc));
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The directory of @path with every symlink resolved, into @out (PATH_MAX). */
static int
real_dir(const char *path, char *out)
{
	char copy[PATH_MAX];

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, strlen(path) + 1);
	if (realpath(dirname(copy), out) == NULL)
		return -errno;
	return 0;
}

int
conf_reload_path(const char *conf_path, const char *req, char *out, size_t out_len)
{
	char cdir[PATH_MAX], rdir[PATH_MAX], file[PATH_MAX];

	if (conf_path == NULL || conf_path[0] == '\0' || req == NULL || req[0] == '\0')
		return -EPERM;
	if (real_dir(conf_path, cdir) < 0)
		return -EPERM;
	/* Directory first: nothing is learnt about files elsewhere. */
	if (real_dir(req, rdir) < 0 || strcmp(rdir, cdir) != 0)
		return -EPERM;
	/* Then the file itself: a symlink in the directory may point out of it. */
	if (realpath(req, file) == NULL || real_dir(file, rdir) < 0 || strcmp(rdir, cdir) != 0)
		return -EPERM;
	if (strlen(file) >= out_len)
		return -ENAMETOOLONG;
	memcpy(out, file, strlen(file) + 1);
	return 0;
}

void
conf_wipe(struct conf *c)
{
	unsigned i;

	for (i = 0; i < CONF_MAX_CONNS; i++) {
		OPENSSL_cleanse(c->conns[i].psk, sizeof(c->conns[i].psk));
		c->conns[i].psk_len = 0;
	}
	OPENSSL_cleanse(c->radius.servers, sizeof(c->radius.servers));
	OPENSSL_cleanse(c->radius.acct_servers, sizeof(c->radius.acct_servers));
	if (c->eap_users != NULL) {
		OPENSSL_cleanse(c->eap_users, c->n_eap_users * sizeof(*c->eap_users));
		free(c->eap_users);
	}
	c->eap_users = NULL;
	c->n_eap_users = 0;
	OPENSSL_cleanse(c->manual, sizeof(c->manual));
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	conf_wipe(c);
	if (free_hook != NULL)
		free_hook(c);
	free(c);
}

int
conf_port_find(const struct conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_ports; i++) {
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

const char *
conf_port_role_name(uint8_t role)
{
	switch (role) {
	case CONF_PORT_PUBLIC:
		return "public";
	case CONF_PORT_PRIVATE:
		return "private";
	case CONF_PORT_ONE_ARMED:
		return "one-armed";
	default:
		return "?";
	}
}

const char *
conf_log_level_name(int level)
{
	switch (level) {
	case IKE_LOG_ERR:
		return "err";
	case IKE_LOG_WARNING:
		return "warning";
	case IKE_LOG_NOTICE:
		return "notice";
	case IKE_LOG_INFO:
		return "info";
	case IKE_LOG_DEBUG:
		return "debug";
	default:
		return "?";
	}
}
