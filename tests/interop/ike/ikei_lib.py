# SPDX-License-Identifier: BSD-3-Clause
"""Harness for the lib/ike vs strongSwan interop tests.

Owns: three network namespaces (peer - mid - gw), one charon in the peer
namespace (strongSwan under test), the gateway side (either ike_driver running
lib/ike, or a second charon for the harness self-test), certificate creation,
and parsing of charon's key log and `swanctl --list-sas --pretty`.

Everything it creates is named ikei*; every address is a documentation range.
It never touches anything outside the namespaces it creates.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import netlab  # noqa: E402
from netlab import CHARON_PLUGINS, charon_child_keys, charon_ike_keys  # noqa: E402,F401

# Namespace names carry our pid: another checkout's run (CI) on the same
# machine uses the same prefix and must not collide with us.
NS_PEER, NS_MID, NS_GW = ("ikei-%s-%d" % (n, os.getpid()) for n in ("peer", "mid", "gw"))
PEER4, GW4, NAT4 = "192.0.2.1", "198.51.100.1", "198.51.100.254"
PEER6, GW6 = "2001:db8:1::1", "2001:db8:2::1"
PEER_NET, GW_NET = "10.2.0.0/16", "10.1.0.0/16"
PEER_NET6, GW_NET6 = "2001:db8:102::/48", "2001:db8:101::/48"
POOL = "10.3.0.0/24"
PEER_ID, GW_ID = "peer.ikei.test", "gw.ikei.test"
PSK = "ikei-interop-test-psk-0123456789"


def log(msg):
    print("# " + msg, flush=True)


def sh(cmd, check=True, timeout=20, ns=None, env=None):
    """Run a command (list) optionally inside a namespace; return its output
    (RuntimeError when it fails and check is set)."""
    if check:
        return netlab.must(cmd, ns=ns, timeout=timeout, env=env)
    return netlab.run(cmd, ns=ns, timeout=timeout, env=env)[1]


class CaseFailure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CaseFailure(what)


def wait_for(pred, timeout, what, step=0.1):
    """Poll pred() until it returns a true value (netlab.wait_for); return it or fail."""
    v = netlab.wait_for(pred, timeout, step)
    if not v:
        raise CaseFailure("timeout (%.0fs) waiting for %s" % (timeout, what))
    return v


# --------------------------------------------------------------------------
# Topology

class Topology:
    """peer (strongSwan) -- mid (router, optional NAT/drop) -- gw (lib/ike)."""

    def __init__(self):
        self.up = False
        self._nft_on = {}       # table -> last state set (absent: unknown)

    @staticmethod
    def cleanup_stale():
        """Remove namespaces left by an earlier run of ours whose process is gone."""
        netlab.reap_stale(r"ikei-(?:peer|mid|gw)-(\d+)$")

    def create(self):
        self.cleanup_stale()
        self.up = True
        for ns in (NS_PEER, NS_MID, NS_GW):
            netlab.ns_add(ns)
        netlab.veth("ikei-p0", NS_PEER, "ikei-m0", NS_MID)
        netlab.veth("ikei-g0", NS_GW, "ikei-m1", NS_MID)
        for ns, dev, a4, a6 in ((NS_PEER, "ikei-p0", PEER4 + "/24", PEER6 + "/64"),
                                (NS_MID, "ikei-m0", "192.0.2.254/24", "2001:db8:1::fe/64"),
                                (NS_MID, "ikei-m1", NAT4 + "/24", "2001:db8:2::fe/64"),
                                (NS_GW, "ikei-g0", GW4 + "/24", GW6 + "/64")):
            sh(["ip", "addr", "add", a4, "dev", dev], ns=ns)
            sh(["ip", "-6", "addr", "add", a6, "dev", dev, "nodad"], ns=ns)
            sh(["ip", "link", "set", dev, "up"], ns=ns)
        sh(["ip", "route", "add", "default", "via", "192.0.2.254"], ns=NS_PEER)
        sh(["ip", "-6", "route", "add", "default", "via", "2001:db8:1::fe"], ns=NS_PEER)
        sh(["ip", "route", "add", "default", "via", NAT4], ns=NS_GW)
        sh(["ip", "-6", "route", "add", "default", "via", "2001:db8:2::fe"], ns=NS_GW)
        # An address inside each side's protected net: kernel-libipsec wants
        # a source address for the route it installs with each policy.
        sh(["ip", "addr", "add", "10.2.0.1/32", "dev", "lo"], ns=NS_PEER)
        sh(["ip", "addr", "add", "10.1.0.1/32", "dev", "lo"], ns=NS_GW)
        sh(["ip", "addr", "add", "10.2.3.1/32", "dev", "lo"], ns=NS_PEER)
        sh(["ip", "addr", "add", "10.1.2.1/32", "dev", "lo"], ns=NS_GW)
        sh(["ip", "-6", "addr", "add", PEER_NET6.replace("::/48", "::1/128"), "dev", "lo"],
           ns=NS_PEER)
        sh(["ip", "-6", "addr", "add", GW_NET6.replace("::/48", "::1/128"), "dev", "lo"],
           ns=NS_GW)
        sh(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], ns=NS_MID)
        sh(["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"], ns=NS_MID)

    def destroy(self):
        if not self.up:
            return
        for ns in (NS_PEER, NS_MID, NS_GW):
            netlab.ns_del(ns)
        self.up = False

    # The NAT sits in front of the peer: its IKE and ESP leave mid from
    # 198.51.100.254 with a source port in 40000-40999 (not 500/4500), so the
    # gateway must answer to the translated port.
    def nat(self, on):
        self._nft_table("ip", "ikeinat", on, [
            "add chain ip ikeinat post { type nat hook postrouting priority 100 ; }",
            "add rule ip ikeinat post oifname ikei-m1 ip saddr 192.0.2.0/24 "
            "meta l4proto udp snat to %s:40000-40999" % NAT4])

    # Deterministic loss: every third packet forwarded either way is dropped,
    # so requests and responses get lost and retransmitted, but every
    # exchange gets through after a retransmission or two.
    def loss(self, on):
        self._nft_table("inet", "ikeiloss", on, [
            "add chain inet ikeiloss filt { type filter hook forward priority 0 ; }",
            "add rule inet ikeiloss filt numgen inc mod 3 0 drop"])

    # The nft table @table in mid: removed, then with @on made again from
    # @rules. Known absent: nothing to remove (saves a process per case).
    def _nft_table(self, family, table, on, rules):
        if self._nft_on.get(table) is False and not on:
            return
        self._nft_on[table] = bool(on)
        sh(["nft", "delete", "table", family, table], ns=NS_MID, check=False)
        if on:
            sh(["nft", "add", "table", family, table], ns=NS_MID)
            for rule in rules:
                sh(["nft", rule], ns=NS_MID)

    # Make both ends vanish for each other (DPD), or only the peer's packets
    # (from_peer: the gateway's still arrive).
    def drop(self, on, from_peer=False, from_gw=False):
        sh(["nft", "delete", "table", "inet", "ikeidrop"], ns=NS_MID, check=False)
        if on:
            one_way = from_peer or from_gw
            sh(["nft", "add", "table", "inet", "ikeidrop"], ns=NS_MID)
            sh(["nft", "add chain inet ikeidrop filt { type filter hook forward priority 0 ; "
                "policy %s ; }" % ("accept" if one_way else "drop")], ns=NS_MID)
            if one_way:
                sh(["nft", "add rule inet ikeidrop filt iifname %s drop"
                    % ("ikei-m0" if from_peer else "ikei-m1")], ns=NS_MID)


# --------------------------------------------------------------------------
# Certificates (openssl CLI, into the run's temp dir)

class Pki:
    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.made = {}

    def _key(self, path, kind):
        if kind.startswith("rsa"):
            sh(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048", "-out", path])
        else:
            sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", path])

    def make(self, kind):
        """CA + peer + gw certificate of @kind ('rsa' or 'ecdsa'). Returns paths."""
        if kind in self.made:
            return self.made[kind]
        p = lambda n: os.path.join(self.d, "%s-%s" % (kind, n))
        self._key(p("ca.key"), kind)
        sh(["openssl", "req", "-x509", "-new", "-key", p("ca.key"), "-out", p("ca.pem"),
            "-days", "30", "-subj", "/O=ikei/CN=ikei %s CA" % kind,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        r = {"ca": p("ca.pem")}
        for who, ident in (("peer", PEER_ID), ("gw", GW_ID)):
            issuer = "ca"
            # -chain: both certificates from intermediates; -peerchain: the peer's only
            chain = kind.endswith("-chain") or (kind.endswith("-peerchain") and who == "peer")
            if chain:
                # one intermediate CA per side: each side has only the root
                # and must get the other's intermediate from CERT payloads
                issuer = who + "-im"
                self._key(p(issuer + ".key"), kind)
                sh(["openssl", "req", "-new", "-key", p(issuer + ".key"), "-out",
                    p(issuer + ".csr"), "-subj", "/O=ikei/CN=ikei %s intermediate" % who])
                with open(p(issuer + ".ext"), "w") as f:
                    f.write("basicConstraints=critical,CA:TRUE\n"
                            "keyUsage=critical,keyCertSign,cRLSign\n")
                sh(["openssl", "x509", "-req", "-in", p(issuer + ".csr"), "-CA", p("ca.pem"),
                    "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "30", "-sha256",
                    "-extfile", p(issuer + ".ext"), "-out", p(issuer + ".pem")])
                r[who + "_im"] = p(issuer + ".pem")
            self._key(p(who + ".key"), kind)
            sh(["openssl", "req", "-new", "-key", p(who + ".key"), "-out", p(who + ".csr"),
                "-subj", "/O=ikei/CN=%s" % ident])
            ext = p(who + ".ext")
            with open(ext, "w") as f:
                f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                        "keyUsage=digitalSignature\n" % ident)
            sh(["openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p(issuer + ".pem"),
                "-CAkey", p(issuer + ".key"), "-CAcreateserial", "-days", "30", "-sha256",
                "-extfile", ext, "-out", p(who + ".pem")])
            r[who + "_cert"] = p(who + ".pem")
            r[who + "_key"] = p(who + ".key")
            if chain:
                # leaf first, then the intermediate (for a driver cert_file)
                with open(p(who + "-bundle.pem"), "w") as f:
                    f.write(open(p(who + ".pem")).read() + open(p(issuer + ".pem")).read())
                r[who + "_bundle"] = p(who + "-bundle.pem")
        self.made[kind] = r
        return r


# --------------------------------------------------------------------------
# charon

def parse_pretty(text):
    """Parse `swanctl --pretty` output (vici tree) into nested dicts/lists."""
    root = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            node = {}
            cur = stack[-1]
            if isinstance(cur, dict):
                # several list-sa events: keep them all under the same key
                if name in cur:
                    i = 2
                    while "%s#%d" % (name, i) in cur:
                        i += 1
                    name = "%s#%d" % (name, i)
                cur[name] = node
            stack.append(node)
        elif line.endswith("["):
            name = line[:-1].strip().rstrip("=").strip()
            node = []
            stack[-1][name] = node
            stack.append(node)
        elif line in ("}", "]"):
            stack.pop()
        elif isinstance(stack[-1], list):
            stack[-1].append(line)
        elif "=" in line:
            k, v = line.split("=", 1)
            stack[-1][k.strip()] = v.strip()
    return root


class Charon(netlab.Charon):
    """netlab's charon with a file log at ike=4 (keys for the checks), its
    credentials in its own swanctl directory, swanctl calls that raise."""

    def __init__(self, ns, workdir, tag):
        super().__init__(ns, os.path.join(workdir, tag), sock_name="vici.sock")
        self.tag = tag
        self.swdir = os.path.join(self.dir, "swanctl")
        self.swanctl_env = dict(os.environ, SWANCTL_DIR=self.swdir)
        for sub in ("x509", "x509ca", "private"):
            os.makedirs(os.path.join(self.swdir, sub), exist_ok=True)

    def start(self):
        # Short retransmits so DPD and lost peers resolve within seconds.
        self.write_conf("ike = 4\n\t\t\tchd = 4\n\t\t\tcfg = 2\n\t\t\tnet = 1\n\t\t\tenc = 1\n"
                        "\t\t\tknl = 1",
                        "\tretransmit_tries = 3\n\tretransmit_timeout = 1.0\n"
                        "\tretransmit_base = 1.4\n\tmake_before_break = yes\n"
                        "\tinstall_routes = no\n")
        super().start()
        if not self.wait_ready(15, step=0.2):
            raise CaseFailure("charon %s did not answer on its vici socket within 15 s"
                              % self.tag)

    def swanctl(self, args, check=True, timeout=15):
        """swanctl's output; RuntimeError when it fails and check is set."""
        rc, out = self._swanctl(args, timeout)
        if check and rc != 0:
            raise RuntimeError("swanctl %s failed (%d): %s" % (" ".join(args), rc,
                                                              out.strip()[-2000:]))
        return out

    def load(self, conf_text, creds=()):
        """Replace swanctl.conf and credentials, then load all (creds, conns)."""
        for sub in ("x509", "x509ca", "private"):
            d = os.path.join(self.swdir, sub)
            for n in os.listdir(d):
                os.unlink(os.path.join(d, n))
        for sub, path in creds:
            shutil.copy(path, os.path.join(self.swdir, sub, os.path.basename(path)))
        with open(os.path.join(self.swdir, "swanctl.conf"), "w") as f:
            f.write(conf_text)
        self.swanctl(["--load-all", "--noprompt"], timeout=15)

    def sas(self):
        """List of IKE SAs: dicts from --list-sas --pretty."""
        out = self.swanctl(["--list-sas", "--pretty"], timeout=10)
        tree = parse_pretty(out)
        res = []
        for k, ev in tree.items():
            if not k.startswith("list-sa event") or not isinstance(ev, dict):
                continue
            for name, ike in ev.items():
                if isinstance(ike, dict):
                    ike["name"] = name
                    res.append(ike)
        return res


def established(sas):
    return [s for s in sas if s.get("state") == "ESTABLISHED"]


def child_list(ike):
    cs = ike.get("child-sas", {})
    return [c for c in cs.values() if isinstance(c, dict)] if isinstance(cs, dict) else []


# --------------------------------------------------------------------------
# swanctl.conf for the strongSwan side

def case_ids(c):
    """(peer id, gw id) as strongSwan writes them: FQDNs, or the IP addresses."""
    if c.get("ids") == "ip":
        return (PEER6, GW6) if c.get("af") == 6 else (PEER4, GW4)
    return PEER_ID, GW_ID


def swanctl_conf(c, side="peer", pki=None):
    """swanctl.conf text for a case dict @c.

    side 'peer': the strongSwan under test in NS_PEER.
    side 'gw': a second charon standing in for lib/ike (harness self-test).
    """
    af6 = c.get("af") == 6
    if side == "peer":
        me, other = (PEER6, GW6) if af6 else (PEER4, GW4)
        my_id, other_id = case_ids(c)
        lts, rts = c.get("peer_ts", (PEER_NET, GW_NET))
        if c.get("vip"):
            lts = "dynamic"
    else:
        me = GW6 if af6 else GW4
        other = "%any"
        if c.get("init") == "gw":
            other = PEER6 if af6 else PEER4
        other_id, my_id = case_ids(c)
        lts, rts = c.get("gw_ts", (GW_NET, PEER_NET))
        if c.get("vip"):
            rts = "dynamic"
    auth = c.get("auth", "psk")
    if auth == "psk":
        lauth = "\t\t\tauth = psk\n\t\t\tid = %s\n" % my_id
        rauth = "\t\t\tauth = psk\n\t\t\tid = %s\n" % other_id
    else:
        certs = pki.make(auth)
        lauth = ("\t\t\tauth = pubkey\n\t\t\tid = %s\n\t\t\tcerts = %s\n"
                 % (my_id, os.path.basename(certs[side + "_cert"])))
        rauth = "\t\t\tauth = pubkey\n\t\t\tid = %s\n" % other_id
    extra = ""
    if side == "peer" and c.get("vip"):
        extra += "\t\tvips = 0.0.0.0\n"
    if side == "gw" and c.get("vip"):
        extra += "\t\tpools = ikeipool\n"
    dpd = c.get("dpd_peer", 0) if side == "peer" else c.get("dpd_gw", 0)
    if dpd:
        extra += "\t\tdpd_delay = %ds\n" % dpd
    txt = """connections {
	ikei {
		version = 2
		local_addrs = %s
		remote_addrs = %s
		proposals = %s
		rekey_time = %ds
		over_time = %ds
		rand_time = 0
		reauth_time = 0
		mobike = %s
		encap = no
%s		local {
%s		}
		remote {
%s		}
		children {
			ikei {
				local_ts = %s
				remote_ts = %s
				esp_proposals = %s
				rekey_time = %ds
				rand_time = 0
%s				start_action = none
				dpd_action = clear
				close_action = none
			}
		}
	}
}
secrets {
	ike-ikei {
		id-a = %s
		id-b = %s
		secret = "%s"
	}
}
""" % (me, other, c.get(side + "_ike", c["ike"]), c.get(side + "_ike_rekey", 0),
       c.get(side + "_ike_rekey", 0),
       "yes" if c.get("mobike", True) else "no", extra, lauth, rauth,
       lts, rts, c.get(side + "_esp", c["esp"]), c.get(side + "_child_rekey", 0),
       "\t\t\t\tlife_time = %ds\n" % (2 * c[side + "_child_rekey"])
       if c.get(side + "_child_rekey") else "",
       case_ids(c)[0], case_ids(c)[1], c.get(side + "_psk", PSK))
    if side == "gw" and c.get("vip"):
        txt += "pools {\n\tikeipool {\n\t\taddrs = %s\n\t}\n}\n" % POOL
    return txt


def swanctl_creds(c, side, pki):
    auth = c.get("auth", "psk")
    if auth == "psk":
        return []
    certs = pki.make(auth)
    res = [("x509ca", certs["ca"]), ("x509", certs[side + "_cert"]),
           ("private", certs[side + "_key"])]
    if side + "_im" in certs:
        res.append(("x509ca", certs[side + "_im"]))     # sent as the issuer cert
    return res
