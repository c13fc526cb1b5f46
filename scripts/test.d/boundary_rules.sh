#!/usr/bin/env bash
# The C++/PostgreSQL boundary rules (ENGINEERING.md), checked on the source:
#  - the core (src/core) includes no PostgreSQL header;
#  - every SQL-callable function is defined with AUTOTIME_SQL_FUNCTION (src/pg/boundary.hpp), which
#    turns an escaping C++ exception into an ERROR: PG_FUNCTION_INFO_V1 appears nowhere else, and
#    every C function an extension script names is defined that way;
#  - C++ exceptions are caught only in boundary.hpp (call_core, run_core, the guard), never around
#    code that may longjmp.
set -euo pipefail
cd "$(dirname "$0")/../.."
broken=0
fail() { echo "boundary rule broken: $*"; broken=$((broken + 1)); }

for file in $(grep -rlE '#include *[<"](postgres|fmgr|utils/|access/|catalog/|executor/)' src/core || true); do
  fail "$file includes a PostgreSQL header"
done
for file in $(grep -rl 'PG_FUNCTION_INFO_V1' src --include='*.cpp' --include='*.hpp' | grep -v '^src/pg/boundary.hpp$' || true); do
  fail "$file declares a function with PG_FUNCTION_INFO_V1 instead of AUTOTIME_SQL_FUNCTION"
done
for file in $(grep -rlE '\btry *\{|\bcatch *\(' src/pg --include='*.cpp' --include='*.hpp' | grep -v '^src/pg/boundary.hpp$' || true); do
  fail "$file catches C++ exceptions itself (use call_core or run_core from boundary.hpp)"
done
named=$(grep -ho "'MODULE_PATHNAME', *'[a-z_0-9]*'" extension/*.sql | sed "s/.*, *'//; s/'\$//" | sort -u)
defined=$(grep -ho 'AUTOTIME_SQL_FUNCTION([a-z_0-9]*)' src/pg/*.cpp | sed 's/.*(\(.*\))/\1/' | sort -u)
for name in $named; do
  grep -qx "$name" <<<"$defined" || fail "C function $name named by an extension script is not an AUTOTIME_SQL_FUNCTION"
done
echo "boundary rules: $(wc -w <<<"$named") SQL-callable C functions, $(ls src/core/*.?pp | wc -l) core files checked; $broken broken"
[ "$broken" -eq 0 ]
