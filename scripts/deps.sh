#!/bin/sh
# Install the Debian 12 packages Rampart builds and tests with, if missing.
# Idempotent: does nothing when everything is already installed.
set -e
PKGS="build-essential pkg-config meson ninja-build libdpdk-dev dpdk dpdk-dev
libipsec-mb-dev libssl-dev libcunit1-dev libyaml-dev libjansson-dev clang
libclang-rt-14-dev strongswan-charon strongswan-swanctl libcharon-extra-plugins
libstrongswan-standard-plugins libstrongswan-extra-plugins python3-scapy tshark
iperf3 iproute2 iputils-ping nftables conntrack ethtool openssl procps psmisc
libmicrohttpd-dev prometheus curl python3-cryptography libsystemd-dev dpkg-dev lintian
freeradius dpdk-doc gnuplot-nox python3-yaml lua5.4"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
