#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""AES-CBC + HMAC-SHA2 child SAs against strongSwan clients (root).

    e2e_cbc.py CASE --rampartd PATH --rampartctl PATH

CASE:
  esp-cbc  two strongSwan clients (kernel ESP as the independent peer), one
           with aes128-sha256 and one with aes256-sha384 child SAs (IKE stays
           AES-GCM); the gateway offers these after its GCM proposals. Each
           client pings the LAN host, the LAN host pings each virtual IP, and
           a burst of 200 pings (ESP bursts through lib/esp's CBC pass) must
           all come back; rampartctl must show the CBC algorithms and traffic
           both ways with no drops on every child SA.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import N, LAN_HOST, Result, args_common, parallel  # noqa: E402
from e2e import cli_main, ping, start_clients  # noqa: E402

GW_ESP = "esp: [aes256gcm16, aes128gcm16]"
GW_ESP_CBC = "esp: [aes256gcm16, aes128gcm16, aes128-sha256, aes256-sha384]"
CLIENTS = [("aes128-sha256", "aes128", "sha256"), ("aes256-sha384", "aes256", "sha384")]



def case_esp_cbc(args, net, r, res):
    net.base()
    r.write_conf()
    with open(r.conf) as f:
        text = f.read()
    res.check(GW_ESP in text, "gateway config has the ESP proposal line to extend")
    with open(r.conf, "w") as f:
        f.write(text.replace(GW_ESP, GW_ESP_CBC))
    if not res.check(r.start(), "rampartd starts on two af_packet ports"):
        return
    chs = []
    for i, (esp, _, _) in enumerate(CLIENTS, 1):
        ns, addr = net.client_ns(i)
        c, ok = start_clients(net, r, [(ns, addr, "c%d" % i, "c%d@rampart.test" % i)], esp=esp)
        res.check(all(ok), "strongSwan client with ESP %s establishes its tunnel" % esp)
        chs += c
    vips = parallel([c.vip for c in chs])
    res.check(all(vips) and len(set(vips)) == len(chs), "every client got a virtual IP",
              str(vips))
    children = r.children()
    encs = sorted(str(c.get("enc", "")) for c in children)
    res.check(encs == sorted(enc for _, enc, _ in CLIENTS),
              "rampartctl shows one AES-CBC child SA per client (aes128, aes256)",
              " ".join(encs))
    for c, (esp, _, _) in zip(chs, CLIENTS):
        t, rcv = ping(c.ns, LAN_HOST, 5)
        res.check(t == 5 and rcv == 5, "%s client pings the LAN host 5 times" % esp,
                  "%d/%d" % (rcv, t))
    for v, (esp, _, _) in zip(vips, CLIENTS):
        t, rcv = ping(N("lan"), v or "0.0.0.0", 5)
        res.check(t == 5 and rcv == 5, "the LAN host pings the %s client 5 times" % esp,
                  "%d/%d" % (rcv, t))
    for c, (esp, _, _) in zip(chs, CLIENTS):
        t, rcv = ping(c.ns, LAN_HOST, 200, interval="0.005", wait=3, timeout=90)
        res.check(t == 200 and rcv == 200, "%s: 200 pings at 200/s all come back" % esp,
                  "%d/%d" % (rcv, t))
    children = r.children()
    busy = [c for c in children if c.get("pkts_in", 0) >= 210 and c.get("pkts_out", 0) >= 210
            and c.get("drops", 1) == 0]
    res.check(len(children) == len(CLIENTS) and len(busy) == len(CLIENTS),
              "every CBC child SA counted the traffic both ways, no drops",
              " ".join("in %s out %s drops %s" % (c.get("pkts_in"), c.get("pkts_out"),
                                                  c.get("drops")) for c in children))


CASES = {"esp-cbc": case_esp_cbc}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
