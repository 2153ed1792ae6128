#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NAT rebinding against a strongSwan client behind a masquerading NAT (root).

    e2e_nat.py CASE --rampartd PATH --rampartctl PATH

CASE:
  nat-rebind-esp  the client pings a LAN host (20/s); the NAT's public address
                  changes, then (separately) its port mapping. No liveness
                  checks run: the first authenticated ESP packet from the new
                  mapping must move the tunnel (RFC 3948), and the replies
                  must follow at once.
  nat-rebind-ike  a LAN host pings the client's virtual IP (20/s); the same
                  two changes. The client runs DPD every 2 s and sends no ESP
                  of its own until it receives some: its liveness check from
                  the new mapping moves the IKE SA (RFC 7296 2.23), and the
                  child SAs must follow it within that interval.
Both check that the tunnel was moved in place (same child SA, same SPIs, its
counters going on), that the NAT really changed, and traffic both ways after.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (N, GW_PUB, LAN_HOST, NAT_INNER_NET, NAT_PUB, Result, args_common, log,  # noqa: E402
                     PY, sh, wait_for)
from e2e import cli_main, ping, start_clients, start_gw  # noqa: E402

NAT_PUB2 = "192.0.2.251"
RESUME_ESP_S = 3.0          # one authenticated packet (20/s) + the control core, loaded box
DPD_S = 2                   # the client's liveness interval (strongSwan dpd_delay)
# strongSwan sends DPD once nothing came in for dpd_delay; it checks every
# dpd_delay, so up to 2 intervals pass before it goes out
RESUME_IKE_S = 2 * DPD_S + 3.0
STEP_S = 12                 # observation window after each change


class Flood:
    """ping -D -O at 20/s in a namespace; reply timestamps for the checks."""

    def __init__(self, ns, dst, seconds):
        self.t0 = time.time()
        cmd = ["ip", "netns", "exec", ns, "ping", "-n", "-D", "-O", "-i", "0.05", "-W", "1",
               "-w", str(seconds), dst]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, text=True)
        self.out = ""

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            self.out, _ = self.p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.out, _ = self.p.communicate()
        return self.out

    def replies(self):
        return [float(m.group(1)) for m in
                re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", self.out, re.M)]


def first_after(times, t):
    later = [x for x in times if x > t]
    return (later[0] - t) if later else None


def replies_between(times, a, b):
    return len([x for x in times if a <= x < b])


def nat_masquerade(ports):
    """Replace e2e-nat's rules: masquerade, UDP mapped into @ports."""
    sh(["nft", "flush", "chain", "ip", "e2enat", "post"], ns=N("nat"))
    for rule in (["oifname", "e2e-natp", "ip", "saddr", NAT_INNER_NET, "meta", "l4proto", "udp",
                  "counter", "masquerade", "to", ":" + ports],
                 ["oifname", "e2e-natp", "ip", "saddr", NAT_INNER_NET, "counter", "masquerade"]):
        sh(["nft", "add", "rule", "ip", "e2enat", "post"] + rule, ns=N("nat"))


def nat_new_address():
    """The NAT box gets a new public address: the old one goes, and with it
    (masquerade) every mapping made with it."""
    # without promote_secondaries, deleting the primary takes the new one too
    sh(["sysctl", "-qw", "net.ipv4.conf.e2e-natp.promote_secondaries=1"], ns=N("nat"))
    sh(["ip", "addr", "add", NAT_PUB2 + "/24", "dev", "e2e-natp"], ns=N("nat"))
    sh(["ip", "addr", "del", NAT_PUB + "/24", "dev", "e2e-natp"], ns=N("nat"))


def nat_new_ports():
    """Same address, other ports: the mappings expire (flushed) and the new
    ones come from another range."""
    nat_masquerade("41000-41999")
    sh(["conntrack", "-F"], ns=N("nat"), check=False)


def ike_remote(r):
    sas = r.sas()
    return sas[0].get("remote", "") if len(sas) == 1 else "%d IKE SAs" % len(sas)


def child_key(r):
    ch = r.children()
    if len(ch) != 1:
        return None, None
    c = ch[0]
    return (c.get("id"), c.get("spi_in"), c.get("spi_out")), c


def ctl_stat(r, name):
    rc, j = r.ctl("stats")
    if rc != 0 or not isinstance(j, dict):
        return None
    return (j.get("control") or {}).get(name)


def run_case(args, net, r, res, esp):
    if not res.check(shutil.which("conntrack") is not None,
                     "conntrack(8) is installed (scripts/deps.sh)"):
        return
    if not start_gw(net, r, res):
        return
    ns, addr = net.nat()
    conf = {} if esp else {"dpd_delay": "%ds" % DPD_S}
    chs, oks = start_clients(net, r, [(ns, addr, "natc", "natc@rampart.test")], **conf)
    if not res.check(oks[0], "client behind the masquerading NAT establishes"):
        print(chs[0].log_text()[-3000:])
        return
    rem0 = ike_remote(r)
    res.check(rem0.startswith(NAT_PUB + ":"), "rampartd sees the client at the NAT's address",
              rem0)
    vip = chs[0].vip()
    key0, c0 = child_key(r)
    if not res.check(key0 is not None and vip is not None, "one child SA, a virtual IP",
                     "%s %s" % (key0, vip)):
        return
    resume = RESUME_ESP_S if esp else RESUME_IKE_S
    how = "one authenticated ESP packet" if esp else "the client's %d s liveness check" % DPD_S
    # the flood: from the client (ESP case: its packets cross every change)
    # or towards it (IKE case: quiet for a second before each change, so no
    # ESP of the client's is on its way and only its liveness check can move
    # the tunnel)
    def flood(seconds):
        return Flood(ns, LAN_HOST, seconds) if esp else Flood(N("lan"), vip, seconds)
    fl = flood(3)
    time.sleep(3)
    fl.stop()
    res.check(len(fl.replies()) >= 30, "ping flood passes before any change",
              "%d replies in 3 s" % len(fl.replies()))
    _, c1 = child_key(r)
    out1 = (c1 or {}).get("pkts_out", 0)
    steps = [("the NAT's public address changes (%s -> %s)" % (NAT_PUB, NAT_PUB2),
              nat_new_address, lambda rem: rem.startswith(NAT_PUB2 + ":")),
             ("the NAT's port mapping changes (40000-40999 -> 41000-41999)", nat_new_ports,
              lambda rem: re.match(re.escape(NAT_PUB2) + r":41\d\d\d$", rem) is not None)]
    for what, change, where in steps:
        if esp:
            fl = flood(2 + STEP_S)
            time.sleep(2)
        else:
            time.sleep(1)
        t = time.time()
        change()
        if not esp:
            fl = flood(STEP_S)
        time.sleep(STEP_S)
        fl.stop()
        end = time.time()
        times = fl.replies()
        rem = ike_remote(r)
        res.check(where(rem), "%s: rampartd's IKE SA follows" % what, rem)
        if esp:
            res.check(replies_between(times, fl.t0, t) >= 20, "%s: flood ran up to it" % what,
                      "%d replies" % replies_between(times, fl.t0, t))
        gap = first_after(times, t + 0.001)
        res.check(gap is not None and gap <= resume,
                  "%s: traffic resumes after %s (<= %.0f s)" % (what, how, resume),
                  "first reply after %s" % ("%.2f s" % gap if gap is not None else "never"))
        # and keeps flowing (a loaded machine loses some; the old code all)
        n = replies_between(times, end - 4.5, end - 0.5)
        res.check(n >= 40, "%s: the flood flows both ways afterwards" % what,
                  "%d of ~80 replies in the window's last 4 s" % n)
    key1, c2 = child_key(r)
    res.check(key1 == key0, "moved in place: same child SA and SPIs (no reinstall)",
              "%s -> %s" % (key0, key1))
    res.check((c2 or {}).get("pkts_out", 0) > out1 > 0,
              "the child's outbound counter went on (not reset)",
              "%s then %s" % (out1, (c2 or {}).get("pkts_out")))
    src, dst = (N("lan"), vip) if esp else (ns, LAN_HOST)
    t, rcv = ping(src, dst, 5)
    if rcv < 5:             # a loaded machine may lose one: once more
        t, rcv = ping(src, dst, 5, wait=5)
    res.check(t == 5 and rcv == 5, "and a ping the other way round", "%d/%d" % (rcv, t))
    moved = ctl_stat(r, "peer_moved")
    res.check(moved is not None and moved >= 2, "rampartd counted the moves (peer_moved)",
              str(moved))
    if esp:
        junk_through_nat(r, res, ns)
    text = r.log_text()
    if esp:
        res.check("authenticated ESP" in text,
                  "rampartd logged the move as coming from authenticated ESP")
    else:
        res.check("authenticated ESP" not in text and text.count("peer now at") >= 3,
                  "the moves came from IKE (the liveness checks), not from ESP",
                  "%d 'peer now at'" % text.count("peer now at"))


def esp_unknown(r):
    """ESP dropped for an unknown SPI: lib/esp's no_sa plus SPIs naming no worker."""
    st = r.ctl("stats")[1] if r.ctl("stats")[0] == 0 else {}
    d = st.get("drops", {}) if isinstance(st, dict) else {}
    if "total" not in d:
        return None
    return d.get("esp", {}).get("no_sa", 0) + d.get("no_worker", 0)


def junk_through_nat(r, res, ns, n=200):
    """Issue 7 item 2 behind the NAT: n ESP-in-UDP datagrams with SPIs no SA has
    (half of them naming a worker that does not exist), sent from the client's
    namespace through the masquerade to port 4500, raise the unknown-SPI drop
    counters by exactly n (none lost uncounted)."""
    before = esp_unknown(r)
    code = ("import socket,struct,time\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for i in range(%d):\n"
            "    spi=(0xf0000000 if i%%2 else 0x0f000000)|((i*7919)&0xffff00)|0x100\n"
            "    s.sendto(struct.pack('!II',spi,1)+bytes(48),('%s',4500))\n"
            "    time.sleep(0.002)\n" % (n, GW_PUB))
    rc, _ = sh([PY, "-c", code], ns=ns, check=False)
    after = None
    for _ in range(20):          # the counters are read from the workers
        time.sleep(0.25)
        after = esp_unknown(r)
        if before is not None and after is not None and after - before >= n:
            break
    res.check(rc == 0 and before is not None and after is not None and after - before == n,
              "%d ESP datagrams with unknown SPIs through the NAT: counted exactly" % n,
              "no_sa + no_worker %s -> %s" % (before, after))


def case_esp(args, net, r, res):
    run_case(args, net, r, res, True)


def case_ike(args, net, r, res):
    run_case(args, net, r, res, False)


CASES = {"nat-rebind-esp": case_esp, "nat-rebind-ike": case_ike}


if __name__ == "__main__":
    log("%s" % " ".join(sys.argv[1:2]))
    sys.exit(cli_main(CASES))
