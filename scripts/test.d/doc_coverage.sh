#!/usr/bin/env bash
# Every function, procedure, view and table in schema autotime is documented in doc/autotime.md
# (as `autotime.<name>`), and every reason code the core knows is in its reason table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
cluster_start
trap cluster_stop EXIT
psql -X -q -d postgres -c 'CREATE EXTENSION autotime' >/dev/null
objects=$(psql -X -At -d postgres -c "
  SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'autotime'::regnamespace
  UNION SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'autotime'::regnamespace AND c.relkind IN ('r', 'v')
  ORDER BY 1")
missing=0
checked=0
for name in $objects; do
  checked=$((checked + 1))
  if ! grep -q "autotime\.$name\b" doc/autotime.md; then
    echo "undocumented: autotime.$name"; missing=$((missing + 1))
  fi
done
for code in $(grep -o 'return "[a-z_]*";' src/core/rules.cpp | sed 's/return "\(.*\)";/\1/' | sort -u); do
  case "$code" in call|sms|document|ir_report|event|created|skipped|not_qualifying|unknown) continue ;; esac
  checked=$((checked + 1))
  grep -q "| \`$code\` |" doc/autotime.md || { echo "reason code not in the manual: $code"; missing=$((missing + 1)); }
done
echo "documentation coverage: $checked objects and reason codes checked, $missing missing"
[ "$missing" -eq 0 ]
