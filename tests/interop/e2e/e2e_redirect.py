#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""REDIRECT (RFC 5685) between two rampartd instances, against strongSwan (root).

    e2e_redirect.py redirect --rampartd PATH --rampartctl PATH

    e2e-c1 (charon, 192.0.2.11) --+-- br0 (e2e-sw) --+-- e2e-gw  rampartd #1 192.0.2.1
                                                     +-- e2e-gw2 rampartd #2 192.0.2.2
    each gateway has its own LAN namespace (lan, lan2): 10.1.0.1 <-> host 10.1.0.2

Gateway #1 is configured with redirect: {to: 192.0.2.2}. A strongSwan client
(charon announces REDIRECT_SUPPORTED by default) connects to 192.0.2.1, is
redirected during IKE_SA_INIT, ends up established with #2 (virtual IP from
#2's pool 10.98.0.0/24), and pings #2's LAN host through #2. #1 holds no
SA. Then `rampartctl redirect --all 192.0.2.1` on #2 moves the established
client back to #1 (the client arrives with REDIRECTED_FROM, which #1 serves
rather than redirecting again) and traffic flows through #1.
"""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (N, GW_PUB, LAN_HOST, e2e_yaml,  # noqa: E402
                     Charon, Rampartd, Result, args_common, log, wait_for, write_private)
from e2e import cli_main, ping_ok  # noqa: E402

GW2_PUB = "192.0.2.2"
POOL1, POOL2 = "10.99.0.0/24", "10.98.0.0/24"


def gw2_net(net):
    """e2e-gw2 on the public bridge (af_packet on its own veth pair) and its
    own LAN namespace lan2 with host 10.1.0.2. Interface names are the same
    as #1's: they live in another namespace."""
    net.gateway(N("gw2"), N("lan2"), "e2e-pub2s", "e2e-lan2h", (POOL2,))


def conf_text(r, pub, pool, extra=""):
    return e2e_yaml(r.sock, pool=pool, extra=extra, pub=pub)


def stat(r, name):
    rc, j = r.ctl("stats")
    return (j.get("ike") or {}).get(name) if rc == 0 and isinstance(j, dict) else None


def child_packets(r):
    """Inbound + outbound packets over the child SAs of r."""
    return sum(int(c.get("pkts_in") or 0) + int(c.get("pkts_out") or 0) for c in r.children())


def peer_of(c):
    """The remote address of charon's established IKE SA, or None."""
    m = re.search(r"ESTABLISHED.*\n\s+local\s.*\n\s+remote\s+'[^']*' @ (\S+)\[", c.list_sas())
    return m.group(1) if m else None


def two_gateways(args, net, r1, at):
    """Gateway #1 (r1) redirects to #2 (a second rampartd in gw2) with the
    redirect options @at; both configs written, client 1's namespace made:
    (client namespace, client address, r2)."""
    net.base()
    gw2_net(net)
    cns, caddr = net.client_ns(1)
    r2 = Rampartd(net, None, args.rampartd, args.rampartctl, r1.prefix + "-2")
    r2.ns = N("gw2")
    r2.sock = os.path.join(net.dir, "rampart2.sock")
    r2.conf = os.path.join(net.dir, "rampart2.yaml")
    r2.logf = os.path.join(net.dir, "rampartd2.log")
    write_private(r1.conf, conf_text(r1, GW_PUB, POOL1,
                                     "    redirect: {to: %s%s}\n" % (GW2_PUB, at)))
    write_private(r2.conf, conf_text(r2, GW2_PUB, POOL2))
    return cns, caddr, r2


def case_redirect(args, net, r1, res):
    cns, caddr, r2 = two_gateways(args, net, r1, "")
    try:
        up1, up2 = r1.start(), r2.start()
        if not res.check(up1 and up2, "two rampartd instances start (192.0.2.1, 192.0.2.2)",
                         "" if up2 else "\n".join(r2.log_text().splitlines()[-20:])):
            return
        c = Charon(net, cns, "c1", caddr)
        c.client_conf("c1.rampart.test")
        c.start()
        res.check(c.wait_ready() and c.load()[0] == 0, "strongSwan client loads")
        rc, out = c.initiate("ra", 60)
        res.check(rc == 0, "the client connecting to 192.0.2.1 comes up",
                  out.strip().splitlines()[-1] if rc and out.strip() else "")
        clog = c.log_text()
        res.check(re.search(r"redirect", clog, re.I) is not None and
                  GW2_PUB in clog, "charon was redirected to 192.0.2.2",
                  "\n".join(ln for ln in clog.splitlines() if "edirect" in ln)[-600:])
        res.check(peer_of(c) == GW2_PUB, "the client's IKE SA is with the second gateway",
                  "peer %s" % peer_of(c))
        sas1 = r1.sas()
        sas2 = r2.sas()
        res.check(len(sas1) == 0, "the first gateway holds no IKE SA", "%d SAs" % len(sas1))
        res.check(len(sas2) == 1, "the second gateway holds the client's IKE SA",
                  "%d SAs" % len(sas2))
        res.check(stat(r1, "redirects") == 1, "redirects_total is 1 on the first gateway",
                  "redirects %s" % stat(r1, "redirects"))
        m = re.search(r"\[(10\.98\.\d+\.\d+)\]", c.list_sas())
        res.check(m is not None, "the virtual IP comes from the second gateway's pool 10.98.0.0/24",
                  c.list_sas()[-400:] if m is None else m.group(1))
        ok, detail = ping_ok(cns, LAN_HOST)
        res.check(ok, "client pings the second gateway's LAN host 10.1.0.2 through the tunnel",
                  detail)
        n2 = child_packets(r2)
        res.check(n2 > 0, "the second gateway's child SA carried the pings",
                  "%d packets" % n2)
        if not sas2:
            return
        # established SA: send it back to #1 with the control command
        rc, j = r2.ctl("redirect", "--all", GW_PUB)
        res.check(rc == 0 and isinstance(j, dict) and j.get("redirected") == 1,
                  "rampartctl redirect --all 192.0.2.1 on the second gateway: 1 SA", str(j))
        moved = wait_for(lambda: peer_of(c) == GW_PUB and len(r1.sas()) == 1, 40, step=0.5)
        res.check(bool(moved), "the established client moved to the first gateway "
                  "(REDIRECTED_FROM is served, not redirected again)",
                  "peer %s, #1 SAs %d, #2 SAs %d" % (peer_of(c), len(r1.sas()), len(r2.sas())))
        gone = wait_for(lambda: len(r2.sas()) == 0, 30, step=0.5)
        res.check(bool(gone), "the old IKE SA at the second gateway is deleted",
                  "%d SAs" % len(r2.sas()))
        ok, detail = ping_ok(cns, LAN_HOST)
        res.check(ok and child_packets(r1) > 0,
                  "client pings 10.1.0.2 through the first gateway now",
                  "%s, %d packets on #1" % (detail, child_packets(r1)))
        res.check(stat(r1, "redirects") == 1, "the first gateway did not redirect it again",
                  "redirects %s" % stat(r1, "redirects"))
        rc, j = r2.ctl("redirect", "--all", "not a host")
        res.check(rc != 0, "a bad target is refused with an error", str(j))
        if res.fails:
            log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
    finally:
        ok2 = r2.stop()
        res.check(ok2, "the second rampartd exits 0 on SIGTERM")
        if not ok2:
            print("\n".join(r2.log_text().splitlines()[-30:]))
        r2.cleanup()


def case_redirect_auth(args, net, r1, res):
    """RFC 5685 6: #1 (redirect: {to: 192.0.2.2, at: auth}) answers
    IKE_SA_INIT normally, authenticates the client, and answers IKE_AUTH with
    REDIRECT (GW identity only) instead of a child SA. Checked: strongSwan
    accepts the response (authenticates #1, parses N(REDIR), logs "redirected
    to 192.0.2.2" and starts an IKE_SA_INIT towards #2), #1 installed no child
    SA and leased no address, and #1 removes the SA (charon's delete, or the
    30 s grace). strongSwan 5.9.8 (Debian 12) then aborts with "double free"
    in charon while re-initiating (FINDINGS.md F7), so traffic through #2
    after an IKE_AUTH redirect is not checked here; the IKE_SA_INIT redirect
    case (redirect) covers the second gateway."""
    cns, caddr, r2 = two_gateways(args, net, r1, ", at: auth")
    try:
        up1, up2 = r1.start(), r2.start()
        if not res.check(up1 and up2, "two rampartd instances start (192.0.2.1, 192.0.2.2)"):
            return
        c = Charon(net, cns, "c1", caddr)
        c.client_conf("c1.rampart.test")
        c.start()
        res.check(c.wait_ready() and c.load()[0] == 0, "strongSwan client loads")
        c.initiate("ra", 30)
        wait_for(lambda: "initiating IKE_SA ra[1] to %s" % GW2_PUB in c.log_text(), 20)
        clog = c.log_text()
        log1 = r1.log_text()
        res.check(re.search(r"parsed IKE_AUTH response 1 \[ IDr AUTH N\(REDIR\) \]", clog)
                  is not None, "IKE_AUTH response: IDr, AUTH and REDIRECT only (charon's parse)")
        res.check("authentication of 'gw.rampart.test' with pre-shared key successful" in clog,
                  "charon authenticated the first gateway before being redirected")
        res.check("redirected to %s" % GW2_PUB in clog and
                  "initiating IKE_SA ra[1] to %s" % GW2_PUB in clog,
                  "charon accepted the REDIRECT and initiated towards 192.0.2.2")
        res.check("IKE_AUTH: authenticated, redirected to %s" % GW2_PUB in log1,
                  "the first gateway authenticated the client, then redirected it in IKE_AUTH")
        res.check(re.search(r"IKE_SA_INIT on conn \S+ redirected", log1) is None and
                  "parsed IKE_SA_INIT response 0 [ SA KE No" in clog,
                  "IKE_SA_INIT was answered normally (no REDIRECT there)")
        res.check(stat(r1, "redirects") == 1, "redirects_total is 1 on the first gateway",
                  "redirects %s" % stat(r1, "redirects"))
        res.check("child_up" not in log1 and "leased" not in log1,
                  "the first gateway installed no child SA and leased no address")
        gone = wait_for(lambda: len(r1.sas()) == 0, 45, step=0.5)
        res.check(bool(gone), "the first gateway's IKE SA is removed (client delete or the "
                  "30 s grace)", "%d SAs" % len(r1.sas()))
        if res.fails:
            log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
    finally:
        ok2 = r2.stop()
        res.check(ok2, "the second rampartd exits 0 on SIGTERM")
        r2.cleanup()


CASES = {"redirect": case_redirect, "redirect-auth": case_redirect_auth}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
