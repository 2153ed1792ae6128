#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/pktgen_recipe.py: pcap files and a Lua script for pktgen-dpdk, for
operators who load a Rampart gateway from a second server with NICs.

    pktgen_recipe.py --loadgen build/perf/loadgen --conf rampart.yaml --sa NAME \\
        --gw-lan-mac MAC --gw-wan-mac MAC --host IPV4 --out DIR \\
        [--size 64] [--flows 64] [--packets 4096] [--rate 100] [--seconds 30]

The gateway carries a manual SA (conf manual_sas, named by --sa); pktgen's
port 0 is cabled to the gateway's LAN port and port 1 to its WAN port. The
recipe writes, into DIR:
  lan.pcap     cleartext UDP from --host to the SA's remote_ts (--flows
               destinations), --size-byte frames: pktgen replays it on port 0
               and the gateway encrypts it (encap);
  wan.pcap     the same flows the other way as ESP under the SA's spi_in and
               key_in, sequence numbers 1..--packets: replayed on port 1 and
               decrypted by the gateway (decap);
  rampart.lua  a pktgen script: both ports at --rate percent for --seconds,
               then what each port sent and received;
and prints the pktgen command line. The frames come from perf/loadgen
(--count with net_pcap ports), so they are the packets loadgen sends on veth.

pktgen loops a pcap: the same ESP sequence numbers come again, so the SA's
replay_window must be 0 on the gateway (anti-replay off) for the decap
direction; the recipe warns otherwise. Keys stay in the config: the recipe
never prints them (wan.pcap holds ciphertext only).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

LUA = """-- Rampart load recipe for pktgen-dpdk (written by perf/pktgen_recipe.py)
-- port 0 -> gateway LAN port: replays lan.pcap (cleartext, the gateway encrypts)
-- port 1 -> gateway WAN port: replays wan.pcap (ESP spi {spi_in:#010x}, the gateway decrypts)
-- {packets} packets per file, {size}-byte cleartext frames, {flows} flows.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local seconds = {seconds}
local rate = {rate}

pktgen.screen("off")
pktgen.clr()
pktgen.set("all", "rate", rate)
pktgen.start("all")
pktgen.delay(seconds * 1000)
pktgen.stop("all")
pktgen.delay(1000)
local st = pktgen.portStats("all", "port")
printf("encap: port 0 sent %d cleartext, port 1 received %d ESP\\n",
       st[0].opackets, st[1].ipackets)
printf("decap: port 1 sent %d ESP, port 0 received %d cleartext\\n",
       st[1].opackets, st[0].ipackets)
"""


def empty_pcap(path):
    """A pcap with its header only (net_pcap wants an rx_pcap per port)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))


def sa_entry(conf, sa):
    """The manual_sas entry @sa of the config as a dict ({} if unreadable)."""
    try:
        import yaml
        with open(conf) as f:
            c = yaml.safe_load(f)
        for m in c.get("manual_sas") or []:
            if m.get("name") == sa:
                return m
    except (OSError, ValueError, ImportError, AttributeError):
        pass
    return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loadgen", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                      "perf", "loadgen"))
    ap.add_argument("--conf", required=True)
    ap.add_argument("--sa", required=True)
    ap.add_argument("--gw-lan-mac", required=True)
    ap.add_argument("--gw-wan-mac", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--packets", type=int, default=4096)
    ap.add_argument("--rate", type=float, default=100.0, help="percent of line rate")
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()
    if not 0 < a.rate <= 100 or a.seconds <= 0 or a.packets <= 0:
        print("pktgen_recipe: --rate wants 0 < PCT <= 100, --seconds and --packets > 0",
              file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    for n in ("lan.pcap", "wan.pcap"):
        if os.path.exists(os.path.join(out, n)):
            os.unlink(os.path.join(out, n))
    rx0, rx1 = os.path.join(out, ".rx0.pcap"), os.path.join(out, ".rx1.pcap")
    empty_pcap(rx0)
    empty_pcap(rx1)
    prefix = "pktgen-recipe-%d" % os.getpid()
    cmd = [a.loadgen, "--no-huge", "-m", "256", "--no-pci", "-l", "0", "--file-prefix", prefix,
           "--log-level", "lib.eal:warning",
           "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (rx0, os.path.join(out, "lan.pcap")),
           "--vdev", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (rx1, os.path.join(out, "wan.pcap")),
           "--", "--conf", a.conf, "--sa", a.sa, "--gw-lan-mac", a.gw_lan_mac,
           "--gw-wan-mac", a.gw_wan_mac, "--host", a.host, "--size", str(a.size),
           "--flows", str(a.flows), "--rate", "0", "--count", str(a.packets),
           "--duration", "600", "--drain-ms", "0", "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    for f in (rx0, rx1):
        os.unlink(f)
    rep = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            rep = json.loads(line)
    if p.returncode != 0 or rep is None:
        print("pktgen_recipe: loadgen failed (status %d):\n%s%s" % (p.returncode, p.stdout[-1500:],
                                                                   p.stderr[-1500:]),
              file=sys.stderr)
        return 1
    sent = (rep["encap"]["sent"], rep["decap"]["sent"])
    if sent != (a.packets, a.packets):
        print("pktgen_recipe: loadgen wrote %d and %d packets, wanted %d each" %
              (sent[0], sent[1], a.packets), file=sys.stderr)
        return 1
    m = sa_entry(a.conf, a.sa)
    try:
        spi_in = int(str(m.get("spi_in", 0)), 0)
        rw = int(str(m.get("replay_window", 1024)), 0)
    except ValueError:
        spi_in, rw = 0, None
    with open(os.path.join(out, "rampart.lua"), "w") as f:
        f.write(LUA.format(spi_in=spi_in, packets=a.packets, size=a.size, flows=a.flows,
                           seconds=a.seconds, rate=a.rate))
    print("pktgen_recipe: %s/lan.pcap and %s/wan.pcap: %d packets each (%d-byte cleartext "
          "frames, %d flows); %s/rampart.lua" % (out, out, a.packets, a.size, a.flows, out))
    print("run on the load server (ports 0 and 1 cabled to the gateway's LAN and WAN ports):")
    print("  pktgen -l 0-2 -n 4 -a PCI_OF_PORT0 -a PCI_OF_PORT1 -- -P -m \"[1].0,[2].1\" "
          "-s 0:%s/lan.pcap -s 1:%s/wan.pcap -f %s/rampart.lua" % (out, out, out))
    if rw != 0:
        print("pktgen_recipe: WARNING: manual SA '%s' has replay_window %s: pktgen loops "
              "wan.pcap, so its sequence numbers repeat and the gateway drops them as replays "
              "after the first pass; set replay_window: 0 on the gateway for decap runs"
              % (a.sa, rw if rw is not None else "(unreadable)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
