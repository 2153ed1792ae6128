#!/bin/sh
# Build the Debian package from this tree: scripts/mkdeb.sh BUILD_DIR
# (`make deb`). A production meson build (no tests, no test-only features,
# libsystemd required) is installed into BUILD_DIR/root with `meson install
# --destdir --strip`; the unit, man pages, sample configs and the Debian
# metadata are added; dpkg-shlibdeps computes the library dependencies and
# dpkg-deb writes BUILD_DIR/rampart_VERSION_ARCH.deb. Needs only Debian 12's
# dpkg-dev (no network). The version is meson's project version.
set -eu
B=${1:-build-deb}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PKG=rampart

[ -f "$B/build.ninja" ] || meson setup "$B" --prefix=/usr --buildtype=debugoptimized \
	-Dtests=false -Ddebug_keys=false -Dfault_inject=false -Dsystemd=enabled
ninja -C "$B"
B=$(cd "$B" && pwd)
VER=$(meson introspect "$B" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
ARCH=$(dpkg --print-architecture)
ROOT="$B/root"
rm -rf "$ROOT" "$B/shlibs"
meson install -C "$B" --destdir "$ROOT" --strip --quiet >/dev/null

# systemd unit, man pages, configuration samples
install -D -m 0644 "$SRC/packaging/rampartd.service" "$ROOT/lib/systemd/system/rampartd.service"
for m in rampartd.8 rampartctl.8 rampart.yaml.5; do
	sec=${m##*.}
	install -d "$ROOT/usr/share/man/man$sec"
	gzip -9n -c "$SRC/packaging/man/$m" > "$ROOT/usr/share/man/man$sec/$m.gz"
	chmod 0644 "$ROOT/usr/share/man/man$sec/$m.gz"
done
install -D -m 0644 "$SRC/packaging/bash-completion/rampartctl" \
	"$ROOT/usr/share/bash-completion/completions/rampartctl"
# Samples hold (example) PSKs: owner-only, as the loader demands.
install -D -m 0600 "$SRC/config/remote-access.yaml" "$ROOT/etc/rampart/rampart.yaml"
install -D -m 0600 "$SRC/config/remote-access.yaml" "$ROOT/etc/rampart/examples/remote-access.yaml"
install -D -m 0600 "$SRC/config/site-to-site.yaml" "$ROOT/etc/rampart/examples/site-to-site.yaml"

DOC="$ROOT/usr/share/doc/$PKG"
install -d "$DOC"
install -m 0644 "$SRC/packaging/copyright" "$DOC/copyright"
# A native package (no Debian revision): its changelog is changelog.gz.
DATE=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the source tree (make deb).\n\n -- %s  %s\n' \
	"$PKG" "$VER" "Rampart maintainers <rampart@example.org>" "$DATE" |
	gzip -9n > "$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"

# Library dependencies: dpkg-shlibdeps wants a debian/control to sit beside.
mkdir -p "$B/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" > "$B/shlibs/debian/control"
DEPS=$(cd "$B/shlibs" && dpkg-shlibdeps -O "$ROOT/usr/bin/rampartd" "$ROOT/usr/bin/rampartctl" \
	2>/dev/null | sed -n 's/^shlibs:Depends=//p')

install -d "$ROOT/DEBIAN"
cat > "$ROOT/DEBIAN/control" <<CTL
Package: $PKG
Version: $VER
Architecture: $ARCH
Maintainer: Rampart maintainers <rampart@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
Depends: adduser, $DEPS
Section: net
Priority: optional
Homepage: https://example.org/rampart
Description: IPsec VPN concentrator (IKEv2, DPDK ESP datapath)
 Rampart terminates IKEv2/IPsec tunnels: a control core runs IKEv2
 (RFC 7296) and the workers process ESP on DPDK ports.
 .
 This package holds rampartd, rampartctl, the systemd unit (Type=notify,
 watchdog, hardened), sample configurations under /etc/rampart and the
 manual pages rampartd(8), rampartctl(8) and rampart.yaml(5).
CTL
(cd "$ROOT" && find etc -type f | sed 's|^|/|' | sort) > "$ROOT/DEBIAN/conffiles"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort |
	xargs md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"
install -m 0755 "$SRC/packaging/postinst" "$ROOT/DEBIAN/postinst"
find "$ROOT" -type d -exec chmod g-w,o-w {} +
rm -f "$B/${PKG}"_*.deb
OUT="$B/${PKG}_${VER}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT" >/dev/null
echo "$OUT"
