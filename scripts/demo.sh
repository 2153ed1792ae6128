#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Rampart demo: rampartd terminates a strongSwan client's IPsec tunnel.
#
#   sh scripts/demo.sh [BUILD_DIR]        (root; `make demo` builds first)
#
# Builds a throw-away network out of three namespaces, runs rampartd on two
# DPDK net_af_packet ports with its built-in configuration (config/ci.yaml;
# control socket moved to a temporary directory with -s), connects one
# strongSwan client (IKEv2, virtual IP from the pool) with the PSK rampartd
# generated at start (read from the 0600 file beside the control socket),
# shows the tunnel with rampartctl, sends ping and iperf3 traffic through it
# and removes everything again, also on Ctrl-C.
#
#   e2e-demo-cli                    e2e-demo-gw                     e2e-demo-lan
#   strongSwan 192.0.2.2 <-veth-> rp-pub [rampartd] rp-lan <-veth-> 10.1.0.2
#   virtual IP 10.99.0.x            192.0.2.1 | 10.1.0.1            (LAN host)
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$HERE/$BUILD ;; esac
RAMPARTD=$BUILD/app/rampartd/rampartd
RAMPARTCTL=$BUILD/app/rampartctl/rampartctl
GW=e2e-demo-gw CLI=e2e-demo-cli LAN=e2e-demo-lan
PREFIX=e2e-demo-$$
# namespaces, veths, charon, swanctl: the test networks' one module
NETLAB="/usr/bin/python3 $HERE/tests/interop/netlab.py"
T=""
RD_PID="" CH_PID="" IP_PID="" SOCK=""
FAIL=0

say() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
bad() { printf '   FAILED: %s\n' "$*"; FAIL=1; }
ctl() { "$RAMPARTCTL" -s "$SOCK" -t 10 "$@"; }
swan() { $NETLAB swanctl $CLI "$T/cli" "$@"; }

cleanup() {
	trap - EXIT INT TERM
	for p in $IP_PID $CH_PID; do kill "$p" 2>/dev/null; done
	if [ -n "$RD_PID" ] && kill -0 "$RD_PID" 2>/dev/null; then
		kill -TERM "$RD_PID" 2>/dev/null
		i=0
		while kill -0 "$RD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$RD_PID" 2>/dev/null
	fi
	$NETLAB ns-del $CLI $LAN $GW
	rm -rf "/var/run/dpdk/$PREFIX"
	if [ -n "$T" ]; then
		if [ $FAIL != 0 ]; then
			mkdir -p /tmp/rampart-demo-logs
			cp "$T/rampartd.log" "$T/cli/charon.log" /tmp/rampart-demo-logs/ 2>/dev/null
			echo "logs kept in /tmp/rampart-demo-logs"
		fi
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'echo; echo "interrupted, cleaning up"; FAIL=1; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, DPDK)"; exit 2; }
for f in "$RAMPARTD" "$RAMPARTCTL"; do
	[ -x "$f" ] || { echo "demo: $f not built (make build)"; exit 2; }
done
for c in /usr/lib/ipsec/charon swanctl iperf3 ethtool; do
	command -v $c >/dev/null 2>&1 || [ -x $c ] || { echo "demo: $c missing (make deps)"; exit 2; }
done
T=$(mktemp -d /tmp/rampart-demo.XXXXXX)
chmod 755 "$T"
START=$(date +%s)

say "1. network: namespaces $GW (rampartd), $CLI (strongSwan client), $LAN (LAN host)"
{ $NETLAB ns-add $GW $CLI $LAN &&
	$NETLAB veth rp-pub $GW cli0 $CLI &&
	$NETLAB veth rp-lan $GW lan0 $LAN &&
	$NETLAB dpdk-port $GW rp-pub rp-lan &&
	$NETLAB host-if $CLI cli0 192.0.2.2/24 &&
	$NETLAB host-if $LAN lan0 10.1.0.2/24 &&
	ip -n $LAN route add 10.99.0.0/24 via 10.1.0.1; } || { bad "network set-up"; exit 1; }
ok "veth rp-pub <-> client 192.0.2.2/24, veth rp-lan <-> LAN host 10.1.0.2/24"

say "2. rampartd, built-in configuration (ports rp-pub/rp-lan via net_af_packet, pool 10.99.0.0/24)"
SOCK=$T/rampart.sock
PSK_FILE=$T/rampart.psk
ip netns exec $GW "$RAMPARTD" -s "$SOCK" -- -l 0,1 --no-huge -m 256 --no-pci \
	--file-prefix "$PREFIX" >"$T/rampartd.log" 2>&1 &
RD_PID=$!
$NETLAB wait-log "$T/rampartd.log" running: $RD_PID 60 ||
	{ bad "rampartd did not start:"; tail -20 "$T/rampartd.log"; exit 1; }
ok "$(grep -o 'running:.*' "$T/rampartd.log" | cut -d, -f1-3) (pid $RD_PID)"
PSK=$(cat "$PSK_FILE" 2>/dev/null)
if [ ${#PSK} -ge 32 ] && [ "$(stat -c %a "$PSK_FILE")" = 600 ]; then
	ok "a fresh PSK for this run: $PSK_FILE (mode 600, ${#PSK} characters)"
else
	bad "no generated PSK in $PSK_FILE"; exit 1
fi

say "3. strongSwan client (charon, kernel-libipsec) connects: IKEv2, PSK, asks for a virtual IP"
mkdir -p "$T/cli"
cat >"$T/cli/swanctl.conf" <<EOF
connections {
	demo {
		version = 2
		local_addrs = 192.0.2.2
		remote_addrs = 192.0.2.1
		vips = 0.0.0.0
		proposals = aes256gcm16-prfsha256-ecp256
		local {
			auth = psk
			id = demo@rampart.test
		}
		remote {
			auth = psk
			id = gw.rampart.test
		}
		children {
			demo {
				remote_ts = 10.1.0.0/24
				esp_proposals = aes256gcm16
			}
		}
	}
}
secrets {
	ike-demo {
		secret = "$PSK"
	}
}
EOF
chmod 600 "$T/cli/swanctl.conf"
CH_PID=$($NETLAB charon-start $CLI "$T/cli") || { bad "charon did not start"; exit 1; }
swan --load-all --noprompt --file "$T/cli/swanctl.conf" >"$T/cli/load.txt" 2>&1 ||
	{ bad "swanctl --load-all"; cat "$T/cli/load.txt"; exit 1; }
if swan --initiate --child demo >"$T/cli/initiate.txt" 2>&1; then
	VIP=$(swan --list-sas 2>/dev/null | grep -o '\[10\.99\.[0-9.]*\]' | tr -d '[]' | head -1)
	ok "tunnel up, the client got virtual IP $VIP"
else
	bad "the client could not connect:"; tail -5 "$T/cli/initiate.txt"; exit 1
fi

say "4. rampartctl status / list-sas"
ctl status | sed 's/^/   /'
echo
ctl list-sas | sed 's/^/   /'

say "5. traffic through the tunnel"
out=$(ip netns exec $CLI ping -c 5 -i 0.2 -W 2 10.1.0.2 2>&1)
echo "$out" | grep -q ' 0% packet loss' &&
	ok "client $VIP -> LAN host 10.1.0.2: ping $(echo "$out" | grep -o '[0-9]* received'), rtt $(echo "$out" | grep -o 'rtt.*' | cut -d' ' -f4 | cut -d/ -f2) ms avg" ||
	bad "ping client -> LAN: $(echo "$out" | tail -2)"
out=$(ip netns exec $LAN ping -c 5 -i 0.2 -W 2 "$VIP" 2>&1)
echo "$out" | grep -q ' 0% packet loss' &&
	ok "LAN host 10.1.0.2 -> client $VIP: ping $(echo "$out" | grep -o '[0-9]* received')" ||
	bad "ping LAN -> client: $(echo "$out" | tail -2)"
ip netns exec $LAN iperf3 -s -B 10.1.0.2 >/dev/null 2>&1 &
IP_PID=$!
sleep 0.5
for dir in "" "-R"; do
	what="client -> LAN"
	[ -n "$dir" ] && what="LAN -> client"
	out=$(ip netns exec $CLI timeout 30 iperf3 -c 10.1.0.2 -t 3 -f m $dir 2>&1)
	rate=$(echo "$out" | grep receiver | awk '{print $7, $8}')
	[ -n "$rate" ] && ok "iperf3 TCP $what: $rate (strongSwan's userspace ESP is the bottleneck)" ||
		bad "iperf3 $what: $(echo "$out" | tail -2)"
done

say "6. what rampartd saw"
ctl --json list-children | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin)["children"]:
    print("   child %s: SPIs in %s / out %s, %s, ESP-in-UDP %s, %d packets (%d bytes) decrypted, "
          "%d packets (%d bytes) encrypted, %d dropped" % (c["id"], c["spi_in"], c["spi_out"],
          c["enc"], "yes" if c["natt"] else "no", c["pkts_in"], c["bytes_in"], c["pkts_out"],
          c["bytes_out"], c["drops"]))'
swan --terminate --ike demo >/dev/null 2>&1
sleep 0.5
n=$(ctl --json status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"])')
[ "$n" = 0 ] && ok "client disconnected: rampartd has $n IKE SAs left" || bad "IKE SAs left: $n"
kill -TERM $RD_PID
i=0
while kill -0 $RD_PID 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if wait $RD_PID; then ok "rampartd stopped cleanly"; else bad "rampartd exit status"; fi
RD_PID=""
[ -e "$PSK_FILE" ] && bad "the generated PSK's file outlived rampartd" ||
	ok "the generated PSK's file is gone with rampartd"

echo
if [ $FAIL = 0 ]; then
	echo "demo: PASS in $(($(date +%s) - START)) s - rampartd terminated a real strongSwan tunnel"
else
	echo "demo: FAILED (see above)"
fi
exit $FAIL
