#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""MOBIKE (RFC 4555) against a strongSwan client that changes its address (root).

    e2e_mobike.py CASE --rampartd PATH --rampartctl PATH

CASE:
  mobike-roam  the client (MOBIKE on, strongSwan's default) pings a LAN host
               at 20/s; a new address is added to its interface and the old
               one removed. charon roams and sends UPDATE_SA_ADDRESSES from
               the new address.
  mobike-nat   the client starts on a direct address, with a second leg
               behind the masquerading NAT; the direct address is removed,
               so it continues behind the NAT (new address and port).
Both check that rampartd applied UPDATE_SA_ADDRESSES, moved the IKE SA in
place (same IKE SA: no reauthentication) and the installed child SA with it
in the datapath, that traffic resumes within RESUME_S after the change, and
print the loss. (kernel-libipsec cannot move an installed SA, so charon
rekeys its child right after the update, within the same IKE SA.)
kernel-libipsec always UDP-encapsulates ESP (PEERS.md), so both cases run
ESP-in-UDP throughout; the switch between plain ESP and ESP-in-UDP is
covered by the unit test mobike_behind_nat only.
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (netlab, PSK_ROUND, GW_ID, GW_PUB, LAN_HOST, NAT_PUB, N, PSK, Charon, Result,  # noqa: E402
                     args_common, log, sh)
from e2e import cli_main, ping, start_gw  # noqa: E402
from e2e_nat import Flood, first_after, replies_between  # noqa: E402

RESUME_S = 5.0          # traffic resumes within this after the old address goes
STEP_S = 12             # observation window after the change

# CLIENT_CONF of e2e_lib without local_addrs: charon may use any address it
# has, which is what roaming needs (mobike = yes is the default, stated).
MOBIKE_CLIENT = netlab.swanctl_template(
    "ra", [("version", 2), ("remote_addrs", "{gw}"), ("vips", "0.0.0.0"), ("mobike", "yes"),
           ("proposals", "aes256gcm16-prfsha256-ecp256")],
    PSK_ROUND + [("id", "{id}")], PSK_ROUND + [("id", "{gwid}")],
    [("ra", [("remote_ts", "10.1.0.0/24"), ("esp_proposals", "aes256gcm16"),
             ("start_action", "none")])],
    [("ike-ra", [("secret", '"{psk}"')])])


def start_client(net, ns, addr, tag, ident):
    c = Charon(net, ns, tag, addr)
    c.write(MOBIKE_CLIENT.format(gw=GW_PUB, id=ident, gwid=GW_ID, psk=PSK))
    c.start()
    if not c.wait_ready():
        return c, False
    c.load()
    rc, _ = c.initiate("ra", 90)
    return c, rc == 0


def unanswered(out):
    """(timestamp, late) of ping -D -O's "no answer yet" lines; late: the
    reply came after all (slower than the 50 ms interval)."""
    got = set(re.findall(r"^\[\d+\.\d+\] \d+ bytes from .*icmp_seq=(\d+)", out, re.M))
    return [(float(m.group(1)), m.group(2) in got) for m in
            re.finditer(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)", out, re.M)]


def ike_sa(r):
    sas = r.sas()
    return sas[0] if len(sas) == 1 else {"remote": "%d IKE SAs" % len(sas)}


def child_key(r):
    ch = r.children()
    if len(ch) != 1:
        return None
    c = ch[0]
    return (c.get("id"), c.get("ike_sa_id"), c.get("spi_in"), c.get("spi_out"))


def ike_stat(r, name):
    rc, j = r.ctl("stats")
    if rc != 0 or not isinstance(j, dict):
        return None
    return (j.get("ike") or {}).get(name)


def roam(net, r, res, ns, ch, move, where, what):
    """Flood from the client, @move() its address, check the tunnel stays."""
    sa0 = ike_sa(r)
    key0 = child_key(r)
    vip = ch.vip()
    if not res.check(key0 is not None and vip is not None, "one child SA, a virtual IP",
                     "%s %s" % (key0, vip)):
        return
    fl = Flood(ns, LAN_HOST, 2 + STEP_S)
    time.sleep(2)
    t = time.time()
    move()
    time.sleep(STEP_S)
    fl.stop()
    end = time.time()
    times = fl.replies()
    sa1 = ike_sa(r)
    rem = sa1.get("remote", "")
    res.check(where(rem), "%s: rampartd's IKE SA follows" % what,
              "%s -> %s" % (sa0.get("remote"), rem))
    res.check(replies_between(times, fl.t0, t) >= 20, "%s: flood ran up to it" % what,
              "%d replies" % replies_between(times, fl.t0, t))
    gap = first_after(times, t + 0.001)
    # loss: ping -O reports each request still unanswered when the next one
    # goes out (50 ms later); those reported after the change
    late = [x - t for x, lt in unanswered(fl.out) if x >= t and lt]
    miss = [x - t for x, lt in unanswered(fl.out) if x >= t and not lt]
    lost = len(miss)
    sent = int((end - t) * 20)
    log("%s: first reply %s after the change; %d of ~%d echo requests lost in the %.0f s "
        "after it (at +%s s), %d late" % (what, "%.2f s" % gap if gap is not None else "never",
                                          lost, sent, end - t,
                                          ",".join("%.1f" % x for x in miss[:60]), len(late)))
    res.check(gap is not None and gap <= RESUME_S,
              "%s: traffic resumes within %.0f s" % (what, RESUME_S),
              "first reply after %s, %d lost" % ("%.2f s" % gap if gap is not None else "never",
                                                  lost))
    n = replies_between(times, end - 4.5, end - 0.5)
    res.check(n >= 40, "%s: the flood flows afterwards" % what,
              "%d of ~80 replies in the window's last 4 s" % n)
    # kernel-libipsec cannot update an installed SA's addresses: after the
    # update charon rekeys its child (CREATE_CHILD_SA in the same IKE SA);
    # rampartd moves the old child at once and keeps the IKE SA
    key1 = child_key(r)
    res.check(sa1.get("id") == sa0.get("id") and key1 is not None and key1[1] == sa0.get("id"),
              "moved in place: same IKE SA (no reauthentication), one child SA in it",
              "ike %s -> %s, child %s -> %s" % (sa0.get("id"), sa1.get("id"), key0, key1))
    res.check("child %d (ra): ESP now to %s" % (key0[0], rem.rsplit(":", 1)[0]) in r.log_text(),
              "the installed child SA followed in the datapath (SA_MSG_UPDATE_*)")
    upd = ike_stat(r, "mobike_updates")
    res.check(upd is not None and upd >= 1, "rampartd applied UPDATE_SA_ADDRESSES",
              "mobike_updates %s" % upd)
    res.check("UPDATE_SA_ADDRESSES" in r.log_text(), "rampartd logged the update")
    t5, rcv = ping(N("lan"), vip, 5)
    if rcv < 5:             # a loaded machine may lose one: once more
        t5, rcv = ping(N("lan"), vip, 5, wait=5)
    res.check(t5 == 5 and rcv == 5, "and a ping the other way round", "%d/%d" % (rcv, t5))
    text = ch.log_text()
    res.check("reauthenticating" not in text and "reestablishing" not in text,
              "the client did not fall back to reauthentication")


def client_at(net, r, res, ns, addr, tag, what):
    """The MOBIKE client TAG@rampart.test up from @addr (@what names the
    address in the check) and seen there by rampartd; None if it is not up."""
    ch, ok = start_client(net, ns, addr, tag, tag + "@rampart.test")
    if not res.check(ok, "MOBIKE client establishes from %s%s" % (what, addr)):
        print(ch.log_text()[-3000:])
        return None
    res.check(ike_sa(r).get("remote", "").startswith(addr + ":"),
              "rampartd sees the client at %s" % addr, ike_sa(r).get("remote", ""))
    return ch


def case_roam(args, net, r, res):
    if not start_gw(net, r, res):
        return
    ns, addr = net.client_ns(1)
    new = "192.0.2.31"
    ch = client_at(net, r, res, ns, addr, "mob", "")
    if ch is None:
        return

    def move():
        # without promote_secondaries, deleting the primary takes the new one too
        sh(["sysctl", "-qw", "net.ipv4.conf.e2e-c1.promote_secondaries=1"], ns=ns)
        sh(["ip", "addr", "add", new + "/24", "dev", "e2e-c1"], ns=ns)
        sh(["ip", "addr", "del", addr + "/24", "dev", "e2e-c1"], ns=ns)
    roam(net, r, res, ns, ch, move, lambda rem: rem.startswith(new + ":"),
         "address change %s -> %s" % (addr, new))


def case_nat(args, net, r, res):
    if not start_gw(net, r, res):
        return
    ns, _ = net.nat()
    direct = "192.0.2.40"
    # a second leg of the NAT client on the public bridge: the connected
    # route makes it the way to the gateway while it has its address
    net.veth("e2e-cd", ns, "e2e-sd", N("sw"))
    sh(["ip", "link", "set", "e2e-sd", "master", "br0", "up"], ns=N("sw"))
    net.host_if(ns, "e2e-cd", direct + "/24")
    ch = client_at(net, r, res, ns, direct, "mobnat", "its direct address ")
    if ch is None:
        return

    def move():
        sh(["ip", "addr", "del", direct + "/24", "dev", "e2e-cd"], ns=ns)
    roam(net, r, res, ns, ch, move, lambda rem: rem.startswith(NAT_PUB + ":"),
         "direct %s -> behind the NAT (%s)" % (direct, NAT_PUB))


CASES = {"mobike-roam": case_roam, "mobike-nat": case_nat}


if __name__ == "__main__":
    log("%s" % " ".join(sys.argv[1:2]))
    sys.exit(cli_main(CASES))
