#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e loadgen: perf/loadgen against rampartd over veths, checked by scapy (root).

    e2e_loadgen.py loadgen --rampartd PATH --rampartctl PATH --loadgen PATH

rampartd carries one manual SA (aes128gcm16, anti-replay on) between its
LAN port and its WAN port; perf/loadgen owns the other end of both veths (a
namespace of its own, no kernel addresses: nothing but the two programs
talks there) and plays both neighbours at a fixed rate, encap and decap at
once, for a few seconds. Checks:
  - loadgen gets back (nearly) every packet it sent in both directions, none
    altered, with one-way latencies it can report;
  - scapy (an ESP implementation nobody here wrote) decrypts the ESP that
    loadgen sent (key_in) and the ESP that rampartd sent (key_out), captured
    on the wire by tshark, back to loadgen's UDP packets in sequence order;
  - loadgen refuses bad arguments and an unknown SA with an error and a
    non-zero status, and its output never holds a key.
"""
import json
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import arg_parser, N, Result, log, manual_conf, sh  # noqa: E402
from e2e import run_cli  # noqa: E402
import netlab  # noqa: E402

SPI_IN, SPI_OUT = 0x00005101, 0x00005102
KEY_IN = bytes(range(0x11, 0x21)) + b"\xa1\xa2\xa3\xa4"
KEY_OUT = bytes(range(0x31, 0x41)) + b"\xb1\xb2\xb3\xb4"
GW_WAN, PEER, HOST = "192.0.2.1", "192.0.2.2", "10.0.0.2"
RATE, SECONDS, SIZE, FLOWS = 1000, 3, 200, 8
MAX_LOSS = 0.01
MAGIC_ENCAP, MAGIC_DECAP = 0x524c4765, 0x524c4764

def mac_of(ns, dev):
    _, out = sh(["cat", "/sys/class/net/%s/address" % dev], ns=ns)
    return out.strip()


def loadgen_cmd(args, prefix, extra):
    return [args.loadgen, "--no-huge", "-m", "128", "--no-pci", "-l", "0",
            "--file-prefix", prefix, "--vdev", "net_af_packet0,iface=lg-lan",
            "--vdev", "net_af_packet1,iface=lg-wan", "--"] + extra


def scapy_check(pcap):
    """Decrypt the captured ESP both ways with scapy; return per-direction
    lists of loadgen sequence numbers found."""
    from scapy.all import rdpcap, IP, UDP
    from scapy.layers.ipsec import ESP, SecurityAssociation
    sa_in = SecurityAssociation(ESP, spi=SPI_IN, crypt_algo="AES-GCM", crypt_key=KEY_IN)
    sa_out = SecurityAssociation(ESP, spi=SPI_OUT, crypt_algo="AES-GCM", crypt_key=KEY_OUT)
    seqs = {"loadgen": [], "rampartd": []}
    errors = []
    for f in rdpcap(pcap):
        if IP not in f or ESP not in f:
            continue
        ip = f[IP]
        who, sa, magic = (("loadgen", sa_in, MAGIC_DECAP) if ip.src == PEER else
                          ("rampartd", sa_out, MAGIC_ENCAP))
        try:
            inner = sa.decrypt(IP(bytes(ip)))
        except Exception as e:  # noqa: BLE001 - scapy raises several kinds
            errors.append("%s: %s" % (who, e))
            continue
        # no tunnel_header given: scapy hands back outer IP / inner IP / UDP
        pl = bytes(inner[UDP].payload) if UDP in inner else b""
        if len(pl) < 20 or struct.unpack("!I", pl[:4])[0] != magic:
            errors.append("%s: inner payload is not loadgen's: %r" % (who, pl[:8]))
            continue
        seqs[who].append(struct.unpack("<Q", pl[4:12])[0])
    return seqs, errors


def case_loadgen(args, net, r, res):
    netlab.reap_stale(r"e2e(\d+)-")
    for ns in ("gw", "lg"):
        net.ns_add(N(ns))
    net.veth("e2e-pub", N("gw"), "lg-wan", N("lg"))
    net.veth("e2e-lan", N("gw"), "lg-lan", N("lg"))
    for ns, dev in ((N("gw"), "e2e-pub"), (N("gw"), "e2e-lan"), (N("lg"), "lg-wan"),
                    (N("lg"), "lg-lan")):
        netlab.dpdk_port(ns, dev)
    manual_conf(r.conf, r.sock, "net_af_packet0,iface=e2e-pub", "net_af_packet1,iface=e2e-lan",
                mac_of(N("lg"), "lg-wan"), mac_of(N("lg"), "lg-lan"), SPI_IN, SPI_OUT, KEY_IN,
                KEY_OUT, name="bench")
    if not res.check(r.start(), "rampartd starts with the manual SA"):
        return
    gw_lan, gw_wan = mac_of(N("gw"), "e2e-lan"), mac_of(N("gw"), "e2e-pub")
    prefix = "lg%d" % os.getpid()
    base = ["--conf", r.conf, "--sa", "bench", "--gw-lan-mac", gw_lan, "--gw-wan-mac", gw_wan,
            "--host", HOST]

    # refusals first (no traffic): unknown SA, bad size, missing option
    for what, extra, want in (
            ("an unknown SA", ["--sa", "nosuch"], "no IPv4 manual SA named 'nosuch'"),
            ("a frame size below its payload", ["--size", "40"], "--size wants"),
            ("a bad MAC", ["--gw-lan-mac", "zz"], "bad MAC address")):
        cmd = loadgen_cmd(args, prefix + "x", base + extra)
        rc, out = sh(cmd, ns=N("lg"), check=False, timeout=60)
        res.check(rc != 0 and want in out, "loadgen refuses %s" % what,
                  "status %d, output %r" % (rc, out[-300:]))

    # net_af_packet sends past the qdisc (qdisc_bypass), where packet
    # captures do not see it: capture each side's ESP where it arrives.
    caps = []
    for ns, dev in ((N("gw"), "e2e-pub"), (N("lg"), "lg-wan")):
        pcap = os.path.join(net.dir, dev + ".pcap")
        caps.append((pcap, net.spawn(["tshark", "-q", "-i", dev, "-f", "ip proto 50", "-c",
                                      "200", "-w", pcap], ns=ns,
                                     out=os.path.join(net.dir, dev + ".tshark"))))
    time.sleep(2)
    out_f = os.path.join(net.dir, "loadgen.out")
    cmd = loadgen_cmd(args, prefix, base + ["--rate", str(args.rate), "--duration",
                                            str(args.seconds), "--size", str(args.size),
                                            "--flows", str(FLOWS),
                                            "--drain-ms", "1000", "--json"])
    rc, out = sh(cmd, ns=N("lg"), check=False, timeout=args.seconds + 60)
    with open(out_f, "w") as f:
        f.write(out)
    rep = None
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                rep = json.loads(line)
            except ValueError:
                pass
    if not res.check(rc == 0 and rep is not None, "loadgen runs and reports JSON",
                     "status %d, output %r" % (rc, out[-500:])):
        return
    log("loadgen: %s" % json.dumps(rep))
    for d in ("encap", "decap"):
        s = rep.get(d, {})
        sent, got = s.get("sent", 0), s.get("received", 0)
        # the generator shares two cores with rampartd and everything else:
        # what it managed to send is reported, the loss is what is checked
        if args.rate == 0:          # flat out (by hand): report, do not judge the loss
            res.check(sent > 0 and got > 0 and s.get("bad", 1) == 0,
                      "%s: flat out, packets come back unaltered" % d,
                      "sent %s, received %s" % (sent, got))
            continue
        res.check(sent >= args.rate * args.seconds // 2 and got >= sent * (1 - MAX_LOSS) and
                  got <= sent and s.get("bad", 1) == 0,
                  "%s: loadgen gets back at least %d %% of what it sent at %d pps"
                  % (d, 100 - MAX_LOSS * 100, args.rate),
                  "sent %s, received %s, bad %s" % (sent, got, s.get("bad")))
        lat = s.get("lat_us", {})
        res.check(0 < lat.get("p50", -1) <= lat.get("p99", -1) <= lat.get("max", -1) < 1e6,
                  "%s: one-way latency percentiles are reported and ordered" % d, str(lat))
    res.check(KEY_IN.hex() not in out and KEY_OUT.hex() not in out,
              "loadgen's output holds no key")
    seqs = {"loadgen": [], "rampartd": []}
    errors = []
    for pcap, cap in caps:
        try:
            cap.wait(10)
        except subprocess.TimeoutExpired:
            cap.terminate()
            cap.wait(5)
        sq, err = scapy_check(pcap)
        for k in seqs:
            seqs[k] += sq[k]
        errors += err
    for who, d in (("loadgen", "decap"), ("rampartd", "encap")):
        s = seqs[who]
        # order holds per flow (loadgen's flow = seq % FLOWS): rampartd's LAN
        # port spreads flows over the control and worker RX queues, so
        # packets of different flows may pass each other
        last, back = {}, []
        for q in s:
            if q <= last.get(q % FLOWS, -1):
                back.append((last[q % FLOWS], q))
            last[q % FLOWS] = q
        res.check(len(s) >= 20 and not back and not errors,
                  "scapy decrypts the ESP %s sent (%s) to loadgen's packets, in order per flow"
                  % (who, d), "%d packets, first %s, out of order %s, errors %s"
                  % (len(s), s[:5], back[:5], errors[:3]))
    rc, j = r.ctl("list-manual")
    res.check(rc == 0 and "bench" in json.dumps(j), "rampartctl list-manual shows the SA",
              str(j)[:300])


CASES = {"loadgen": case_loadgen}


def main():
    ap = arg_parser()
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--build", default=None)
    ap.add_argument("--rate", type=int, default=RATE, help="pps per direction, 0 = flat out")
    ap.add_argument("--seconds", type=int, default=SECONDS)
    ap.add_argument("--size", type=int, default=SIZE)
    args = ap.parse_args()
    return run_cli(args, CASES, name="loadgen", tools=(args.loadgen,))


if __name__ == "__main__":
    sys.exit(main())
