/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/conf (YAML -> struct conf), lib/ctl (the control socket
 * server) and rampartctl's argument handling. Bad configs live in
 * tests/unit/conf/NAME.yaml; each must fail with exactly the message in
 * bad_cases[] (file:line:col: key path: reason), leave the output pointer
 * alone and never show a secret. Run under ASan/LSan for leaks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "conf/conf.h"
#include "ctl/ctl_sock.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

static char tmpdir[64];

static struct conf *
load_ok(const char *path)
{
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;
	int rc = conf_load(path, &c, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
	return c;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

/* ---- samples ---- */

static void
samples_load(void)
{
	static const char *const names[] = {"ci", "remote-access", "site-to-site"};
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct conf *c;

		snprintf(path, sizeof(path), SRCDIR "/config/%s.yaml", names[i]);
		c = load_ok(path);
		CU_ASSERT_PTR_NOT_NULL(c);
		if (c != NULL) {
			CU_ASSERT(c->n_ports >= 1);
			CU_ASSERT(c->n_conns >= 1);
		}
		conf_free(c);
	}
}

static void
ci_values(void)
{
	struct conf *c = load_ok(SRCDIR "/config/ci.yaml");
	const struct ike_conn_cfg *cc;
	const struct sockaddr_in *sin;
	static const uint8_t first[4] = {10, 99, 0, 1}, last[4] = {10, 99, 0, 254};

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->n_ports, 2);
	CU_ASSERT_STRING_EQUAL(c->ports[0].device, "net_af_packet0,iface=rp-pub");
	CU_ASSERT_EQUAL(c->ports[0].role, CONF_PORT_PUBLIC);
	CU_ASSERT_EQUAL(c->ports[1].role, CONF_PORT_PRIVATE);
	CU_ASSERT_EQUAL(c->ports[1].addrs[0].len, 24);
	CU_ASSERT_EQUAL(c->ctl_mode, 0600);
	CU_ASSERT_EQUAL(conf_port_find(c, "lan"), 1);
	CU_ASSERT_EQUAL(conf_port_find(c, "nope"), -1);
	cc = &c->conns[0];
	CU_ASSERT_STRING_EQUAL(cc->name, "ra");
	CU_ASSERT_EQUAL(c->conn_port[0], 0);
	CU_ASSERT_EQUAL(cc->remote.ss_family, AF_UNSPEC);
	sin = (const struct sockaddr_in *)&cc->local;
	CU_ASSERT_EQUAL(sin->sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(sin->sin_port), 500);
	CU_ASSERT_EQUAL(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	CU_ASSERT_EQUAL(cc->local_id.type, IKE_ID_FQDN);
	CU_ASSERT_EQUAL(cc->local_id.len, strlen("gw.rampart.test"));
	CU_ASSERT_EQUAL(cc->remote_id.type, IKE_ID_ANY);
	CU_ASSERT_EQUAL(cc->auth, IKE_AUTHM_PSK);
	CU_ASSERT_EQUAL(cc->remote_auth, IKE_AUTHM_PSK);
	CU_ASSERT_EQUAL(cc->psk_len, strlen("rampart-ci-only-not-a-secret"));
	CU_ASSERT_EQUAL(cc->pool.af, 4);
	CU_ASSERT_EQUAL(memcmp(cc->pool.first, first, 4), 0);
	CU_ASSERT_EQUAL(cc->pool.size, 254);
	CU_ASSERT_EQUAL(cc->pool.n_dns, 1);
	CU_ASSERT_EQUAL(cc->n_remote_ts, 1);
	CU_ASSERT_EQUAL(memcmp(cc->remote_ts[0].saddr, first, 4), 0);
	CU_ASSERT_EQUAL(memcmp(cc->remote_ts[0].eaddr, last, 4), 0);
	CU_ASSERT_EQUAL(cc->remote_ts[0].eport, 65535);
	CU_ASSERT_EQUAL(cc->n_local_ts, 1);
	CU_ASSERT_EQUAL(cc->n_ike_proposals, 1);
	CU_ASSERT_STRING_EQUAL(cc->esp_proposals[0], "aes256gcm16");
	CU_ASSERT_EQUAL(cc->ike_lifetime_s, 4 * 3600);
	CU_ASSERT_EQUAL(cc->replay_window, 1024);
	CU_ASSERT_EQUAL(c->ike.window_size, 1);
	conf_free(c);
}

static void
site_to_site_values(void)
{
	struct conf *c = load_ok(SRCDIR "/config/site-to-site.yaml");
	const struct ike_conn_cfg *cc;
	static const uint8_t psk_head[3] = {0x6b, 0x3a, 0x9f};

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	cc = &c->conns[0];
	CU_ASSERT(cc->initiate);
	CU_ASSERT_EQUAL(cc->remote.ss_family, AF_INET);
	CU_ASSERT_EQUAL(cc->local_id.type, IKE_ID_DER_ASN1_DN);
	CU_ASSERT(cc->local_id.len > 10 && cc->local_id.data[0] == 0x30);
	CU_ASSERT_EQUAL(cc->remote_id.type, IKE_ID_FQDN);
	CU_ASSERT_EQUAL(cc->psk_len, 24);
	CU_ASSERT_EQUAL(memcmp(cc->psk, psk_head, 3), 0);
	CU_ASSERT_EQUAL(cc->n_local_ts, 2);
	CU_ASSERT_EQUAL(cc->local_ts[1].proto, 6);
	CU_ASSERT_EQUAL(cc->local_ts[1].sport, 22);
	CU_ASSERT_EQUAL(cc->local_ts[1].eport, 22);
	CU_ASSERT_EQUAL(cc->remote_ts[1].proto, 17);
	CU_ASSERT_EQUAL(cc->remote_ts[1].sport, 5000);
	CU_ASSERT_EQUAL(cc->remote_ts[1].eport, 5100);
	CU_ASSERT_EQUAL(cc->child_life_bytes, 100ULL << 30);
	CU_ASSERT_EQUAL(cc->child_life_packets, 500000000ULL);
	CU_ASSERT_EQUAL(cc->dpd_s, 10);
	CU_ASSERT_EQUAL(cc->replay_window, 4096);
	CU_ASSERT_EQUAL(cc->ike_lifetime_s, 8 * 3600);
	CU_ASSERT_EQUAL(c->ports[0].role, CONF_PORT_ONE_ARMED);
	CU_ASSERT_EQUAL(c->routes[1].port, 0);
	CU_ASSERT_EQUAL(c->routes[1].via_af, 4);
	CU_ASSERT_EQUAL(c->log_level, IKE_LOG_NOTICE);
	CU_ASSERT(!c->telemetry);
	conf_free(c);
}

static void
default_loads(void)
{
	const char *y = conf_default_yaml();
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;

	static char file[8192];
	FILE *f = fopen(SRCDIR "/config/ci.yaml", "r");
	size_t n;

	/* The built-in text is config/ci.yaml verbatim: edit both together. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(file, 1, sizeof(file) - 1, f);
	fclose(f);
	file[n] = '\0';
	CU_ASSERT_STRING_EQUAL(y, file);
	CU_ASSERT_EQUAL(conf_load_string(y, strlen(y), "<built-in>", &c, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c != NULL)
		CU_ASSERT_EQUAL(c->n_conns, 1);
	conf_free(c);
}

/* ---- bad configs ---- */

static const struct {
	const char *file;		/* tests/unit/conf/FILE.yaml */
	const char *msg;		/* exact message after the file name */
} bad_cases[] = {
	{"unknown_top_key", ":1:1: bogus: unknown key"},
	{"wrong_type_workers", ":1:10: workers: expected an integer, got a list"},
	{"workers_range", ":1:10: workers: 1000 out of range 0..128"},
	{"bad_cidr", ":5:17: ports[0].addresses[0]: '192.0.2.300/24': not an IPv4 or IPv6 address"},
	{"bad_prefix_len", ":5:17: ports[0].addresses[0]: '192.0.2.1/33': bad prefix length"},
	{"no_prefix_len", ":5:17: ports[0].addresses[0]: '192.0.2.1': prefix length missing (address/len)"},
	{"bad_role", ":7:11: ports[1].role: unknown role 'dmz' (public, private, one-armed)"},
	{"missing_device", ":6:5: ports[1]: required key 'device' missing"},
	{"dup_port_name", ":6:5: ports[1]: duplicate port name 'pub'"},
	{"dup_key", ":4:5: ports[0].role: duplicate key"},
	{"missing_ports", ":1:1: required key 'ports' missing"},
	{"empty", ": empty configuration"},
	{"yaml_syntax", ":2:1: did not find expected node content while parsing a flow node"},
	{"bad_mac", ":8:10: ports[1].mac: multicast MAC"},
	{"ctl_world", ":1:38: control.mode: the socket must not be world-accessible"},
	{"bad_bool", ":1:12: telemetry: expected true or false, got 'maybe'"},
	{"bad_log_level", ":1:12: log_level: unknown level 'loud' (err, warning, notice, info, debug)"},
	{"route_offlink", ":11:30: routes[0].via: next hop 198.51.100.1 is on no subnet of port 'pub'"},
	{"route_no_port", ":11:49: routes[0].port: no port named 'wan'"},
	{"route_host_bits", ":11:14: routes[0].prefix: '10.0.0.1/8' has host bits set"},
	{"dup_conn", ":18:5: connections[1]: duplicate connection name 'ra'"},
	{"replay_range", ":18:20: connections[0].replay_window: 32 out of range 64..4096"},
	{"lifetime_unit", ":18:21: connections[0].child_lifetime: bad duration '1w' (number with unit s, m, h or d)"},
	{"lifetime_short", ":18:19: connections[0].ike_lifetime: below 60s (0 = never rekey)"},
	{"bytes_unit", ":18:23: connections[0].child_life_bytes: bad count '10X' (number with optional K, M, G or T)"},
	{"psk_missing", ":11:5: connections[0]: auth psk needs 'psk' or 'psk_file'"},
	{"psk_and_file", ":18:15: connections[0].psk_file: give psk or psk_file, not both"},
	{"psk_bad_hex", ":14:10: connections[0].psk: bad hex digit"},
	{"psk_file_missing", ":14:15: connections[0].psk_file: cannot open: No such file or directory"},
	{"pool_overlap", ":24:11: connections[1].pool: overlaps the pool of connection 'ra'"},
	{"pool_has_port_addr", ":17:11: connections[0].pool: holds an address of port 'lan'"},
	{"dynamic_no_pool", ":16:16: connections[0].remote_ts: 'dynamic' needs a pool"},
	{"unknown_conn_key", ":18:5: connections[0].esp_proposals: unknown key"},
	{"bad_proposal", ":18:24: connections[0].esp[1]: bad proposal 'AES-GCM' (expected [a-z0-9-]+, e.g. aes256gcm16-prfsha384-ecp384)"},
	{"bad_id", ":18:15: connections[0].local_id: unknown identity type (fqdn:, ipv4:, ipv6:, email:, dn:, keyid:, any)"},
	{"bad_auth", ":13:11: connections[0].auth: unknown auth method 'password' (psk, pubkey)"},
	{"pubkey_no_cert", ":11:5: connections[0]: auth pubkey needs 'cert'"},
	{"cert_unreadable", ":16:11: connections[0].cert: cannot read: No such file or directory"},
	{"initiate_any", ":18:15: connections[0].initiate: needs a remote address, not 'any'"},
	{"local_not_ours", ":18:12: connections[0].local: not an address of a public or one-armed port"},
	{"local_private", ":18:12: connections[0].local: not an address of a public or one-armed port"},
	{"too_many_ts", ":15:120: connections[0].local_ts: more than 8 entries"},
	{"bad_ts", ":15:16: connections[0].local_ts[0]: '10.1.0.0/24[tcp/99999]': bad port in selector"},
	{"bad_range", ":15:15: connections[0].local_ts[0]: '10.1.0.9-10.1.0.1': range end below its start"},
	{"conn_not_map", ":11:5: connections[0]: expected a mapping, got a scalar"},
	{"half_open", ":1:45: ike: half_open_max (10) below cookie_threshold (100)"},
	{"multi_doc", ":11:1: more than one YAML document"},
	{"name_bad", ":6:11: ports[1].name: bad name (letters, digits, '-', '_', '.')"},
};

static void
bad_configs(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct conf *sentinel = (struct conf *)&bad_cases[i], *c = sentinel;
		char path[512], err[CONF_ERR_LEN];
		size_t pl;
		int rc;

		pl = (size_t)snprintf(path, sizeof(path), SRCDIR "/tests/unit/conf/%s.yaml",
				      bad_cases[i].file);
		memset(err, 'x', sizeof(err));
		rc = conf_load(path, &c, err, sizeof(err));
		CU_ASSERT(rc < 0);
		CU_ASSERT_PTR_EQUAL(c, sentinel);
		if (strncmp(err, path, pl) != 0 || strcmp(err + pl, bad_cases[i].msg) != 0) {
			fprintf(stderr, "\n%s:\n  got    %s\n  wanted %s%s\n", bad_cases[i].file, err,
				path, bad_cases[i].msg);
			CU_FAIL("unexpected error message");
		}
		/* The PSK used by the fixtures never shows up in a message. */
		CU_ASSERT_PTR_NULL(strstr(err, "secretsecret"));
	}
}

static void
err_truncation(void)
{
	static const char y[] = "bogus_key_with_a_long_name: 1\n";
	struct conf *c = NULL;
	char err[16];

	memset(err, 'x', sizeof(err));
	CU_ASSERT_EQUAL(conf_load_string(y, strlen(y), "t.yaml", &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), sizeof(err) - 1);
	CU_ASSERT_EQUAL(conf_load_string(y, strlen(y), "t.yaml", &c, NULL, 0), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
}

static void
missing_file(void)
{
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;

	CU_ASSERT_EQUAL(conf_load("/nonexistent/rampart.yaml", &c, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/rampart.yaml: No such file or directory");
	CU_ASSERT_EQUAL(conf_load("/", &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(c);
}

/* ---- values ---- */

#define MINI "ports:\n  - {name: pub, role: public, device: d0, addresses: [192.0.2.1/24]}\n" \
	"connections:\n  - name: c\n    remote: 192.0.2.7\n    auth: psk\n"

static struct conf *
load_str(const char *y)
{
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;
	int rc = conf_load_string(y, strlen(y), "v.yaml", &c, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
	return c;
}

static void
ids_and_selectors(void)
{
	struct conf *c = load_str(MINI "    psk: 0xA0b1\n"
				  "    local_id: email:gw@example.org\n"
				  "    remote_id: \"198.51.100.9\"\n"
				  "    local_ts: [\"0.0.0.0/0[icmp]\", \"2001:db8::/32\"]\n"
				  "    remote_ts: \"10.0.0.5[udp/53]\"\n"
				  "    ike_lifetime: 0\n"
				  "    child_lifetime: 2m\n"
				  "    child_life_packets: 2K\n");
	const struct ike_conn_cfg *cc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	cc = &c->conns[0];
	CU_ASSERT_EQUAL(cc->psk_len, 2);
	CU_ASSERT_EQUAL(cc->psk[0], 0xa0);
	CU_ASSERT_EQUAL(cc->psk[1], 0xb1);
	CU_ASSERT_EQUAL(cc->local_id.type, IKE_ID_RFC822_ADDR);
	CU_ASSERT_EQUAL(cc->remote_id.type, IKE_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(cc->remote_id.len, 4);
	CU_ASSERT_EQUAL(cc->remote_id.data[0], 198);
	CU_ASSERT_EQUAL(cc->local_ts[0].proto, 1);
	CU_ASSERT_EQUAL(cc->local_ts[0].eaddr[3], 255);
	CU_ASSERT_EQUAL(cc->local_ts[1].af, 6);
	CU_ASSERT_EQUAL(cc->local_ts[1].eaddr[4], 0xff);
	CU_ASSERT_EQUAL(cc->local_ts[1].saddr[4], 0);
	CU_ASSERT_EQUAL(cc->remote_ts[0].sport, 53);
	CU_ASSERT_EQUAL(cc->remote_ts[0].saddr[3], 5);
	CU_ASSERT_EQUAL(cc->remote_ts[0].eaddr[3], 5);
	CU_ASSERT_EQUAL(cc->ike_lifetime_s, 0);
	CU_ASSERT_EQUAL(cc->child_lifetime_s, 120);
	CU_ASSERT_EQUAL(cc->child_life_packets, 2000);
	CU_ASSERT_EQUAL(cc->local_id.len, strlen("gw@example.org"));
	conf_free(c);
}

static void
initiator_vip(void)
{
	struct conf *c = load_str(MINI "    psk: abcdefghijklmnopqrstuvwxyz\n"
				  "    initiate: yes\n    request_vip: true\n"
				  "    local_ts: dynamic\n    remote_ts: 10.0.0.0/8\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(c->conns[0].request_vip);
	CU_ASSERT_EQUAL(c->conns[0].n_local_ts, 1);
	CU_ASSERT_EQUAL(c->conns[0].local_ts[0].eaddr[0], 255);
	/* local_id defaults to our address */
	CU_ASSERT_EQUAL(c->conns[0].local_id.type, IKE_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(c->conns[0].local_id.data[3], 1);
	conf_free(c);
}

static void
pool_range(void)
{
	struct conf *c = load_str(MINI "    psk: abcdefghijklmnopqrstuvwxyz\n"
				  "    local_ts: 10.0.0.0/8\n    remote_ts: dynamic\n"
				  "    pool: {range: 10.99.0.10-10.99.1.9, dns: 10.0.0.1}\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->conns[0].pool.size, 256);
	CU_ASSERT_EQUAL(c->conns[0].pool.first[3], 10);
	CU_ASSERT_EQUAL(c->conns[0].remote_ts[0].eaddr[2], 1);
	CU_ASSERT_EQUAL(c->conns[0].remote_ts[0].eaddr[3], 9);
	conf_free(c);
}

/*
 * Mutated samples (byte changes to YAML punctuation, cuts, repeated lines):
 * every load either succeeds or fails with a message naming the file; ASan
 * and LSan catch the rest. Deterministic: the seed is printed on failure.
 */
static uint32_t
lcg(uint32_t *st)
{
	*st = *st * 1664525u + 1013904223u;
	return *st >> 8;
}

static void
mutate(char *buf, size_t *len, size_t cap, uint32_t *st)
{
	static const char alphabet[] = ":-[]{}'\"\n #&*!|>,0129afx/.@=";
	size_t pos = *len != 0 ? lcg(st) % *len : 0, n;

	switch (lcg(st) % 4) {
	case 0:
		if (*len != 0)
			buf[pos] = alphabet[lcg(st) % (sizeof(alphabet) - 1)];
		break;
	case 1:
		n = lcg(st) % 16;
		if (n > *len - pos)
			n = *len - pos;
		memmove(buf + pos, buf + pos + n, *len - pos - n);
		*len -= n;
		break;
	case 2:
		*len = pos;
		break;
	default:
		n = lcg(st) % 40;
		if (n > *len - pos)
			n = *len - pos;
		if (*len + n <= cap) {
			memmove(buf + pos + n, buf + pos, *len - pos);
			*len += n;
		}
		break;
	}
}

static void
mutated_samples(void)
{
	const char *base = conf_default_yaml();
	static char buf[8192];
	char err[CONF_ERR_LEN];
	uint32_t seed = 12345, st;
	unsigned i, loaded = 0;

	for (i = 0; i < 2000; i++) {
		struct conf *c = NULL;
		size_t len = strlen(base), k;
		int rc;

		CU_ASSERT_FATAL(len <= sizeof(buf));
		memcpy(buf, base, len);
		st = seed + i;
		for (k = 0; k <= lcg(&st) % 3; k++)
			mutate(buf, &len, sizeof(buf), &st);
		err[0] = '\0';
		rc = conf_load_string(buf, len, "m.yaml", &c, err, sizeof(err));
		if (rc == 0) {
			loaded++;
			conf_free(c);
		} else if (strncmp(err, "m.yaml", 6) != 0 || c != NULL) {
			fprintf(stderr, "\nseed %u: rc %d, message '%s'\n", seed + i, rc, err);
			CU_FAIL("bad failure");
		}
	}
	/* Some mutations are harmless (comments, spaces): both paths were taken. */
	CU_ASSERT(loaded > 0 && loaded < 2000);
}

static void
ipv6_conn(void)
{
	static const char y[] =
		"ports:\n"
		"  - {name: p, role: one-armed, device: d0,\n"
		"     addresses: [192.0.2.1/24, \"2001:db8::1/64\"]}\n"
		"connections:\n"
		"  - name: v6\n"
		"    remote: \"2001:db8:1::2\"\n"
		"    remote_id: ipv6:2001:db8:1::2\n"
		"    auth: psk\n"
		"    psk: abcdefghijklmnopqrstuvwxyz\n"
		"    local_ts: \"2001:db8:2::/48\"\n"
		"    remote_ts: dynamic\n"
		"    pool: {range: \"fd00:99::/120\", dns: [\"2001:db8::53\", 192.0.2.53]}\n";
	const struct sockaddr_in6 *l;
	struct conf *c = load_str(y);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	l = (const struct sockaddr_in6 *)&c->conns[0].local;
	/* local: the first public address of the remote's family */
	CU_ASSERT_EQUAL(l->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(l->sin6_addr.s6_addr[15], 1);
	CU_ASSERT_EQUAL(c->conns[0].local_id.type, IKE_ID_IPV6_ADDR);
	CU_ASSERT_EQUAL(c->conns[0].remote_id.type, IKE_ID_IPV6_ADDR);
	CU_ASSERT_EQUAL(c->conns[0].pool.af, 6);
	CU_ASSERT_EQUAL(c->conns[0].pool.size, 255);
	CU_ASSERT_EQUAL(c->conns[0].pool.first[15], 1);
	CU_ASSERT_EQUAL(c->conns[0].pool.n_dns, 2);
	CU_ASSERT_EQUAL(c->conns[0].pool.dns_af[1], 4);
	CU_ASSERT_EQUAL(c->conns[0].remote_ts[0].af, 6);
	CU_ASSERT_EQUAL(c->conns[0].remote_ts[0].eaddr[15], 255);
	conf_free(c);
}

/* ---- secrets ---- */

static int hook_calls;
static bool hook_wiped;

static void
free_hook(const struct conf *c)
{
	unsigned i, j;

	hook_calls++;
	hook_wiped = true;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		if (c->conns[i].psk_len != 0)
			hook_wiped = false;
		for (j = 0; j < IKE_MAX_PSK_LEN; j++) {
			if (c->conns[i].psk[j] != 0)
				hook_wiped = false;
		}
	}
}

static int warnings;
static char last_warning[CONF_ERR_LEN];

static void
log_cb(void *user, int level, const char *msg)
{
	(void)user;
	CU_ASSERT_EQUAL(level, IKE_LOG_WARNING);
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static void
secrets_wiped(void)
{
	struct conf *c = load_ok(SRCDIR "/config/ci.yaml");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(c->conns[0].psk_len > 0);
	conf_set_free_hook(free_hook);
	hook_calls = 0;
	conf_free(c);
	conf_set_free_hook(NULL);
	CU_ASSERT_EQUAL(hook_calls, 1);
	CU_ASSERT(hook_wiped);
}

static void
psk_file_relative(void)
{
	char cfg[128], psk[128];
	struct conf *c;

	snprintf(cfg, sizeof(cfg), "%s/rampart.yaml", tmpdir);
	snprintf(psk, sizeof(psk), "%s/ra.psk", tmpdir);
	write_file(cfg, MINI "    psk_file: ra.psk\n    local_ts: 10.0.0.0/8\n"
		   "    remote_ts: 10.1.0.0/16\n", 0600);
	write_file(psk, "0x00112233445566778899aabbccddeeff0011\n", 0600);
	warnings = 0;
	conf_set_log(log_cb, NULL);
	c = load_ok(cfg);
	CU_ASSERT_EQUAL(warnings, 1);	/* 18 bytes: shorter than 20 */
	CU_ASSERT_PTR_NULL(strstr(last_warning, "0011"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->conns[0].psk_len, 18);
	CU_ASSERT_EQUAL(c->conns[0].psk[17], 0x11);
	conf_free(c);
	/* A group-readable secret file loads with a warning naming it. */
	write_file(psk, "a-long-enough-secret-for-no-warning\n", 0644);
	warnings = 0;
	c = load_ok(cfg);
	CU_ASSERT_EQUAL(warnings, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_warning, "readable by group or others"));
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c != NULL)
		CU_ASSERT_EQUAL(c->conns[0].psk_len, strlen("a-long-enough-secret-for-no-warning"));
	conf_free(c);
	conf_set_log(NULL, NULL);
	unlink(cfg);
	unlink(psk);
}

/* A psk_file that is a FIFO (or another non-regular file) is refused at
 * once: open() without O_NONBLOCK waited for a writer forever, stalling the
 * control core on reload. alarm(): the old code hangs here. */
static void
secret_file_fifo_refused(void)
{
	char cfg[128], fifo[128], err[CONF_ERR_LEN];
	struct conf *c = NULL;
	int rc;

	snprintf(fifo, sizeof(fifo), "%s/fifo.psk", tmpdir);
	snprintf(cfg, sizeof(cfg), "%s/fifo.yaml", tmpdir);
	CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
	write_file(cfg, MINI "    psk_file: fifo.psk\n    local_ts: 10.0.0.0/8\n"
		   "    remote_ts: 10.1.0.0/16\n", 0600);
	alarm(10);
	rc = conf_load(cfg, &c, err, sizeof(err));
	alarm(0);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	conf_free(c);
	unlink(cfg);
	unlink(fifo);
}

/* ---- control socket ---- */

static int handler_calls;

static int
test_handler(void *user, const char *cmd, json_t *args, json_t **reply)
{
	(void)user;
	handler_calls++;
	CU_ASSERT(json_is_object(args));
	if (strcmp(cmd, "status") == 0) {
		*reply = json_pack("{s:s, s:i, s:[{s:s, s:s, s:b, s:i}]}", "version", "test",
				   "workers", 2, "ports", "name", "pub", "role", "public",
				   "link_up", 1, "rx_pkts", 5);
		return 0;
	}
	if (strcmp(cmd, "initiate") == 0) {
		const char *conn = json_string_value(json_object_get(args, "conn"));

		if (conn == NULL || strcmp(conn, "ra") != 0) {
			*reply = json_pack("{s:s}", "error", "no such connection");
			return -ENOENT;
		}
		return 0;
	}
	if (strcmp(cmd, "rekey") == 0)
		return -EIO;		/* no reply object: strerror text */
	if (strcmp(cmd, "stats") == 0) {
		*reply = json_pack("{s:{s:i, s:i}, s:[{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
				   "s:i, s:i, s:{s:i, s:i}}]}",
				   "ike", "rx", 10, "tx", 11, "workers", "id", 1, "rx", 1, "tx", 2,
				   "c3", 3, "c4", 4, "c5", 5, "c6", 6, "c7", 7, "c8", 8, "c9", 9,
				   "class", "esp_in", 42, "punt", 43);
		return 0;
	}
	if (strcmp(cmd, "list-sas") == 0) {
		*reply = json_string("not an object");	/* handler bug */
		return 0;
	}
	*reply = json_object();
	return 0;
}

static int
client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(sun.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	return fd;
}

/* Read one reply line while running the server; NULL after ~2 s. */
static json_t *
read_reply(struct ctl_sock *s, int fd)
{
	static char buf[65536];
	static size_t have;
	static int buf_fd = -1;
	char *nl;
	int i;

	if (buf_fd != fd) {
		buf_fd = fd;
		have = 0;
	}
	for (i = 0; i < 2000; i++) {
		ssize_t n;

		nl = memchr(buf, '\n', have);
		if (nl != NULL) {
			json_t *r = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			size_t used = (size_t)(nl - buf) + 1;

			memmove(buf, nl + 1, have - used);
			have -= used;
			return r;
		}
		CU_ASSERT(ctl_sock_poll(s, test_handler, NULL) >= 0);
		n = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else
			usleep(1000);
	}
	return NULL;
}

static json_t *
ask(struct ctl_sock *s, int fd, const char *line)
{
	CU_ASSERT_EQUAL(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	return read_reply(s, fd);
}

static bool
reply_ok(const json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *
reply_err(const json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return e != NULL ? e : "";
}

static void
ctl_requests(void)
{
	struct ctl_sock_cfg cfg = {.max_request_len = 256};
	struct ctl_sock_stats st;
	struct ctl_sock *s = NULL, *s2 = NULL;
	char path[100], big[1200];
	struct stat sb;
	json_t *r;
	int fd;

	snprintf(path, sizeof(path), "%s/sub/ctl.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	/* A live daemon on the path is not replaced. */
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s2), -EADDRINUSE);
	CU_ASSERT(ctl_sock_fd(s) >= 0);

	fd = client_connect(path);
	r = ask(s, fd, "{\"cmd\":\"ping\"}\n");
	CU_ASSERT(reply_ok(r));
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"status\",\"id\":7}\r\n");
	CU_ASSERT(reply_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "version")), "test");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"initiate\",\"args\":{\"conn\":\"zz\"}}\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_STRING_EQUAL(reply_err(r), "no such connection");
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"rekey\"}\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_STRING_EQUAL(reply_err(r), strerror(EIO));
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"list-sas\"}\n");
	CU_ASSERT(!reply_ok(r));
	json_decref(r);

	r = ask(s, fd, "{nope\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply_err(r), "bad JSON"));
	json_decref(r);

	r = ask(s, fd, "[1,2]\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "request must be a JSON object");
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"format-disk\",\"id\":\"x\"}\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "unknown command \"format-disk\"");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"status\",\"args\":[1]}\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "\"args\" must be an object");
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":7}\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "missing or non-string \"cmd\"");
	json_decref(r);

	/* Oversized line: one error, the tail is skipped, the next line works. */
	memset(big, 'a', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(send(fd, big, strlen(big), MSG_NOSIGNAL), (ssize_t)strlen(big));
	r = ask(s, fd, "}\n{\"cmd\":\"ping\",\"id\":1}\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "request too long");
	json_decref(r);
	r = read_reply(s, fd);
	CU_ASSERT(reply_ok(r));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);

	/* Two requests in one write are answered in order. */
	r = ask(s, fd, "{\"cmd\":\"ping\",\"id\":2}\n{\"cmd\":\"ping\",\"id\":3}\n");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	r = read_reply(s, fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);

	ctl_sock_stats_get(s, &st);
	CU_ASSERT_EQUAL(st.bad_json, 1);
	CU_ASSERT_EQUAL(st.oversized, 1);
	CU_ASSERT_EQUAL(st.unknown_cmd, 1);
	CU_ASSERT_EQUAL(st.bad_request, 3);
	CU_ASSERT_EQUAL(st.clients, 1);
	CU_ASSERT_EQUAL(handler_calls, 4);	/* status, initiate, rekey, list-sas */
	r = ctl_sock_stats_json(s);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "oversized")), 1);
	json_decref(r);

	/* A client that goes away is reaped. */
	close(fd);
	for (fd = 0; fd < 100 && st.clients != 0; fd++) {
		ctl_sock_poll(s, test_handler, NULL);
		ctl_sock_stats_get(s, &st);
	}
	CU_ASSERT_EQUAL(st.clients, 0);
	ctl_sock_destroy(s);
	CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
}

static void
ctl_stale_and_limits(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_sock_cfg cfg = {.max_clients = 1, .mode = 0660};
	struct ctl_sock *s = NULL;
	char path[100], buf[256];
	struct stat sb;
	int fd, fd1, fd2, i;
	ssize_t n = 0;

	/* A socket file left by a crashed daemon is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0660);

	/* Over max_clients: told so and closed. */
	fd1 = client_connect(path);
	fd2 = client_connect(path);
	for (i = 0; i < 200; i++) {
		ctl_sock_poll(s, test_handler, NULL);
		n = recv(fd2, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0)
			break;
		usleep(1000);
	}
	CU_ASSERT(n > 0);
	if (n > 0) {
		buf[n] = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "too many clients"));
	}
	close(fd1);
	close(fd2);
	ctl_sock_destroy(s);

	/* Not a socket: left alone. */
	write_file(path, "x", 0600);
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s), -EEXIST);
	unlink(path);
	cfg.group = "no-such-group-rampart";
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s), -ENOENT);
	ctl_sock_destroy(NULL);
}

/* Several clients with pipelined requests all get every answer. */
static void
ctl_many_clients(void)
{
	struct ctl_sock_cfg cfg = {0};
	struct ctl_sock *s = NULL;
	char path[100], line[64];
	int fds[5], i, j;

	snprintf(path, sizeof(path), "%s/many.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	for (i = 0; i < 5; i++)
		fds[i] = client_connect(path);
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 40; j++) {
			snprintf(line, sizeof(line), "{\"cmd\":\"ping\",\"id\":%d}\n", i * 100 + j);
			CU_ASSERT_EQUAL(send(fds[i], line, strlen(line), MSG_NOSIGNAL),
					(ssize_t)strlen(line));
		}
	}
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 40; j++) {
			json_t *r = read_reply(s, fds[i]);

			CU_ASSERT(reply_ok(r));
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), i * 100 + j);
			json_decref(r);
		}
		close(fds[i]);
	}
	ctl_sock_destroy(s);
}

/* ---- rampartctl ---- */

/* Run rampartctl with @argv while serving @s; returns its exit status and its
 * stdout+stderr in @out. */
static int
run_ctl(struct ctl_sock *s, char *const argv[], char *out, size_t out_len)
{
	int pfd[2], status = -1, i;
	size_t have = 0;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(pfd) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 5000; i++) {
		ssize_t n;

		if (s != NULL)
			ctl_sock_poll(s, test_handler, NULL);
		n = read(pfd[0], out + have, out_len - 1 - have);
		if (n > 0)
			have += (size_t)n;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	if (i == 5000) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (;;) {
		ssize_t n = read(pfd[0], out + have, out_len - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	close(pfd[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
rampartctl_cli(void)
{
	const char *bin = getenv("RAMPARTCTL");
	struct ctl_sock_cfg cfg = {0};
	struct ctl_sock *s = NULL;
	char path[100], out[8192];

	if (bin == NULL) {
		fprintf(stderr, "\n(RAMPARTCTL not set: skipped)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/cli.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	{
		char *const a[] = {(char *)bin, NULL};

		CU_ASSERT_EQUAL(run_ctl(NULL, a, out, sizeof(out)), 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing command"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "frobnicate", NULL};

		CU_ASSERT_EQUAL(run_ctl(NULL, a, out, sizeof(out)), 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown command 'frobnicate'"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage:"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "rekey", "--child", "x1", NULL};

		CU_ASSERT_EQUAL(run_ctl(NULL, a, out, sizeof(out)), 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad id 'x1'"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "initiate", NULL};

		CU_ASSERT_EQUAL(run_ctl(NULL, a, out, sizeof(out)), 2);
	}
	{
		char *const a[] = {(char *)bin, "-s", "/nonexistent/x.sock", "status", NULL};

		CU_ASSERT_EQUAL(run_ctl(NULL, a, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "is rampartd running?"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "status", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "version"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "PORT"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "public"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "--json", "status", NULL};
		json_t *r;

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		r = json_loads(out, 0, NULL);
		CU_ASSERT(reply_ok(r));
		json_decref(r);
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "stats", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "ike.rx"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "class.esp_in"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "42"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "rekey", "--ike", "3", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, strerror(EIO)));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "initiate", "zz", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "no such connection"));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "initiate", "ra", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, "ok\n");
	}
	ctl_sock_destroy(s);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned failed;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("conf", NULL, NULL);
	CU_add_test(suite, "samples_load", samples_load);
	CU_add_test(suite, "ci_values", ci_values);
	CU_add_test(suite, "site_to_site_values", site_to_site_values);
	CU_add_test(suite, "default_loads", default_loads);
	CU_add_test(suite, "bad_configs", bad_configs);
	CU_add_test(suite, "err_truncation", err_truncation);
	CU_add_test(suite, "missing_file", missing_file);
	CU_add_test(suite, "ids_and_selectors", ids_and_selectors);
	CU_add_test(suite, "initiator_vip", initiator_vip);
	CU_add_test(suite, "pool_range", pool_range);
	CU_add_test(suite, "ipv6_conn", ipv6_conn);
	CU_add_test(suite, "mutated_samples", mutated_samples);
	CU_add_test(suite, "secrets_wiped", secrets_wiped);
	CU_add_test(suite, "psk_file_relative", psk_file_relative);
	CU_add_test(suite, "secret_file_fifo_refused", secret_file_fifo_refused);
	suite = CU_add_suite("ctl", NULL, NULL);
	CU_add_test(suite, "ctl_requests", ctl_requests);
	CU_add_test(suite, "ctl_stale_and_limits", ctl_stale_and_limits);
	CU_add_test(suite, "ctl_many_clients", ctl_many_clients);
	CU_add_test(suite, "rampartctl_cli", rampartctl_cli);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			failed++;
	}
	return failed == 0 ? 0 : 1;
}
