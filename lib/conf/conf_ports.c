/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ports and routes sections: DPDK device strings, roles, addresses, MACs,
 * queue counts; static routes checked against the ports (next hop on a
 * subnet of the named port, no duplicate prefixes). Fills struct conf only.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

static int
addr_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf_port *p = arg;
	const char *why = NULL;
	const char *str;
	unsigned j;
	int rc;

	rc = cx_scalar(x, item, "an address/prefix-length", &str);
	if (rc == 0 && conf_parse_prefix(str, true, &p->addrs[i], &why) < 0)
		rc = cx_err(x, item, "'%s': %s", str, why);
	for (j = 0; rc == 0 && j < i; j++) {
		if (p->addrs[j].af == p->addrs[i].af &&
		    conf_addr_cmp(p->addrs[i].af, p->addrs[i].addr, p->addrs[j].addr) == 0)
			rc = cx_err(x, item, "address listed twice");
	}
	return rc;
}

static int
parse_port(struct cx *x, const yaml_node_t *n, struct conf_port *p)
{
	enum { K_NAME, K_ROLE, K_DEV, K_ADDRS, K_MAC, K_MTU, K_RXQ, K_TXQ, K_N };
	static const char *const keys[K_N] = {
		"name", "role", "device", "addresses", "mac", "mtu", "rx_queues", "tx_queues",
	};
	yaml_node_t *v[K_N];
	const char *why = NULL;
	char s[64];
	uint64_t u;
	size_t m;
	unsigned i;
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc < 0)
		return rc;
	if ((rc = cx_req_str(x, n, "name", v[K_NAME], p->name, sizeof(p->name))) < 0)
		return rc;
	if (!conf_is_name(p->name, sizeof(p->name))) {
		m = cx_push_key(x, "name");
		rc = cx_err(x, v[K_NAME], "bad name (letters, digits, '-', '_', '.')");
		cx_pop(x, m);
		return rc;
	}
	if ((rc = cx_req_str(x, n, "role", v[K_ROLE], s, sizeof(s))) < 0)
		return rc;
	if (strcmp(s, "public") == 0) {
		p->role = CONF_PORT_PUBLIC;
	} else if (strcmp(s, "private") == 0) {
		p->role = CONF_PORT_PRIVATE;
	} else if (strcmp(s, "one-armed") == 0) {
		p->role = CONF_PORT_ONE_ARMED;
	} else {
		m = cx_push_key(x, "role");
		rc = cx_err(x, v[K_ROLE], "unknown role '%s' (public, private, one-armed)", s);
		cx_pop(x, m);
		return rc;
	}
	if ((rc = cx_req_str(x, n, "device", v[K_DEV], p->device, sizeof(p->device))) < 0)
		return rc;
	for (i = 0; p->device[i] != '\0'; i++) {
		if (isspace((unsigned char)p->device[i]) || !isprint((unsigned char)p->device[i])) {
			m = cx_push_key(x, "device");
			rc = cx_err(x, v[K_DEV], "spaces or control characters in device string");
			cx_pop(x, m);
			return rc;
		}
	}
	if (v[K_ADDRS] == NULL)
		return cx_missing(x, n, "addresses");
	rc = cx_seq_each(x, "addresses", v[K_ADDRS], true, "at least one address needed",
			 CONF_MAX_PORT_ADDRS, &p->n_addrs, addr_item, p);
	if (rc < 0)
		return rc;
	if (v[K_MAC] != NULL) {
		if ((rc = cx_str(x, "mac", v[K_MAC], s, sizeof(s))) < 0)
			return rc;
		if (conf_parse_mac(s, p->mac, &why) < 0) {
			m = cx_push_key(x, "mac");
			rc = cx_err(x, v[K_MAC], "%s", why);
			cx_pop(x, m);
			return rc;
		}
		p->has_mac = true;
	}
	if (v[K_MTU] != NULL) {
		if ((rc = cx_uint(x, "mtu", v[K_MTU], 576, 9216, &u)) < 0)
			return rc;
		p->mtu = (uint16_t)u;
	}
	if (v[K_RXQ] != NULL) {
		if ((rc = cx_uint(x, "rx_queues", v[K_RXQ], 1, CONF_MAX_WORKERS, &u)) < 0)
			return rc;
		p->rx_queues = (uint16_t)u;
	}
	if (v[K_TXQ] != NULL) {
		if ((rc = cx_uint(x, "tx_queues", v[K_TXQ], 1, CONF_MAX_WORKERS, &u)) < 0)
			return rc;
		p->tx_queues = (uint16_t)u;
	}
	return 0;
}

static int
port_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf *c = x->c;
	struct conf_port *p = &c->ports[i];
	unsigned j, k, l;
	int rc;

	(void)arg;
	rc = parse_port(x, item, p);
	for (j = 0; rc == 0 && j < i; j++) {
		if (strcmp(c->ports[j].name, p->name) == 0)
			rc = cx_err(x, item, "duplicate port name '%s'", p->name);
		else if (strcmp(c->ports[j].device, p->device) == 0)
			rc = cx_err(x, item, "device '%s' already used by port '%s'", p->device,
				    c->ports[j].name);
		for (k = 0; rc == 0 && k < p->n_addrs; k++) {
			for (l = 0; rc == 0 && l < c->ports[j].n_addrs; l++) {
				const struct conf_prefix *a = &p->addrs[k];
				const struct conf_prefix *b = &c->ports[j].addrs[l];

				if (a->af == b->af && conf_addr_cmp(a->af, a->addr, b->addr) == 0)
					rc = cx_err(x, item, "address %u also on port '%s'", k,
						    c->ports[j].name);
			}
		}
	}
	return rc;
}

int
conf_parse_ports(struct cx *x, const yaml_node_t *n)
{
	return cx_seq_each(x, "ports", n, false, "at least one port needed", CONF_MAX_PORTS,
			   &x->c->n_ports, port_item, NULL);
}

static int
parse_route(struct cx *x, const yaml_node_t *n, struct conf_route *r)
{
	enum { K_PREFIX, K_VIA, K_PORT, K_N };
	static const char *const keys[K_N] = {"prefix", "via", "port"};
	struct conf *c = x->c;
	yaml_node_t *v[K_N];
	uint8_t lo[16], hi[16];
	const char *why = NULL;
	char s[64];
	size_t m;
	int rc, port;
	unsigned i;
	bool on_link = false;

	rc = cx_map_req(x, n, keys, K_N, v, 1u << K_PREFIX | 1u << K_PORT);
	if (rc < 0)
		return rc;
	if ((rc = cx_str(x, "prefix", v[K_PREFIX], s, sizeof(s))) < 0)
		return rc;
	m = cx_push_key(x, "prefix");
	if (conf_parse_prefix(s, true, &r->dst, &why) < 0) {
		rc = cx_err(x, v[K_PREFIX], "'%s': %s", s, why);
	} else {
		conf_prefix_to_range(&r->dst, lo, hi);
		if (conf_addr_cmp(r->dst.af, lo, r->dst.addr) != 0)
			rc = cx_err(x, v[K_PREFIX], "'%s' has host bits set", s);
	}
	cx_pop(x, m);
	if (rc < 0)
		return rc;
	if ((rc = cx_str(x, "port", v[K_PORT], s, sizeof(s))) < 0)
		return rc;
	port = conf_port_find(c, s);
	if (port < 0) {
		m = cx_push_key(x, "port");
		rc = cx_err(x, v[K_PORT], "no port named '%s'", s);
		cx_pop(x, m);
		return rc;
	}
	r->port = (unsigned)port;
	if (v[K_VIA] == NULL)
		return 0;
	if ((rc = cx_str(x, "via", v[K_VIA], s, sizeof(s))) < 0)
		return rc;
	m = cx_push_key(x, "via");
	if (conf_parse_addr(s, &r->via_af, r->via) < 0)
		rc = cx_err(x, v[K_VIA], "'%s' is not an address", s);
	else if (r->via_af != r->dst.af)
		rc = cx_err(x, v[K_VIA], "next hop and prefix are of different families");
	for (i = 0; rc == 0 && i < c->ports[port].n_addrs; i++) {
		if (conf_prefix_contains(&c->ports[port].addrs[i], r->via_af, r->via))
			on_link = true;
	}
	if (rc == 0 && !on_link)
		rc = cx_err(x, v[K_VIA], "next hop %s is on no subnet of port '%s'", s,
			    c->ports[port].name);
	cx_pop(x, m);
	return rc;
}

static bool
same_route(const void *ra, const void *rb)
{
	const struct conf_prefix *a = &((const struct conf_route *)ra)->dst;
	const struct conf_prefix *b = &((const struct conf_route *)rb)->dst;

	return a->af == b->af && a->len == b->len && conf_addr_cmp(a->af, a->addr, b->addr) == 0;
}

static int
route_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf *c = x->c;
	int rc, j;

	(void)arg;
	rc = parse_route(x, item, &c->routes[i]);
	if (rc == 0 && (j = cx_earlier(c->routes, sizeof(c->routes[0]), i, same_route)) >= 0)
		rc = cx_err(x, item, "same prefix as routes[%d]", j);
	return rc;
}

int
conf_parse_routes(struct cx *x, const yaml_node_t *n)
{
	return cx_seq_each(x, "routes", n, false, NULL, CONF_MAX_ROUTES, &x->c->n_routes,
			   route_item, NULL);
}

/* The public/one-armed port owning @addr (index into c->ports); -1 if none. */
int
conf_port_of_addr(const struct conf *c, uint8_t af, const uint8_t addr[16])
{
	unsigned i, j;

	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].role == CONF_PORT_PRIVATE)
			continue;
		for (j = 0; j < c->ports[i].n_addrs; j++) {
			const struct conf_prefix *p = &c->ports[i].addrs[j];

			if (p->af == af && conf_addr_cmp(af, p->addr, addr) == 0)
				return (int)i;
		}
	}
	return -1;
}
