#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartd under faults: each logged once, counted, recovered from (root).

    e2e_faults.py CASE --rampartd PATH --rampartctl PATH [--churn PATH]

CASE:
  faults-inject  (rampartd built with -Dfault_inject=true)
      ring-full:    every control -> worker ring reports full for 10 s while
                    a second client connects: its SA messages wait in the
                    backlog ("message ring full" logged once, ring_full +1),
                    then are delivered; its tunnel works afterwards.
      mbuf-exhaust: every free mbuf is taken out of the pool for 3 s while a
                    third client connects: rampartd cannot answer it
                    (mbuf_fail counted, "mbuf pool exhausted" logged once),
                    the client's retransmission succeeds afterwards.
  faults-net     (--churn: perf/ike-churn)
      mid-exchange: three peers send IKE_SA_INIT and go silent: three
                    half-open SAs, expired after 30 s (half_open_expired +3,
                    logged once each).
      port:         the veth peer of rampartd's public port goes down for
                    3 s and up again (link_changes +2, logged once each).
      reload:       rampartctl reload of a broken file beside the config:
                    refused, reload_fail +1, logged once, config unchanged.
In both cases an established strongSwan client's ping works after every
fault (and its tunnel is the same child SA).
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (arg_parser, GW_ID, GW_PUB, LAN_HOST, N, PSK, Charon, Result, sh,  # noqa: E402
                     wait_for)
from e2e import ping_tunnel, run_cli, start_clients, start_gw  # noqa: E402


def cstats(r):
    rc, j = r.ctl("stats")
    return j if rc == 0 and isinstance(j, dict) else {"control": {}, "ike": {}}


def ctr(r, group, key):
    return cstats(r).get(group, {}).get(key, 0)


def log_count(r, text):
    return r.log_text().count(text)


def clients(net, r, res, idx):
    specs = []
    for i in idx:
        ns, addr = net.client_ns(i)
        specs.append((ns, addr, "c%d" % i, "c%d@rampart.test" % i))
    return specs


def ready_client(net, spec):
    """A started, loaded charon that has not initiated yet."""
    ns, addr, tag, ident = spec
    c = Charon(net, ns, tag, addr)
    c.client_conf(ident)
    c.start()
    c.wait_ready()
    c.load()
    return c


def same_child(r, before):
    ids = sorted(c.get("id") for c in r.children())
    return all(b in ids for b in before)


def case_inject(args, net, r, res):
    if not start_gw(net, r, res):
        return
    specs = clients(net, r, res, (1, 2, 3))
    chs, oks = start_clients(net, r, specs[:1])
    res.check(all(oks), "client 1 establishes its tunnel")
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1 pings the LAN host")
    c1_child = [c.get("id") for c in r.children()]

    # ---- worker ring full
    rf0 = ctr(r, "control", "ring_full")
    n0 = log_count(r, "message ring full")
    c2 = ready_client(net, specs[1])
    rc, j = r.ctl("fault", "ring-full", "10000")
    res.check(rc == 0, "fault ring-full accepted", str(j))
    t0 = time.monotonic()
    rc2, _ = c2.initiate("ra", 60)
    res.check(rc2 == 0 and time.monotonic() - t0 < 10,
              "client 2 completes IKE while the worker ring is full",
              "%.1f s" % (time.monotonic() - t0))
    bl = cstats(r).get("resources", {}).get("msg_backlog", 0)
    res.check(bl > 0, "its SA messages wait in the backlog", "msg_backlog %s" % bl)
    wait_for(lambda: cstats(r).get("resources", {}).get("msg_backlog", 1) == 0, 20)
    res.check(ctr(r, "control", "ring_full") - rf0 == 1, "ring_full counted once",
              "%d -> %d" % (rf0, ctr(r, "control", "ring_full")))
    res.check(log_count(r, "message ring full") - n0 == 1 and
              log_count(r, "backlog delivered") >= 1,
              "logged once when full, once when delivered")
    ping_tunnel(res, r, c2.ns, LAN_HOST, "client 2's tunnel works once the backlog is delivered")
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1's tunnel still works")

    # ---- mbuf pool exhausted
    mf0 = ctr(r, "control", "mbuf_fail")
    c3 = ready_client(net, specs[2])
    rc, j = r.ctl("fault", "mbuf-exhaust", "3000")
    res.check(rc == 0, "fault mbuf-exhaust accepted", str(j))
    t0 = time.monotonic()
    rc3, _ = c3.initiate("ra", 60)
    res.check(rc3 == 0, "client 3 connects (its retransmission, after the pool refills)",
              "%.1f s" % (time.monotonic() - t0))
    mf = ctr(r, "control", "mbuf_fail") - mf0
    res.check(mf > 0, "allocation failures counted", "mbuf_fail +%d" % mf)
    res.check(log_count(r, "event=mbuf_pool state=exhausted") == 1 and
              log_count(r, "event=mbuf_pool state=recovered") == 1,
              "logged once when the pool ran dry, once when it works again",
              "%d / %d" % (log_count(r, "event=mbuf_pool state=exhausted"),
                           log_count(r, "event=mbuf_pool state=recovered")))
    ping_tunnel(res, r, c3.ns, LAN_HOST, "client 3's tunnel works")
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1's tunnel still works")
    res.check(same_child(r, c1_child), "client 1 kept its child SA through every fault")


def case_net(args, net, r, res):
    if not start_gw(net, r, res):
        return
    specs = clients(net, r, res, (1,))
    chs, oks = start_clients(net, r, specs)
    res.check(all(oks), "client 1 establishes its tunnel")
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1 pings the LAN host")
    c1_child = [c.get("id") for c in r.children()]

    # ---- peers that stop mid-exchange (expire after 30 s; checked at the end)
    net.attach(N("ch"), "e2e-ch", "192.0.2.100/24", "e2e-sch")
    he0 = ctr(r, "ike", "half_open_expired")
    p = subprocess.run(["ip", "netns", "exec", N("ch"), args.churn, "--gw", GW_PUB, "--src",
                        "192.0.2.100", "--psk", PSK, "--gw-id", GW_ID, "--total", "3",
                        "--batch", "3", "--batch-timeout", "2", "--stop-mid", "--prefix", "m",
                        "--ike", "aes128gcm16-prfsha256-x25519", "--esp", "aes128gcm16"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    ho = ctr(r, "ike", "half_open")
    res.check("setups=0 failed=3" in p.stdout and ho == 3,
              "three peers stop after IKE_SA_INIT: three half-open SAs",
              "half_open %s; %s" % (ho, p.stdout.strip()[-200:]))
    t_mid = time.monotonic()

    # ---- port down and up (veth peer of the public port, in the switch namespace)
    lc0 = ctr(r, "control", "link_changes")
    sh(["ip", "link", "set", "e2e-pubs", "down"], ns=N("sw"))
    time.sleep(3)
    sh(["ip", "link", "set", "e2e-pubs", "up"], ns=N("sw"))
    wait_for(lambda: ctr(r, "control", "link_changes") - lc0 >= 2, 10)
    res.check(ctr(r, "control", "link_changes") - lc0 == 2, "link down and up counted",
              "link_changes +%d" % (ctr(r, "control", "link_changes") - lc0))
    ldown, lup = "event=port_link port=pub state=down", "event=port_link port=pub state=up"
    res.check(log_count(r, ldown) == 1 and log_count(r, lup) == 1,
              "each logged once", "%d / %d" % (log_count(r, ldown), log_count(r, lup)))
    time.sleep(1)
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1's tunnel works after the port came back")

    # ---- broken reload (a file beside the configuration)
    bad = os.path.join(os.path.dirname(r.conf), "rampart-broken.yaml")
    with open(bad, "w") as f:
        f.write("workers: 1\nconnections:\n  - name: [unclosed\n")
    os.chmod(bad, 0o600)
    rf0 = ctr(r, "control", "reload_fail")
    conns0 = r.ctl("status")[1].get("conns")
    rc, j = r.ctl("reload", bad)
    res.check(rc != 0, "reload of a broken file is refused", str(j)[:200])
    res.check(ctr(r, "control", "reload_fail") - rf0 == 1, "reload_fail counted once")
    res.check(log_count(r, "event=config_reload result=failed") == 1, "logged once")
    res.check(r.ctl("status")[1].get("conns") == conns0, "configuration unchanged",
              "conns %s" % conns0)
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1's tunnel works after the failed reload")

    # ---- the half-open SAs expire (lib/ike: 30 s)
    wait_for(lambda: ctr(r, "ike", "half_open") == 0, max(5, 40 - (time.monotonic() - t_mid)),
             step=1)
    he = ctr(r, "ike", "half_open_expired") - he0
    res.check(ctr(r, "ike", "half_open") == 0 and he == 3,
              "the three half-open SAs expire, counted", "half_open_expired +%d after %.0f s"
              % (he, time.monotonic() - t_mid))
    res.check(log_count(r, "half-open SA expired") == 3, "logged once each",
              "%d lines" % log_count(r, "half-open SA expired"))
    ping_tunnel(res, r, chs[0].ns, LAN_HOST, "client 1's tunnel still works")
    res.check(same_child(r, c1_child), "client 1 kept its child SA through every fault")


CASES = {"faults-inject": case_inject, "faults-net": case_net}


def main():
    ap = arg_parser(sorted(CASES))
    ap.add_argument("--churn", help="perf/ike-churn (faults-net)")
    args = ap.parse_args()
    return run_cli(args, CASES, tools=(args.churn,) if args.case == "faults-net" else ())


if __name__ == "__main__":
    sys.exit(main())
