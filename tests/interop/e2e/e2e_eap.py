#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""EAP-MSCHAPv2 through RADIUS (RFC 7296 2.16, RFC 3579) against strongSwan and FreeRADIUS (root).

    e2e_eap.py eap-radius|eap-radius-failover|eap-tls --rampartd PATH --rampartctl PATH

    e2e-c1 (charon eap-mschapv2, 192.0.2.11) -- br0 -- e2e-gw rampartd 192.0.2.1 (certificate)
    e2e-gw kernel side 10.77.0.1 <-veth-> e2e-rad 10.77.0.2: freeradius -X -d TMP

rampartd authenticates itself with a certificate (a CA made here with openssl)
and relays the client's EAP to FreeRADIUS (its own config directory in the
run's temp dir, users file with one MSCHAPv2 user, run in the foreground in
its own namespace). The client comes up, gets a virtual IP from the pool and
pings the LAN host. A second client with a wrong password is refused: no SA,
one more auth failure counted, FreeRADIUS logged the reject.
eap-radius-failover: the first configured server never answers; rampartd
fails over to the second (FreeRADIUS) and the client comes up.
eap-tls: EAP-TLS through the same passthrough to FreeRADIUS's eap tls module
(server certificate and CRL from the test's CA); a strongSwan client with the
eap-tls plugin and a client certificate comes up and pings; a client whose
certificate is on the CRL is refused by FreeRADIUS.
eap-two-rounds: RFC 4739 multiple authentication, remote_auth: [pubkey,
eap-mschapv2] against the local users file: a strongSwan client with a
machine certificate (local-1) and the user's EAP-MSCHAPv2 (local-2) comes up,
named by the EAP identity, and pings; a client with the certificate round
only, and one with a wrong EAP password, are refused and counted.
eap-two-rounds-radius: the same rounds with the EAP round through FreeRADIUS;
the Framed-IP-Address of the second round's user is the client's address.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib  # noqa: E402
import netlab  # noqa: E402  (e2e_lib put tests/interop on the path)
from e2e_lib import (N, GW_ID, GW_PUB, LAN_HOST, Charon, Result, args_common,  # noqa: E402
                     gw_yaml as e2e_gw_yaml, log, ra_conn, sh, wait_for, write_private)
from e2e import cli_main, ping, ping_ok, ping_stats  # noqa: E402
import e2e_metrics  # noqa: E402

RAD_GW, RAD_SRV, RAD_DEAD = "10.77.0.1", "10.77.0.2", "10.77.0.3"
RAD_SECRET = "e2e-radius-secret-not-a-secret"
USER, PASSWORD = "alice", "e2e-alice-password"
USER2, PASSWORD2, FRAMED_IP = "bob", "e2e-bob-password", "10.99.0.200"
USER3, PASSWORD3 = "erin", "e2e-erin-password"
CLASS1, CLASS3, SESSION_TIMEOUT = "e2e-class-alice", "e2e-class-erin", 12
FREERADIUS_ETC = "/etc/freeradius/3.0"

# EAP needs the client's eap-identity and eap-mschapv2 plugins (MD4 comes
# from the openssl plugin's legacy provider); netlab writes strongswan.conf
netlab.CHARON_PLUGINS = netlab.CHARON_PLUGINS.replace(
    " kernel-libipsec", " eap-identity eap-mschapv2 eap-tls kernel-libipsec")

# the back end: RADIUS (remote_auth eap-radius) or eap_users (eap-mschapv2)
RADIUS_YAML = """radius:
  servers:
{servers}  timeout: {timeout}
  retries: {retries}
{acct}"""

EAP_CONN = [("version", 2), ("local_addrs", "{addr}"), ("remote_addrs", "{gw}"),
            ("vips", "0.0.0.0"), ("proposals", "aes256gcm16-prfsha256-ecp256")]
EAP_GW_ROUND = [("auth", "pubkey"), ("id", "{gwid}"), ("cacerts", "{ca}")]
EAP_CHILD = [("eap", [("remote_ts", "10.1.0.0/24"), ("esp_proposals", "aes256gcm16"),
                      ("start_action", "none")])]
CLIENT_CONF = netlab.swanctl_template(
    "eap", EAP_CONN, [("auth", "eap-mschapv2"), ("eap_id", "{user}")], EAP_GW_ROUND,
    EAP_CHILD, [("eap-user", [("id", "{user}"), ("secret", '"{password}"')])])

EAP_MODULE = """eap {
	default_eap_type = %(default)s
	timer_expire = 60
	ignore_unknown_eap_types = no
	cisco_accounting_username_bug = no
	max_sessions = ${max_requests}
	mschapv2 {
		send_error = no
	}
%(tls)s}
"""

# FreeRADIUS's eap tls module with the test's CA: ca_path holds the CA and
# its CRL (openssl rehash), check_crl makes OpenSSL refuse revoked clients
EAP_TLS_BLOCK = """	tls-config tls-common {
		private_key_file = %(key)s
		certificate_file = %(cert)s
		ca_file = %(ca)s
		ca_path = %(capath)s
		check_crl = yes
		cipher_list = "DEFAULT"
		tls_min_version = "1.2"
		tls_max_version = "1.2"
		fragment_size = %(frag)d
		cache {
			enable = no
		}
		verify {
		}
		ocsp {
			enable = no
		}
	}
	tls {
		tls = tls-common
	}
"""

TLS_CLIENT_CONF = netlab.swanctl_template(
    "eap", EAP_CONN, [("auth", "eap-tls"), ("id", "{user}"), ("certs", "{cert}"),
                      ("aaa_id", "{radid}")], EAP_GW_ROUND, EAP_CHILD)
RAD_ID = "radius.rampart.test"
TLS_USER, TLS_REVOKED = "carol@rampart.test", "dave@rampart.test"


def gw_yaml(r, backend, remote_auth, cert, key, dpd="", metrics=""):
    """rampartd's config: one EAP connection (pubkey on our side) over the
    back end @backend (RADIUS_YAML or an eap_users line)."""
    conn = ra_conn("eap", "    auth: pubkey\n    cert: %s\n    key: %s\n    remote_auth: %s\n"
                   % (cert, key, remote_auth), ike=["aes256gcm16-prfsha256-ecp256"],
                   esp=["aes256gcm16"], dpd=None)
    return e2e_gw_yaml(r.sock, conn + dpd, os.environ.get("E2E_LOG", "info"), top=metrics,
                       mid=backend)


def make_pki(d):
    """A CA and the gateway's ECDSA certificate (SAN DNS:gw.rampart.test)."""
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    for k in ("ca.key", "gw.key"):
        sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", p(k)])
    os.chmod(p("gw.key"), 0o600)
    sh(["openssl", "req", "-x509", "-new", "-key", p("ca.key"), "-out", p("ca.pem"), "-days",
        "30", "-subj", "/O=e2e/CN=e2e EAP CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    sh(["openssl", "req", "-new", "-key", p("gw.key"), "-out", p("gw.csr"), "-subj",
        "/O=e2e/CN=" + GW_ID])
    with open(p("gw.ext"), "w") as f:
        f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n" % GW_ID)
    sh(["openssl", "x509", "-req", "-in", p("gw.csr"), "-CA", p("ca.pem"), "-CAkey",
        p("ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile", p("gw.ext"),
        "-out", p("gw.pem")])
    return p("ca.pem"), p("gw.pem"), p("gw.key")


def issue(d, name, subj, ext):
    """An ECDSA key and a certificate for it from the CA in @d."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", p(name + ".key")])
    os.chmod(p(name + ".key"), 0o600)
    sh(["openssl", "req", "-new", "-key", p(name + ".key"), "-out", p(name + ".csr"), "-subj",
        subj])
    with open(p(name + ".ext"), "w") as f:
        f.write(ext)
    sh(["openssl", "x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"), "-CAkey",
        p("ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile", p(name + ".ext"),
        "-out", p(name + ".pem")])
    return p(name + ".pem"), p(name + ".key")


def make_tls_pki(d):
    """For EAP-TLS, beside make_pki's CA: FreeRADIUS's server certificate,
    client certificates for carol and dave, and a CRL revoking dave's
    (openssl ca with a throw-away database), the CA and CRL hashed into a
    ca_path directory for FreeRADIUS."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    issue(d, "radius", "/O=e2e/CN=" + RAD_ID,
          "subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
          "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n" % RAD_ID)
    for u in (TLS_USER, TLS_REVOKED):
        issue(d, u.split("@")[0], "/O=e2e/CN=" + u,
              "subjectAltName=email:%s\nbasicConstraints=CA:FALSE\n"
              "keyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n" % u)
    open(p("index.txt"), "w").close()
    with open(p("ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = e2e\n[e2e]\ndatabase = %s\ndefault_md = sha256\n"
                "default_crl_days = 30\n" % p("index.txt"))
    sh(["openssl", "ca", "-config", p("ca.cnf"), "-cert", p("ca.pem"), "-keyfile",
        p("ca.key"), "-revoke", p("dave.pem")])
    sh(["openssl", "ca", "-config", p("ca.cnf"), "-cert", p("ca.pem"), "-keyfile",
        p("ca.key"), "-gencrl", "-out", p("crl.pem")])
    capath = p("capath")
    os.makedirs(capath, exist_ok=True)
    shutil.copy(p("ca.pem"), os.path.join(capath, "ca.pem"))
    shutil.copy(p("crl.pem"), os.path.join(capath, "crl.pem"))
    sh(["openssl", "rehash", capath])
    return capath


def freeradius_dir(d, tls=None):
    """Debian's configuration, copied, with our client, user and EAP module;
    runs as root inside its namespace (no user/group switch)."""
    shutil.copytree(FREERADIUS_ETC, d, symlinks=True)
    conf = os.path.join(d, "radiusd.conf")
    with open(conf) as f:
        text = f.read()
    text = re.sub(r"(?m)^(\s*)(user|group) = ", r"\1#\2 = ", text)
    text = re.sub(r"(?m)^run_dir = .*$", "run_dir = %s" % d, text)
    # accounting (detail, unix modules) writes under logdir: the run's dir
    text = re.sub(r"(?m)^logdir = .*$", "logdir = %s" % d, text)
    with open(conf, "w") as f:
        f.write(text)
    for rel in ("mods-enabled/eap", "sites-enabled/inner-tunnel"):
        os.unlink(os.path.join(d, rel))
    with open(os.path.join(d, "mods-enabled", "eap"), "w") as f:
        f.write(EAP_MODULE % {"default": "tls" if tls else "mschapv2",
                              "tls": EAP_TLS_BLOCK % tls if tls else ""})
    with open(os.path.join(d, "clients.conf"), "w") as f:
        f.write("client rampart {\n\tipaddr = %s\n\tsecret = %s\n"
                "\trequire_message_authenticator = yes\n}\n" % (RAD_GW, RAD_SECRET))
    authorize = os.path.join(d, "mods-config", "files", "authorize")
    if os.path.islink(authorize):
        os.unlink(authorize)
    with open(authorize, "w") as f:
        f.write('%s Cleartext-Password := "%s"\n\tClass = "%s"\n' % (USER, PASSWORD, CLASS1))
        # erin's session ends after Session-Timeout seconds
        f.write('%s Cleartext-Password := "%s"\n\tSession-Timeout = %d,\n\tClass = "%s"\n'
                % (USER3, PASSWORD3, SESSION_TIMEOUT, CLASS3))
        # bob's address comes from RADIUS (Framed-IP-Address), not the pool
        f.write('%s Cleartext-Password := "%s"\n\tFramed-IP-Address = %s\n'
                % (USER2, PASSWORD2, FRAMED_IP))


def stat(r, name):
    rc, j = r.ctl("stats")
    return (j.get("ike") or {}).get(name) if rc == 0 and isinstance(j, dict) else None


def radius_up(net, r, res, servers, timeout="1s", retries=2, tls=False, acct=None,
              interim="10s", tls_frag=1024, two_rounds=False):
    """FreeRADIUS in e2e-rad (10.77.0.2, reached over a kernel veth from
    e2e-gw at 10.77.0.1), then rampartd with @servers (addresses, in
    failover order); @two_rounds: remote_auth [pubkey, eap-radius] (RFC
    4739) and a machine certificate laptop.pem in the pki directory.
    Returns (CA file, function giving FreeRADIUS's log)."""
    net.base()
    net.ns_add(N("rad"))
    net.veth("e2e-rad", N("gw"), "e2e-radh", N("rad"))
    net.host_if(N("gw"), "e2e-rad", RAD_GW + "/24")
    net.host_if(N("rad"), "e2e-radh", RAD_SRV + "/24")

    pki = os.path.join(net.dir, "pki")
    ca, cert, key = make_pki(pki)
    tlsconf = None
    if tls:
        capath = make_tls_pki(pki)
        tlsconf = {"key": os.path.join(pki, "radius.key"), "ca": ca, "capath": capath,
                   "frag": tls_frag,
                   "cert": os.path.join(pki, "radius.pem")}
    rdir = os.path.join(net.dir, "raddb")
    freeradius_dir(rdir, tlsconf)
    radlog = os.path.join(net.dir, "freeradius.log")
    rad = net.spawn(["freeradius", "-X", "-d", rdir], ns=N("rad"), out=radlog)

    def rad_text():
        return e2e_lib.read_text(radlog)

    up = wait_for(lambda: "dead" if rad.poll() is not None else
                  "Ready to process requests" in rad_text(), 60)
    if not res.check(up is True, "FreeRADIUS starts in its namespace (freeradius -X -d TMP)",
                     "" if up is True else "\n".join(rad_text().splitlines()[-25:])):
        return None, rad_text

    secret_file = os.path.join(net.dir, "radius.secret")
    write_private(secret_file, RAD_SECRET + "\n")
    srv = "".join("    - address: %s\n      secret_file: %s\n" % (a, secret_file)
                  for a in servers)
    acct_yaml = ""
    if acct:
        acct_yaml = "  accounting:\n    interim_interval: %s\n    servers:\n" % interim + "".join(
            "      - address: %s\n        secret_file: %s\n" % (a, secret_file) for a in acct)
    text = gw_yaml(
        r, RADIUS_YAML.format(servers=srv, acct=acct_yaml, timeout=timeout, retries=retries),
        "eap-radius", cert, key, dpd="    dpd: 30s\n",
        metrics='metrics: {listen: "%s"}\n' % e2e_metrics.LISTEN if acct else "")
    if two_rounds:
        issue_machine(pki)
        text = text.replace("    remote_auth: eap-radius\n",
                            "    remote_auth: [pubkey, eap-radius]\n    ca: %s\n" % ca)
    write_private(r.conf, text)
    started = r.start()
    if not res.check(started, "rampartd starts with remote_auth eap-radius",
                     "" if started else "\n".join(r.log_text().splitlines()[-20:])):
        return None, rad_text
    return ca, rad_text


def radius_stat(r, name):
    rc, j = r.ctl("stats")
    return (j.get("radius") or {}).get(name) if rc == 0 and isinstance(j, dict) else None


def case_eap_radius(args, net, r, res):
    ca, rad_text = radius_up(net, r, res, [RAD_SRV])
    if ca is None:
        return
    c, cns = mschap_client(net, res, 1, USER, PASSWORD, ca)
    comes_up(res, c, "the EAP-MSCHAPv2 client comes up through FreeRADIUS")
    vip = c.vip()
    res.check(vip is not None, "the client got a virtual IP from the pool", str(vip))
    sas = r.sas()
    res.check(len(sas) == 1, "rampartd holds one IKE SA", "%d SAs" % len(sas))
    res.check(len(sas) == 1 and sas[0].get("remote_id") == USER,
              "the SA is named by the EAP identity (%s), not the client's IDi" % USER,
              str(sas[0].get("remote_id")) if sas else "")
    ok, detail = ping_ok(cns, LAN_HOST)
    res.check(ok, "client pings the LAN host 10.1.0.2 through the tunnel", detail)
    res.check(stat(r, "eap_success") == 1, "eap_success_total is 1",
              "eap_success %s" % stat(r, "eap_success"))
    rlog = rad_text()
    res.check("Sent Access-Accept" in rlog, "FreeRADIUS sent an Access-Accept", "")
    failed0 = stat(r, "auth_failed") or 0

    # a wrong password: EAP-Failure, no SA, counted
    c2, _ = mschap_client(net, res, 2, USER, "wrong-password", ca,
                          "second client (wrong password)")
    rc2, out2 = c2.initiate("eap", 40)
    res.check(rc2 != 0 and "EAP_FAILURE" in c2.log_text(),
              "the client with a wrong password is refused (EAP-Failure)",
              "" if rc2 != 0 else out2.strip()[-300:])
    counted = wait_for(lambda: (stat(r, "auth_failed") or 0) == failed0 + 1, 10)
    res.check(counted is True, "auth_failures_total went up by one",
              "%s -> %s" % (failed0, stat(r, "auth_failed")))
    res.check(len(r.sas()) == 1, "still only the first client's IKE SA", "%d" % len(r.sas()))
    res.check("Sent Access-Reject" in rad_text(), "FreeRADIUS sent an Access-Reject", "")
    res.check(radius_stat(r, "accepts") == 1 and radius_stat(r, "rejects") == 1 and
              radius_stat(r, "framed_ips") == 0 and
              radius_stat(r, "bad_responses") == 0 and radius_stat(r, "conversations") == 0,
              "rampartctl stats radius: 1 accept, 1 reject, no bad response, no conversation "
              "left", str(r.ctl("stats")[1].get("radius")))
    # bob: Framed-IP-Address from the Access-Accept overrides the pool
    c3, c3ns = mschap_client(net, res, 3, USER2, PASSWORD2, ca, "third client (bob)")
    rc3, out3 = c3.initiate("eap", 60)
    res.check(rc3 == 0, "bob comes up", "\n".join(out3.strip().splitlines()[-8:]) if rc3 else "")
    res.check(c3.vip() == FRAMED_IP, "bob's virtual IP is RADIUS's Framed-IP-Address %s, "
              "not the pool's next" % FRAMED_IP, str(c3.vip()))
    t, rcv = ping(c3ns, LAN_HOST, 3)
    res.check(rcv == 3, "bob pings the LAN host from %s" % FRAMED_IP, "%d/%d" % (rcv, t))
    res.check(radius_stat(r, "framed_ips") == 1, "rampartctl stats radius: framed_ips 1",
              str(radius_stat(r, "framed_ips")))
    res.check(PASSWORD not in r.log_text() and RAD_SECRET not in r.log_text() and
              PASSWORD2 not in r.log_text(),
              "neither the password nor the RADIUS secret is in rampartd's log", "")
    if res.fails:
        log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))
        log("freeradius log tail:\n" + "\n".join(rad_text().splitlines()[-60:]))


def case_eap_radius_failover(args, net, r, res):
    """The first server (10.77.0.3) never answers: after its tries the
    request goes to the second, FreeRADIUS, and the client comes up."""
    ca, rad_text = radius_up(net, r, res, [RAD_DEAD, RAD_SRV], timeout="500ms", retries=1)
    if ca is None:
        return
    c, cns = mschap_client(net, res, 1, USER, PASSWORD, ca)
    comes_up(res, c, "the client comes up although the first RADIUS server is dead")
    n_fo = r.log_text().count("radius server 0 not answering: trying server 1")
    res.check(n_fo == 1, "one failover: the conversation's later rounds stay on the server "
              "that answered (its State means nothing to another)", "%d failovers" % n_fo)
    res.check("Sent Access-Accept" in rad_text(), "the second server (FreeRADIUS) accepted", "")
    res.check(radius_stat(r, "failovers") == 1 and radius_stat(r, "timeouts") == 1 and
              radius_stat(r, "retransmits") == 1,
              "rampartctl stats radius: 1 retransmission, 1 timeout, 1 failover",
              str(r.ctl("stats")[1].get("radius")))
    t, rcv = ping(cns, LAN_HOST, 3)
    res.check(rcv == 3, "client pings the LAN host through the tunnel", "%d/%d" % (rcv, t))
    if res.fails:
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))


def one_sa(res, r, what, ident=None):
    """rampartd holds one IKE SA (named @ident if given): checked as @what."""
    sas = r.sas()
    return res.check(len(sas) == 1 and (ident is None or sas[0].get("remote_id") == ident),
                     what, str([x.get("remote_id") for x in sas]))


def comes_up(res, c, what):
    """Client @c initiates its eap child (60 s): checked as @what."""
    rc, out = c.initiate("eap", 60)
    return res.check(rc == 0, what, "\n".join(out.strip().splitlines()[-8:]) if rc else "")


def mschap_client(net, res, n, user, password, ca, what="strongSwan client (eap-mschapv2)"):
    """Client n (namespace and charon "cN") with EAP-MSCHAPv2 credentials,
    started and loaded (checked as "WHAT loads"); (charon, namespace)."""
    ns, addr = net.client_ns(n)
    c = Charon(net, ns, "c%d" % n, addr)
    c.write(CLIENT_CONF.format(addr=addr, gw=GW_PUB, user=user, password=password, gwid=GW_ID,
                               ca=ca))
    c.start()
    res.check(c.wait_ready() and c.load()[0] == 0, "%s loads" % what)
    return c, ns


def tls_client(net, n, tag, user, pki, ca, ike_frag=None):
    """A strongSwan client with @user's certificate; its key goes in the
    private/ directory beside its swanctl.conf (swanctl loads keys only from
    there, relative to --file)."""
    ns, addr = net.client_ns(n)
    c = Charon(net, ns, tag, addr)
    name = user.split("@")[0]
    sdir = c.dir
    os.makedirs(os.path.join(sdir, "private"), exist_ok=True)
    shutil.copy(os.path.join(pki, name + ".key"), os.path.join(sdir, "private", name + ".key"))
    c.write(TLS_CLIENT_CONF.format(addr=addr, gw=GW_PUB, user=user, gwid=GW_ID, ca=ca,
                                   cert=os.path.join(pki, name + ".pem"), radid=RAD_ID))
    if ike_frag:
        # the client splits its IKE messages above @ike_frag octets (RFC 7383)
        with open(c.conf) as f:
            text = f.read()
        with open(c.conf, "w") as f:
            f.write(text.replace("charon {", "charon {\n\tfragment_size = %d" % ike_frag, 1))
    c.start()
    ready = c.wait_ready()
    rc, out = c.load()
    ok = ready and rc == 0 and "loaded private key" in out
    return c, ns, ok, out


def detail_records(net):
    """FreeRADIUS's detail file(s) as a list of {attribute: value} records."""
    recs = []
    for path in glob.glob(os.path.join(net.dir, "raddb", "radacct", "*", "detail-*")):
        with open(path, errors="replace") as f:
            for block in f.read().split("\n\n"):
                rec = {}
                for line in block.splitlines():
                    m = re.match(r"\s+([A-Za-z0-9-]+) = (.*)$", line)
                    if m:
                        rec[m.group(1)] = m.group(2).strip('"')
                if rec:
                    recs.append(rec)
    return recs


def recs_of(net, user, status):
    return [x for x in detail_records(net)
            if x.get("User-Name") == user and x.get("Acct-Status-Type") == status]


def case_eap_radius_acct(args, net, r, res):
    """RADIUS accounting (RFC 2866) to FreeRADIUS's detail module: the first
    accounting server never answers (failover), Start when the child is up,
    Interim-Update with the datapath's byte counts, Stop when the client
    leaves, Class echoed; erin's Session-Timeout deletes her IKE SA."""
    ca, rad_text = radius_up(net, r, res, [RAD_SRV], timeout="500ms", retries=1,
                             acct=[RAD_DEAD, RAD_SRV], interim="10s")
    if ca is None:
        return
    c, cns = mschap_client(net, res, 1, USER, PASSWORD, ca)
    comes_up(res, c, "alice comes up")
    t0 = time.time()
    starts = wait_for(lambda: recs_of(net, USER, "Start") or None, 10)
    res.check(bool(starts), "FreeRADIUS's detail file has alice's Accounting Start "
              "(after the first accounting server timed out)", str(detail_records(net))[-300:])
    st = starts[0] if starts else {}
    res.check(st.get("Class") == "0x" + CLASS1.encode().hex() and
              st.get("Framed-IP-Address") == c.vip() and st.get("Acct-Session-Id"),
              "Start: Class echoed from the Access-Accept, Framed-IP-Address the client's "
              "virtual IP, an Acct-Session-Id", str(st))
    res.check(radius_stat(r, "acct_failovers") == 1 and radius_stat(r, "acct_timeouts") == 1,
              "rampartctl stats radius: the Start failed over once to the second server",
              str(r.ctl("stats")[1].get("radius")))
    t, rcv = ping_stats(sh(["ping", "-n", "-q", "-c", "5", "-i", "0.2", "-W", "3", "-s", "1000",
                            LAN_HOST], ns=cns, check=False, timeout=30)[1])
    res.check(rcv == 5, "alice pings 1000-byte packets through the tunnel", "%d/%d" % (rcv, t))
    interims = wait_for(lambda: [x for x in recs_of(net, USER, "Interim-Update")
                                 if int(x.get("Acct-Input-Octets", 0)) >= 5000] or None,
                        max(5, 25 - (time.time() - t0)))
    it = interims[0] if interims else {}
    res.check(bool(interims), "an Interim-Update (10 s) carries alice's traffic: "
              "Acct-Input-Octets >= 5000 and Acct-Output-Octets >= 5000",
              str(recs_of(net, USER, "Interim-Update"))[-400:])
    res.check(int(it.get("Acct-Output-Octets", 0)) >= 5000 and
              int(it.get("Acct-Input-Packets", 0)) >= 5 and
              int(it.get("Acct-Output-Packets", 0)) >= 5 and
              it.get("Acct-Session-Id") == st.get("Acct-Session-Id"),
              "the interim's output octets and packet counts, same Acct-Session-Id", str(it))
    rc, out = c.swanctl(["--terminate", "--ike", "eap", "--timeout", "10"], 15)
    res.check(rc == 0, "alice disconnects", out[-200:])
    stops = wait_for(lambda: recs_of(net, USER, "Stop") or None, 10)
    sp = stops[0] if stops else {}
    res.check(bool(stops) and sp.get("Acct-Terminate-Cause") == "User-Request" and
              int(sp.get("Acct-Input-Octets", 0)) >= int(it.get("Acct-Input-Octets", 1 << 62))
              and int(sp.get("Acct-Output-Octets", 0)) >= 5000 and
              int(sp.get("Acct-Session-Time", -1)) >= 10 and
              sp.get("Class") == st.get("Class") and
              sp.get("Acct-Session-Id") == st.get("Acct-Session-Id"),
              "Stop: cause User-Request, octets at least the interim's, session time >= 10 s, "
              "Class and Acct-Session-Id as in Start", str(sp))

    # erin: Session-Timeout from the Access-Accept ends her IKE SA
    c3, _ = mschap_client(net, res, 3, USER3, PASSWORD3, ca, "erin's client")
    rc, out = c3.initiate("eap", 60)
    t1 = time.time()
    res.check(rc == 0, "erin comes up", "\n".join(out.strip().splitlines()[-8:]) if rc else "")
    gone = wait_for(lambda: not any(x.get("remote_id") == USER3 for x in r.sas()),
                    SESSION_TIMEOUT + 8)
    dt = time.time() - t1
    res.check(gone is True and SESSION_TIMEOUT - 2 <= dt <= SESSION_TIMEOUT + 4,
              "erin's IKE SA is deleted when her Session-Timeout (%d s) expires"
              % SESSION_TIMEOUT, "gone %s after %.1f s" % (gone, dt))
    stops = wait_for(lambda: recs_of(net, USER3, "Stop") or None, 10)
    sp = stops[0] if stops else {}
    res.check(sp.get("Acct-Terminate-Cause") == "Session-Timeout" and
              sp.get("Class") == "0x" + CLASS3.encode().hex(),
              "erin's Stop: cause Session-Timeout, her Class", str(sp))
    # the same counters in Prometheus (/metrics) as in rampartctl stats
    # (the scrape serves a snapshot the control core publishes every second)
    def prom_pairs():
        code, _, body = e2e_metrics.scrape()
        prom = e2e_metrics.parse(body) if code == 200 else {}
        return [(k, prom.get(("rampart_radius_%s_total" % k, frozenset())), radius_stat(r, k))
                for k in ("acct_requests", "acct_responses", "acct_failovers", "accepts",
                          "session_timeouts")]
    pairs = []

    def prom_agrees():
        pairs[:] = prom_pairs()
        return all(p is not None and int(p) == j for _, p, j in pairs) and pairs[1][2] >= 5
    res.check(wait_for(prom_agrees, 6) is True,
              "/metrics has the RADIUS counters, equal to rampartctl stats", str(pairs))
    res.check(radius_stat(r, "session_timeouts") == 1 and radius_stat(r, "sessions") == 0 and
              radius_stat(r, "acct_bad_responses") == 0 and
              "invalid request authenticator" not in rad_text().lower(),
              "rampartctl stats radius: 1 session timeout, no session left, no bad response; "
              "FreeRADIUS saw no invalid authenticator", str(r.ctl("stats")[1].get("radius")))
    if res.fails:
        log("detail records:\n" + "\n".join(str(x) for x in detail_records(net)))
        log("rampartd radius lines:\n" + "\n".join(
            x for x in r.log_text().splitlines() if "radius" in x.lower())[-3000:])
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))
        log("freeradius log tail:\n" + "\n".join(rad_text().splitlines()[-60:]))


def nt_hash(password):
    """MD4(UTF-16LE(password)) by OpenSSL's command line (legacy provider)."""
    out = subprocess.run(["openssl", "dgst", "-md4", "-provider", "legacy", "-provider",
                          "default", "-r"], input=password.encode("utf-16le"),
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return out.split()[0]


def case_eap_local(args, net, r, res):
    """The local EAP-MSCHAPv2 back end (eap_users, no RADIUS): strongSwan
    (eap-mschapv2) comes up and pings; a wrong password and an unknown user
    are refused; a users file others can read is refused at load."""
    net.base()
    ca, cert, key = make_pki(os.path.join(net.dir, "pki"))
    users = os.path.join(net.dir, "eap-users")
    write_private(users, "# local EAP-MSCHAPv2 users\n%s:%s\n%s:%s\n"
                  % (USER, nt_hash(PASSWORD), USER2, nt_hash(PASSWORD2)))
    text = gw_yaml(r, "eap_users: %s\n" % users, "eap-mschapv2", cert, key)
    # the users file is a secret: group-readable is refused with the reason
    os.chmod(users, 0o640)
    write_private(r.conf, text)
    rc, out = sh([args.rampartd, "--check-config", r.conf], check=False)
    res.check(rc != 0 and "eap_users" in out and "readable or writable by group or others"
              in out, "rampartd --check-config refuses a group-readable eap_users file",
              out.strip()[-300:])
    os.chmod(users, 0o600)
    rc, out = sh([args.rampartd, "--check-config", r.conf], check=False)
    res.check(rc == 0, "... and takes it at mode 0600", out.strip()[-300:])
    started = r.start()
    if not res.check(started, "rampartd starts with remote_auth eap-mschapv2",
                     "" if started else "\n".join(r.log_text().splitlines()[-20:])):
        return
    c, cns = mschap_client(net, res, 1, USER, PASSWORD, ca)
    comes_up(res, c, "alice comes up against the local users file")
    res.check("EAP method EAP_MSCHAPV2 succeeded, MSK established" in c.log_text(),
              "strongSwan verified our MSCHAPv2 authenticator response and has an MSK "
              "(the AUTH payloads from it matched)", "")
    one_sa(res, r, "one IKE SA, named by the EAP identity", USER)
    ok, detail = ping_ok(cns, LAN_HOST)
    res.check(ok, "alice pings the LAN host through the tunnel", detail)
    failed0 = stat(r, "auth_failed") or 0
    for n, (who, pw, what) in enumerate(((USER2, "not-bobs-password", "a wrong password"),
                                         ("mallory", "whatever", "an unknown user")), 2):
        c2, _ = mschap_client(net, res, n, who, pw, ca, "client with %s" % what)
        rc2, out2 = c2.initiate("eap", 40)
        res.check(rc2 != 0 and "EAP_FAILURE" in c2.log_text(),
                  "the client with %s is refused (EAP-Failure)" % what,
                  "" if rc2 != 0 else out2.strip()[-300:])
    counted = wait_for(lambda: (stat(r, "auth_failed") or 0) == failed0 + 2, 10)
    res.check(counted is True, "auth_failures_total went up by two",
              "%s -> %s" % (failed0, stat(r, "auth_failed")))
    rc, j = r.ctl("stats")
    el = (j.get("eap_local") or {}) if rc == 0 and isinstance(j, dict) else {}
    res.check(el.get("success") == 1 and el.get("wrong_password") == 1 and
              el.get("unknown_user") == 1 and el.get("bad_messages") == 0 and
              el.get("conversations") == 0,
              "rampartctl stats eap_local: 1 success, 1 wrong password, 1 unknown user, "
              "none left", str(el))
    one_sa(res, r, "still only alice's IKE SA")
    text = r.log_text()
    res.check(PASSWORD not in text and nt_hash(PASSWORD) not in text.lower(),
              "neither the password nor its NT hash is in rampartd's log", "")
    if res.fails:
        log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))


TWO_ROUNDS_CLIENT = """connections {{
	eap {{
		version = 2
		local_addrs = {addr}
		remote_addrs = {gw}
		vips = 0.0.0.0
		proposals = aes256gcm16-prfsha256-ecp256
		local-1 {{
			auth = pubkey
			id = {mid}
			certs = {cert}
		}}
{second}		remote {{
			auth = pubkey
			id = {gwid}
			cacerts = {ca}
		}}
		children {{
			eap {{
				remote_ts = 10.1.0.0/24
				esp_proposals = aes256gcm16
				start_action = none
			}}
		}}
	}}
}}
secrets {{
	eap-user {{
		id = {user}
		secret = "{password}"
	}}
}}
"""
TWO_ROUNDS_SECOND = """		local-2 {{
			auth = eap-mschapv2
			eap_id = {user}
		}}
"""
MACHINE_ID = "laptop.rampart.test"


def two_rounds_client(net, n, pki, ca, user, password, second=True):
    """A strongSwan client: the machine certificate in round 1 (its key in
    private/ beside swanctl.conf), the user's EAP-MSCHAPv2 in round 2 unless
    @second is False."""
    ns, addr = net.client_ns(n)
    c = Charon(net, ns, "c%d" % n, addr)
    os.makedirs(os.path.join(c.dir, "private"), exist_ok=True)
    shutil.copy(os.path.join(pki, "laptop.key"), os.path.join(c.dir, "private", "laptop.key"))
    c.write(TWO_ROUNDS_CLIENT.format(
        addr=addr, gw=GW_PUB, mid=MACHINE_ID, cert=os.path.join(pki, "laptop.pem"), gwid=GW_ID,
        ca=ca, user=user, password=password,
        second=TWO_ROUNDS_SECOND.format(user=user) if second else ""))
    c.start()
    ready = c.wait_ready()
    rc, out = c.load()
    return c, ns, ready and rc == 0 and "loaded private key" in out, out


def issue_machine(pki):
    """The client machine's certificate (laptop.pem, laptop.key)."""
    issue(pki, "laptop", "/O=e2e/CN=" + MACHINE_ID,
          "subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
          "keyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n" % MACHINE_ID)


def case_eap_two_rounds(args, net, r, res):
    """RFC 4739: certificate round, then EAP-MSCHAPv2 round (local users)."""
    net.base()
    pki = os.path.join(net.dir, "pki")
    ca, cert, key = make_pki(pki)
    issue_machine(pki)
    users = os.path.join(net.dir, "eap-users")
    write_private(users, "%s:%s\n" % (USER, nt_hash(PASSWORD)))
    write_private(r.conf, gw_yaml(r, "eap_users: %s\n" % users,
                                  "[pubkey, eap-mschapv2]\n    ca: %s" % ca, cert, key))
    started = r.start()
    if not res.check(started, "rampartd starts with remote_auth: [pubkey, eap-mschapv2]",
                     "" if started else "\n".join(r.log_text().splitlines()[-20:])):
        return
    c, cns, ok, out = two_rounds_client(net, 1, pki, ca, USER, PASSWORD)
    res.check(ok, "strongSwan client (local-1 pubkey, local-2 eap-mschapv2) loads",
              out.strip()[-300:])
    comes_up(res, c, "the client comes up after both rounds")
    clog = c.log_text()
    res.check("EAP method EAP_MSCHAPV2 succeeded, MSK established" in clog,
              "strongSwan ran EAP-MSCHAPv2 as its second round and has an MSK", "")
    # strongSwan's own view of the exchange: our IKE_SA_INIT response
    # announced RFC 4739, its first IKE_AUTH request said another round follows
    seen = bool(re.search(r"parsed IKE_SA_INIT response 0 \[[^]]*N\(MULT_AUTH\)", clog) and
                re.search(r"generating IKE_AUTH request 1 \[[^]]*N\(AUTH_FOLLOWS\)", clog))
    res.check(seen, "strongSwan saw MULTIPLE_AUTH_SUPPORTED and sent ANOTHER_AUTH_FOLLOWS",
              "" if seen else "\n".join(x for x in clog.splitlines()
                                         if "IKE_SA_INIT" in x or "IKE_AUTH" in x)[-800:])
    glog = r.log_text()
    res.check("round 1 of 2 (RFC 4739): peer authenticated as" in glog and
              MACHINE_ID in glog and "round 2 of 2 (RFC 4739)" in glog,
              "rampartd logged the certificate round (machine identity) and the EAP round", "")
    one_sa(res, r, "one IKE SA, named by the EAP identity of round 2", USER)
    ok, detail = ping_ok(cns, LAN_HOST)
    res.check(ok, "the client pings the LAN host through the tunnel", detail)
    failed0 = stat(r, "auth_failed") or 0
    rounds0 = stat(r, "auth_rounds_refused") or 0
    # the certificate round only: refused before any child or lease
    c2, _, ok2, out2 = two_rounds_client(net, 2, pki, ca, USER, PASSWORD, second=False)
    res.check(ok2, "client with the certificate round only loads", out2.strip()[-300:])
    rc2, out2 = c2.initiate("eap", 40)
    res.check(rc2 != 0 and "AUTHENTICATION_FAILED" in c2.log_text(),
              "the client with one round is refused (AUTHENTICATION_FAILED)",
              "" if rc2 != 0 else out2.strip()[-300:])
    res.check("connection requires a second authentication round" in r.log_text(),
              "rampartd logged why", "")
    # both rounds, a wrong password in the second: EAP-Failure
    c3, _, ok3, out3 = two_rounds_client(net, 3, pki, ca, USER, "not-alices-password")
    res.check(ok3, "client with a wrong EAP password loads", out3.strip()[-300:])
    rc3, out3 = c3.initiate("eap", 40)
    res.check(rc3 != 0 and "EAP_FAILURE" in c3.log_text(),
              "the client with a wrong password in round 2 is refused (EAP-Failure)",
              "" if rc3 != 0 else out3.strip()[-300:])
    counted = wait_for(lambda: (stat(r, "auth_failed") or 0) == failed0 + 2 and
                       (stat(r, "auth_rounds_refused") or 0) == rounds0 + 1, 10)
    res.check(counted is True, "auth_failures_total +2, auth_rounds_refused_total +1",
              "%s -> %s, %s -> %s" % (failed0, stat(r, "auth_failed"), rounds0,
                                      stat(r, "auth_rounds_refused")))
    one_sa(res, r, "still only the first client's IKE SA")
    # client profiles: both rounds where the OS's client has RFC 4739, a
    # clear refusal where it has not (a one-round profile would be refused)
    prof = {}
    for osn in ("ios", "android", "windows", "linux"):
        prof[osn] = sh([r.ctl_bin, "-s", r.sock, "client-profile", "eap", "--server", GW_PUB,
                        "--os", osn, "--user", USER], check=False)
    res.check(prof["ios"][0] == 0 and "<string>Certificate</string>" in prof["ios"][1] and
              "<key>ExtendedAuthEnabled</key>" in prof["ios"][1],
              "client-profile --os ios: certificate plus extended (EAP) authentication",
              prof["ios"][1][-300:])
    res.check(prof["android"][0] == 0 and '"ikev2-cert-eap"' in prof["android"][1],
              "client-profile --os android: type ikev2-cert-eap", prof["android"][1][-300:])
    res.check(all(prof[o][0] != 0 and "RFC 4739" in prof[o][1] for o in ("windows", "linux")),
              "client-profile --os windows/linux: refused, naming the two rounds",
              str({o: prof[o] for o in ("windows", "linux")})[:400])
    if res.fails:
        for cc in (c, c2, c3):
            log("client %s log tail:\n" % cc.tag + "\n".join(cc.log_text().splitlines()[-30:]))
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))


def case_eap_two_rounds_radius(args, net, r, res):
    """RFC 4739 with the EAP round through RADIUS: bob (FreeRADIUS answers
    with a Framed-IP-Address) authenticates his machine certificate, then
    EAP-MSCHAPv2; the address and the SA's name come from the EAP round."""
    ca, rad_text = radius_up(net, r, res, [RAD_SRV], two_rounds=True)
    if ca is None:
        return
    pki = os.path.join(net.dir, "pki")
    c, cns, ok, out = two_rounds_client(net, 1, pki, ca, USER2, PASSWORD2)
    res.check(ok, "strongSwan client (local-1 pubkey, local-2 eap-mschapv2) loads",
              out.strip()[-300:])
    comes_up(res, c, "bob comes up after the certificate round and EAP through FreeRADIUS")
    res.check("Sent Access-Accept" in rad_text(), "FreeRADIUS sent an Access-Accept", "")
    res.check(c.vip() == FRAMED_IP, "bob's virtual IP is RADIUS's Framed-IP-Address %s "
              "(the second round's user decides it)" % FRAMED_IP, str(c.vip()))
    one_sa(res, r, "one IKE SA, named by the EAP identity of round 2", USER2)
    ok, detail = ping_ok(cns, LAN_HOST)
    res.check(ok, "bob pings the LAN host from %s" % FRAMED_IP, detail)
    res.check(PASSWORD2 not in r.log_text() and RAD_SECRET not in r.log_text(),
              "neither the password nor the RADIUS secret is in rampartd's log", "")
    if res.fails:
        log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))
        log("freeradius log tail:\n" + "\n".join(rad_text().splitlines()[-60:]))


def max_len(text, pattern):
    """The largest length a @pattern (one group: the length) gives in @text."""
    return max([int(m) for m in re.findall(pattern, text)] or [0])


def case_eap_tls_frag(args, net, r, res):
    """EAP-TLS with IKE fragmentation (RFC 7383) both ways: FreeRADIUS sends
    EAP-TLS fragments of up to 1400 octets (so rampartd's IKE responses
    exceed its 1280-octet fragment size), the client fragments its IKE
    messages above 600 octets (rampartd reassembles them)."""
    case_eap_tls(args, net, r, res, frag=True)


def case_eap_tls(args, net, r, res, frag=False):
    """EAP-TLS through RADIUS: FreeRADIUS's tls module checks the client
    certificate against the test's CA and CRL; rampartd only relays (its
    EAP-Messages split into 253-octet attributes and joined back)."""
    ca, rad_text = radius_up(net, r, res, [RAD_SRV], tls=True, tls_frag=1400 if frag else 1024)
    if ca is None:
        return
    pki = os.path.join(net.dir, "pki")
    c, cns, ok, out = tls_client(net, 1, "c1", TLS_USER, pki, ca, ike_frag=600 if frag else None)
    res.check(ok, "strongSwan client (eap-tls) loads its certificate and key",
              "" if ok else out[-400:])
    comes_up(res, c, "the EAP-TLS client (carol's certificate) comes up through FreeRADIUS")
    clog = c.log_text()
    res.check("EAP method EAP_TLS succeeded, MSK established" in clog,
              "strongSwan ran EAP-TLS and has an MSK", "")
    res.check(c.vip() is not None, "carol got a virtual IP from the pool", str(c.vip()))
    one_sa(res, r, "rampartd holds one IKE SA named by carol's EAP identity", TLS_USER)
    ok, detail = ping_ok(cns, LAN_HOST)
    res.check(ok, "carol pings the LAN host through the tunnel", detail)
    rlog = rad_text()
    res.check("Sent Access-Accept" in rlog, "FreeRADIUS (eap tls) sent an Access-Accept", "")
    # the TLS records are larger than one RADIUS attribute (253 octets):
    # FreeRADIUS received and sent EAP-Messages split over several attributes
    req = max_len(rlog, r"Received Access-Request Id \d+ from \S+ to \S+ length (\d+)")
    chal = max_len(rlog, r"Sent Access-Challenge Id \d+ from \S+ to \S+ length (\d+)")
    ike_in = max_len(clog, r"received packet: from \S+ to \S+ \((\d+) bytes\)")
    ike_out = max_len(clog, r"sending packet: from \S+ to \S+ \((\d+) bytes\)")
    res.check(req > 600 and chal > 600,
              "EAP-TLS messages spanned several EAP-Message attributes both ways",
              "largest Access-Request %d, Access-Challenge %d octets; largest IKE message "
              "to the client %d, from it %d" % (req, chal, ike_in, ike_out))
    log("sizes: Access-Request %d, Access-Challenge %d, IKE in %d, IKE out %d octets"
        % (req, chal, ike_in, ike_out))
    if frag:
        split = re.findall(r"splitting IKE message \((\d+) bytes\) into (\d+) fragments", clog)
        got = re.findall(r"received fragment #\d+ of (\d+)", clog)
        res.check(bool(split) and chal > 1280,
                  "the client sent fragmented IKE_AUTH requests and rampartd reassembled them",
                  "client splits %s" % split[:4])
        res.check(bool(got) and "reassembled fragmented IKE message" in clog,
                  "rampartd fragmented its IKE_AUTH responses (EAP-TLS of up to 1400 octets) "
                  "and the client reassembled them", "fragments received: %s" % got[:6])
        return

    # dave's certificate is on the CRL: FreeRADIUS refuses, no SA
    failed0 = stat(r, "auth_failed") or 0
    c2, c2ns, ok, out = tls_client(net, 2, "c2", TLS_REVOKED, pki, ca)
    res.check(ok, "second client (revoked certificate) loads", "" if ok else out[-400:])
    rc2, out2 = c2.initiate("eap", 40)
    res.check(rc2 != 0, "the client with a revoked certificate is refused",
              "" if rc2 != 0 else out2.strip()[-300:])
    rlog = rad_text()
    res.check("certificate revoked" in rlog and "Sent Access-Reject" in rlog,
              "FreeRADIUS found dave's certificate on the CRL and sent an Access-Reject",
              "\n".join(l for l in rlog.splitlines() if "revoked" in l or "Reject" in l)[-400:])
    counted = wait_for(lambda: (stat(r, "auth_failed") or 0) == failed0 + 1, 10)
    res.check(counted is True, "auth_failures_total went up by one",
              "%s -> %s" % (failed0, stat(r, "auth_failed")))
    one_sa(res, r, "still only carol's IKE SA", TLS_USER)
    res.check(radius_stat(r, "accepts") == 1 and radius_stat(r, "rejects") == 1 and
              radius_stat(r, "bad_responses") == 0 and radius_stat(r, "conversations") == 0,
              "rampartctl stats radius: 1 accept, 1 reject, no bad response, none left",
              str(r.ctl("stats")[1].get("radius")))
    if res.fails:
        log("client log tail:\n" + "\n".join(c.log_text().splitlines()[-40:]))
        log("client2 log tail:\n" + "\n".join(c2.log_text().splitlines()[-30:]))
        log("rampartd log tail:\n" + "\n".join(r.log_text().splitlines()[-40:]))
        log("freeradius log tail:\n" + "\n".join(rad_text().splitlines()[-80:]))


CASES = {"eap-radius": case_eap_radius, "eap-radius-failover": case_eap_radius_failover,
         "eap-tls": case_eap_tls, "eap-radius-acct": case_eap_radius_acct,
         "eap-local": case_eap_local, "eap-tls-frag": case_eap_tls_frag,
         "eap-two-rounds": case_eap_two_rounds,
         "eap-two-rounds-radius": case_eap_two_rounds_radius}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
