#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartctl client-profile, checked with parsers nobody here wrote.

    profile_check.py RAMPARTCTL

For several connections (conn-info replies as rampartd writes them, given
with --from) and every OS:
  - the .mobileconfig parses with Python's plistlib and has the payload
    structure Apple documents (com.apple.vpn.managed, VPNType IKEv2, the
    IKEv2 dict with IKESecurityAssociationParameters and
    ChildSecurityAssociationParameters, the CA as com.apple.security.root
    whose DER parses as a certificate - OpenSSL's x509 command);
  - the .sswan parses with json; the .nmconnection with configparser;
  - the PowerShell names only values Microsoft documents for
    Set-VpnConnectionIPsecConfiguration's parameters;
  - the algorithms in each profile, mapped back to strongSwan proposal
    keywords by this script (its own table), form one IKE and one ESP
    proposal of the connection's own list (what rampartd accepts);
  - refusals: a PSK connection for Windows and Android, a connection whose
    only IKE group Windows lacks (curve25519), exit 1 with a reason;
  - no profile contains the PSK (rampartd never sends it; a placeholder).
"""

import base64
import configparser
import json
import os
import plistlib
import re
import subprocess
import sys
import tempfile

CTL = sys.argv[1]
FAIL = []


def check(cond, what):
    print("%s %s" % ("PASS" if cond else "FAIL", what))
    if not cond:
        FAIL.append(what)
    return cond


# a self-signed CA made at test time (openssl req), so the DER is real
def make_ca(d):
    key, crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=Rampart Test CA"], check=True, capture_output=True)
    with open(crt) as f:
        return f.read()


def conns(ca):
    base = {"gateway": "192.0.2.1", "local_id": {"type": "fqdn", "value": "vpn.example.org"},
            "auth": "pubkey", "local_ts": ["10.10.0.0/16", "10.20.0.0/16[tcp/443]"],
            "dns": ["10.10.0.53"], "pool": True, "mobike": True, "ike_lifetime_s": 14400,
            "child_lifetime_s": 3600, "dpd_s": 30, "ca_pem": ca, "cert_pem": None}
    out = []
    c = dict(base, name="eap", remote_auth="eap",
             ike=["aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256"],
             esp=["aes256gcm16", "aes128gcm16"])
    out.append(c)
    # the first proposals are unusable for Windows (x25519, sha512, esn-only):
    # the generator must skip to one it can do
    c = dict(base, name="cbc", remote_auth="pubkey",
             ike=["aes256gcm16-prfsha512-x25519", "aes256-sha256-modp2048"],
             esp=["aes256gcm16-esn", "aes256-sha512", "aes128-sha256-ecp256"])
    out.append(c)
    c = dict(base, name="psk", remote_auth="psk", auth="psk", local_ts=["0.0.0.0/0"],
             ike=["aes128gcm16-prfsha256-ecp256"], esp=["aes128gcm16"])
    out.append(c)
    c = dict(base, name="x25519", remote_auth="eap", ike=["aes256gcm16-prfsha256-x25519"],
             esp=["aes256gcm16"])
    out.append(c)
    return out


# ---- this script's own map from each OS's names to strongSwan keywords ----

WIN_CIPHER = {"AES128": "aes128", "AES192": "aes192", "AES256": "aes256",
              "GCMAES128": "aes128gcm16", "GCMAES256": "aes256gcm16"}
WIN_HASH = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
WIN_DH = {"Group14": "modp2048", "ECP256": "ecp256", "ECP384": "ecp384"}
WIN_PFS = {"None": None, "PFS2048": "modp2048", "ECP256": "ecp256", "ECP384": "ecp384"}
WIN_AUTH = {"SHA196": "sha1", "SHA256128": "sha256"}
# Microsoft's documented values (Set-VpnConnectionIPsecConfiguration)
MS = {"AuthenticationTransformConstants": {"MD596", "SHA196", "SHA256128", "GCMAES128",
                                           "GCMAES192", "GCMAES256", "None"},
      "CipherTransformConstants": {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128",
                                   "GCMAES192", "GCMAES256", "None"},
      "EncryptionMethod": {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128",
                           "GCMAES256"},
      "IntegrityCheckMethod": {"MD5", "SHA1", "SHA256", "SHA384"},
      "DHGroup": {"None", "Group1", "Group2", "Group14", "ECP256", "ECP384", "Group24"},
      "PfsGroup": {"None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFSMM", "PFS24"}}
APPLE_ENC = {"AES-128": "aes128", "AES-256": "aes256", "AES-128-GCM": "aes128gcm16",
             "AES-256-GCM": "aes256gcm16"}
APPLE_INTEG = {"SHA1-96": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384",
               "SHA2-512": "sha512"}
APPLE_DH = {14: "modp2048", 15: "modp3072", 19: "ecp256", 20: "ecp384", 21: "ecp521",
            31: "curve25519"}


def norm(p):
    """A strongSwan proposal as a keyword set (implicit prf = integ for CBC IKE)."""
    t = set(p.split("-"))
    t.discard("noesn")
    t = {"curve25519" if x == "x25519" else x for x in t}
    return t


def ike_set(enc, hash_, dh):
    s = {enc, dh}
    if "gcm" in enc:
        s.add("prf" + hash_)
    else:
        s.add(hash_)
    return s


def ike_ok(conn, got):
    for p in conn["ike"]:
        n = norm(p)
        if n == got or (n | {"prf" + x for x in n if x.startswith("sha")}) == \
                (got | {"prf" + x for x in got if x.startswith("sha")}):
            return True
    return False


def esp_ok(conn, got):
    return any(norm(p) == got for p in conn["esp"])


def run(conn, os_, path, extra=()):
    return subprocess.run([CTL, "client-profile", conn["name"], "--os", os_, "--from", path] +
                          list(extra), capture_output=True, text=True, timeout=20)


def windows(conn, out):
    args = dict(re.findall(r"-(\w+) (\S+)", out.split("Set-VpnConnectionIPsecConfiguration", 1)[1]
                           .splitlines()[0]))
    for k, vals in MS.items():
        check(args.get(k) in vals, "%s windows: -%s %s is a documented value" % (
            conn["name"], k, args.get(k)))
    enc = WIN_CIPHER[args["EncryptionMethod"]]
    ike = ike_set(enc, WIN_HASH[args["IntegrityCheckMethod"]], WIN_DH[args["DHGroup"]])
    check(ike_ok(conn, ike), "%s windows: IKE %s is one of the connection's %s" % (
        conn["name"], sorted(ike), conn["ike"]))
    cipher = WIN_CIPHER[args["CipherTransformConstants"]]
    esp = {cipher}
    if "gcm" in cipher:
        check(args["AuthenticationTransformConstants"] == args["CipherTransformConstants"],
              "%s windows: GCM: auth transform = cipher transform" % conn["name"])
    else:
        esp.add(WIN_AUTH[args["AuthenticationTransformConstants"]])
    if WIN_PFS[args["PfsGroup"]]:
        esp.add(WIN_PFS[args["PfsGroup"]])
    check(esp_ok(conn, esp), "%s windows: ESP %s is one of the connection's %s" % (
        conn["name"], sorted(esp), conn["esp"]))
    check("Add-VpnConnection -Name '%s'" % conn["name"] in out and "-TunnelType Ikev2" in out,
          "%s windows: Add-VpnConnection IKEv2" % conn["name"])
    check(("-AuthenticationMethod Eap" in out) == (conn["remote_auth"] == "eap"),
          "%s windows: EAP exactly when the connection wants EAP" % conn["name"])
    check("Cert:\\LocalMachine\\Root" in out and "-----BEGIN CERTIFICATE-----" in out,
          "%s windows: CA imported into the machine's root store" % conn["name"])
    routes = re.findall(r"-DestinationPrefix '([^']+)'", out)
    check(routes == [t.split("[")[0] for t in conn["local_ts"]],
          "%s windows: split-tunnel routes = local_ts %s" % (conn["name"], routes))


def apple(conn, out, ca_der):
    pl = plistlib.loads(out.encode())
    check(pl.get("PayloadType") == "Configuration", "%s apple: top-level Configuration"
          % conn["name"])
    by = {p["PayloadType"]: p for p in pl["PayloadContent"]}
    vpn = by.get("com.apple.vpn.managed")
    if not check(vpn is not None and vpn.get("VPNType") == "IKEv2",
                 "%s apple: com.apple.vpn.managed IKEv2 payload" % conn["name"]):
        return
    uuids = [p["PayloadUUID"] for p in pl["PayloadContent"]] + [pl["PayloadUUID"]]
    check(len(set(uuids)) == len(uuids) and all(re.fullmatch(
        r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", u) for u in uuids),
        "%s apple: distinct v4 PayloadUUIDs" % conn["name"])
    i = vpn["IKEv2"]
    check(i["RemoteAddress"] == "vpn.example.org" and i["RemoteIdentifier"] == "vpn.example.org",
          "%s apple: RemoteAddress/RemoteIdentifier = the gateway's FQDN identity" % conn["name"])
    want = {"eap": "None", "psk": "SharedSecret", "pubkey": "Certificate"}[conn["remote_auth"]]
    check(i["AuthenticationMethod"] == want and
          (i.get("ExtendedAuthEnabled") == 1) == (conn["remote_auth"] == "eap"),
          "%s apple: AuthenticationMethod %s" % (conn["name"], i["AuthenticationMethod"]))
    s = i["IKESecurityAssociationParameters"]
    ike = ike_set(APPLE_ENC[s["EncryptionAlgorithm"]], APPLE_INTEG[s["IntegrityAlgorithm"]],
                  APPLE_DH[s["DiffieHellmanGroup"]])
    check(ike_ok(conn, ike), "%s apple: IKE %s is one of the connection's %s" % (
        conn["name"], sorted(ike), conn["ike"]))
    c = i["ChildSecurityAssociationParameters"]
    enc = APPLE_ENC[c["EncryptionAlgorithm"]]
    esp = {enc} if "gcm" in enc else {enc, APPLE_INTEG[c["IntegrityAlgorithm"]]}
    if i.get("EnablePFS") == 1:
        esp.add(APPLE_DH[c["DiffieHellmanGroup"]])
    check(esp_ok(conn, esp), "%s apple: ESP %s is one of the connection's %s" % (
        conn["name"], sorted(esp), conn["esp"]))
    check(10 <= s["LifeTimeInMinutes"] <= 1440 and 10 <= c["LifeTimeInMinutes"] <= 1440,
          "%s apple: lifetimes within Apple's 10..1440 minutes" % conn["name"])
    root = by.get("com.apple.security.root")
    check(root is not None and root["PayloadContent"] == ca_der,
          "%s apple: the CA payload holds the CA's DER" % conn["name"])


def android(conn, out, ca_der):
    j = json.loads(out)
    check(j["type"] == ("ikev2-eap" if conn["remote_auth"] == "eap" else "ikev2-cert"),
          "%s android: type %s" % (conn["name"], j["type"]))
    check(j["ike-proposal"] in conn["ike"] and j["esp-proposal"] in conn["esp"],
          "%s android: proposals %s / %s from the connection's lists" % (
              conn["name"], j["ike-proposal"], j["esp-proposal"]))
    check(base64.b64decode(j["remote"]["cert"]) == ca_der and
          j["remote"]["id"] == "vpn.example.org",
          "%s android: remote CA (base64 DER) and identity" % conn["name"])
    re.fullmatch(r"[0-9a-f-]{36}", j["uuid"]) or check(False, "uuid")


def linux(conn, out):
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(out)
    v = cp["vpn"]
    check(cp["connection"]["type"] == "vpn" and
          v["service-type"] == "org.freedesktop.NetworkManager.strongswan",
          "%s linux: NetworkManager-strongswan VPN keyfile" % conn["name"])
    check(v["ike"] in conn["ike"] and v["esp"] in conn["esp"] and v["proposal"] == "yes",
          "%s linux: proposals %s / %s from the connection's lists" % (
              conn["name"], v["ike"], v["esp"]))
    want = {"eap": "eap", "psk": "psk", "pubkey": "key"}[conn["remote_auth"]]
    check(v["method"] == want, "%s linux: method %s" % (conn["name"], v["method"]))
    if want == "psk":
        check(cp["vpn-secrets"]["password"] == "REPLACE-WITH-PSK",
              "%s linux: PSK placeholder, no secret" % conn["name"])


def main():
    with tempfile.TemporaryDirectory() as d:
        ca = make_ca(d)
        ca_der = subprocess.run(["openssl", "x509", "-outform", "DER", "-in",
                                 os.path.join(d, "ca.pem")], capture_output=True,
                                check=True).stdout
        for conn in conns(ca):
            path = os.path.join(d, conn["name"] + ".json")
            with open(path, "w") as f:
                json.dump(dict(conn, ok=True), f)
            for os_ in ("windows", "macos", "ios", "android", "linux"):
                r = run(conn, os_, path)
                refuse = (conn["name"] == "psk" and os_ in ("windows", "android")) or \
                    (conn["name"] == "x25519" and os_ == "windows")
                if refuse:
                    check(r.returncode == 1 and r.stdout == "" and "client-profile" in r.stderr,
                          "%s %s: refused with a reason: %s" % (conn["name"], os_,
                                                                r.stderr.strip()[-160:]))
                    continue
                if not check(r.returncode == 0, "%s %s: generated (%s)" % (
                        conn["name"], os_, r.stderr.strip())):
                    continue
                check("rampart-e2e" not in r.stdout, "no secret")
                if os_ == "windows":
                    windows(conn, r.stdout)
                elif os_ in ("macos", "ios"):
                    apple(conn, r.stdout, ca_der)
                elif os_ == "android":
                    android(conn, r.stdout, ca_der)
                else:
                    linux(conn, r.stdout)
        # bad input: unknown OS, wrong file, a name that would break quoting
        conn = conns(ca)[0]
        path = os.path.join(d, "eap.json")
        r = run(conn, "beos", path)
        check(r.returncode == 1 and "unknown --os" in r.stderr, "unknown OS refused")
        r = subprocess.run([CTL, "client-profile", "other", "--os", "linux", "--from", path],
                           capture_output=True, text=True)
        check(r.returncode == 1 and "not the conn-info" in r.stderr, "wrong conn refused")
        r = run(conn, "windows", path, ["--server", "x'; Remove-Item C:\\ -Recurse #"])
        check(r.returncode == 1 and r.stdout == "", "a server name with quotes refused")
    print("%d failed" % len(FAIL))
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
