/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in configuration: rampartd loads it when started without -c (the
 * demo). A verbatim copy of config/ci.yaml: edit both (test_conf compares).
 */
#include "conf.h"

static const char default_yaml[] =
	"# Rampart CI / demo configuration: two net_af_packet ports on veth pairs that\n"
	"# the test scripts create (rp-pub towards the IKE peer, rp-lan towards the\n"
	"# protected LAN) and one remote-access connection with a pre-shared key.\n"
	"# The same shape is built into rampartd (conf_default_yaml()), used when it\n"
	"# runs without -c. Every key is explained in config/remote-access.yaml.\n"
	"\n"
	"workers: 1                      # worker lcores (0 = every EAL worker lcore)\n"
	"log_level: info                 # err | warning | notice | info | debug\n"
	"telemetry: true                 # publish counters through DPDK telemetry\n"
	"\n"
	"control:\n"
	"  socket: /run/rampart/rampart.sock   # rampartctl talks to this UNIX socket\n"
	"  mode: \"0600\"                        # root only\n"
	"\n"
	"ports:\n"
	"  - name: pub                   # referred to by routes\n"
	"    role: public                # peers reach us here: IKE (UDP 500/4500) and ESP\n"
	"    device: net_af_packet0,iface=rp-pub   # DPDK vdev bound to the veth end\n"
	"    addresses: [192.0.2.1/24]   # our address and the on-link subnet\n"
	"  - name: lan\n"
	"    role: private               # cleartext side\n"
	"    device: net_af_packet1,iface=rp-lan\n"
	"    addresses: [10.1.0.1/24]\n"
	"\n"
	"connections:\n"
	"  - name: ra                    # shown by rampartctl, used by \"initiate\"\n"
	"    remote: any                 # accept clients from any address\n"
	"    local_id: fqdn:gw.rampart.test     # IDr we send\n"
	"    remote_id: any              # any client identity that proves the PSK\n"
	"    auth: psk                   # both sides authenticate with the PSK\n"
	"    psk: \"rampart-ci-only-not-a-secret\"   # test only: use psk_file elsewhere\n"
	"    ike: [aes256gcm16-prfsha256-ecp256]   # IKE proposals, preferred first\n"
	"    esp: [aes256gcm16]          # ESP proposals\n"
	"    local_ts: [10.1.0.0/24]     # the LAN clients may reach\n"
	"    remote_ts: dynamic          # each client's virtual IP from the pool\n"
	"    pool:\n"
	"      range: 10.99.0.0/24       # virtual IPs 10.99.0.1 .. 10.99.0.254\n"
	"      dns: [10.1.0.53]          # handed out in the CFG reply\n";

const char *
conf_default_yaml(void)
{
	return default_yaml;
}
