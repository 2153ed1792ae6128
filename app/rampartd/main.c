/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd: start-up and shutdown.
 *
 *   rampartd [-c FILE] [-s SOCKET] [-- EAL args]
 *   rampartd --check-config FILE | --version
 *
 * Without -c the built-in configuration runs with a PSK drawn from the
 * CSPRNG at every start (never a published one), written to a 0600 file
 * beside the control socket (rampart.sock -> rampart.psk) for the operator
 * and the demo's client, and removed at exit.
 *
 * Order: load and validate the config (errors print FILE:LINE:COL and exit 1
 * before EAL exists), build the EAL arguments (defaults when none are given,
 * plus one --vdev or -a per configured port), EAL init, mempool and rings,
 * ports, neighbour/route snapshot, control socket, IKE, workers; then the
 * control loop runs on the main lcore until SIGTERM/SIGINT. Shutdown sends
 * IKE Deletes, lets the control loop run briefly so they leave, stops the
 * workers, frees every SA and closes the ports.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/cry_mgcm.h"

#include "cdev.h"
#include "ctl_rate.h"
#include "port.h"
#include "rampartd.h"
#include "rd_notify.h"

RTE_LOG_REGISTER(rd_logtype, rampart.daemon, INFO);
RTE_LOG_REGISTER(rd_ike_logtype, rampart.ike, INFO);
RTE_LOG_REGISTER(rd_conf_logtype, rampart.conf, INFO);

struct rd_ctx rd;
volatile int rd_signal;
int rd_meta_off = -1;
static bool eal_up;

enum {
	RD_MAX_EAL_ARGS = 64,
	RD_NB_MBUF = 16383,
	RD_MBUF_CACHE = 256,
	RD_SHUTDOWN_MS = 500,		/* time for Deletes to leave */
	RD_GEN_PSK_BYTES = 32,		/* built-in configuration: 256-bit PSK */
};

/*
 * crypto backend cryptodev: sessions per device, both directions of every
 * tunnel and room for 1024 rekeys in flight (old and new SA side by side);
 * EAL memory grows by 2 KB per session per device (private session data
 * measured in DPDK 22.11: crypto_aesni_mb 1408 bytes, crypto_aesni_gcm 1028,
 * crypto_openssl 320, plus the session header) and 16 MB per device for
 * the op pools and queue pairs.
 */
#define RD_CDEV_SESSIONS(c) (2u * (c)->max_tunnels + 2048u)

/* Built-in configuration only: the generated PSK as 64 hex characters (the
 * secret is that text, so a client can use it as it is) and its file. */
static char gen_psk[2 * RD_GEN_PSK_BYTES + 1];
static char psk_path[CONF_MAX_SOCK_PATH + 8];
static dev_t psk_dev;
static ino_t psk_ino;
static bool psk_written;

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-c FILE] [-s SOCKET] [-- EAL args]\n"
		"       %s --check-config FILE | --version\n"
		"  -c FILE   configuration (YAML); default: the built-in demo config with a\n"
		"            PSK generated at every start (file beside the control socket)\n"
		"  -s SOCKET control socket path instead of the configuration's\n"
		"  EAL args  default: -l 0-N --no-huge -m 256 (more with more workers) --no-pci\n"
		"            --file-prefix rampart-PID\n"
		"            (N = workers); ports from the config are added as --vdev/-a\n"
		"  --check-config FILE  load and validate FILE, print OK or the error\n"
		"            (FILE:LINE:COL), exit 0 or 1; starts nothing\n"
		"  -V, --version        print the version\n",
		prog, prog);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		rd.reload_req = true;
	else
		rd_signal = 1;
}

static void
conf_log_cb(void *user, int level, const char *msg)
{
	(void)user;
	rte_log(level <= IKE_LOG_ERR ? RTE_LOG_ERR : level == IKE_LOG_WARNING ? RTE_LOG_WARNING :
		RTE_LOG_INFO, rd_conf_logtype, "conf: %s\n", msg);
	if (!eal_up)
		fprintf(stderr, "conf: %s\n", msg);
}

int
rd_load_builtin(struct conf **out, char *err, size_t err_len)
{
	return conf_load_default((const uint8_t *)gen_psk, strlen(gen_psk), out, err, err_len);
}

static int
gen_builtin_psk(void)
{
	uint8_t raw[RD_GEN_PSK_BYTES];
	unsigned i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(gen_psk + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/*
 * gcm_engine from the config (else RAMPART_GCM_ENGINE, else auto): set once
 * at start, before any worker runs; workers only read the mode.
 */
static void
apply_gcm_engine(enum conf_gcm_engine e)
{
	static const char *const names[] = { "auto", "mgcm", "ipsecmb" };

	if (e == CONF_GCM_AUTO)
		cry_mgcm_set_mode(CRY_MGCM_AUTO);
	else if (e == CONF_GCM_MGCM)
		cry_mgcm_set_mode(CRY_MGCM_FORCE);
	else if (e == CONF_GCM_IPSECMB)
		cry_mgcm_set_mode(CRY_MGCM_OFF);
	else
		cry_mgcm_init();
	fprintf(stderr, "rampartd: AES-GCM: %s%s\n", names[cry_mgcm_mode()],
		cry_mgcm_isa() == CRY_MGCM_ISA_NONE ?
			" (no AVX-512 + VAES here: IPsec-MB for every packet)" :
			" (multi-packet engine: AVX-512 + VAES)");
}

static int
load_conf(const char *path, const char *sock)
{
	char err[CONF_ERR_LEN], *real = NULL;
	int ret;

	conf_set_log(conf_log_cb, NULL);
	if (path == NULL) {
		ret = gen_builtin_psk();
		if (ret == 0)
			ret = rd_load_builtin(&rd.conf, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "no random bytes for the built-in PSK");
	} else {
		ret = conf_load(path, &rd.conf, err, sizeof(err));
	}
	if (ret != 0) {
		fprintf(stderr, "rampartd: %s\n", err);
		return ret;
	}
	/* Resolved once: reload accepts this file and its siblings only. */
	if (path != NULL && (real = realpath(path, NULL)) == NULL) {
		ret = -errno;
		fprintf(stderr, "rampartd: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	snprintf(rd.conf_path, sizeof(rd.conf_path), "%s", real != NULL ? real : "");
	free(real);
	apply_gcm_engine(rd.conf->gcm_engine);
	if (sock != NULL) {
		if (sock[0] != '/' || strlen(sock) >= sizeof(rd.conf->ctl_path)) {
			fprintf(stderr, "rampartd: -s %s: an absolute path under %zu bytes\n", sock,
				sizeof(rd.conf->ctl_path));
			return -EINVAL;
		}
		snprintf(rd.conf->ctl_path, sizeof(rd.conf->ctl_path), "%s", sock);
	}
	return 0;
}

/*
 * Built-in configuration: put the generated PSK in a 0600 file beside the
 * control socket (X.sock -> X.psk), created fresh (O_EXCL, no symlink
 * followed) and renamed into place, and tell the operator where it is.
 */
static int
write_builtin_psk(void)
{
	const char *sock = rd.conf->ctl_path;
	char tmp[sizeof(psk_path) + 8];
	size_t n = strlen(sock);
	struct stat st;
	ssize_t w;
	int fd, ret = 0;

	if (n > 5 && strcmp(sock + n - 5, ".sock") == 0)
		snprintf(psk_path, sizeof(psk_path), "%.*s.psk", (int)(n - 5), sock);
	else
		snprintf(psk_path, sizeof(psk_path), "%s.psk", sock);
	snprintf(tmp, sizeof(tmp), "%s.tmp", psk_path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	gen_psk[sizeof(gen_psk) - 1] = '\0';
	if (fchmod(fd, 0600) < 0 || fstat(fd, &st) < 0)
		ret = -errno;
	if (ret == 0) {
		char line[sizeof(gen_psk) + 1];

		snprintf(line, sizeof(line), "%s\n", gen_psk);
		w = write(fd, line, strlen(line));
		if (w != (ssize_t)strlen(line))
			ret = w < 0 ? -errno : -EIO;
		OPENSSL_cleanse(line, sizeof(line));
	}
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, psk_path) < 0)
		ret = -errno;
	if (ret != 0) {
		unlink(tmp);
		return ret;
	}
	psk_dev = st.st_dev;
	psk_ino = st.st_ino;
	psk_written = true;
	printf("rampartd: built-in configuration: its PSK (new at every start) is in %s\n",
	       psk_path);
	fflush(stdout);
	return 0;
}

/* At exit: the generated PSK's file goes (if it is still ours), its copy is wiped. */
static void
remove_builtin_psk(void)
{
	struct stat st;

	if (psk_written && stat(psk_path, &st) == 0 && st.st_dev == psk_dev &&
	    st.st_ino == psk_ino)
		unlink(psk_path);
	OPENSSL_cleanse(gen_psk, sizeof(gen_psk));
}

/* --check-config: the loader's whole validation, no EAL, no side effect. */
static int
check_config(const char *path)
{
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;

	conf_set_log(conf_log_cb, NULL);
	if (conf_load(path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "rampartd: %s\n", err);
		return 1;
	}
	conf_free(c);
	printf("%s: OK\n", path);
	return 0;
}

/* argv for rte_eal_init; strings live in @store. */
static int
build_eal_args(const char *prog, int n_user, char **user, char **eal, int *n_eal,
	       char store[][CONF_MAX_DEVARGS + 32])
{
	unsigned workers = rd.conf->workers ? rd.conf->workers : 1, i, s = 0, n_extra = 0;
	char *eal_extra[CONF_MAX_CDEV];
	bool any_pci = false;
	int n = 0;

	eal[n++] = (char *)(uintptr_t)prog;
	for (i = 0; i < rd.conf->n_ports; i++)
		any_pci |= !port_is_vdev(rd.conf->ports[i].device);
	for (i = 0; i < rd.conf->crypto.n_devices; i++) {	/* crypto: PCI devices */
		if (cdev_eal_arg(rd.conf->crypto.devices[i], store[s], sizeof(store[s])) != 0)
			return -EINVAL;
		if (store[s][0] != '\0') {
			any_pci = true;
			eal_extra[n_extra++] = store[s++];
		}
	}
	if (n_user > 0) {
		int k;

		for (k = 0; k < n_user && n < RD_MAX_EAL_ARGS - CONF_MAX_PORTS - CONF_MAX_CDEV - 1;
		     k++)
			eal[n++] = user[k];
	} else {
		snprintf(store[s], sizeof(store[s]), "-l");
		eal[n++] = store[s++];
		if (workers == 1)
			snprintf(store[s], sizeof(store[s]), "0,1");
		else
			snprintf(store[s], sizeof(store[s]), "0-%u", workers);
		eal[n++] = store[s++];
		eal[n++] = (char *)"--no-huge";
		/* Per worker: the SPD (two 64 MB tbl24, rte_fib and rte_fib6, and their ribs: 167 MB
		 * at the default max_tunnels) and lib/sa's 256K-entry (1 << 18) hash. */
		eal[n++] = (char *)"-m";
		snprintf(store[s], sizeof(store[s]), "%u", (workers == 1 ? 256 : 192 + 192 * workers) +
			 rd.conf->crypto.n_devices * (RD_CDEV_SESSIONS(rd.conf) / 512 + 16));
		eal[n++] = store[s++];
		if (!any_pci)
			eal[n++] = (char *)"--no-pci";
		snprintf(store[s], sizeof(store[s]), "--file-prefix=rampart-%d", (int)getpid());
		eal[n++] = store[s++];
	}
	for (i = 0; i < n_extra; i++)
		eal[n++] = eal_extra[i];
	for (i = 0; i < rd.conf->n_ports; i++) {
		if (port_eal_arg(rd.conf->ports[i].device, workers + 1, store[s],
				 sizeof(store[s])) != 0) {
			fprintf(stderr, "rampartd: port %s: device string too long\n",
				rd.conf->ports[i].name);
			return -EINVAL;
		}
		eal[n++] = store[s++];
	}
	eal[n] = NULL;
	*n_eal = n;
	return 0;
}

static int
setup_rings(void)
{
	char name[RTE_RING_NAMESIZE];
	unsigned i;

	rd.sh.punt = rte_ring_create("rd_punt", RD_PUNT_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	rd.sh.punt_nbr = rte_ring_create("rd_punt_nbr", RD_PUNT_NBR_RING, SOCKET_ID_ANY,
				      RING_F_SC_DEQ);
	rd.sh.ev = rte_ring_create_elem("rd_ev", sizeof(struct sa_event), RD_EV_RING, SOCKET_ID_ANY,
				     RING_F_SC_DEQ);
	if (rd.sh.punt == NULL || rd.sh.punt_nbr == NULL || rd.sh.ev == NULL)
		return -ENOMEM;
	for (i = 0; i < rd.sh.n_workers; i++) {
		struct rd_worker *w = rd.workers[i];

		snprintf(name, sizeof(name), "rd_msg_%u", i);
		w->msg_ring = rte_ring_create_elem(name, sizeof(struct sa_msg), RD_MSG_RING,
						   w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "rd_hoff_%u", i);
		w->handoff = rte_ring_create(name, RD_HANDOFF_RING, w->socket, RING_F_SC_DEQ);
		if (w->msg_ring == NULL || w->handoff == NULL)
			return -ENOMEM;
		rd.sh.handoff[i] = w->handoff;
	}
	return 0;
}

/*
 * The control core's protection under load: the IKE admission buckets and
 * the DH/signature helper threads (control_core in the config).
 */
static int
setup_ctl_load(void)
{
	const struct conf_ctlcore *cc = &rd.conf->ctlcore;
	struct rd_rate_cfg rc = {
		.rate = cc->ike_rate, .burst = cc->ike_burst,
		.rate_src = cc->ike_rate_src, .burst_src = cc->ike_burst_src,
		.sources = cc->ike_sources,
	};
	uint64_t seed = 0;
	int ret;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -EIO;
	ret = rd_rate_create(&rc, seed, &rd.ike_rate);
	if (ret != 0)
		return ret;
	return rd_jobs_init(cc->crypto_threads);
}

/* rte_flow rules of each port (port_steer_esp), destroyed before port_stop */
static struct port_steer port_steer[CONF_MAX_PORTS];

/*
 * With several workers, ask a port that carries ESP to put each inbound ESP
 * packet on its owner's queue; without it (most software PMDs), RSS spreads
 * by addresses and the handoff ring takes the rest. Either way it works.
 */
static void
setup_steering(struct rd_port *p)
{
	unsigned i = (unsigned)(p - rd.sh.ports);
	int ret;

	p->esp_steer_rules = 0;
	p->esp_steer_why[0] = '\0';
	if (rd.sh.n_workers < 2 || p->role == CONF_PORT_PRIVATE)
		return;
	ret = port_steer_esp(p->port_id, rd.sh.n_workers, SA_SPI_WORKER_BITS, &port_steer[i],
			     p->esp_steer_why, sizeof(p->esp_steer_why));
	if (ret > 0) {
		p->esp_steer_rules = (uint16_t)ret;
		RD_LOG(INFO, "port %s: inbound ESP steered to its owner worker by SPI "
		       "(%d rte_flow rules)\n", p->name, ret);
	} else {
		RD_LOG(INFO, "port %s: no ESP steering by SPI: %s; RSS and the handoff ring "
		       "take ESP of another worker's SA\n", p->name, p->esp_steer_why);
	}
}

static int
setup_ports(void)
{
	unsigned i, j;
	int ret;

	memset(rd.sh.port_idx, -1, sizeof(rd.sh.port_idx));
	rd.ctl_q = (uint16_t)rd.sh.n_workers;
	for (i = 0; i < rd.conf->n_ports; i++) {
		const struct conf_port *cp = &rd.conf->ports[i];
		struct rd_port *p = &rd.sh.ports[i];
		struct rte_ether_addr mac;
		struct port_params pp;

		snprintf(p->name, sizeof(p->name), "%s", cp->name);
		snprintf(p->device, sizeof(p->device), "%s", cp->device);
		p->role = cp->role;
		p->ctl_rxq = port_needs_ctl_rxq(cp->device);
		p->kick = port_needs_kick(cp->device);
		/* control queue: a kick on each slow tick (10 ms) of the window */
		port_kick_init(&rd.ctl_kick[i], p->kick, 0, 10, RD_KICK_WINDOW_MS / 10);
		ret = port_lookup(cp->device, &p->port_id);
		if (ret != 0) {
			RD_LOG(ERR, "port %s: device %s not found\n", cp->name, cp->device);
			return ret;
		}
		memset(&pp, 0, sizeof(pp));
		pp.name = cp->name;
		pp.n_rxq = (uint16_t)(rd.sh.n_workers + (p->ctl_rxq ? 1 : 0));
		pp.n_txq = (uint16_t)(rd.sh.n_workers + 1);
		pp.mtu = cp->mtu;
		pp.mac = cp->has_mac ? cp->mac : NULL;
		pp.mp = rd.sh.mp;
		ret = port_start(p->port_id, &pp);
		if (ret != 0)
			return ret;
		rd.sh.n_ports = i + 1;
		rd.sh.port_idx[p->port_id] = (int8_t)i;
		setup_steering(p);
		if (rte_eth_dev_get_mtu(p->port_id, &p->mtu) != 0)
			p->mtu = 1500;
		rte_eth_macaddr_get(p->port_id, &mac);
		memcpy(p->ifa.mac, mac.addr_bytes, 6);
		for (j = 0; j < cp->n_addrs && j < NET_MAX_IF_ADDRS; j++) {
			const struct conf_prefix *a = &cp->addrs[j];

			if (a->af == 4) {
				memcpy(&p->ifa.v4_be[p->ifa.n_v4], a->addr, 4);
				p->ifa.v4_len[p->ifa.n_v4++] = a->len;
			} else {
				memcpy(p->ifa.v6[p->ifa.n_v6], a->addr, 16);
				p->ifa.v6_len[p->ifa.n_v6++] = a->len;
			}
		}
		RD_LOG(INFO, "port %s (%s) %s: ethdev %u, mac %02x:%02x:%02x:%02x:%02x:%02x, "
		       "%u addresses\n", p->name, conf_port_role_name(p->role), p->device,
		       p->port_id, mac.addr_bytes[0], mac.addr_bytes[1], mac.addr_bytes[2],
		       mac.addr_bytes[3], mac.addr_bytes[4], mac.addr_bytes[5], cp->n_addrs);
	}
	return 0;
}

static int
setup_workers(void)
{
	unsigned lcore, i = 0;
	size_t sz;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct rd_worker *w;

		if (i == rd.sh.n_workers)
			break;
		w = rte_zmalloc_socket("rd_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL)
			return -ENOMEM;
		w->id = i;
		w->lcore = lcore;
		w->socket = (int)rte_lcore_to_socket_id(lcore);
		rd.workers[i++] = w;
	}
	sz = rte_rcu_qsbr_get_memsize(rd.sh.n_workers);
	rd.sh.qsbr = rte_zmalloc("rd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (rd.sh.qsbr == NULL || rte_rcu_qsbr_init(rd.sh.qsbr, rd.sh.n_workers) != 0)
		return -ENOMEM;
	return 0;
}

/* crypto: backend cryptodev: devices, one queue pair per worker (drivers/cdev.h). */
static struct cdev_ctx *rd_cdev;

static int
setup_cdev(void)
{
	const struct conf_crypto *cr = &rd.conf->crypto;
	const char *names[CONF_MAX_CDEV];
	char err[256];
	unsigned i;
	int ret;

	if (cr->backend != CONF_CRYPTO_CRYPTODEV)
		return 0;
	for (i = 0; i < cr->n_devices; i++)
		names[i] = cr->devices[i];
	ret = cdev_setup(names, cr->n_devices, rd.sh.n_workers, RD_CDEV_SESSIONS(rd.conf),
			 (int)rte_socket_id(), &rd_cdev, err, sizeof(err));
	if (ret != 0) {
		RD_LOG(ERR, "crypto backend cryptodev: %s\n", err);
		return ret;
	}
	for (i = 0; i < rd.sh.n_workers; i++) {
		ret = cdev_worker_attach(rd_cdev, i, rd.workers[i]->esp);
		if (ret != 0) {
			RD_LOG(ERR, "crypto backend cryptodev: worker %u: %s\n", i, strerror(-ret));
			return ret;
		}
	}
	RD_LOG(INFO, "crypto backend cryptodev: %u device(s), %u worker queue pairs\n",
	       cr->n_devices, rd.sh.n_workers);
	return 0;
}

static void
mkdir_parent(const char *path)
{
	char buf[CONF_MAX_SOCK_PATH];

	snprintf(buf, sizeof(buf), "%s", path);
	mkdir(dirname(buf), 0755);
}

static void
shutdown_all(bool launched)
{
	unsigned i;

	if (rd.ike != NULL) {
		ike_shutdown(rd.ike, rd_now_ms());
		rd_ctl_drain(RD_SHUTDOWN_MS);
	}
	rd.sh.stop = true;
	if (launched)
		rte_eal_mp_wait_lcore();
	rd_sa_release_all();
	rd_jobs_fini();
	rd_ike_fini();
	rd_radius_fini();
	rd_eaplocal_fini();
	rd_rate_destroy(rd.ike_rate);
	rd.ike_rate = NULL;
	rd_cmd_fini();
	for (i = 0; i < rd.sh.n_ports; i++) {
		port_steer_release(rd.sh.ports[i].port_id, &port_steer[i]);
		port_stop(rd.sh.ports[i].port_id);
	}
	for (i = 0; i < rd.sh.n_workers; i++) {
		if (rd.workers[i] == NULL)
			continue;
		rd_worker_fini(rd.workers[i]);
		if (rd.workers[i]->msg_ring != NULL)
			rte_ring_free(rd.workers[i]->msg_ring);
		if (rd.workers[i]->handoff != NULL) {
			struct rte_mbuf *m = NULL;

			while (rte_ring_dequeue(rd.workers[i]->handoff, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(rd.workers[i]->handoff);
			rd.sh.handoff[i] = NULL;
		}
		rte_free(rd.workers[i]);
	}
	cdev_teardown(rd_cdev);		/* after every SA and worker is gone */
	rd_cdev = NULL;
	if (rd.sh.punt != NULL) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(rd.sh.punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rd.sh.punt);
	}
	if (rd.sh.punt_nbr != NULL) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(rd.sh.punt_nbr, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rd.sh.punt_nbr);
	}
	rte_ring_free(rd.sh.ev);
	for (i = 0; i < RD_MAX_PENDING; i++)
		rte_pktmbuf_free(rd.pending[i].m);
	rd_fwd_reclaim(true);
	rte_free(rd.sh.fwd);
	rte_free(rd.sh.qsbr);
	rte_mempool_free(rd.sh.mp);
}

int
main(int argc, char **argv)
{
	static char store[RD_MAX_EAL_ARGS][CONF_MAX_DEVARGS + 32];
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "rampart_meta",
		.size = sizeof(struct rd_meta),
		.align = __alignof__(struct rd_meta),
	};
	char *eal[RD_MAX_EAL_ARGS + 1];
	const char *conf_file = NULL, *sock = NULL, *check = NULL;
	int opt, n_eal, ret, n_user = 0;
	char **user = NULL;
	bool launched = false;
	unsigned avail, lcore, i;

	/* Our options stop at "--"; everything after it is for EAL. */
	for (i = 1; i < (unsigned)argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			user = argv + i + 1;
			n_user = argc - (int)i - 1;
			argc = (int)i;
			break;
		}
	static const struct option lopts[] = {
		{"check-config", required_argument, NULL, 'C'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "c:s:hV", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_file = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'C':
			check = optarg;
			break;
		case 'V':
			printf("rampartd %s\n", RAMPART_VERSION);
			return 0;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 1;
		}
	}
	if (optind < argc) {
		usage(argv[0]);
		return 1;
	}
	if (check != NULL)
		return check_config(check);
	if (load_conf(conf_file, sock) != 0)
		return 1;
	if (rd.conf->workers > SA_MAX_WORKERS) {
		fprintf(stderr, "rampartd: %s: workers: at most %u\n", rd.conf->source,
			SA_MAX_WORKERS);
		return 1;
	}
	if (build_eal_args(argv[0], n_user, user, eal, &n_eal, store) != 0)
		return 1;
	ret = rte_eal_init(n_eal, eal);
	if (ret < 0) {
		fprintf(stderr, "rampartd: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	eal_up = true;
	rte_log_set_level_pattern("rampart.*", (uint32_t)rd.conf->log_level + 1);
	rd_log_start();
	rd.start_ms = rd_now_ms();
	/* Test builds only: independent decoders (tshark, scapy) need the ESP keys. */
	if (getenv("RAMPART_DEBUG_KEYS") != NULL && strcmp(getenv("RAMPART_DEBUG_KEYS"), "1") == 0) {
#ifdef RD_DEBUG_KEYS
		rd.debug_keys = true;
		RD_LOG(WARNING, "RAMPART_DEBUG_KEYS=1: list-children reveals ESP keys to root "
		       "(tests only)\n");
#else
		RD_LOG(WARNING, "RAMPART_DEBUG_KEYS ignored: built without key export "
		       "(meson -Ddebug_keys=true)\n");
#endif
	}
	avail = rte_lcore_count() - 1;
	rd.sh.n_workers = rd.conf->workers ? rd.conf->workers : avail;
	if (rd.sh.n_workers > SA_MAX_WORKERS)
		rd.sh.n_workers = SA_MAX_WORKERS;
	if (rd.sh.n_workers == 0 || rd.sh.n_workers > avail) {
		RD_LOG(ERR, "need %u worker lcores, EAL gave %u\n",
		       rd.sh.n_workers ? rd.sh.n_workers : 1, avail);
		goto fail;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rd_meta_off = rte_mbuf_dynfield_register(&meta_desc);
	rd.sh.mp = port_pktmbuf_pool_create("rd_mbufs", RD_NB_MBUF, RD_MBUF_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (rd_meta_off < 0 || rd.sh.mp == NULL) {
		RD_LOG(ERR, "mbuf pool: %s\n", rte_strerror(rte_errno));
		goto fail;
	}
	if ((ret = setup_workers()) != 0 || (ret = setup_rings()) != 0) {
		RD_LOG(ERR, "workers/rings: %s\n", strerror(-ret));
		goto fail;
	}
	rd_caps_set(&rd.sh, rd.conf->max_tunnels);
	for (i = 0; i < rd.sh.n_workers; i++)
		if ((ret = rd_worker_init(rd.workers[i], &rd.sh)) != 0) {
			RD_LOG(ERR, "worker %u: %s\n", i, strerror(-ret));
			goto fail;
		}
	if (setup_cdev() != 0)
		goto fail;
	if (setup_ports() != 0 || rd_fwd_init() != 0)
		goto fail;
	mkdir_parent(rd.conf->ctl_path);
	if (rd.conf_path[0] == '\0' && (ret = write_builtin_psk()) != 0) {
		RD_LOG(ERR, "built-in configuration: cannot write its PSK file %s: %s\n", psk_path,
		       strerror(-ret));
		goto fail;
	}
	rd_cmd_init();		/* a missing control socket is logged, not fatal */
	if ((ret = rd_radius_init(&rd.conf->radius)) != 0) {
		RD_LOG(ERR, "radius: %s\n", strerror(-ret));
		goto fail;
	}
	/* the local EAP-MSCHAPv2 back end needs MD4 and DES (legacy provider) */
	if (rd.conf->eap_users != NULL && (ret = rd_eaplocal_init()) != 0) {
		RD_LOG(ERR, "eap_users: EAP-MSCHAPv2 unavailable (OpenSSL legacy provider "
		       "for MD4/DES): %s\n", strerror(-ret));
		goto fail;
	}
	ret = rd_ike_init();
	if (ret != 0 && rd_manual_failed()) {
		RD_LOG(ERR, "manual SAs could not be installed: not starting\n");
		goto fail;
	}
	if (ret != 0)
		RD_LOG(WARNING, "IKE unavailable (%s): datapath only\n", strerror(-ret));
	if ((ret = setup_ctl_load()) != 0) {
		RD_LOG(ERR, "control core load protection: %s\n", strerror(-ret));
		goto fail;
	}

	for (i = 0; i < rd.sh.n_workers; i++) {
		lcore = rd.workers[i]->lcore;
		if (rte_eal_remote_launch(rd_worker_main, rd.workers[i], lcore) != 0) {
			RD_LOG(ERR, "cannot launch worker %u on lcore %u\n", i, lcore);
			rd.sh.stop = true;
			launched = i > 0;
			goto fail;
		}
	}
	launched = true;
	RD_LOG(INFO, "running: %u workers, %u ports, %u connections, config %s\n", rd.sh.n_workers,
	       rd.sh.n_ports, rd.conf->n_conns, rd.conf->source);
	rd_notify_ready(rd.ike != NULL ? "ports up, IKE listening" : "ports up, IKE unavailable");
	rd_ctl_main();
	rd_notify_stopping();
	RD_LOG(INFO, "shutting down\n");
	shutdown_all(launched);
	conf_free(rd.conf);
	remove_builtin_psk();
	rte_eal_cleanup();
	return 0;
fail:
	shutdown_all(launched);
	conf_free(rd.conf);
	remove_builtin_psk();
	rte_eal_cleanup();
	return 1;
}
