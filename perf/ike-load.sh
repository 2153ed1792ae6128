#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# perf/ike-load: the measurement of perf/README.md ("IKE set-up load").
#   perf/ike-load.sh BUILD [ike_load.py options, e.g. --total 2000 --repeats 3]
# Needs root (network namespaces) and strongSwan (scripts/deps.sh).
set -e
[ $# -ge 1 ] || { echo "usage: $0 BUILD [options]" >&2; exit 2; }
b=$1
shift
ninja -C "$b" app/rampartd/rampartd app/rampartctl/rampartctl perf/ike-churn perf/ike-floor >/dev/null
exec /usr/bin/python3 "$(dirname "$0")/ike_load.py" --rampartd "$b/app/rampartd/rampartd" \
	--rampartctl "$b/app/rampartctl/rampartctl" --churn "$b/perf/ike-churn" \
	--floor "$b/perf/ike-floor" "$@"
