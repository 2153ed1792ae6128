#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic selectors with protocol and ports in the datapath (root).

    e2e_ts.py CASE --rampartd PATH --rampartctl PATH

CASE:
  ts-ports-client  the strongSwan client narrows its child itself:
                   remote_ts = 10.1.0.0/24[udp/5001]; rampartd's connection
                   offers the whole /24 (any protocol).
  ts-ports-gw      rampartd narrows: its connection's local_ts is
                   10.1.0.0/24[tcp/5002] (rampart.yaml), the client asks for
                   the whole /24.
Both check, against rampartd's counters (`rampartctl stats`, drops.ts_mismatch)
and what the hosts receive:
  - allowed traffic passes both ways (UDP datagrams / a TCP exchange from
    the client to the LAN host's port, and LAN -> client from that port);
  - LAN -> client traffic outside the selector (ICMP echo, another source
    port) is dropped by rampartd before encryption, one ts_mismatch each;
  - ESP built with the client's own child keys (charon's log, scapy) whose
    inner packet goes to another port of the LAN host authenticates and is
    dropped after decryption (ts_mismatch), while the same ESP to the allowed
    port reaches the LAN host (so the drop was the selector, not the forgery).
strongSwan's kernel-libipsec enforces the selector on the client too, so
the client's own stack never sends the denied traffic: that is why the
inbound denials are injected as ESP.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (GW_PUB, LAN_HOST, N, Charon, Result, args_common, charon_child_keys,  # noqa: E402,F401
                     log, wait_for)
from e2e import cli_main, ping  # noqa: E402
from e2e_hostile import (client_out_sa, counters, delta, gw_mac, if_mac, scapy, send,  # noqa: E402
                         start_gw_edited)

PY = "/usr/bin/python3"

# A UDP or TCP endpoint in a namespace: prints what it received, then exits.
#   recv udp PORT SECONDS          count datagrams for SECONDS
#   recv tcp PORT SECONDS          accept connections, echo, count them
#   send udp DST DPORT SPORT N     N datagrams from SPORT
#   send tcp DST DPORT SPORT       connect (from SPORT, 0 = any), send, read echo
PEER = r"""
import socket, sys, time
kind, proto = sys.argv[1], sys.argv[2]
if kind == "recv":
    port, secs = int(sys.argv[3]), float(sys.argv[4])
    t = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, t)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    if proto == "tcp":
        s.listen(8)
    s.settimeout(0.2)
    n, end = 0, time.time() + secs
    print("ready", flush=True)
    while time.time() < end:
        try:
            if proto == "udp":
                s.recvfrom(2048)
            else:
                c, _ = s.accept()
                c.settimeout(3)
                c.sendall(c.recv(100))
                c.close()
            n += 1
        except OSError:
            pass
    print("received %d" % n, flush=True)
else:
    dst, dport, sport = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", sport))
        for i in range(int(sys.argv[6])):
            s.sendto(b"rampart-ts-%d" % i, (dst, dport))
            time.sleep(0.02)
        print("sent", flush=True)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sport:
            s.bind(("0.0.0.0", sport))
        s.settimeout(4)
        try:
            s.connect((dst, dport))
            s.sendall(b"rampart-ts")
            print("echo %s" % (s.recv(100) == b"rampart-ts"), flush=True)
        except OSError as e:
            print("failed %s" % e, flush=True)
"""


class Recv:
    def __init__(self, net, ns, proto, port, secs):
        self.path = os.path.join(net.dir, "recv-%s-%s-%d.txt" % (ns, proto, port))
        self.p = net.spawn([PY, "-c", PEER, "recv", proto, str(port), str(secs)], ns=ns,
                           out=self.path)
        wait_for(lambda: "ready" in self.text(), 10)

    def text(self):
        try:
            with open(self.path) as f:
                return f.read()
        except OSError:
            return ""

    def count(self):
        self.p.wait(60)
        m = re.search(r"received (\d+)", self.text())
        return int(m.group(1)) if m else -1


def peer_send(net, ns, *args):
    from e2e_lib import sh
    _, out = sh(["ip", "netns", "exec", ns, PY, "-c", PEER, "send"] + [str(a) for a in args],
                check=False, timeout=40)
    return out.strip()


def inject(keys, n, seq0, vip, proto, sport, dport, smac, dmac, csrc):
    """n ESP-in-UDP frames on the client's outbound SA (charon's keys): inner
    UDP or TCP SYN vip:sport -> LAN host:dport, sequence numbers seq0.."""
    s = scapy()
    sa = client_out_sa(s, keys, csrc)
    out = []
    for i in range(n):
        l4 = (s.UDP(sport=sport, dport=dport) / s.Raw(b"rampart-ts-inject")
              if proto == "udp" else s.TCP(sport=sport, dport=dport, flags="S", seq=1000 + i))
        inner = s.IP(bytes(s.IP(src=vip, dst=LAN_HOST, ttl=64) / l4))
        raw = bytes(sa.encrypt(inner, seq_num=seq0 + i))
        esp = raw[20 + 8:]      # rebuild the NAT-T headers (PEERS.md: scapy's lengths)
        out.append(s.Ether(src=smac, dst=dmac) / s.IP(src=csrc, dst=GW_PUB) /
                   s.UDP(sport=4500, dport=4500, chksum=0) / s.Raw(esp))
    return out


def ts_mismatch(r):
    c = counters(r)
    return None if c is None else c.get("ts_mismatch", 0)


def wait_ts(r, base, want, timeout=10):
    got = wait_for(lambda: (ts_mismatch(r) or 0) - base >= want, timeout)
    time.sleep(0.5)
    return (ts_mismatch(r) or 0) - base if got is not None else (ts_mismatch(r) or 0) - base


def run_case(net, r, res, proto, port, gw_edit, client_ts):
    if gw_edit:
        ok = start_gw_edited(net, r, res, [("local_ts: [10.1.0.0/24]",
                                            "local_ts: [\"%s\"]" % gw_edit)], "local_ts " + gw_edit)
    else:
        ok = start_gw_edited(net, r, res, [], "stock configuration")
    if not ok:
        return
    if not res.check(ts_mismatch(r) == 0, "rampartctl stats exports drops.ts_mismatch (0)",
                     str(ts_mismatch(r))):
        return
    ns, addr = net.client_ns(1)
    c = Charon(net, ns, "c1", addr, keylog=True)
    c.client_conf("c1@rampart.test")
    with open(c.swconf) as f:
        text = f.read()
    text = text.replace("remote_ts = 10.1.0.0/24", "remote_ts = " + client_ts)
    with open(c.swconf, "w") as f:
        f.write(text)
    c.start()
    if not res.check(c.wait_ready(), "charon starts"):
        return
    c.load()
    rc, out = c.initiate("ra", 90)
    if not res.check(rc == 0, "client with %s establishes" % client_ts, out[-400:]):
        return
    vip = c.vip()
    sas = c.list_sas()
    want = "10.1.0.0/24[%s/%d]" % (proto, port)
    res.check(want in sas, "the client's child is narrowed to %s" % want,
              " ".join(re.findall(r"10\.1\.0\.0/24\S*", sas)))
    lan = N("lan")

    # 1. allowed, client -> LAN host (and the reply for TCP)
    if proto == "udp":
        rv = Recv(net, lan, "udp", port, 6)
        peer_send(net, ns, "udp", LAN_HOST, port, 40000, 20)
        got = rv.count()
        res.check(got == 20, "allowed: 20 UDP datagrams client -> %s:%d arrive" % (LAN_HOST, port),
                  "%d" % got)
    else:
        rv = Recv(net, lan, "tcp", port, 8)
        out = peer_send(net, ns, "tcp", LAN_HOST, port, 0)
        got = rv.count()
        res.check(out == "echo True" and got == 1,
                  "allowed: a TCP exchange client -> %s:%d (SYN in, SYN-ACK out of port %d)"
                  % (LAN_HOST, port, port), "%s, %d accepted" % (out, got))
    # 2. allowed, LAN host (from the selector's port) -> client
    if proto == "udp":
        rv = Recv(net, ns, "udp", 7000, 6)
        ts0 = ts_mismatch(r)
        peer_send(net, lan, "udp", vip, 7000, port, 20)
        got = rv.count()
        res.check(got == 20 and ts_mismatch(r) == ts0,
                  "allowed: 20 UDP datagrams from LAN port %d -> client arrive, none dropped"
                  % port, "%d, ts_mismatch +%d" % (got, ts_mismatch(r) - ts0))
        # 3. denied, LAN -> client from another source port
        rv = Recv(net, ns, "udp", 7000, 6)
        ts0 = ts_mismatch(r)
        peer_send(net, lan, "udp", vip, 7000, port + 1, 15)
        got = rv.count()
        d = wait_ts(r, ts0, 15)
        res.check(got == 0 and d == 15, "denied: 15 datagrams from LAN port %d -> client: "
                  "none arrive, ts_mismatch +15" % (port + 1), "%d arrived, +%d" % (got, d))
    else:
        # 3. denied, LAN -> client TCP from another source port (the SYN)
        rv = Recv(net, ns, "tcp", 7000, 8)
        ts0 = ts_mismatch(r)
        out = peer_send(net, lan, "tcp", vip, 7000, port + 1)
        got = rv.count()
        d = wait_ts(r, ts0, 1)
        res.check(out.startswith("failed") and got == 0 and d >= 1,
                  "denied: TCP LAN port %d -> client: no connection, ts_mismatch +%d (SYN "
                  "and its retransmissions)" % (port + 1, d), "%s, %d accepted" % (out, got))
    # 4. denied, ICMP echo LAN -> client
    ts0 = ts_mismatch(r)
    t, rcv = ping(lan, vip, 5, wait=1)
    d = wait_ts(r, ts0, 5)
    res.check(rcv == 0 and d == 5, "denied: 5 ICMP echo LAN -> client: no reply, ts_mismatch +5",
              "%d/%d replies, +%d" % (rcv, t, d))
    # 5. ESP with the client's own keys, inner packet to another port, then to the allowed one
    keys = charon_child_keys(c.log_text())
    if not res.check(len(keys) == 1, "the client's child keys from charon's log (chd = 4)",
                     "%d key sets" % len(keys)):
        return
    dmac, smac = gw_mac(net, ns, "e2e-c1"), if_mac(ns, "e2e-c1")
    c0 = counters(r)
    bad = inject(keys[0], 20, 500, vip, proto, 41000, port + 1, smac, dmac, addr)
    rv = Recv(net, lan, proto, port + 1, 5)
    sent, _, _ = send(net, ns, "e2e-c1", bad, pps=100)
    got = rv.count()
    d = wait_ts(r, c0.get("ts_mismatch", 0), 20)
    dd = delta(c0, counters(r))
    res.check(sent == 20 and d == 20 and got == 0,
              "denied: 20 ESP packets from the client's SA with inner %s to port %d "
              "authenticate and are dropped after decryption as ts_mismatch"
              % (proto, port + 1), "sent %d, arrived %d, drops %s" % (
                  sent, got, ", ".join("%s +%d" % kv for kv in sorted(dd.items()))))
    if proto == "udp":
        rv = Recv(net, lan, "udp", port, 5)
        ok = inject(keys[0], 10, 600, vip, "udp", 41000, port, smac, dmac, addr)
        sent, _, _ = send(net, ns, "e2e-c1", ok, pps=100)
        got = rv.count()
        res.check(got == 10, "control: the same ESP with inner UDP to port %d arrives" % port,
                  "%d of 10" % got)
    else:
        # no listener needed: the LAN host answers a SYN; count SYNs with nft
        from e2e_lib import sh
        sh(["nft", "add", "table", "ip", "e2ets"], ns=lan, check=False)
        sh(["nft", "add", "chain", "ip", "e2ets", "in", "{ type filter hook input priority 0 ; }"],
           ns=lan, check=False)
        sh(["nft", "add", "rule", "ip", "e2ets", "in", "tcp", "dport", str(port), "ip", "saddr",
            vip, "counter"], ns=lan)
        ok = inject(keys[0], 10, 600, vip, "tcp", 41000, port, smac, dmac, addr)
        send(net, ns, "e2e-c1", ok, pps=100)
        time.sleep(1)
        _, out = sh(["nft", "list", "chain", "ip", "e2ets", "in"], ns=lan, check=False)
        m = re.search(r"counter packets (\d+)", out)
        got = int(m.group(1)) if m else -1
        res.check(got == 10, "control: the same ESP with inner TCP SYN to port %d arrives" % port,
                  "%d of 10" % got)
    # the JSON counter and /metrics-style name agree with the drop list
    _, st = r.ctl("stats")
    res.check(isinstance(st, dict) and "ts_mismatch" in (st.get("drops") or {}),
              "drops.ts_mismatch in rampartctl stats")


def case_client(args, net, r, res):
    run_case(net, r, res, "udp", 5001, None, "10.1.0.0/24[udp/5001]")


def case_gw(args, net, r, res):
    run_case(net, r, res, "tcp", 5002, "10.1.0.0/24[tcp/5002]", "10.1.0.0/24")


CASES = {"ts-ports-client": case_client, "ts-ports-gw": case_gw}


if __name__ == "__main__":
    log("%s" % " ".join(sys.argv[1:2]))
    sys.exit(cli_main(CASES))
