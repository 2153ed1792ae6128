#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampart.yaml(5) documents every key the loader accepts.

The loader (lib/conf) names the keys of each mapping in one table per mapping:
  static const char *const keys[K_N] = {"socket", "mode", "group"};
  static const char *const conn_keys[K_N] = {[K_NAME] = "name", ...};
Every string of every such table must appear in the man page as a ".B KEY"
line (a tagged paragraph of its own). Fails, naming the keys, otherwise; fails
too when no table is found (the pattern must not silently match nothing).

usage: man_keys.py LIB_CONF_DIR MAN_PAGE
"""
import pathlib
import re
import sys

TABLE = re.compile(r"const\s+char\s*\*\s*const\s+\w*keys\s*\[[^\]]*\]\s*=\s*\{(.*?)\};", re.S)
STRING = re.compile(r'"([a-z_]+)"')


def loader_keys(conf_dir):
    keys = {}
    for src in sorted(pathlib.Path(conf_dir).glob("*.c")):
        for table in TABLE.finditer(src.read_text()):
            for k in STRING.findall(table.group(1)):
                keys.setdefault(k, src.name)
    return keys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    keys = loader_keys(sys.argv[1])
    if len(keys) < 20:
        sys.exit(f"man_keys: only {len(keys)} keys found in {sys.argv[1]}: pattern broken?")
    documented = set(re.findall(r"^\.B\s+(\S+)\s*$", pathlib.Path(sys.argv[2]).read_text(), re.M))
    missing = sorted(k for k in keys if k not in documented)
    if missing:
        for k in missing:
            print(f"man_keys: {k} ({keys[k]}) is not documented in {sys.argv[2]}")
        sys.exit(1)
    print(f"man_keys: all {len(keys)} loader keys documented")


if __name__ == "__main__":
    main()
