#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartd under an IKE_SA_INIT flood (root; builds its own namespaces).

    e2e_flood.py CASE --rampartd PATH --rampartctl PATH --flood PATH [--clients N]
                 [--duration S] [--sources N]

CASE: ike-flood. perf/ike-flood sends IKE_SA_INIT from 65536 spoofed sources
at the highest rate it can, from a namespace on the public bridge, while
  (a) another host on the bridge asks rampartd's public address by ARP every
      50 ms and counts the answers, and
  (b) N strongSwan clients (default 5) connect during the flood: each must be
      established within 30 s and pass pings to the LAN host.
Checks: IKE rate-limit counters move, cookies are sent, the half-open count
stays under its cap, ARP keeps being answered. Prints the flood rate offered
and what rampartd processed and dropped (by counter), the clients' set-up
times and the ARP answer rate.
"""

import json
import os
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (arg_parser, N, GW_PUB, LAN_HOST, PY, Charon, Result, log,  # noqa: E402
                     parallel, sh, wait_for)
from e2e import ping, run_cli  # noqa: E402

SPOOF_NET = "198.18.0.0/15"
FLOOD_ADDR, ARP_ADDR = "192.0.2.200", "192.0.2.201"
COOKIE_THRESHOLD, HALF_OPEN_MAX = 50, 200
SETUP_LIMIT_S = 30
PINGS, PING_MIN_PER_CLIENT = 3, 2
ARP_MIN_ANSWERED = 0.9


def arp_probe(dev, my_ip, target, seconds, interval=0.05, wait=0.5):
    """Run inside a namespace: ARP who-has @target every @interval for
    @seconds over a raw socket; print one JSON line with the counts."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((dev, 0))
    mac = s.getsockname()[4][:6]
    sip, tip = socket.inet_aton(my_ip), socket.inet_aton(target)
    req = (b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
           mac + sip + b"\x00" * 6 + tip)
    sent = answered = 0
    lat = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        s.send(req)
        sent += 1
        s.settimeout(wait)
        got = False
        while not got:
            left = wait - (time.monotonic() - t0)
            if left <= 0:
                break
            s.settimeout(left)
            try:
                f = s.recv(128)
            except socket.timeout:
                break
            if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and \
                    f[28:32] == tip and f[38:42] == sip:
                got = True
        if got:
            answered += 1
            lat.append((time.monotonic() - t0) * 1000)
        rest = interval - (time.monotonic() - t0)
        if rest > 0:
            time.sleep(rest)
    lat.sort()
    print(json.dumps({"sent": sent, "answered": answered,
                      "p50_ms": round(lat[len(lat) // 2], 2) if lat else None,
                      "max_ms": round(lat[-1], 2) if lat else None}))


def ctl_stats(r):
    rc, j = r.ctl("stats")
    return j if rc == 0 and isinstance(j, dict) else {}


def gw_mac(ns):
    sh(["ping", "-n", "-c", "1", "-W", "2", GW_PUB], ns=ns, check=False)
    _, out = sh(["ip", "neigh", "show", GW_PUB], ns=ns, check=False)
    m = re.search(r"lladdr ([0-9a-f:]{17})", out)
    return m.group(1) if m else None


def case_ike_flood(args, net, r, res):
    n = args.clients
    net.base()
    r.write_conf(extra="routes:\n  - {prefix: %s, via: %s, port: pub}\n" % (SPOOF_NET,
                                                                            FLOOD_ADDR))
    with open(r.conf) as f:
        text = f.read()
    text = text.replace("ike:\n", "ike:\n  cookie_threshold: %d\n  half_open_max: %d\n"
                        % (COOKIE_THRESHOLD, HALF_OPEN_MAX), 1)
    with open(r.conf, "w") as f:
        f.write(text)
    if not res.check(r.start(), "rampartd starts on two af_packet ports"):
        return
    net.attach(N("fl"), "e2e-fl", FLOOD_ADDR + "/24", "e2e-sfl")
    net.attach(N("ar"), "e2e-ar", ARP_ADDR + "/24", "e2e-sar")
    mac = gw_mac(N("fl"))
    if not res.check(mac is not None, "the flood host resolves rampartd's MAC", str(mac)):
        return
    # clients: charon up and loaded before the flood, initiated during it
    chs = []
    for i in range(1, n + 1):
        ns, addr = net.client_ns(i)
        c = Charon(net, ns, "c%d" % i, addr)
        c.client_conf("c%d@rampart.test" % i)
        c.start()
        chs.append(c)
    ready = parallel([c.wait_ready for c in chs], limit=n)
    parallel([c.load for c in chs], limit=n)
    if not res.check(all(x is True for x in ready), "%d charons ready" % n):
        return

    dur = args.duration
    st0 = ctl_stats(r)
    flood_out = os.path.join(net.dir, "flood.out")
    arp_out = os.path.join(net.dir, "arp.out")
    t_flood = time.monotonic()
    flood = net.spawn([args.flood, "--if", "e2e-fl", "--dst-mac", mac, "--dst", GW_PUB,
                       "--src-net", SPOOF_NET, "--sources", str(args.sources), "--duration",
                       str(dur)],
                      ns=N("fl"), out=flood_out)
    arp = net.spawn([PY, os.path.abspath(__file__), "arp-probe", "e2e-ar", ARP_ADDR, GW_PUB,
                     str(dur - 2)], ns=N("ar"), out=arp_out)
    # sample the half-open count while the flood runs
    samples, stop = [], threading.Event()

    def sampler():
        while not stop.is_set():
            s = ctl_stats(r)
            if s:
                samples.append(s.get("ike", {}).get("half_open", 0))
            stop.wait(1.0)
    th = threading.Thread(target=sampler)
    th.start()
    time.sleep(3)
    setup = [None] * n

    def connect(i, c):
        t0 = time.monotonic()
        rc, out = c.initiate("ra", SETUP_LIMIT_S + 10)
        setup[i] = time.monotonic() - t0 if rc == 0 else None
        if rc != 0:
            log("%s: initiate failed: %s" % (c.tag, out[-400:]))
        return rc == 0
    parallel([lambda i=i, c=c: connect(i, c) for i, c in enumerate(chs)], limit=n)
    flood_on = flood.poll() is None
    ok_setup = [t is not None and t <= SETUP_LIMIT_S for t in setup]
    res.check(all(ok_setup) and flood_on,
              "%d clients establish during the flood, each within %d s" % (n, SETUP_LIMIT_S),
              "set-up times %s s, flood still running: %s" %
              ([round(t, 1) if t is not None else None for t in setup], flood_on))
    # A stall (the bug this check was written for lost 15 of 15) fails it, so
    # does a client with fewer than PING_MIN_PER_CLIENT replies; a stray loss
    # on a host busy with other work (2 of 15 seen once with four parallel
    # builds: af_packet's kernel ring, charon's userspace ESP) is reported.
    pr = parallel([lambda c=c: ping(c.ns, LAN_HOST, PINGS, wait=3) for c in chs], limit=n)
    per = [x[1] if isinstance(x, tuple) else 0 for x in pr]
    lost = PINGS * n - sum(per)
    res.check(min(per) >= PING_MIN_PER_CLIENT and lost <= PINGS * n // 5 and
              flood.poll() is None,
              "each client pings the LAN host through its tunnel during the flood "
              "(>= %d of %d each, <= 20%% lost in all)" % (PING_MIN_PER_CLIENT, PINGS),
              "lost %d of %d, replies per client %s" % (lost, PINGS * n, per))
    flood.wait(dur + 30)
    arp.wait(30)
    stop.set()
    th.join()
    t_total = time.monotonic() - t_flood
    st1 = ctl_stats(r)
    with open(flood_out) as f:
        ftxt = f.read().strip()
    m = re.search(r"sent (\d+) IKE_SA_INIT in ([\d.]+) s: (\d+) pps", ftxt)
    sent, fsec, fpps = (int(m.group(1)), float(m.group(2)), int(m.group(3))) if m else (0, 1, 0)
    res.check(sent > 0, "perf/ike-flood sent IKE_SA_INIT", ftxt)
    c0, c1 = st0.get("control", {}), st1.get("control", {})
    i0, i1 = st0.get("ike", {}), st1.get("ike", {})

    def d(a, b, k):
        return b.get(k, 0) - a.get(k, 0) if k in b else None
    p0 = sum(p.get("rx_pkts", 0) for p in st0.get("ports", []) if p.get("name") == "pub")
    p1 = sum(p.get("rx_pkts", 0) for p in st1.get("ports", []) if p.get("name") == "pub")
    q0 = sum(p.get("rx_dropped", 0) for p in st0.get("ports", []) if p.get("name") == "pub")
    q1 = sum(p.get("rx_dropped", 0) for p in st1.get("ports", []) if p.get("name") == "pub")
    pd = sum(w.get("drops", {}).get("punt_full", 0) for w in st1.get("workers", [])) - \
        sum(w.get("drops", {}).get("punt_full", 0) for w in st0.get("workers", []))
    shed = sum(w.get("drops", {}).get("punt_ike_shed", 0) for w in st1.get("workers", [])) - \
        sum(w.get("drops", {}).get("punt_ike_shed", 0) for w in st0.get("workers", []))
    ike_in = d(c0, c1, "ike_in")
    passed = d(c0, c1, "ike_rate_pass")
    drop_src = d(c0.get("drops", {}), c1.get("drops", {}), "ike_rate_src")
    drop_tot = d(c0.get("drops", {}), c1.get("drops", {}), "ike_rate_total")
    cookies = d(i0, i1, "cookies_sent")
    log("flood: offered %d pps for %.1f s (%d datagrams); public port received %d, "
        "port drops %d, punt ring drops %d, new IKE_SA_INIT kept off a 3/4 full punt ring %d"
        % (fpps, fsec, sent, p1 - p0, q1 - q0, pd, shed))
    log("rampartd: IKE datagrams seen %s (%.0f/s), admitted %s (%.0f/s), dropped per source %s,"
        " in total %s, retransmissions let in %s; cookies sent %s; half-open max %s (cap %d); "
        "jobs %s run, %s shed; ARP/ND via their ring %s" %
        (ike_in, (ike_in or 0) / fsec, passed, (passed or 0) / fsec, drop_src, drop_tot,
         d(c0, c1, "ike_rate_retx_prio"), cookies, max(samples) if samples else None,
         HALF_OPEN_MAX, d(c0, c1, "jobs_run"), d(c0, c1, "jobs_shed"), d(c0, c1, "nbr_rx")))
    res.check(drop_src is not None and drop_tot is not None and (drop_src + drop_tot) > 0,
              "IKE rate-limit counters count the flood's excess",
              "drops.ike_rate_src %s, drops.ike_rate_total %s" % (drop_src, drop_tot))
    jobs_run = d(c0, c1, "jobs_run")
    res.check(jobs_run is not None and jobs_run >= n,
              "DH runs on the crypto helper threads, not the control lcore",
              "jobs_run +%s, jobs_shed +%s" % (jobs_run, d(c0, c1, "jobs_shed")))
    res.check(cookies is not None and cookies > 0, "cookies engage under the flood",
              "cookies_sent +%s" % cookies)
    res.check(bool(samples) and max(samples) <= HALF_OPEN_MAX,
              "half-open IKE SAs stay at or below half_open_max (%d)" % HALF_OPEN_MAX,
              "max sampled %s" % (max(samples) if samples else None))
    try:
        with open(arp_out) as f:
            a = json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        a = {"sent": 0, "answered": 0}
    ratio = a["answered"] / a["sent"] if a["sent"] else 0
    res.check(ratio >= ARP_MIN_ANSWERED,
              "ARP who-has for %s keeps being answered during the flood (>= %d%%)"
              % (GW_PUB, ARP_MIN_ANSWERED * 100),
              "%d of %d answered (%.1f%%), p50 %s ms, max %s ms" %
              (a["answered"], a["sent"], 100 * ratio, a.get("p50_ms"), a.get("max_ms")))
    log("summary: %s" % json.dumps({
        "flood_pps_offered": fpps, "flood_seconds": fsec, "port_rx": p1 - p0,
        "ike_seen": ike_in, "ike_admitted": passed, "ike_drop_src": drop_src,
        "ike_drop_total": drop_tot, "punt_drop": pd, "punt_ike_shed": shed, "cookies": cookies,
        "half_open_max_seen": max(samples) if samples else None,
        "setup_s": [round(t, 2) if t is not None else None for t in setup],
        "arp_sent": a["sent"], "arp_answered": a["answered"], "arp_p50_ms": a.get("p50_ms"),
        "arp_max_ms": a.get("max_ms"), "wall_s": round(t_total, 1)}))


CASES = {"ike-flood": case_ike_flood}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "arp-probe":
        arp_probe(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
        return 0
    ap = arg_parser(clients=5)
    ap.add_argument("--flood", required=True)
    ap.add_argument("--duration", type=int, default=40)
    ap.add_argument("--sources", type=int, default=65536)
    args = ap.parse_args()
    return run_cli(args, CASES, name="flood", tools=(args.flood,))


if __name__ == "__main__":
    sys.exit(main())
