#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lib/ike (through ike_driver) against strongSwan 5.9.8, in namespaces.

Usage (root):
  ike_interop.py --driver PATH [CASE-GLOB ...]   lib/ike on the gateway side
  ike_interop.py --selftest [CASE-GLOB ...]      charon on both sides (harness check)
  ike_interop.py --list

Each case establishes an IKE SA between the strongSwan peer (namespace
ikei-peer) and the gateway (ikei-gw) and checks, on both sides: state, IKE and
ESP SPIs, negotiated algorithms, and that both derived the same child SA keys
(charon's ike=4/chd=4 key log against the driver's --print-keys output). Then
it runs the case's operations (rekeys, deletes, DPD, NAT) and checks again.
Prints "N passed, N failed" and exits non-zero on any failure. KEEP=1 keeps
the work directory (logs) and V=1 shows every command.
"""

import fnmatch
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ikei_lib import (netlab, CaseFailure, Charon, Pki, Topology, charon_child_keys,  # noqa: E402
                      charon_ike_keys, child_list, established, expect, log, sh,
                      swanctl_conf, swanctl_creds, wait_for, NS_PEER, NS_GW, GW4, GW6,
                      PEER4, PEER6, NAT4, GW_NET, PEER_NET, GW_NET6, PEER_NET6, PEER_ID,
                      GW_ID, PSK)

# What swanctl --list-sas reports for the proposals used below.
ALG = {
    "modp2048": "MODP_2048", "modp3072": "MODP_3072", "ecp256": "ECP_256",
    "ecp384": "ECP_384", "ecp521": "ECP_521", "curve25519": "CURVE_25519",
}


def expected_algs(ike):
    if ike == "any":
        return {}
    parts = ike.split("-")
    dh = ALG[parts[-1]]
    enc = parts[0]
    if "gcm16" in enc:
        prf = parts[1].replace("prfsha", "")
        return {"encr-alg": "AES_GCM_16", "encr-keysize": enc[3:6], "dh-group": dh,
                "prf-alg": "PRF_HMAC_SHA2_" + prf}
    sha = parts[1].replace("sha", "")
    return {"encr-alg": "AES_CBC", "encr-keysize": enc[3:6], "dh-group": dh,
            "prf-alg": "PRF_HMAC_SHA2_" + sha,
            "integ-alg": "HMAC_SHA2_%s_%d" % (sha, int(sha) // 2)}


# --------------------------------------------------------------------------
# Gateway side 1: ike_driver (lib/ike)

class DriverGW:
    name = "lib/ike"

    def __init__(self, path, workdir, pki):
        self.path = os.path.abspath(path)
        self.workdir = workdir
        self.pki = pki
        self.proc = None
        self.lines = []
        self.cv = threading.Condition()
        self.n = 0

    def start(self, c):
        self.n += 1
        self.tag = "driver-%02d-%s" % (self.n, c.get("name", ""))
        cfg = os.path.join(self.workdir, self.tag + ".conf")
        af6 = c.get("af") == 6
        kv = [("name", "ikei"), ("local", GW6 if af6 else GW4),
              ("remote", "any" if c.get("init") != "gw" else (PEER6 if af6 else PEER4)),
              ("local_id", "fqdn:" + GW_ID), ("remote_id", "fqdn:" + PEER_ID)]
        if c.get("ids") == "ip":
            t = "ipv6:" if af6 else "ipv4:"
            kv[3:5] = [("local_id", t + (GW6 if af6 else GW4)),
                       ("remote_id", t + (PEER6 if af6 else PEER4))]
        if c.get("gw_remote_id"):
            kv[4] = ("remote_id", c["gw_remote_id"])
        if c.get("auth", "psk") == "psk":
            kv += [("auth", "psk"), ("remote_auth", "psk"), ("psk", c.get("gw_psk", PSK))]
        else:
            p = self.pki.make(c["auth"])
            kv += [("auth", "pubkey"), ("remote_auth", "pubkey"),
                   ("cert", p.get("gw_bundle", p["gw_cert"])),
                   ("key", p["gw_key"]), ("ca", p["ca"])]
        # strongSwan-style lists: one proposal / selector per comma
        kv += [("ike", x) for x in c.get("gw_ike", c["ike"]).split(",")]
        kv += [("esp", x) for x in c.get("gw_esp", c["esp"]).split(",")]
        lts, rts = c.get("gw_ts", (GW_NET, PEER_NET))
        kv += [("local_ts", x) for x in lts.split(",")]
        if c.get("vip"):
            kv += [("remote_ts", "0.0.0.0/0"), ("pool", "10.3.0.1,100")]
        else:
            kv += [("remote_ts", x) for x in rts.split(",")]
        if c.get("dpd_gw"):
            kv += [("dpd", str(c["dpd_gw"])), ("retransmit_base_ms", "500"),
                   ("retransmit_tries", "3")]
        kv += [("retransmit_base_ms", "1000")] if not c.get("dpd_gw") else []
        if c.get("cookie"):
            kv += [("cookie_threshold", "1")]
        if c.get("gw_child_life"):
            kv += [("child_lifetime", str(c["gw_child_life"]))]
        if c.get("gw_ike_life"):
            kv += [("ike_lifetime", str(c["gw_ike_life"]))]
        with open(cfg, "w") as f:
            for k, v in kv:
                f.write("%s=%s\n" % (k, v))
        self.stderr = open(os.path.join(self.workdir, self.tag + ".log"), "w")
        self.lines = []
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS_GW, self.path, "--print-keys",
                                      "-v", cfg], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     bufsize=1)
        threading.Thread(target=self._reader, args=(self.proc,), daemon=True).start()
        self.wait_line(lambda l: l == "READY", 5, "driver READY")

    def _reader(self, proc):
        out = open(os.path.join(self.workdir, self.tag + ".out"), "w")
        for line in proc.stdout:
            out.write(line)
            out.flush()
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        out.close()

    def wait_line(self, pred, timeout, what, start=0):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    if pred(self.lines[i]):
                        return i
                left = end - time.monotonic()
                if left <= 0 or (self.proc and self.proc.poll() is not None):
                    raise CaseFailure("driver: timeout waiting for %s" % what)
                self.cv.wait(min(left, 0.2))

    def cmd(self, s):
        end = time.monotonic() + 5
        while True:
            mark = len(self.lines)
            self.proc.stdin.write(s + "\n")
            self.proc.stdin.flush()
            verb = s.split()[0]
            i = self.wait_line(lambda l: l.startswith("OK " + verb) or
                               l.startswith("ERR " + verb), 5, "reply to " + s, mark)
            # -EAGAIN: an exchange is still in flight (e.g. the Delete after a
            # rekey collision); the API asks to try again
            if " rc=-11 " in self.lines[i] and time.monotonic() < end:
                time.sleep(0.2)
                continue
            break
        expect(self.lines[i].startswith("OK"), "driver: %s -> %s" % (s, self.lines[i]))

    @staticmethod
    def fields(line):
        d = {}
        for tok in line.split()[1:]:
            if "=" in tok:
                k, v = tok.split("=", 1)
                d[k] = v
        return d

    def list(self):
        """-> (ike_sas [{spi_i, spi_r, ...}], children [{spi_in, spi_out, ...}])"""
        mark = len(self.lines)
        self.proc.stdin.write("list\n")
        self.proc.stdin.flush()
        end = self.wait_line(lambda l: l == "END", 5, "list END", mark)
        # the END we asked for is the first one that follows our command
        start = end
        while start > mark and self.lines[start - 1] != "END":
            start -= 1
        sas, ch = [], []
        for l in self.lines[start:end]:
            if l.startswith("SA "):
                sas.append(self.fields(l))
            elif l.startswith("CHILD "):
                ch.append(self.fields(l))
        return sas, ch

    def stats(self):
        mark = len(self.lines)
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        i = self.wait_line(lambda l: l.startswith("STATS "), 5, "STATS", mark)
        return self.fields(self.lines[i])

    def child_events(self):
        return [self.fields(l) for l in self.lines if l.startswith("EV CHILD_UP")]

    def ike_keys(self, spi_i, spi_r):
        """{'SK_d': hex, ...} the driver derived for this IKE SA (IKEKEY lines)."""
        res = {}
        for l in self.lines:
            if l.startswith("IKEKEY "):
                f = self.fields(l)
                if f.get("spi_i") == spi_i and f.get("spi_r") == spi_r:
                    res[f["name"]] = f["key"]
        return res

    def child_keys(self, spi_in, role):
        for f in reversed(self.child_events()):
            if f.get("spi_in") == spi_in:
                return f
        return None

    def initiate(self):
        self.cmd("initiate")

    def rekey_child(self):
        self.cmd("rekey-child")

    def rekey_ike(self):
        self.cmd("rekey-ike")

    def terminate(self):
        self.cmd("terminate")

    def vanish(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def has_line(self, prefix):
        return any(l.startswith(prefix) for l in self.lines)

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(3)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        self.stderr.close()

    def logs(self):
        return self.tag + ".{conf,out,log}"


# --------------------------------------------------------------------------
# Gateway side 2: a second charon (harness self-test)

class CharonGW:
    name = "strongSwan"

    def __init__(self, workdir, pki):
        self.charon = Charon(NS_GW, workdir, "gw")
        self.pki = pki
        self.mark = 0

    def start(self, c):
        if not self.charon.alive():
            self.charon.start()
        self.c = c
        self.mark = self.charon.log_size()
        self.charon.load(swanctl_conf(c, "gw", self.pki), swanctl_creds(c, "gw", self.pki))

    def list(self):
        sas, ch = [], []
        for s in established(self.charon.sas()):
            sas.append({"spi_i": s["initiator-spi"], "spi_r": s["responder-spi"],
                        "remote": "%s[%s]" % (s["remote-host"], s["remote-port"])})
            for c in child_list(s):
                if c.get("state") == "INSTALLED":
                    ch.append({"spi_in": c["spi-in"], "spi_out": c["spi-out"]})
        return sas, ch

    def child_keys(self, spi_in, role):
        for k in reversed(charon_child_keys(self.charon.log_text(self.mark))):
            if k.get("spi_in") == spi_in:
                # role: who initiated the exchange that made this child
                i, r = ("ei", "er") if role == "gw" else ("er", "ei")
                ai, ar = ("ai", "ar") if role == "gw" else ("ar", "ai")
                return {"spi_in": spi_in, "key_out": k.get(i), "key_in": k.get(r),
                        "integ_out": k.get(ai, "-"), "integ_in": k.get(ar, "-"),
                        "remote": None}
        return None

    def initiate(self):
        self.charon.swanctl(["--initiate", "--child", "ikei", "--timeout", "10"], timeout=15)

    def rekey_child(self):
        self.charon.swanctl(["--rekey", "--child", "ikei"])

    def rekey_ike(self):
        self.charon.swanctl(["--rekey", "--ike", "ikei"])

    def terminate(self):
        self.charon.swanctl(["--terminate", "--ike", "ikei", "--timeout", "5"], timeout=10)

    def vanish(self):
        self.charon.stop(signal.SIGKILL)

    def has_line(self, prefix):
        return False

    def stop(self):
        if self.charon.alive():
            self.charon.swanctl(["--terminate", "--ike", "ikei", "--force", "--timeout", "2"],
                                check=False, timeout=5)

    def logs(self):
        return "gw/charon.log"


# --------------------------------------------------------------------------
# Checks

class Run:
    def __init__(self, topo, peer, gw, c):
        self.topo, self.peer, self.gw, self.c = topo, peer, gw, c
        self.mark = peer.log_size()
        self.checked_keys = 0
        self.checked_ike_keys = 0

    def peer_sas(self):
        return established(self.peer.sas())

    def state(self, what):
        """Both sides agree on one IKE SA and its installed children."""
        sas = self.peer_sas()
        expect(len(sas) == 1, "%s: peer has %d established IKE SAs" % (what, len(sas)))
        p = sas[0]
        gsas, gch = self.gw.list()
        # half-open SAs (the cookie case leaves one) are not part of the check
        gsas = [x for x in gsas if x.get("state") not in ("INIT_RCVD", "INIT_SENT")]
        expect(len(gsas) == 1, "%s: gw lists %d IKE SAs" % (what, len(gsas)))
        g = gsas[0]
        expect((g["spi_i"], g["spi_r"]) == (p["initiator-spi"], p["responder-spi"]),
               "%s: IKE SPIs differ: peer %s/%s gw %s/%s" % (
                   what, p["initiator-spi"], p["responder-spi"], g["spi_i"], g["spi_r"]))
        exp = expected_algs(self.c.get("expect_ike", self.c["ike"]))
        if self.c.get("expect_ike") == "any":
            exp = {}
        for k, v in exp.items():
            expect(p.get(k) == v, "%s: peer %s=%s, expected %s" % (what, k, p.get(k), v))
        pch = [c for c in child_list(p) if c.get("state") == "INSTALLED"]
        expect(len(pch) == 1, "%s: peer has %d installed children" % (what, len(pch)))
        expect(len(gch) == 1, "%s: gw has %d children" % (what, len(gch)))
        pc, gc = pch[0], gch[0]
        expect((gc["spi_in"], gc["spi_out"]) == (pc["spi-out"], pc["spi-in"]),
               "%s: child SPIs differ: peer in/out %s/%s gw in/out %s/%s" % (
                   what, pc["spi-in"], pc["spi-out"], gc["spi_in"], gc["spi_out"]))
        if "gcm16" in self.c.get("expect_esp", self.c["esp"]):
            expect(pc.get("encr-alg") == "AES_GCM_16", "%s: child alg %s" % (what, pc.get("encr-alg")))
        else:
            expect(pc.get("encr-alg") == "AES_CBC" and pc.get("integ-alg", "").startswith("HMAC_SHA2"),
                   "%s: child algs %s/%s" % (what, pc.get("encr-alg"), pc.get("integ-alg")))
        return p, pc, g, gc

    def keys(self, pc, role, what):
        """Child keys: charon's log (peer) against the gateway's."""
        pk = None
        for k in reversed(charon_child_keys(self.peer.log_text(self.mark))):
            if k.get("spi_in") == pc["spi-in"]:
                pk = k
                break
        expect(pk is not None, "%s: no key log for peer child %s" % (what, pc["spi-in"]))
        gk = self.gw.child_keys(pc["spi-out"], role)
        expect(gk is not None and gk.get("key_in"), "%s: gw printed no keys for %s" % (
            what, pc["spi-out"]))
        if role is None:
            # after a collision either exchange may have survived
            role = "gw" if gk["key_out"] == pk.get("ei") else "peer"
        # role initiated the exchange: its outbound key is the initiator key
        gw_out, gw_in = ("ei", "er") if role == "gw" else ("er", "ei")
        gw_aout, gw_ain = ("ai", "ar") if role == "gw" else ("ar", "ai")
        expect(gk["key_out"] == pk.get(gw_out) and gk["key_in"] == pk.get(gw_in),
               "%s: ESP encryption keys differ (initiator %s): peer ei=%s er=%s, gw in=%s out=%s"
               % (what, role, pk.get("ei"), pk.get("er"), gk["key_in"], gk["key_out"]))
        if "ai" in pk or gk.get("integ_in", "-") != "-":
            expect(gk.get("integ_out") == pk.get(gw_aout) and gk.get("integ_in") == pk.get(gw_ain),
                   "%s: ESP integrity keys differ: peer ai=%s ar=%s, gw in=%s out=%s"
                   % (what, pk.get("ai"), pk.get("ar"), gk.get("integ_in"), gk.get("integ_out")))
        self.checked_keys += 1
        if gk.get("natt") is not None:
            # kernel-libipsec fakes NAT: every child is UDP-encapsulated
            expect(gk["natt"] == "1", "%s: gw child without UDP encapsulation" % what)
            port = gk.get("remote", "").rsplit("[", 1)[-1].rstrip("]")
            want = "4500" if not self.c.get("nat") else None
            expect(port == want if want else port.startswith("40"),
                   "%s: gw child remote %s" % (what, gk.get("remote")))
        if gk.get("lts") is not None:
            # the gateway's selectors mirror the peer's
            expect(sorted(gk["lts"].split(",")) == sorted(pc.get("remote-ts", [])) and
                   sorted(gk["rts"].split(",")) == sorted(pc.get("local-ts", [])),
                   "%s: selectors differ: peer local %s remote %s, gw local %s remote %s" % (
                       what, pc.get("local-ts"), pc.get("remote-ts"), gk["lts"], gk["rts"]))
        want = self.c.get("expect_peer_ts")
        if want:
            expect((sorted(pc.get("local-ts", [])), sorted(pc.get("remote-ts", []))) ==
                   (sorted(want[0].split(",")), sorted(want[1].split(","))),
                   "%s: peer selectors %s === %s, expected %s === %s" % (
                       what, pc.get("local-ts"), pc.get("remote-ts"), want[0], want[1]))
        if gk.get("rts") is not None and self.c.get("vip"):
            vips = [v for s in self.peer_sas() for v in s.get("local-vips", [])]
            expect(vips and gk["rts"] == vips[0] + "/32",
                   "%s: gw child remote TS %s, peer vip %s" % (what, gk["rts"], vips))

    def up(self, what, role):
        p, pc, g, gc = wait_for(lambda: self._try(self.state, what), 10, what + ": both sides up")
        self.keys(pc, role, what)
        self.ike_keys(p, what)
        return p, pc, g, gc

    def ike_keys(self, p, what):
        """SK_* of the current IKE SA: charon's log against the driver's hook."""
        if not hasattr(self.gw, "ike_keys"):
            return
        gk = self.gw.ike_keys(p["initiator-spi"], p["responder-spi"])
        expect(gk.get("SK_d"), "%s: driver printed no SK_d for IKE SA %s/%s" % (
            what, p["initiator-spi"], p["responder-spi"]))
        # charon logs no SPIs with its key dumps: find its derivation by SK_d
        ck = [k for k in charon_ike_keys(self.peer.log_text(self.mark))
              if k.get("SK_d") == gk["SK_d"]]
        expect(ck, "%s: no IKE key derivation in charon's log has the driver's SK_d %s"
               % (what, gk["SK_d"]))
        for name, v in ck[-1].items():
            expect(gk.get(name) == v, "%s: %s differs: peer %s, gw %s" % (
                what, name, v, gk.get(name)))
        self.checked_ike_keys += 1

    @staticmethod
    def _try(fn, *a):
        try:
            return fn(*a)
        except CaseFailure:
            return None

    def gone(self, what, timeout):
        def both_empty():
            return not self.peer_sas() and not self.gw.list()[0]
        wait_for(both_empty, timeout, what)

    def child_gone(self, what, timeout):
        """Wait until both sides keep their one IKE SA and have no child left."""
        def ike_only():
            sas = self.peer_sas()
            gs, gch = self.gw.list()
            return (len(sas) == 1 and not [x for x in child_list(sas[0])
                                           if x.get("state") == "INSTALLED"]
                    and len(gs) == 1 and not gch)
        wait_for(ike_only, timeout, what)


def run_case(name, c, topo, peer, gw):
    c = dict(c, name=name)
    r = Run(topo, peer, gw, c)
    init = c.get("init", "peer")
    topo.nat(c.get("nat", False))
    peer.load(swanctl_conf(c, "peer", gw.pki), swanctl_creds(c, "peer", gw.pki))
    gw.start(c)
    topo.loss(c.get("loss", False))
    t0 = time.monotonic()
    if c.get("fail"):
        return run_fail_case(r, c, peer, gw, init)
    if c.get("cookie"):
        # Leave one half-open IKE SA on the gateway (its answers are dropped),
        # so that with cookie_threshold = 1 the next IKE_SA_INIT gets a COOKIE.
        topo.drop(True, from_gw=True)
        peer.swanctl(["--initiate", "--child", "ikei", "--timeout", "1"], check=False, timeout=5)
        peer.swanctl(["--terminate", "--ike", "ikei", "--force", "--timeout", "1"], check=False,
                     timeout=5)
        topo.drop(False)
        r.mark = peer.log_size()
    if init == "peer":
        peer.swanctl(["--initiate", "--child", "ikei", "--timeout", "15"], timeout=20)
    else:
        gw.initiate()
    p, pc, g, gc = r.up("establish", init)
    if c.get("cookie"):
        expect("N(COOKIE)" in peer.log_text(r.mark), "no COOKIE exchange seen")
        log("%s: IKE_SA_INIT answered with a COOKIE and retried" % name)
    if c.get("frag"):
        t = peer.log_text(r.mark)
        expect("splitting IKE message" in t and "reassembled fragmented IKE message" in t,
               "IKE_AUTH not fragmented both ways (RFC 7383)")
        log("%s: IKE_AUTH fragmented both ways" % name)
    log("%s: up in %.2fs: IKE %s/%s %s/%s/%s, child %s/%s %s%s" % (
        name, time.monotonic() - t0, p["initiator-spi"], p["responder-spi"], p.get("encr-alg"),
        p.get("prf-alg"), p.get("dh-group"), pc["spi-in"], pc["spi-out"], pc.get("encr-alg"),
        "/" + pc["integ-alg"] if pc.get("integ-alg") else ""))
    if c.get("vip"):
        vips = p.get("local-vips", [])
        expect(vips and vips[0].startswith("10.3.0."), "peer got no virtual IP: %s" % vips)
        expect(pc.get("local-ts") == [vips[0] + "/32"], "peer TS %s, vip %s" % (
            pc.get("local-ts"), vips[0]))
        log("%s: virtual IP %s" % (name, vips[0]))
    if c.get("nat"):
        gs, _ = gw.list()
        rem = gs[0].get("remote", "")
        expect(rem.startswith(NAT4 + "[4") and not rem.endswith("[500]")
               and not rem.endswith("[4500]"), "gw sees peer at %s, expected %s[40xxx]" % (
                   rem, NAT4))
        log("%s: gw sees the peer at %s" % (name, rem))
    for op in c.get("ops", []):
        t0 = time.monotonic()
        if op.startswith("rekey_child_"):
            who = op.rsplit("_", 1)[1]
            old = pc["spi-in"]
            if who == "peer":
                peer.swanctl(["--rekey", "--child", "ikei"])
            else:
                gw.rekey_child()
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[1]["spi-in"] != old else None)(
                r._try(r.state, op)), 10, op + ": new child on both sides, old one gone")
            r.keys(pc, who, op)
        elif op.startswith("rekey_ike_"):
            who = op.rsplit("_", 1)[1]
            old = p["initiator-spi"]
            old_prf = p.get("prf-alg")
            if who == "peer":
                peer.swanctl(["--rekey", "--ike", "ikei"])
            else:
                gw.rekey_ike()
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[0]["initiator-spi"] != old
                                             else None)(r._try(r.state, op)), 10,
                                    op + ": new IKE SA on both sides, old one gone")
            r.ike_keys(p, op)
            expected = expected_algs(c.get("expect_ike", c["ike"]))
            expect(p.get("dh-group") == expected.get("dh-group", p.get("dh-group")),
                   "rekeyed IKE SA uses %s" % p.get("dh-group"))
            if c.get("expect_ike") == "any":
                log("%s: %s: PRF %s -> %s" % (name, op, old_prf, p.get("prf-alg")))
        elif op.startswith("auto_rekey_child_"):
            # lifetime-driven rekey by one side (no command)
            who = op.rsplit("_", 1)[1]
            old = pc["spi-in"]
            life = c.get("gw_child_life") if who == "gw" else c.get("peer_child_rekey")
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[1]["spi-in"] != old else None)(
                r._try(r.state, op)), life + 10, op + ": lifetime rekey of the child")
            r.keys(pc, who, op)
        elif op.startswith("auto_rekey_ike_"):
            who = op.rsplit("_", 1)[1]
            old = p["initiator-spi"]
            life = c.get("gw_ike_life") if who == "gw" else c.get("peer_ike_rekey")
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[0]["initiator-spi"] != old
                                             else None)(r._try(r.state, op)), life + 10,
                                    op + ": lifetime rekey of the IKE SA")
            r.ike_keys(p, op)
        elif op in ("collide_child", "collide_ike"):
            # RFC 7296 2.8.1: both ends rekey at once; the exchange with the
            # lowest nonce loses and its SA is deleted: one SA must remain.
            # The peer's packets are dropped for a moment: its request is
            # lost, the gateway's request arrives while the peer's is
            # outstanding (the answer is lost too); the path opens before the
            # peer retransmits, so its request then reaches the gateway while
            # the gateway's own is outstanding. Both sides see the collision.
            kind = "child" if op == "collide_child" else "ike"
            old = pc["spi-in"] if kind == "child" else p["initiator-spi"]
            topo.drop(True, from_peer=True)
            mark = peer.log_size()
            sw = subprocess.Popen(netlab.swanctl_cmd(NS_PEER, peer.sock,
                                                     ["--rekey", "--" + kind, "ikei"], 10),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=peer.swanctl_env)
            wait_for(lambda: "generating CREATE_CHILD_SA request" in peer.log_text(mark), 5,
                     op + ": the peer's rekey request")
            if kind == "child":
                gw.rekey_child()
            else:
                gw.rekey_ike()
            wait_for(lambda: "parsed CREATE_CHILD_SA request" in peer.log_text(mark), 5,
                     op + ": the gateway's rekey request at the peer")
            topo.drop(False)
            sw.wait(15)
            idx = 1 if kind == "child" else 0
            key = "spi-in" if kind == "child" else "initiator-spi"
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[idx][key] != old else None)(
                r._try(r.state, op)), 15, op + ": one new SA on both sides after the collision")
            r.keys(pc, None, op)
            r.ike_keys(p, op)
            expect("collision" in peer.log_text(r.mark), op + ": strongSwan saw no collision")
        elif op == "delete_child_peer":
            peer.swanctl(["--terminate", "--child", "ikei", "--timeout", "5"], timeout=10)
            r.child_gone(op + ": child gone, IKE SA kept on both sides", 8)
        elif op == "expire_soft_gw":
            # the datapath's soft limit: lib/ike rekeys the child
            old = pc["spi-in"]
            gw.cmd("expire-child")
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[1]["spi-in"] != old else None)(
                r._try(r.state, op)), 10, op + ": child rekeyed after the soft limit")
            r.keys(pc, "gw", op)
        elif op == "expire_hard_gw":
            # the datapath's hard limit: lib/ike deletes the child, keeps the IKE SA
            gw.cmd("expire-child-hard")
            r.child_gone(op + ": child gone, IKE SA kept on both sides", 8)
        elif op == "shutdown_gw":
            gw.cmd("shutdown")
            r.gone(op + ": every IKE SA deleted on both sides", 8)
        elif op == "create_child_peer":
            # a new child (not a rekey) through CREATE_CHILD_SA
            peer.swanctl(["--initiate", "--child", "ikei", "--timeout", "10"], timeout=15)
            p, pc, g, gc = wait_for(lambda: r._try(r.state, op), 10, op + ": new child")
            r.keys(pc, "peer", op)
        elif op == "reauth_peer":
            # strongSwan's make-before-break reauthentication: a new IKE SA
            # (IKE_SA_INIT + IKE_AUTH), then DELETE of the old one
            old = p["initiator-spi"]
            peer.swanctl(["--rekey", "--ike", "ikei", "--reauth"])
            p, pc, g, gc = wait_for(lambda: (lambda s: s if s and s[0]["initiator-spi"] != old
                                             else None)(r._try(r.state, op)), 15,
                                    op + ": new IKE SA after reauthentication, old one gone")
            r.keys(pc, "peer", op)
            r.ike_keys(p, op)
        elif op.startswith("delete_"):
            who = op.split("_", 1)[1]
            if who == "peer":
                peer.swanctl(["--terminate", "--ike", "ikei", "--timeout", "5"], timeout=10)
            else:
                gw.terminate()
            r.gone(op + ": IKE SA gone on both sides", 8)
        elif op == "dpd_gw":
            # both directions dropped: the gateway's DPD must give up and delete
            topo.drop(True)
            try:
                wait_for(lambda: not gw.list()[0], c.get("dpd_gw", 2) + 15,
                         "dpd_gw: gateway removes the IKE SA of a vanished peer")
            finally:
                topo.drop(False)
            expect(gw.has_line("EV IKE_DOWN") or isinstance(gw, CharonGW),
                   "dpd_gw: no IKE_DOWN event")
            peer.swanctl(["--terminate", "--ike", "ikei", "--force", "--timeout", "1"],
                         check=False, timeout=5)
        elif op == "dpd_peer":
            gw.vanish()
            wait_for(lambda: not peer.sas(), c.get("dpd_peer", 2) + 15,
                     "dpd_peer: strongSwan removes the IKE SA of a vanished gateway")
        else:
            raise CaseFailure("unknown op " + op)
        log("%s: %s ok (%.2fs)" % (name, op, time.monotonic() - t0))
    # Nothing lib/ike sent may have been rejected or left unanswered for good,
    # and nothing strongSwan sent may have been invalid for lib/ike.
    # (Single retransmits are not errors: on a loaded machine an answer can
    # take longer than the first retransmit timeout.)
    disturbed = {"dpd_gw", "dpd_peer", "collide_child", "collide_ike"} & set(c.get("ops", []))
    if not disturbed and not c.get("loss") and not c.get("cookie"):
        t = peer.log_text(r.mark)
        bad = [l for l in t.splitlines() if "giving up" in l or "processing failed" in l
               or "INVALID_SYNTAX" in l or "could not decrypt" in l]
        expect(not bad, "strongSwan rejected or gave up: " + " | ".join(bad[:3]))
    if hasattr(gw, "stats") and gw.proc and gw.proc.poll() is None:
        st = gw.stats()
        expect(st.get("rx_invalid") == "0", "lib/ike counted %s invalid messages" %
               st.get("rx_invalid"))
        # strongSwan's retransmissions are the original requests: never refused
        # a resend, never cut by the memory caps
        for k in ("resend_refused", "frag_preauth_refused", "frag_mem_refused"):
            expect(st.get(k, "0") == "0", "lib/ike counted %s=%s" % (k, st.get(k)))
        log("%s: gateway retransmits=%s resend_limited=%s" % (name, st.get("retransmits"),
                                                              st.get("resend_limited")))
    log("%s: %d child and %d IKE key sets compared equal" % (name, r.checked_keys,
                                                            r.checked_ike_keys))


def run_fail_case(r, c, peer, gw, init):
    """The exchange must fail: no IKE SA on either side, charon says why."""
    if init == "peer":
        out = peer.swanctl(["--initiate", "--child", "ikei", "--timeout", "10"], check=False,
                           timeout=15)
        expect("initiate failed" in out, "initiate did not fail: " + out[-300:])
    else:
        gw.initiate()
    text = lambda: r.peer.log_text(r.mark)
    wait_for(lambda: c["fail"] in text(), 15, "charon logs '%s'" % c["fail"])
    wait_for(lambda: not r.peer_sas() and not gw.list()[0], 15,
             "no IKE SA left on either side")
    if hasattr(gw, "ike_keys"):
        expect(not gw.has_line("EV IKE_UP") and not gw.has_line("EV CHILD_UP"),
               "the gateway reported an SA up")
    log("%s: failed as expected (%s)" % (c["name"], c["fail"]))


def matrix():
    """name -> case. ike/esp: strongSwan proposal strings, used by both sides."""
    m = []
    groups = [("g14", "modp2048"), ("g15", "modp3072"), ("g19", "ecp256"),
              ("g20", "ecp384"), ("g21", "ecp521"), ("g31", "curve25519")]
    # Every DH group with both IKE cipher families, alternating the initiator.
    for i, (g, dh) in enumerate(groups):
        m.append(("psk-%s-gcm" % g, dict(ike="aes256gcm16-prfsha384-" + dh,
                                         esp="aes256gcm16" if i % 2 else "aes128gcm16",
                                         init="peer" if i % 2 == 0 else "gw")))
        m.append(("psk-%s-cbc" % g, dict(ike="aes128-sha256-" + dh if i % 2 else
                                         "aes256-sha384-" + dh,
                                         esp="aes128-sha256" if i % 2 else "aes256-sha384",
                                         init="gw" if i % 2 == 0 else "peer")))
    gcm = dict(ike="aes256gcm16-prfsha256-ecp256", esp="aes256gcm16")
    for auth in ("rsa", "ecdsa"):
        for init in ("peer", "gw"):
            # RSA-2048 certificate + signature: IKE_AUTH is fragmented both ways
            m.append(("%s-%s-init" % (auth, init), dict(gcm, auth=auth, init=init,
                                                        frag=auth == "rsa")))
    # Certificates from intermediate CAs: several CERT payloads each way
    for init in ("peer", "gw"):
        # lib/ike receives the peer's intermediate in a second CERT payload
        m.append(("chain-recv-%s-init" % init, dict(gcm, auth="ecdsa-peerchain", init=init)))
        # ... and has to send its own (leaf + intermediate in cert_file)
        m.append(("chain-both-%s-init" % init, dict(gcm, auth="ecdsa-chain", init=init)))
    m += [
        ("rekey-child-peer-init", dict(gcm, init="peer", ops=["rekey_child_peer",
                                                              "rekey_child_gw"])),
        ("rekey-child-gw-init", dict(gcm, init="gw", ops=["rekey_child_gw", "rekey_child_peer"])),
        ("rekey-ike-peer", dict(gcm, init="peer", ops=["rekey_ike_peer", "rekey_child_peer"])),
        ("rekey-ike-gw", dict(gcm, init="gw", ops=["rekey_ike_gw", "rekey_child_gw"])),
        ("rekey-ike-cbc-both", dict(ike="aes128-sha256-modp2048", esp="aes128-sha256",
                                    init="peer", ops=["rekey_ike_gw", "rekey_ike_peer",
                                                      "rekey_child_gw"])),
        # The initiator's KE is for ecp256, the responder wants ecp384:
        # INVALID_KE_PAYLOAD, then a second IKE_SA_INIT with the right group.
        ("invalid-ke-peer-init", dict(gcm, init="peer", ike="aes256gcm16-prfsha256-ecp384",
                                      peer_ike="aes256gcm16-prfsha256-ecp256-ecp384")),
        ("invalid-ke-gw-init", dict(gcm, init="gw", ike="aes256gcm16-prfsha256-ecp384",
                                    gw_ike="aes256gcm16-prfsha256-ecp256-ecp384")),
    ]
    # Each side lists two proposals with different PRFs in opposite order:
    # whoever selects picks its own preference, so the IKE rekey by the
    # other side can change the PRF (SKEYSEED from the old SK_d with the new PRF).
    for suffix, init, rekeyer in (("a", "gw", "peer"), ("b", "peer", "gw")):
        m.append(("prf-change-" + suffix,
                  dict(gcm, init=init, expect_ike="any",
                       gw_ike="aes256gcm16-prfsha256-ecp256,aes256gcm16-prfsha384-ecp256",
                       peer_ike="aes256gcm16-prfsha384-ecp256,aes256gcm16-prfsha256-ecp256",
                       ops=["rekey_ike_" + rekeyer, "rekey_child_" + rekeyer])))
    m += [
        ("delete-by-peer", dict(gcm, init="gw", ops=["delete_peer"])),
        ("delete-by-gw", dict(gcm, init="peer", ops=["delete_gw"])),
        ("vip-pool", dict(gcm, init="peer", vip=True, ops=["rekey_child_peer"])),
        ("nat-peer-behind", dict(gcm, init="peer", nat=True, ops=["rekey_child_gw",
                                                                  "rekey_ike_gw"])),
        ("ipv6-peer-init", dict(gcm, af=6, init="peer")),
        ("ipv6-gw-init", dict(gcm, af=6, init="gw", ops=["rekey_child_gw"])),
        # IPv6 and IPv4 selectors in one child (TS types 7 and 8), IPv4 outer
        ("ts-mixed-peer-init", dict(gcm, init="peer",
                                    peer_ts=(PEER_NET + "," + PEER_NET6, GW_NET + "," + GW_NET6),
                                    gw_ts=(GW_NET + "," + GW_NET6, PEER_NET + "," + PEER_NET6),
                                    ops=["rekey_child_gw"])),
        ("ts-v6-gw-init", dict(gcm, init="gw", af=6, peer_ts=(PEER_NET6, GW_NET6),
                               gw_ts=(GW_NET6, PEER_NET6), ops=["rekey_child_peer"])),
        # The responder narrows the initiator's selectors (RFC 7296 2.9)
        ("ts-narrow-by-gw", dict(gcm, init="peer", gw_ts=("10.1.2.0/24", "10.2.3.0/24"),
                                 expect_peer_ts=("10.2.3.0/24", "10.1.2.0/24"))),
        ("ts-narrow-by-peer", dict(gcm, init="gw", peer_ts=("10.2.3.0/24", "10.1.2.0/24"),
                                   expect_peer_ts=("10.2.3.0/24", "10.1.2.0/24"))),
        # Several proposals: the responder picks the one it has
        ("multi-proposal-peer-init", dict(
            init="peer", ike="aes128-sha256-modp2048,aes256gcm16-prfsha256-ecp256",
            gw_ike="aes256gcm16-prfsha256-ecp256", esp="aes128-sha256,aes256gcm16",
            gw_esp="aes256gcm16", expect_ike="aes256gcm16-prfsha256-ecp256",
            expect_esp="aes256gcm16")),
        ("multi-proposal-gw-init", dict(
            init="gw", ike="aes256gcm16-prfsha256-ecp256",
            gw_ike="aes128-sha256-ecp256,aes256gcm16-prfsha256-ecp256",
            esp="aes256gcm16", gw_esp="aes128-sha256,aes256gcm16",
            expect_ike="aes256gcm16-prfsha256-ecp256", expect_esp="aes256gcm16")),
        ("datapath-expiry", dict(gcm, init="peer", ops=["expire_soft_gw", "expire_hard_gw",
                                                        "create_child_peer", "shutdown_gw"])),
        ("cookie", dict(gcm, init="peer", cookie=True)),
        # ID types: IPv4 and IPv6 addresses (ID_IPV4_ADDR, ID_IPV6_ADDR), and a
        # responder that accepts any remote identity (remote access)
        ("id-ipv4", dict(gcm, init="gw", ids="ip", ops=["rekey_ike_peer"])),
        ("id-ipv6", dict(gcm, init="peer", ids="ip", af=6)),
        ("id-any-remote", dict(gcm, init="peer", auth="ecdsa", gw_remote_id="any")),
        ("collide-child", dict(gcm, init="peer", ops=["collide_child", "rekey_child_gw"])),
        ("collide-ike", dict(gcm, init="gw", ops=["collide_ike", "rekey_child_peer"])),
        ("lifetime-gw", dict(gcm, init="peer", gw_child_life=4, gw_ike_life=9,
                             ops=["auto_rekey_child_gw", "auto_rekey_ike_gw"])),
        ("lifetime-peer", dict(gcm, init="gw", peer_child_rekey=4, peer_ike_rekey=9,
                               ops=["auto_rekey_child_peer", "auto_rekey_ike_peer"])),
        ("child-delete-create", dict(gcm, init="gw", ops=["delete_child_peer",
                                                         "create_child_peer"])),
        ("reauth-peer", dict(gcm, init="peer", ops=["reauth_peer", "rekey_child_gw"])),
        ("lossy-every-3rd", dict(gcm, init="peer", loss=True,
                                 ops=["rekey_child_gw", "rekey_child_peer", "rekey_ike_gw",
                                      "delete_gw"])),
        ("bad-psk-peer-init", dict(gcm, init="peer", gw_psk="not-the-right-psk",
                                   fail="received AUTHENTICATION_FAILED notify error")),
        ("bad-psk-gw-init", dict(gcm, init="gw", gw_psk="not-the-right-psk",
                                 fail="but MAC mismatched")),
        ("no-proposal-peer-init", dict(gcm, init="peer", gw_ike="aes128-sha256-modp2048",
                                       fail="received NO_PROPOSAL_CHOSEN notify error")),
        ("no-proposal-gw-init", dict(gcm, init="gw", gw_ike="aes128-sha256-modp2048",
                                     fail="received proposals unacceptable")),
        ("dpd-gw-detects", dict(gcm, init="peer", dpd_gw=2, ops=["dpd_gw"])),
        ("dpd-peer-detects", dict(gcm, init="gw", dpd_peer=2, ops=["dpd_peer"])),
    ]
    return m


def on_sigterm(signum, frame):
    # meson's timeout: unwind so the finally blocks remove namespaces and charon
    raise SystemExit(128 + signum)


def main(argv):
    signal.signal(signal.SIGTERM, on_sigterm)
    driver = None
    selftest = False
    globs = []
    it = iter(argv)
    for a in it:
        if a == "--driver":
            driver = next(it)
        elif a == "--selftest":
            selftest = True
        elif a == "--list":
            for n, c in matrix():
                print(n, c)
            return 0
        else:
            globs.append(a)
    if not driver and not selftest:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("ike_interop: needs root (network namespaces)")
        return 77
    cases = [(n, c) for n, c in matrix() if not globs or any(fnmatch.fnmatch(n, g) for g in globs)]
    workdir = tempfile.mkdtemp(prefix="ikei-")
    log("work dir %s (KEEP=1 keeps it)" % workdir)
    topo = Topology()
    pki = Pki(os.path.join(workdir, "pki"))
    peer = Charon(NS_PEER, workdir, "peer")
    gw = CharonGW(workdir, pki) if selftest else DriverGW(driver, workdir, pki)
    gw.pki = pki
    passed, failed = [], []
    t_all = time.monotonic()
    try:
        topo.create()
        for n, c in cases:
            t0 = time.monotonic()
            try:
                if not peer.alive():
                    peer.start()
                run_case(n, c, topo, peer, gw)
                passed.append(n)
                print("ok     %-24s %5.1fs" % (n, time.monotonic() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failed.append(n)
                print("FAIL   %-24s %5.1fs  %s" % (n, time.monotonic() - t0, e), flush=True)
                if not isinstance(e, CaseFailure):
                    traceback.print_exc(file=sys.stdout)
                print("       logs: %s/{peer/charon.log,%s}" % (workdir, gw.logs()), flush=True)
            finally:
                # a normal delete while the gateway still runs is quickest
                if peer.alive():
                    peer.swanctl(["--terminate", "--ike", "ikei", "--timeout", "3"],
                                 check=False, timeout=6)
                    if peer.sas():
                        peer.stop()
                gw.stop()
                if c.get("ops") and set(c["ops"]) & {"dpd_gw", "collide_child", "collide_ike"}:
                    topo.drop(False)
                if c.get("loss"):
                    topo.loss(False)
    finally:
        gw.stop()
        if isinstance(gw, CharonGW):
            gw.charon.stop()
        peer.stop()
        topo.destroy()
        if os.environ.get("KEEP", "") in ("", "0") and not failed:
            subprocess.run(["rm", "-rf", workdir])
    print("%d passed, %d failed (%.0fs, gateway: %s)" % (len(passed), len(failed),
                                                        time.monotonic() - t_all, gw.name))
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
