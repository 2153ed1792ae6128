#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Route ownership between tunnels against strongSwan (root).

    e2e_routes.py route-takeover --rampartd PATH --rampartctl PATH

One connection accepts any site (remote_id any, remote_ts 10.2.0.0/16). The
real site (site.rampart.test, 10.2.0.0/24) connects first. A second peer
with another identity (evil.rampart.test) then proposes the same subnet,
then a more specific one (10.2.0.0/25): rampartd must refuse both children
(delete them towards the peer, count and log), the site must keep its
traffic, and the other peer's ESP must not be accepted for the site's
addresses. A rekey and a reauthentication by the site itself stay allowed.
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (netlab, PSK_ROUND, write_private, N, GW_ID, GW_PUB, LAN_HOST, PSK,  # noqa: E402
                     e2e_yaml, SITE_HOST, SITE_PUB, Charon, Result, args_common, log, sh,
                     wait_for)
from e2e import cli_main, ping, ping_ok, site_up  # noqa: E402

SITES_CONN = """  - name: sites
    remote: any
    local_id: fqdn:{gwid}
    remote_id: any
    auth: psk
    psk: "{psk}"
    ike: [aes256gcm16-prfsha256-ecp256]
    esp: [aes256gcm16]
    local_ts: [10.1.0.0/24]
    remote_ts: [10.2.0.0/16]
    dpd: 30s
"""

EVIL_CONF = netlab.swanctl_template(
    "evil", [("version", 2), ("local_addrs", "{addr}"), ("remote_addrs", "{gw}"),
             ("proposals", "aes256gcm16-prfsha256-ecp256")],
    PSK_ROUND + [("id", "evil.rampart.test")], PSK_ROUND + [("id", "{gwid}")],
    [(name, [("local_ts", ts), ("remote_ts", "10.1.0.0/24"), ("esp_proposals", "aes256gcm16"),
             ("start_action", "none")]) for name, ts in (("same", "10.2.0.0/24"),
                                                         ("inner", "10.2.0.0/25"))],
    [("ike-evil", [("secret", '"{psk}"')])])

EVIL_SRC = "10.2.0.77"      # inside the site's subnet: the other peer's source


def write_conf(r):
    write_private(r.conf, e2e_yaml(r.sock, conns=SITES_CONN.format(gwid=GW_ID, psk=PSK)))


def lan_counter():
    """Packets from EVIL_SRC that reached the LAN host."""
    _, out = sh(["nft", "list", "chain", "ip", "e2eroutes", "in"], ns=N("lan"), check=False)
    import re
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else -1


def stat(r, name):
    rc, j = r.ctl("stats")
    return (j.get("control") or {}).get(name) if rc == 0 and isinstance(j, dict) else None


def site_child(r):
    return [c for c in r.children() if c.get("conn") == "sites"]


def case_takeover(args, net, r, res):
    net.base()
    net.site()
    evil_ns, evil_addr = net.client_ns(1)
    write_conf(r)
    if not res.check(r.start(), "rampartd starts with one connection for any site"):
        return
    for cmd in (["add", "table", "ip", "e2eroutes"],
                ["add", "chain", "ip", "e2eroutes", "in", "{ type filter hook input priority 0 ; }"],
                ["add", "rule", "ip", "e2eroutes", "in", "ip", "saddr", EVIL_SRC, "counter"]):
        sh(["nft"] + cmd, ns=N("lan"))
    site = site_up(net, res, "the site (site.rampart.test, 10.2.0.0/24) connects")
    if site is None:
        return
    ok, detail = ping_ok(N("lan"), SITE_HOST)
    res.check(ok, "LAN host pings site host 10.2.0.2 through the site's tunnel", detail)
    site0 = site_child(r)
    ike_site = site0[0].get("ike_sa_id") if site0 else None

    evil = Charon(net, evil_ns, "evil", evil_addr)
    evil.write(EVIL_CONF.format(addr=evil_addr, gw=GW_PUB, gwid=GW_ID, psk=PSK))
    evil.start()
    res.check(evil.wait_ready() and evil.load()[0] == 0, "second peer (evil.rampart.test) loads")
    sh(["ip", "addr", "add", EVIL_SRC + "/32", "dev", "lo"], ns=evil_ns)
    for child, what, n_ref in (("same", "the same subnet 10.2.0.0/24 (in IKE_AUTH)", 1),
                               ("inner", "a more specific 10.2.0.0/25 (CREATE_CHILD_SA)", 2)):
        evil.initiate(child, 30)
        refused = wait_for(lambda: (stat(r, "route_refused") or 0) >= n_ref, 10)
        res.check(bool(refused), "a peer of another identity proposing %s is refused (counted)"
                  % what, "route_refused %s" % stat(r, "route_refused"))
        time.sleep(1.5)     # the Delete reaches the peer
        chs = r.children()
        res.check(all(c.get("ike_sa_id") == ike_site for c in chs) and len(chs) == 1,
                  "only the site's child SA is installed",
                  ", ".join("%s/%s" % (c.get("id"), c.get("ike_sa_id")) for c in chs))
        gone = wait_for(lambda: "INSTALLED" not in evil.list_sas(), 15, step=0.5)
        if not res.check(bool(gone), "the refused child was deleted towards the peer",
                         "" if gone else evil.list_sas()[-1500:]):
            # what charon made of the Delete (a rare failure, docs/security/sa.md)
            log("charon (evil) INFORMATIONAL/DELETE lines:\n" + "\n".join(
                line for line in evil.log_text().splitlines()
                if re.search(r"INFORMATIONAL|DELETE|CHILD_SA|CREATE_CHILD", line))[-4000:])
        ok, detail = ping_ok(N("lan"), SITE_HOST)
        res.check(ok, "the site keeps its traffic (LAN host -> 10.2.0.2)", detail)
        t, rcv = ping(evil_ns, LAN_HOST, 3, wait=1)
        sh(["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "-I", EVIL_SRC, LAN_HOST],
           ns=evil_ns, check=False, timeout=15)
        res.check(lan_counter() == 0,
                  "nothing from the other peer with a source of the site's reaches the LAN",
                  "%d packets from %s at the LAN host" % (lan_counter(), EVIL_SRC))
    res.check("is routed to another peer" in r.log_text(), "rampartd logged the refusals")
    # the owner itself may rekey and reauthenticate
    cid = site0[0]["id"] if site0 else None
    if cid is not None:
        rc, _ = r.ctl("rekey", "--child", str(cid))
        ok = wait_for(lambda: any(c["id"] != cid for c in site_child(r)), 20)
        time.sleep(1)
        pok, detail = ping_ok(N("lan"), SITE_HOST)
        res.check(rc == 0 and bool(ok) and pok,
                  "the site's own child rekey is allowed, traffic continues", detail)
    before = stat(r, "route_refused")
    rc, out = site.swanctl(["--rekey", "--ike", "s2s", "--reauth"], 30)
    ok = wait_for(lambda: len([s for s in r.sas() if s.get("conn") == "sites"]) >= 1 and
                  any(c.get("ike_sa_id") != ike_site for c in site_child(r)), 30)
    # strongSwan reauthenticates break-before-make: wait for the new tunnel
    wait_for(lambda: ping(N("lan"), SITE_HOST, 1, wait=1)[1] == 1, 15)
    pok, detail = ping_ok(N("lan"), SITE_HOST)
    res.check(rc == 0 and bool(ok) and pok and stat(r, "route_refused") == before,
              "the site's reauthentication (same identity, new IKE SA) is allowed",
              "rc %d, new IKE SA %s, %s, refused %s -> %s"
              % (rc, bool(ok), detail, before, stat(r, "route_refused")))


CASES = {"route-takeover": case_takeover}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
