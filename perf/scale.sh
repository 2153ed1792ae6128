#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# perf/scale: the measurement of perf/README.md ("Scale") and docs/scale.md.
#   perf/scale.sh BUILD [--tunnels N] [scale.py options]
# Needs root (network namespaces).
set -e
[ $# -ge 1 ] || { echo "usage: $0 BUILD [--tunnels N] [options]" >&2; exit 2; }
b=$1
shift
ninja -C "$b" app/rampartd/rampartd app/rampartctl/rampartctl perf/ike-churn >/dev/null
exec nice /usr/bin/python3 "$(dirname "$0")/scale.py" --rampartd "$b/app/rampartd/rampartd" \
	--rampartctl "$b/app/rampartctl/rampartctl" --churn "$b/perf/ike-churn" "$@"
