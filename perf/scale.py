#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/scale: N tunnels held by one rampartd, memory, traffic, teardown, reconnect (root).

    scale.py --rampartd PATH --rampartctl PATH --churn PATH [--tunnels N]
             [--window W] [--reconnect-window W] [--sources S] [--sample K]
             [--flood-secs S] [--keep] [--spi-collision]

Network (tests/interop/e2e/e2e_lib.py namespaces):

    e2e<pid>-ld   perf/ike-churn --hold, S source addresses 192.0.2.100...
        |   (bridge in e2e<pid>-sw)
    e2e<pid>-gw   rampartd 192.0.2.1 (net_af_packet, 1 worker), LAN 10.1.0.1
        |
    e2e<pid>-lan  LAN host 10.1.0.2 (answers the echoes), route to the pool

rampartd: max_tunnels N + N/8, pool 10.64.0.0/14, PSK, IKE
aes128gcm16-prfsha256-x25519, ESP aes128gcm16, no DPD, no rekeys.

Phases (each line of ike-churn's answer is logged):
 1. tunnel 0 alone; throughput with 1 installed (ESP ICMP echoes to the LAN
    host, 64 outstanding, replies decrypted and counted by ike-churn);
 2. tunnels 1..N-1 with W set-ups in flight: time and rate;
 3. memory: rampartctl stats resources (rss_kb, heap_bytes = rte_malloc,
    malloc_bytes) and the worker's table counts, before, with 1, with N;
 4. traffic with N installed: one echo on each of K random tunnels plus the
    first and the last (PING ok/sent), and the same throughput run on the
    first tunnel and on random ones;
 5. worker loop gap: loop_gap_max_us and loop_gap_le_<N>us of each worker
    in `rampartctl --json stats` (polled every second during the mass
    install and removal), "n/a" when rampartd has no such counters;
 6. teardown (Deletes, W in flight): time, memory after;
 7. mass reconnect: rampartd restarted, ike-churn forgets its SAs and all N
    set up again with 4W in flight: time.

Last line:
 SUMMARY tunnels_held=N mem_per_tunnel_kib=X worker_gap_max_us=Y
         ike_cpu_vs_strongswan=na ike_vs_crypto_floor=na setup_s=S
         teardown_s=T reconnect_s=R traffic_ok=K/M setup_rate=F
         pps_1=F pps_n=F pps_ratio=F heap_per_tunnel_b=F
(one line; the first five fields are issue 9's common SUMMARY: the two IKE
ratios come from perf/ike-load, "na" here, as is worker_gap_max_us when the
daemon exports no loop-gap histogram)
Exit 0 when every tunnel came up, passed the traffic check, was deleted
and came up again; 1 otherwise; 77 when not root.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "interop", "e2e"))
from e2e_lib import (GW_ID, GW_LAN, GW_PUB, LAN_HOST, PSK, N, Net, Rampartd,  # noqa: E402
                     gw_yaml, log, ra_conn, sh, wait_for, write_private)

POOL = "10.64.0.0/14"
IKE = "aes128gcm16-prfsha256-x25519"
ESP = "aes128gcm16"

# rampartd under a set-up load: no COOKIEs, no rate limits, no DPD
TOP = """max_tunnels: %d
control_core:
  ike_rate: 1000000
  ike_burst: 100000
  ike_rate_per_source: 1000000
  ike_burst_per_source: 100000
"""
IKE_OPTS = """  cookie_threshold: 1000000
  half_open_max: 1000000
  half_open_per_source: 100000
  retransmit_base: 2s
  retransmit_tries: 5
"""


def kv(line):
    out = {}
    for x in line.split()[1:]:
        k, v = x.split("=", 1)
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = v
    return out


class Churn:
    """perf/ike-churn --hold, one command line in, one answer line out."""

    def __init__(self, args, logf):
        cmd = ["ip", "netns", "exec", N("ld"), "nice", "-n", "5", args.churn, "--hold",
               "--gw", GW_PUB, "--src", "192.0.2.100+%d" % args.sources, "--psk", PSK,
               "--gw-id", GW_ID, "--total", str(args.tunnels), "--ike", IKE, "--esp", ESP,
               "--remote-ts", "10.1.0.0/24", "--lan", LAN_HOST, "--prefix", "s",
               "--batch-timeout", "60"]
        if args.spi_collision:
            cmd += ["--fixed-spi", "c0ffee01"]
        self.err = open(logf, "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, bufsize=1)
        self.ready = self.read()

    def read(self):
        line = self.p.stdout.readline()
        log("ike-churn: " + line.strip())
        return line.strip()

    def cmd(self, c):
        log("> " + c)
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        line = self.read()
        if not line or line.startswith("ERROR"):
            raise RuntimeError("ike-churn: %r -> %r" % (c, line))
        return kv(line)

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(60)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
        self.err.close()


class GapPoller:
    """Polls the workers' loop-gap counters while a phase runs."""

    def __init__(self, r):
        self.r, self.stop_ev, self.max_us, self.hist, self.seen = r, threading.Event(), None, {}, False

    def sample(self):
        rc, j = self.r.ctl("stats", timeout=30)
        if rc != 0 or not isinstance(j, dict):
            return
        self.hist = {}
        def walk(o):
            # the counters may sit in the worker object or in a sub-object
            for k, v in o.items():
                if isinstance(v, dict):
                    walk(v)
                elif k == "loop_gap_max_us" and isinstance(v, (int, float)):
                    self.seen = True
                    self.max_us = max(self.max_us or 0, v)
                elif k.startswith("loop_gap_le_") and isinstance(v, (int, float)):
                    self.seen = True
                    self.hist[k] = self.hist.get(k, 0) + v
        for w in j.get("workers", []):
            walk(w)

    def run(self):
        while not self.stop_ev.wait(1.0):
            self.sample()

    def __enter__(self):
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        self.t.join()
        self.sample()

    def text(self):
        if not self.seen:
            return "n/a"
        h = " ".join("%s=%d" % (k, v) for k, v in
                     sorted(self.hist.items(), key=lambda kv_: int(re.sub(r"\D", "", kv_[0]))))
        return "max %s us; %s" % (self.max_us, h)


def resources(r):
    rc, j = r.ctl("stats", timeout=60)
    if rc != 0 or not isinstance(j, dict):
        return {}
    out = dict(j.get("resources", {}))
    w = (j.get("workers") or [{}])[0]
    out.update({"w_" + k: v for k, v in w.get("resources", {}).items()})
    out["w_msg_err"] = w.get("msg_err")
    c = j.get("control", {})
    for k in ("child_fail", "route_refused", "msg_backlog"):
        out["c_" + k] = c.get(k)
    ike = j.get("ike", {})
    for k in ("retransmits", "half_open_expired", "resend_refused"):
        out["ike_" + k] = ike.get(k)
    out["jobs_shed"] = c.get("jobs_shed")
    return out


def start_rampartd(args, net, r):
    write_private(r.conf, gw_yaml(r.sock, ra_conn("sc", ike=[IKE], esp=[ESP], pool=POOL,
                                                  dpd="1h"), "warning",
                                  top=TOP % (args.tunnels + args.tunnels // 8 + 16),
                                  ike=IKE_OPTS))
    mem = 256 + args.tunnels // 50
    r.proc = net.spawn(["nice", "-n", "5", args.rampartd, "-c", r.conf, "--", "--lcores",
                        args.lcores, "--no-huge", "-m", str(mem), "--no-pci", "--file-prefix",
                        r.prefix], ns=N("gw"), out=r.logf)

    def up():
        if r.proc.poll() is not None:
            return "dead"
        rc, j = r.ctl("status", timeout=5)
        return rc == 0 and isinstance(j, dict)
    if wait_for(up, 180) is not True:
        log("rampartd did not start:\n" + "\n".join(r.log_text().splitlines()[-30:]))
        return False
    return True


def collision_check(args, r, churn):
    """Two clients (two source addresses) whose inbound SPI, the gateway's
    outbound SPI, is the same (RFC 7296 3.3.1: each side picks the SPI it
    receives on). Each must get its own replies, or none; never the other's."""
    up = churn.cmd("up 0 2 1")
    time.sleep(1)
    churn.cmd("wait 500")
    pg = churn.cmd("ping 0 1")
    st = resources(r)
    log("collision: up %s, ping %s, gateway child_fail=%s worker msg_err=%s sa=%s targets=%s"
        % (up, pg, st.get("c_child_fail"), st.get("w_msg_err"), st.get("w_sa_entries"),
           st.get("w_targets")))
    ok = up["ok"] >= 1 and pg["misrouted"] == 0 and pg["ok"] >= 1 and pg["ok"] == pg["sent"]
    ok &= st.get("w_msg_err") == 0
    print("spi-collision: %s (misrouted %d, answered %d/%d, child_fail %s, worker msg_err %s)"
          % ("ok" if ok else "FAILED", pg["misrouted"], pg["ok"], pg["sent"],
             st.get("c_child_fail"), st.get("w_msg_err")))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rampartd", required=True)
    ap.add_argument("--rampartctl", required=True)
    ap.add_argument("--churn", required=True, help="perf/ike-churn")
    ap.add_argument("--tunnels", type=int, default=1000)
    ap.add_argument("--window", type=int, default=64, help="set-ups/deletes in flight")
    ap.add_argument("--reconnect-window", type=int, default=0,
                    help="set-ups in flight after the restart (default 4 x --window)")
    ap.add_argument("--sources", type=int, default=64, help="client source addresses (<= 150)")
    ap.add_argument("--sample", type=int, default=1000,
                    help="random tunnels pinged (0: every tunnel)")
    ap.add_argument("--flood-secs", type=int, default=3)
    ap.add_argument("--lcores", default="0@0,1@1", help="rampartd EAL --lcores")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--spi-collision", action="store_true",
                    help="check only: two clients pick the same inbound SPI (the gateway's "
                         "outbound SPI); no reply may come on the other's SA")
    args = ap.parse_args()
    if args.spi_collision:
        args.tunnels, args.sources = 2, 2
    rwin = args.reconnect_window or 4 * args.window
    if os.geteuid() != 0:
        print("scale.py: needs root (network namespaces)")
        return 77
    if not 2 <= args.tunnels <= 262000 or not 1 <= args.sources <= 150:
        ap.error("--tunnels 2..262000 (the /14 pool), --sources 1..150")

    d = tempfile.mkdtemp(prefix="scale.")
    os.chmod(d, 0o755)
    net = Net(d)
    r = Rampartd(net, None, args.rampartd, args.rampartctl, "scale-%d" % os.getpid())
    churn = None
    ok = True
    res = {}
    n = args.tunnels
    summary = None
    try:
        net.base()
        sh(["ip", "route", "add", POOL, "via", GW_LAN], ns=N("lan"))
        net.attach(N("ld"), "e2e-ld", "192.0.2.100/24", "e2e-sld")
        for i in range(1, args.sources):
            sh(["ip", "addr", "add", "192.0.2.%d/24" % (100 + i), "dev", "e2e-ld"], ns=N("ld"))
        # 64 MB socket buffers for the bursts of IKE replies
        sh(["sysctl", "-qw", "net.core.rmem_max=67108864"], ns=N("ld"), check=False)
        if not start_rampartd(args, net, r):
            return 1
        time.sleep(1)
        mem0 = resources(r)
        log("resources before: %s" % json.dumps(mem0))
        t0 = time.monotonic()
        churn = Churn(args, os.path.join(d, "ike-churn.log"))
        log("ike-churn contexts for %d tunnels in %.1f s" % (n, time.monotonic() - t0))
        if not churn.ready.startswith("READY"):
            raise RuntimeError("ike-churn did not start")

        if args.spi_collision:
            return collision_check(args, r, churn)

        # 1. one tunnel: throughput with 1 installed
        u1 = churn.cmd("up 0 1 1")
        ok &= u1["ok"] == 1
        mem1 = resources(r)
        f1 = churn.cmd("flood first %d" % args.flood_secs)

        # 2. mass install
        with GapPoller(r) as gap_up:
            up = churn.cmd("up 1 %d %d" % (n, args.window))
            # A child the gateway refused (two clients picked the same SPI,
            # about once per 100 000) is set up again, as a client would.
            retried = 0
            for _ in range(3):
                if int(up["held"]) == n:
                    break
                again = churn.cmd("up 1 %d %d" % (n, args.window))
                retried += int(again["held"]) - int(up["held"])
                up["secs"] += again["secs"]
                up["held"] = again["held"]
                up["failed"] = again["failed"]
        setup_s = up["secs"]
        held = int(up["held"])
        ok &= held == n
        log("set-ups done again after a refusal: %d" % retried)
        time.sleep(2)
        memn = resources(r)
        log("resources with %d: %s" % (held, json.dumps(memn)))
        rc, st = r.ctl("status", timeout=60)
        gw_children = st.get("child_sas") if isinstance(st, dict) else None
        gw_ike = st.get("ike_sas") if isinstance(st, dict) else None
        log("rampartd status: ike_sas=%s child_sas=%s" % (gw_ike, gw_children))
        ok &= gw_children == n

        # 4. traffic with N installed
        pg = churn.cmd("ping %d %d" % (args.sample, os.getpid()))
        ok &= pg["misrouted"] == 0
        fn = churn.cmd("flood random %d" % args.flood_secs)
        fnf = churn.cmd("flood first %d" % args.flood_secs)
        ok &= pg["ok"] == pg["sent"]

        # 6. teardown
        with GapPoller(r) as gap_down:
            dn = churn.cmd("down %d" % args.window)
        ok &= dn["timeouts"] == 0 and dn["deleted"] == n
        time.sleep(2)
        memd = resources(r)
        log("resources after teardown: %s" % json.dumps(memd))
        # 1 installed again: the same throughput run once more (the machine
        # is shared; the two 1-tunnel runs bracket the N-tunnel ones)
        churn.cmd("up 0 1 1")
        f1b = churn.cmd("flood first %d" % args.flood_secs)
        churn.cmd("down 1")

        # 7. mass reconnect after a restart
        if not r.stop():
            log("rampartd did not exit 0 on SIGTERM")
            ok = False
        if not start_rampartd(args, net, r):
            return 1
        churn.cmd("reset")
        with GapPoller(r) as gap_re:
            re_ = churn.cmd("up 0 %d %d" % (n, rwin))
        for _ in range(3):
            if int(re_["held"]) == n:
                break
            again = churn.cmd("up 0 %d %d" % (n, rwin))
            re_["secs"] += again["secs"]
            re_["held"] = again["held"]
        ok &= int(re_["held"]) == n
        reconnect_s = re_["secs"]
        memr = resources(r)
        dn2 = churn.cmd("down %d" % rwin)
        ok &= dn2["timeouts"] == 0

        def kib(a, b, k):
            return (b.get(k, 0) - a.get(k, 0)) / n
        rss_kib = kib(mem0, memn, "rss_kb")
        heap_b = kib(mem0, memn, "heap_bytes")
        malloc_b = kib(mem0, memn, "malloc_bytes")
        gaps = [g.max_us for g in (gap_up, gap_down, gap_re) if g.max_us is not None]
        gap_max = max(gaps) if gaps else "na"
        pps1 = (f1["pps"] + f1b["pps"]) / 2
        ratio = fn["pps"] / pps1 if pps1 else float("nan")

        print("# perf/scale: %d tunnels, %d source addresses, window %d, IKE %s, ESP %s"
              % (n, args.sources, args.window, IKE, ESP))
        print("setup: %d tunnels in %.1f s (%.0f/s), %d set up again after a refusal; "
              "rampartd ike_sas=%s child_sas=%s" % (held, setup_s, up["rate"], retried, gw_ike,
                                                    gw_children))
        for name, m in (("before", mem0), ("1 tunnel", mem1), ("%d tunnels" % n, memn),
                        ("after teardown", memd)):
            print("memory %-15s rss %8d KiB  rte_malloc %12d B  malloc %12d B  worker sa=%s "
                  "routes=%s targets=%s" % (name, m.get("rss_kb", -1), m.get("heap_bytes", -1),
                                            m.get("malloc_bytes", -1), m.get("w_sa_entries"),
                                            m.get("w_routes"), m.get("w_targets")))
        print("memory per tunnel: rss %.2f KiB, rte_malloc %.0f B, malloc %.0f B"
              % (rss_kib, heap_b, malloc_b))
        for name, m in (("with %d" % n, memn), ("after teardown", memd),
                        ("after reconnect", memr)):
            print("counters %-16s %s" % (name, " ".join(
                "%s=%s" % (k, m.get(k)) for k in ("w_msg_err", "c_child_fail", "c_route_refused",
                                                  "c_msg_backlog", "ike_retransmits",
                                                  "ike_half_open_expired", "jobs_shed"))))
        print("traffic: %d/%d echoes answered (first, last, %d random; 0 = all), %d misrouted"
              % (pg["ok"], pg["sent"], args.sample, pg["misrouted"]))
        print("throughput (echoes through the gateway, 64 outstanding): 1 tunnel installed "
              "%.0f pps before, %.0f pps after the teardown; %d installed: random tunnels "
              "%.0f pps, the first tunnel %.0f pps; random/1 = %.2f"
              % (f1["pps"], f1b["pps"], n, fn["pps"], fnf["pps"], ratio))
        print("worker loop gap: install %s; teardown %s; reconnect %s"
              % (gap_up.text(), gap_down.text(), gap_re.text()))
        print("teardown: %d deleted in %.1f s (%.0f/s), %d timeouts; rss after %d KiB (before "
              "%d), rte_malloc after %d B (before %d), malloc after %d B (before %d)"
              % (dn["deleted"], dn["secs"], dn["deleted"] / dn["secs"] if dn["secs"] else 0,
                 dn["timeouts"], memd.get("rss_kb", -1), mem0.get("rss_kb", -1),
                 memd.get("heap_bytes", -1), mem0.get("heap_bytes", -1),
                 memd.get("malloc_bytes", -1), mem0.get("malloc_bytes", -1)))
        print("reconnect after restart: %d up in %.1f s (%.0f/s), %d in flight"
              % (re_["held"], reconnect_s, re_["held"] / reconnect_s if reconnect_s else 0,
                 rwin))
        summary = ("SUMMARY tunnels_held=%d mem_per_tunnel_kib=%.2f worker_gap_max_us=%s "
                   "ike_cpu_vs_strongswan=na ike_vs_crypto_floor=na setup_s=%.1f teardown_s=%.1f reconnect_s=%.1f traffic_ok=%d/%d "
                   "setup_rate=%.0f pps_1=%.0f pps_n=%.0f pps_ratio=%.2f "
                   "heap_per_tunnel_b=%.0f" % (
                       held, rss_kib, gap_max, setup_s + u1["secs"], dn["secs"], reconnect_s,
                       pg["ok"], pg["sent"], up["rate"], pps1, fn["pps"], ratio, heap_b))
    except (RuntimeError, subprocess.SubprocessError, OSError, KeyError) as e:
        log("perf/scale failed: %s" % e)
        ok = False
    finally:
        if churn is not None:
            churn.close()
        r.stop()
        r.cleanup()
        if args.keep or not ok:
            tail = "\n".join(r.log_text().splitlines()[-20:])
            if tail:
                log("rampartd log tail:\n" + tail)
        net.close()
        if args.keep:
            print("work directory kept: " + d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    if summary:
        print(summary)
    if not ok:
        print("perf/scale: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
