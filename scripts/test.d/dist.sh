#!/usr/bin/env bash
# `make dist` produces an archive that installs (also into a DESTDIR staging root, and uninstalls
# cleanly from it) and passes the unit, regression and isolation suites from the unpacked copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
install_packages unzip
work="$(mktemp -d /tmp/autotime-dist.XXXXXX)"
trap 'rm -rf "$work"' EXIT
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" autotime.control)
make -s dist >/dev/null
unzip -q "autotime-$version.zip" -d "$work"
rm -f "autotime-$version.zip" META.json
copy="$work/autotime-$version"
grep -q "\"version\": \"$version.0\"" "$copy/META.json"

make -s -C "$copy" >/dev/null
make -s -C "$copy" install DESTDIR="$work/stage" >/dev/null
staged=("$work/stage$(pg_config --pkglibdir)/autotime.so" "$work/stage$(pg_config --sharedir)/extension/autotime.control")
for script in extension/autotime--*.sql; do staged+=("$work/stage$(pg_config --sharedir)/extension/$(basename "$script")"); done
for f in "${staged[@]}"; do [ -f "$f" ] || { echo "DESTDIR install is missing $f"; exit 1; }; done
make -s -C "$copy" uninstall DESTDIR="$work/stage" >/dev/null
for f in "${staged[@]}"; do [ ! -e "$f" ] || { echo "uninstall left $f"; exit 1; }; done
echo "DESTDIR install and uninstall: ok (${#staged[@]} files)"

AUTOTIME_NESTED=1 bash "$copy/scripts/test.sh" > "$work/suite.log" 2>&1 || { cat "$work/suite.log"; exit 1; }
echo "suite from the unpacked autotime-$version.zip: $(tail -n 1 "$work/suite.log")"
