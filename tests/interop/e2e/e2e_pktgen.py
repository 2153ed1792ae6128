#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e pktgen-recipe: perf/pktgen_recipe.py's files fed to rampartd (root).

    e2e_pktgen.py pktgen-recipe --rampartd PATH --rampartctl PATH --loadgen PATH

pktgen-dpdk is not in Debian, so its recipe is checked by everything around
it: the recipe writes lan.pcap and wan.pcap (through perf/loadgen) for a
manual SA of a rampartd config whose two ports are net_pcap devices reading
exactly those files, and rampartd then replays them once at start:
  - scapy decrypts wan.pcap with key_in: ESP with spi_in, sequence numbers
    1..N, inner UDP from the SA's remote_ts to the host;
  - rampartd decapsulates every wan.pcap packet onto its LAN port and
    encrypts every lan.pcap packet onto its WAN port, which scapy decrypts
    with key_out (so the recipe's frames are what the gateway accepts);
  - luac accepts rampart.lua; the recipe prints the pktgen command line and
    warns when the SA's anti-replay would drop looped ESP; no key is printed.
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, UDP, Ether, rdpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import arg_parser, Result, manual_conf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(HERE, "..", "..", "..", "perf", "pktgen_recipe.py")
GW_MAC_WAN, GW_MAC_LAN = "02:70:63:61:70:00", "02:70:63:61:70:01"
PEER_MAC, HOST_MAC = "02:00:00:00:00:02", "02:00:00:00:01:02"
SPI_IN, SPI_OUT = 0x7101, 0x7102
KEY_IN = bytes(range(0x41, 0x51)) + b"\x01\x02\x03\x04"
KEY_OUT = bytes(range(0x61, 0x71)) + b"\x05\x06\x07\x08"
N, SIZE, FLOWS = 40, 128, 4
MAGIC_ENCAP, MAGIC_DECAP = 0x524c4765, 0x524c4764

def loadgen_payload(pkt, magic):
    """(seq) of a loadgen UDP packet with @magic, or None."""
    if UDP not in pkt:
        return None
    pl = bytes(pkt[UDP].payload)
    if len(pl) < 20 or struct.unpack("!I", pl[:4])[0] != magic:
        return None
    return struct.unpack("<Q", pl[4:12])[0]


def run(args, res, d):
    conf = os.path.join(d, "r.yaml")
    sock = os.path.join(d, "s.sock")

    def write_conf(rw):
        # two TX queues per port (control and worker), so two tx_pcap each
        manual_conf(conf, sock, "net_pcap1,rx_pcap={0}/wan.pcap,tx_pcap={0}/wan_out.pcap,"
                    "tx_pcap={0}/wan_out2.pcap".format(d), "net_pcap0,rx_pcap={0}/lan.pcap,"
                    "tx_pcap={0}/lan_out.pcap,tx_pcap={0}/lan_out2.pcap".format(d), PEER_MAC,
                    HOST_MAC, SPI_IN, SPI_OUT, KEY_IN, KEY_OUT, name="pktgen", rw=rw)
    write_conf(1024)
    base = [sys.executable, RECIPE, "--loadgen", args.loadgen, "--conf", conf, "--sa", "pktgen",
            "--gw-lan-mac", GW_MAC_LAN, "--gw-wan-mac", GW_MAC_WAN, "--host", "10.0.0.2",
            "--out", d, "--size", str(SIZE), "--flows", str(FLOWS), "--packets", str(N)]
    p = subprocess.run(base, capture_output=True, text=True, timeout=120)
    res.check(p.returncode == 0 and "WARNING" in p.stdout and "replay_window 1024" in p.stdout,
              "the recipe warns that anti-replay (replay_window 1024) drops looped ESP",
              (p.stdout + p.stderr)[-600:])
    write_conf(0)
    p = subprocess.run(base, capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    if not res.check(p.returncode == 0 and "WARNING" not in out and "pktgen -l" in out and
                     "-s 1:%s/wan.pcap" % d in out,
                     "the recipe writes its files and prints the pktgen command line",
                     out[-800:]):
        return
    res.check(KEY_IN.hex() not in out and KEY_OUT.hex() not in out and
              KEY_IN[:12].hex() not in out, "the recipe prints no key")
    lp = subprocess.run(["luac5.4", "-p", os.path.join(d, "rampart.lua")], capture_output=True,
                        text=True)
    res.check(lp.returncode == 0, "luac accepts rampart.lua", lp.stderr[-300:])

    # the recipe's ESP, decrypted by scapy with key_in
    sa_in = SecurityAssociation(ESP, spi=SPI_IN, crypt_algo="AES-GCM", crypt_key=KEY_IN)
    wan = [f for f in rdpcap(os.path.join(d, "wan.pcap"))]
    seqs, inner_ok = [], 0
    for f in wan:
        if ESP not in f or f[Ether].dst != GW_MAC_WAN:
            continue
        seqs.append(f[ESP].seq)
        try:
            i = sa_in.decrypt(f[IP])
        except Exception:  # noqa: BLE001 - scapy raises on a bad ICV
            continue
        ip = i[IP].payload if IP in i[IP].payload else None   # outer / inner
        if ip is not None and ip.src.startswith("10.1.0.") and ip.dst == "10.0.0.2" and \
                loadgen_payload(ip, MAGIC_DECAP) is not None:
            inner_ok += 1
    res.check(len(wan) == N and seqs == list(range(1, N + 1)) and inner_ok == N,
              "wan.pcap: %d ESP frames to the gateway, sequence numbers 1..%d, all decrypted "
              "by scapy to loadgen's UDP from remote_ts" % (N, N),
              "%d frames, seqs %s..., %d decrypted" % (len(wan), seqs[:5], inner_ok))
    lan = rdpcap(os.path.join(d, "lan.pcap"))
    res.check(len(lan) == N and all(f[Ether].dst == GW_MAC_LAN and len(f) == SIZE and
                                    loadgen_payload(f, MAGIC_ENCAP) is not None for f in lan),
              "lan.pcap: %d cleartext %d-byte frames to the gateway's LAN MAC" % (N, SIZE),
              "%d frames, first %r" % (len(lan), lan[0] if len(lan) else None))

    # rampartd replays both once
    logf = os.path.join(d, "rampartd.log")
    with open(logf, "w") as lf:
        rp = subprocess.Popen([args.rampartd, "-c", conf, "--", "--lcores", "0@0,1@1",
                               "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                               "e2e-pktgen-%d" % os.getpid()], stdout=lf,
                              stderr=subprocess.STDOUT)
        try:
            t0 = time.time()
            up = False
            while time.time() - t0 < 30 and rp.poll() is None and not up:
                up = subprocess.run([args.rampartctl, "-s", sock, "status"],
                                    capture_output=True).returncode == 0
                time.sleep(0.2)
            res.check(up, "rampartd starts on the recipe's pcaps")
            time.sleep(2.0)
        finally:
            if rp.poll() is None:
                rp.send_signal(signal.SIGTERM)
                rp.wait(timeout=60)
    # rampartd sends from two TX queues per port (control and worker)
    lan_out = [f for n in ("lan_out", "lan_out2") for f in rdpcap(os.path.join(d, n + ".pcap"))
               if IP in f]
    dec = sorted(x for x in (loadgen_payload(f, MAGIC_DECAP) for f in lan_out) if x is not None)
    res.check(dec == list(range(N)),
              "rampartd decapsulates all %d ESP packets of wan.pcap onto its LAN port" % N,
              "%d packets, seqs %s" % (len(dec), dec[:8]))
    sa_out = SecurityAssociation(ESP, spi=SPI_OUT, crypt_algo="AES-GCM", crypt_key=KEY_OUT)
    enc = []
    for f in [f for n in ("wan_out", "wan_out2") for f in rdpcap(os.path.join(d, n + ".pcap"))]:
        if ESP in f and f[ESP].spi == SPI_OUT:
            try:
                i = sa_out.decrypt(f[IP])
            except Exception:  # noqa: BLE001
                continue
            x = loadgen_payload(i[IP].payload, MAGIC_ENCAP) if IP in i[IP].payload else None
            if x is not None:
                enc.append(x)
    res.check(sorted(enc) == list(range(N)),
              "rampartd encrypts all %d packets of lan.pcap; scapy decrypts them (key_out)" % N,
              "%d packets, seqs %s" % (len(enc), sorted(enc)[:8]))


def main():
    ap = arg_parser(["pktgen-recipe"])
    ap.add_argument("--loadgen", required=True)
    args = ap.parse_args()
    res = Result("pktgen-recipe")
    d = tempfile.mkdtemp(prefix="e2e-pktgen-")
    os.chmod(d, 0o755)
    try:
        run(args, res, d)
    except Exception as e:  # a harness error counts as a failure
        import traceback
        traceback.print_exc()
        res.check(False, "harness error: %s" % e)
    finally:
        if res.fails and os.environ.get("KEEP") == "1":
            print("work directory kept: " + d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
