# SPDX-License-Identifier: BSD-3-Clause
"""Harness for rampartd's end-to-end tests against strongSwan.

Builds a small network out of namespaces (all named e2e-*), runs rampartd on
two net_af_packet ports in e2e-gw, and strongSwan's charon (kernel-libipsec)
in client or gateway namespaces. Everything is torn down by Net.close(), also
when a check fails or the test is interrupted.

    e2e-cN  (client N, 192.0.2.(10+N)) --+
    e2e-nat (masquerade, 192.0.2.250)  --+-- br0 in e2e-sw -- e2e-pubs <-veth-> e2e-pub [af_packet0]
    e2e-site (strongSwan gw, 192.0.2.5)--+                                            e2e-gw: rampartd
                                                    e2e-lan 10.1.0.2 <-veth-> e2e-lan  [af_packet1]
    rampartd: public 192.0.2.1/24, private 10.1.0.1/24, pool 10.99.0.0/24
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import netlab  # noqa: E402
from netlab import (CHARON_PLUGINS, charon_child_keys, host_if, kill_pid,  # noqa: E402,F401
                    ns_pids, veth)

GW_PUB, GW_LAN, LAN_HOST = "192.0.2.1", "10.1.0.1", "10.1.0.2"
POOL = "10.99.0.0/24"
SITE_PUB, SITE_NET, SITE_GW_IN, SITE_HOST = "192.0.2.5", "10.2.0.0/24", "10.2.0.1", "10.2.0.2"
NAT_PUB, NAT_INNER_NET = "192.0.2.250", "172.16.9.0/24"
PSK = "rampart-e2e-only-not-a-secret"
GW_ID = "gw.rampart.test"

PY = "/usr/bin/python3"
VERBOSE = os.environ.get("V", "") not in ("", "0")
# Namespace names carry this run's pid, so that two runs (a developer's and a
# CI's) never meet; interface names live inside them and need no tag.
NSP = "e2e%d" % os.getpid()


def N(name):
    """This run's namespace called name (gw, sw, lan, cN, nat, natc, site, sitel)."""
    return NSP + "-" + name


def log(msg):
    print("e2e: " + msg, flush=True)


class Result:
    """Counts checks; prints one PASS/FAIL line per check."""

    def __init__(self, name):
        self.name = name
        self.fails = []
        self.passes = 0
        self.t0 = time.monotonic()

    def check(self, cond, what, detail=""):
        if cond:
            self.passes += 1
            print("PASS %s: %s%s" % (self.name, what, (" (" + detail + ")") if detail else ""),
                  flush=True)
        else:
            self.fails.append(what)
            print("FAIL %s: %s%s" % (self.name, what, (" -- " + detail) if detail else ""),
                  flush=True)
        return cond

    def summary(self):
        dt = time.monotonic() - self.t0
        if self.fails:
            print("RESULT %s: FAIL (%d passed, %d failed: %s) in %.0f s"
                  % (self.name, self.passes, len(self.fails), "; ".join(self.fails), dt))
            return 1
        print("RESULT %s: PASS (%d checks) in %.0f s" % (self.name, self.passes, dt))
        return 0


def sh(cmd, ns=None, check=True, timeout=30, env=None):
    """Run a command list (inside namespace ns); return (rc, output)."""
    rc, out = netlab.run(cmd, ns=ns, timeout=timeout, env=env)
    if check and rc != 0:
        raise RuntimeError("%s: rc %d: %s" % (" ".join(cmd), rc, out.strip()[-1500:]))
    return rc, out


def write_private(path, text):
    """Write a file only its owner can read: rampartd refuses a config holding
    a PSK or key that group or others can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


read_text = netlab.read_text
wait_for = netlab.wait_for


def parallel(fns, limit=8):
    """Run callables in threads (at most limit at once); return their results."""
    res = [None] * len(fns)
    sem = threading.Semaphore(limit)

    def run(i, f):
        with sem:
            try:
                res[i] = f()
            except Exception as e:  # reported by the caller
                res[i] = e
    ts = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


def ping_stats(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


class Net:
    """The namespaces, veths and bridge of one test; close() removes them."""

    def __init__(self, workdir):
        self.dir = workdir
        self.namespaces = []
        self.procs = []

    def ns_add(self, ns):
        netlab.ns_add(ns, ipv6=False)
        self.namespaces.append(ns)

    list_ns = staticmethod(netlab.ns_list)
    ns_del = staticmethod(netlab.ns_del)

    def veth(self, a, ns_a, b, ns_b):
        veth(a, ns_a, b, ns_b)

    def host_if(self, ns, dev, addr):
        host_if(ns, dev, addr)

    def base(self):
        """gw (rampartd), sw (bridge), lan (LAN host)."""
        netlab.reap_stale(r"e2e(\d+)-")     # leftovers of runs that were killed
        self.ns_add(N("sw"))
        sh(["ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"],
           ns=N("sw"))
        sh(["ip", "link", "set", "br0", "up"], ns=N("sw"))
        self.gateway(N("gw"), N("lan"), "e2e-pubs", "e2e-lanh", (POOL, SITE_NET))

    def gateway(self, gw, lan, sw_dev, lan_dev, routes):
        """Namespace gw for a rampartd: af_packet port e2e-pub on a veth to
        the bridge (sw_dev there), e2e-lan on a veth to lan_dev in namespace
        lan, the LAN host LAN_HOST, which routes the prefixes routes via GW_LAN."""
        for ns in (gw, lan):
            self.ns_add(ns)
        self.veth("e2e-pub", gw, sw_dev, N("sw"))
        self.veth("e2e-lan", gw, lan_dev, lan)
        for dev in ("e2e-pub", "e2e-lan"):
            netlab.dpdk_port(gw, dev)
        sh(["ip", "link", "set", sw_dev, "master", "br0", "up"], ns=N("sw"))
        self.host_if(lan, lan_dev, LAN_HOST + "/24")
        for prefix in routes:
            sh(["ip", "route", "add", prefix, "via", GW_LAN], ns=lan)

    def attach(self, ns, dev, addr, sw_dev):
        """A namespace with one leg on the public bridge."""
        self.ns_add(ns)
        self.veth(dev, ns, sw_dev, N("sw"))
        sh(["ip", "link", "set", sw_dev, "master", "br0", "up"], ns=N("sw"))
        self.host_if(ns, dev, addr)

    def client_ns(self, i):
        ns = N("c%d" % i)
        self.attach(ns, "e2e-c%d" % i, "192.0.2.%d/24" % (10 + i), "e2e-s%d" % i)
        return ns, "192.0.2.%d" % (10 + i)

    def nat(self):
        """e2e-nat masquerades 172.16.9.0/24 (e2e-natc at .2) to 192.0.2.250."""
        self.attach(N("nat"), "e2e-natp", NAT_PUB + "/24", "e2e-snat")
        self.ns_add(N("natc"))
        self.veth("e2e-nati", N("nat"), "e2e-natc", N("natc"))
        self.host_if(N("nat"), "e2e-nati", "172.16.9.1/24")
        self.host_if(N("natc"), "e2e-natc", "172.16.9.2/24")
        sh(["ip", "route", "add", "default", "via", "172.16.9.1"], ns=N("natc"))
        sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ns=N("nat"))
        # Masquerade and map the source port, so rampartd has to answer the
        # translated port rather than 4500.
        for cmd in (["add", "table", "ip", "e2enat"],
                    ["add", "chain", "ip", "e2enat", "post", "{ type nat hook postrouting "
                     "priority 100 ; }"],
                    ["add", "rule", "ip", "e2enat", "post", "oifname", "e2e-natp", "ip", "saddr",
                     NAT_INNER_NET, "meta", "l4proto", "udp", "counter", "masquerade", "to",
                     ":40000-40999"],
                    ["add", "rule", "ip", "e2enat", "post", "oifname", "e2e-natp", "ip", "saddr",
                     NAT_INNER_NET, "counter", "masquerade"]):
            sh(["nft"] + cmd, ns=N("nat"))
        return N("natc"), "172.16.9.2"

    def site(self):
        """e2e-site: strongSwan gateway 192.0.2.5 routing 10.2.0.0/24 (host e2e-sitel .2)."""
        self.attach(N("site"), "e2e-sitep", SITE_PUB + "/24", "e2e-ssite")
        self.ns_add(N("sitel"))
        self.veth("e2e-sitei", N("site"), "e2e-sitel", N("sitel"))
        self.host_if(N("site"), "e2e-sitei", SITE_GW_IN + "/24")
        self.host_if(N("sitel"), "e2e-sitel", SITE_HOST + "/24")
        sh(["ip", "route", "add", "default", "via", SITE_GW_IN], ns=N("sitel"))
        sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ns=N("site"))

    def spawn(self, cmd, ns=None, out=None):
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        f = open(out, "w") if out else subprocess.DEVNULL
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                kill_pid(p.pid, signal.SIGTERM)
        end = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_pid(p.pid, signal.SIGKILL)
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    pass
        for ns in reversed(self.namespaces):
            Net.ns_del(ns)
        self.namespaces = []


def gw_yaml(sock, conns, log_level="info", top="", ike="", mid="", extra="", pub=GW_PUB):
    """rampartd's config on the e2e network: one worker, the control socket
    sock, more top-level lines top, ike: with the lines ike, the ports on
    e2e-pub (address pub) and e2e-lan, more top-level lines mid, the
    connections conns (YAML list items), then extra."""
    return ("workers: 1\nlog_level: %s\ntelemetry: false\n"
            'control: {socket: %s, mode: "0600"}\n' % (log_level, sock) + top
            + ("ike:\n" + ike if ike else "")
            + "ports:\n"
            '  - {name: pub, role: public, device: "net_af_packet0,iface=e2e-pub", '
            "addresses: [%s/24]}\n"
            '  - {name: lan, role: private, device: "net_af_packet1,iface=e2e-lan", '
            "addresses: [%s/24]}\n" % (pub, GW_LAN)
            + mid + "connections:\n" + conns + extra)


PSK_AUTH = '    auth: psk\n    psk: "%s"\n' % PSK


def ra_conn(name="ra", auth=PSK_AUTH, ike=("aes256gcm16-prfsha256-ecp256",
                                           "aes128gcm16-prfsha256-x25519"),
            esp=("aes256gcm16", "aes128gcm16"), pool=POOL, dpd="30s"):
    """A remote-access connection for gw_yaml: any peer with any identity,
    our LAN 10.1.0.0/24, a virtual IP from pool; auth: its authentication
    lines; dpd None: no dpd line."""
    return ("  - name: %s\n    remote: any\n    local_id: fqdn:%s\n    remote_id: any\n"
            % (name, GW_ID) + auth
            + "    ike: [%s]\n    esp: [%s]\n" % (", ".join(ike), ", ".join(esp))
            + "    local_ts: [10.1.0.0/24]\n    remote_ts: dynamic\n"
            "    pool: {range: %s}\n" % pool + ("    dpd: %s\n" % dpd if dpd else ""))


def e2e_yaml(sock, conns=None, pool=POOL, dpd="30s", rbase="1s", rtries=5, extra="",
             log_level=None, pub=GW_PUB):
    """The e2e tests' rampartd config: gw_yaml with IKE retransmits rbase,
    rtries and the connections conns (default: ra_conn with pool and dpd);
    log_level defaults to $E2E_LOG or info."""
    return gw_yaml(sock, ra_conn(pool=pool, dpd=dpd) if conns is None else conns,
                   log_level or os.environ.get("E2E_LOG", "info"),
                   ike="  retransmit_base: %s\n  retransmit_tries: %s\n" % (rbase, rtries),
                   extra=extra, pub=pub)


S2S_CONN = """  - name: s2s
    local: {pub}
    remote: {site}
    local_id: fqdn:{gwid}
    remote_id: fqdn:site.rampart.test
    auth: psk
    psk: "{psk}"
    ike: [aes256gcm16-prfsha256-ecp256]
    esp: [aes256gcm16]
    local_ts: [10.1.0.0/24]
    remote_ts: [{sitenet}]
    dpd: 30s
"""


MANUAL_YAML = """workers: 1
log_level: info
telemetry: false
{extra}control: {{socket: {sock}, mode: "0600"}}
ports:
  - {{name: wan, role: public, addresses: [192.0.2.1/24], device: "{wan_dev}"}}
  - {{name: lan, role: private, addresses: [10.0.0.1/24], device: "{lan_dev}"}}
neighbors:
  - {{address: 192.0.2.2, mac: "{peer_mac}", port: wan}}
  - {{address: 10.0.0.2, mac: "{host_mac}", port: lan}}
manual_sas:
  - name: {name}
    spi_in: {spi_in:#x}
    spi_out: {spi_out:#x}
    esp: {alg}
    key_in: {key_in}
    key_out: {key_out}
{integ}    remote: 192.0.2.2
    local_ts: [10.0.0.0/24]
    remote_ts: [10.1.0.0/24]
    replay_window: {rw}
"""


def manual_conf(path, sock, wan_dev, lan_dev, peer_mac, host_mac, spi_in, spi_out, key_in,
                key_out, name="handkeyed", alg="aes128gcm16", integ_in=None, integ_out=None,
                rw=1024, extra=""):
    """A rampartd config (mode 0600: it holds keys) with one manual SA
    between the WAN peer 192.0.2.2 and the LAN host 10.0.0.2 (static
    neighbours), remote_ts 10.1.0.0/24: e2e_manual, e2e_loadgen, e2e_pktgen.
    @extra: more top-level YAML (e.g. a crypto: backend)."""
    integ = ""
    if integ_in is not None:
        integ = "    integ_key_in: %s\n    integ_key_out: %s\n" % (integ_in.hex(),
                                                                    integ_out.hex())
    write_private(path, MANUAL_YAML.format(sock=sock, wan_dev=wan_dev, lan_dev=lan_dev,
                                           peer_mac=peer_mac, host_mac=host_mac, name=name,
                                           spi_in=spi_in, spi_out=spi_out, alg=alg,
                                           key_in=key_in.hex(), key_out=key_out.hex(),
                                           integ=integ, rw=rw, extra=extra))


class Rampartd:
    def __init__(self, net, build, rampartd, rampartctl, prefix):
        self.net = net
        self.bin = rampartd
        self.ctl_bin = rampartctl
        self.prefix = prefix
        self.sock = os.path.join(net.dir, "rampart.sock")
        self.conf = os.path.join(net.dir, "rampart.yaml")
        self.logf = os.path.join(net.dir, "rampartd.log")
        self.ns = N("gw")       # a second instance runs elsewhere (e2e_redirect)
        self.proc = None

    def write_conf(self, pool=POOL, dpd="30s", rbase="1s", rtries=5, extra="", s2s=False,
                   log_level=None):
        text = e2e_yaml(self.sock, pool=pool, dpd=dpd, rbase=rbase, rtries=rtries, extra=extra,
                        log_level=log_level)
        if s2s:
            text += S2S_CONN.format(pub=GW_PUB, site=SITE_PUB, gwid=GW_ID, psk=PSK,
                                    sitenet=SITE_NET)
        write_private(self.conf, text)

    def start(self, env=None):
        """env: extra environment for rampartd only (e.g. RAMPART_DEBUG_KEYS=1)."""
        cmd = [self.bin, "-c", self.conf, "--", "--lcores", "0@0,1@1", "--no-huge", "-m", "256",
               "--no-pci", "--file-prefix", self.prefix]
        if env:
            cmd = ["env"] + ["%s=%s" % kv for kv in sorted(env.items())] + cmd
        self.proc = self.net.spawn(cmd, ns=self.ns, out=self.logf)
        self.t_start = time.time()
        return netlab.wait_log(self.logf, "running:", lambda: self.proc.poll() is None,
                               120) is True

    def log_text(self):
        return read_text(self.logf)

    def ctl(self, *args, timeout=15):
        """rampartctl --json ARGS: (rc, parsed JSON or the raw text)."""
        rc, out = sh(["timeout", str(timeout + 5), self.ctl_bin, "-s", self.sock, "--json",
                      "-t", str(timeout)] + list(args), check=False, timeout=timeout + 10)
        try:
            return rc, json.loads(out)
        except ValueError:
            return rc, out

    def ctl_text(self, *args):
        return sh([self.ctl_bin, "-s", self.sock] + list(args), check=False, timeout=20)[1]

    def sas(self):
        rc, j = self.ctl("list-sas")
        return j.get("sas", []) if rc == 0 and isinstance(j, dict) else []

    def children(self):
        rc, j = self.ctl("list-children")
        return j.get("children", []) if rc == 0 and isinstance(j, dict) else []

    def stop(self):
        """SIGTERM; True when it exits with 0 within 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                log("rampartd had already exited with status %s (negative: signal)"
                    % self.proc.returncode)
            return False
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20) == 0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return False

    def cleanup(self):
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)


# charon's side of the tests (swanctl.conf templates; the values are str.format fields)
PSK_ROUND = [("auth", "psk")]
CLIENT_CONF = netlab.swanctl_template(
    "ra", [("version", 2), ("local_addrs", "{addr}"), ("remote_addrs", "{gw}"),
           ("vips", "0.0.0.0"), ("proposals", "{ike}"), ("dpd_delay", "{dpd_delay}"),
           ("rekey_time", "{ike_rekey}"), ("over_time", "{ike_over}"),
           ("rand_time", "{ike_rand}")],
    PSK_ROUND + [("id", "{id}")], PSK_ROUND + [("id", "{gwid}")],
    [("ra", [("remote_ts", "10.1.0.0/24"), ("esp_proposals", "{esp}"),
             ("rekey_time", "{child_rekey}"), ("life_time", "{child_life}"),
             ("rand_time", "{child_rand}"), ("start_action", "none")])],
    [("ike-ra", [("secret", '"{psk}"')])])

SITE_CONF = netlab.swanctl_template(
    "s2s", [("version", 2), ("local_addrs", "{addr}"), ("remote_addrs", "{gw}"),
            ("proposals", "aes256gcm16-prfsha256-ecp256")],
    PSK_ROUND + [("id", "site.rampart.test")], PSK_ROUND + [("id", "{gwid}")],
    [("s2s", [("local_ts", "{sitenet}"), ("remote_ts", "10.1.0.0/24"),
              ("esp_proposals", "aes256gcm16"), ("start_action", "none")])],
    [("ike-s2s", [("secret", '"{psk}"')])])


class Charon(netlab.Charon):
    """netlab's charon in a client or gateway namespace of the e2e network,
    files in the run's directory under tag; Net.close() stops it."""

    def __init__(self, net, ns, tag, addr, keylog=False):
        super().__init__(ns, os.path.join(net.dir, tag))
        self.net, self.tag, self.addr = net, tag, addr
        self.swconf = os.path.join(self.dir, "swanctl.conf")
        self.keylog = keylog

    def write(self, swanctl_text, install_routes=True):
        lv = "ike = 4\n\t\t\tchd = 4" if self.keylog else "ike = 1\n\t\t\tchd = 1"
        self.write_conf(lv + "\n\t\t\tcfg = 1",
                        "\tinstall_routes = %s\n\tretransmit_timeout = 2.0\n"
                        "\tretransmit_tries = 4\n" % ("yes" if install_routes else "no"))
        with open(self.swconf, "w") as f:
            f.write(swanctl_text)

    def client_conf(self, ident, ike="aes256gcm16-prfsha256-ecp256", esp="aes256gcm16",
                    ike_rekey="4h", child_rekey="1h", dpd_delay="0s", ike_over="1h",
                    ike_rand="0s", child_life="2h", child_rand="0s"):
        self.write(CLIENT_CONF.format(addr=self.addr, gw=GW_PUB, ike=ike, esp=esp, id=ident,
                                      gwid=GW_ID, psk=PSK, ike_rekey=ike_rekey,
                                      child_rekey=child_rekey, dpd_delay=dpd_delay,
                                      ike_over=ike_over, ike_rand=ike_rand,
                                      child_life=child_life, child_rand=child_rand))

    def site_conf(self):
        self.write(SITE_CONF.format(addr=self.addr, gw=GW_PUB, gwid=GW_ID, psk=PSK,
                                    sitenet=SITE_NET))

    def start(self):
        self.net.procs.append(super().start())

    def load(self):
        return self.swanctl(["--load-all", "--noprompt", "--file", self.swconf], 30)

    def initiate(self, child, timeout=40):
        return self.swanctl(["--initiate", "--child", child, "--timeout", str(timeout - 5)],
                            timeout)

    def list_sas(self):
        return self.swanctl(["--list-sas"], 15)[1]

    def vip(self):
        m = re.search(r"\[(10\.99\.\d+\.\d+)\]", self.list_sas())
        return m.group(1) if m else None


def arg_parser(cases=None, clients=None):
    """The e2e scripts' command line: CASE (one of cases) --rampartd PATH
    --rampartctl PATH, --clients N when clients is its default; each script
    adds its own options."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=cases)
    ap.add_argument("--rampartd", required=True)
    ap.add_argument("--rampartctl", required=True)
    if clients is not None:
        ap.add_argument("--clients", type=int, default=clients)
    return ap


def args_common(argv):
    """e2e.py CASE --rampartd PATH --rampartctl PATH [--clients N]"""
    return arg_parser(clients=20).parse_args(argv)
