#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartctl client-profile against a running rampartd and strongSwan (root).

    e2e_profile.py client-profile --rampartd PATH --rampartctl PATH

rampartd runs e2e_lib's configuration with its connection's proposal lists
reordered so that the first IKE proposal uses curve25519 (which macOS/iOS
take and Windows cannot): the generator must pick per OS. Checks:
  - `rampartctl --json conn-info ra` has the proposals, the identity and the
    auth method, and not the PSK;
  - the Linux profile (NetworkManager keyfile, read with configparser) and the
    macOS profile (plist, read with plistlib; its Apple algorithm names mapped
    back to strongSwan keywords by tests/unit/profile_check.py's table) each
    drive a strongSwan client whose IKE and ESP proposals are exactly the
    profile's: it establishes against rampartd and pings the LAN host, so
    rampartd accepts what the profile makes the client send;
  - Windows and Android are refused for this PSK connection, with a reason.
"""

import configparser
import os
import plistlib
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import LAN_HOST, PSK, Charon, N, args_common, log, sh  # noqa: E402
from e2e import cli_main, ping  # noqa: E402
from e2e_hostile import start_gw_edited  # noqa: E402
# Apple's algorithm names -> strongSwan keywords: profile_check.py's table
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "unit"))
from profile_check import APPLE_DH, APPLE_ENC, APPLE_INTEG  # noqa: E402


def apple_to_strongswan(i):
    s = i["IKESecurityAssociationParameters"]
    enc = APPLE_ENC[s["EncryptionAlgorithm"]]
    h = APPLE_INTEG[s["IntegrityAlgorithm"]]
    ike = "-".join([enc, ("prf" + h) if "gcm" in enc else h, APPLE_DH[s["DiffieHellmanGroup"]]])
    c = i["ChildSecurityAssociationParameters"]
    enc = APPLE_ENC[c["EncryptionAlgorithm"]]
    esp = [enc] if "gcm" in enc else [enc, APPLE_INTEG[c["IntegrityAlgorithm"]]]
    if i.get("EnablePFS") == 1:
        esp.append(APPLE_DH[c["DiffieHellmanGroup"]])
    return ike, "-".join(esp)


def connect(net, r, res, i, ike, esp, what):
    ns, addr = net.client_ns(i)
    c = Charon(net, ns, "p%d" % i, addr)
    c.client_conf("p%d@rampart.test" % i, ike=ike, esp=esp)
    c.start()
    if not res.check(c.wait_ready(), "%s: charon starts" % what):
        return
    c.load()
    rc, out = c.initiate("ra", 90)
    if not res.check(rc == 0, "%s: strongSwan with exactly the profile's proposals (IKE %s, "
                     "ESP %s) establishes" % (what, ike, esp), out[-300:]):
        print(c.log_text()[-2000:])
        return
    sas = c.list_sas()
    m = re.search(r"established|ESTABLISHED", sas)
    res.check(m is not None, "%s: IKE SA listed" % what)
    t, rcv = ping(ns, LAN_HOST, 3)
    res.check(rcv == 3, "%s: ping through the tunnel" % what, "%d/%d" % (rcv, t))
    c.swanctl(["--terminate", "--ike", "ra"], 20)


def case_profile(args, net, r, res):
    ike = "ike: [aes256gcm16-prfsha256-ecp256, aes128gcm16-prfsha256-x25519]"
    esp = "esp: [aes256gcm16, aes128gcm16]"
    if not start_gw_edited(net, r, res, [
            (ike, "ike: [aes128gcm16-prfsha256-x25519, aes256gcm16-prfsha384-ecp384, "
                  "aes256gcm16-prfsha256-ecp256]"),
            (esp, "esp: [aes256gcm16-esn, aes128gcm16, aes256gcm16]")], "proposals reordered"):
        return
    rc, info = r.ctl("conn-info", "ra")
    if not res.check(rc == 0 and isinstance(info, dict), "conn-info ra answers", str(info)[:300]):
        return
    res.check(info.get("ike", [None])[0] == "aes128gcm16-prfsha256-x25519" and
              info.get("remote_auth") == "psk" and
              info.get("local_id", {}).get("value") == "gw.rampart.test",
              "conn-info: proposals, auth method, gateway identity", str(info)[:400])
    _, raw = sh([r.ctl_bin, "-s", r.sock, "--json", "conn-info", "ra"], check=False)
    res.check(PSK not in raw, "conn-info never carries the PSK")
    base = [r.ctl_bin, "-s", r.sock, "client-profile", "ra", "--server", "192.0.2.1"]
    # Linux: NetworkManager keyfile -> its ike/esp straight into strongSwan
    rc, out = sh(base + ["--os", "linux", "--user", "p1@rampart.test"], check=False)
    if res.check(rc == 0, "linux profile generated"):
        cp = configparser.ConfigParser(interpolation=None)
        cp.read_string(out)
        v = cp["vpn"]
        res.check(v["method"] == "psk" and v["address"] == "192.0.2.1" and
                  v["remote-identity"] == "gw.rampart.test",
                  "linux: method psk, address, remote identity", dict(v).__repr__()[:300])
        # the ESN-only first ESP proposal is skipped (clients here do no ESN)
        res.check(v["esp"] == "aes128gcm16", "linux: the first ESP proposal without ESN-only",
                  v["esp"])
        connect(net, r, res, 1, v["ike"], v["esp"], "linux profile")
    # macOS: plist -> Apple names -> strongSwan keywords (this script's table)
    rc, out = sh(base + ["--os", "macos", "--user", "p2@rampart.test"], check=False)
    if res.check(rc == 0, "macos profile generated"):
        pl = plistlib.loads(out.encode())
        vpn = [p for p in pl["PayloadContent"] if p["PayloadType"] == "com.apple.vpn.managed"][0]
        i = vpn["IKEv2"]
        res.check(i["AuthenticationMethod"] == "SharedSecret" and
                  i["SharedSecret"] == "REPLACE-WITH-PSK",
                  "macos: SharedSecret with a placeholder, not the PSK")
        ike, esp = apple_to_strongswan(i)
        res.check(ike == "aes128gcm16-prfsha256-curve25519",
                  "macos: curve25519 (group 31) kept, the connection's first choice", ike)
        connect(net, r, res, 2, ike, esp, "macos profile")
    for os_ in ("windows", "android"):
        rc, out = sh(base + ["--os", os_], check=False)
        res.check(rc != 0 and "PSK" in out, "%s refused for a PSK connection, with the reason"
                  % os_, out.strip()[-200:])


CASES = {"client-profile": case_profile}


if __name__ == "__main__":
    log("%s" % " ".join(sys.argv[1:2]))
    sys.exit(cli_main(CASES))
