#!/usr/bin/env bash
# doc/adopting.md is pasteable end to end: its ```sql blocks, run in order as written with
# psql -v ON_ERROR_STOP=1 in a fresh database of a scratch cluster (autotime installed, not
# created), succeed and leave a captured call on the firm's own tables. test.sh has already built
# and installed the extension. AUTOTIME_PG_BINDIR: another PostgreSQL bin folder (a private install).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
PG_BINDIR="${AUTOTIME_PG_BINDIR:-$PG_BINDIR}"
cluster_start
trap cluster_stop EXIT
export PGDATABASE=autotime_adopting_doc
createdb "$PGDATABASE"

# The sql blocks, each as it is in the document, in order.
blocks="$(mktemp /tmp/autotime-adopting.XXXXXX.sql)"
trap 'rm -f "$blocks"; cluster_stop' EXIT
awk '/^```sql[[:space:]]*$/ { inside = 1; n++; printf "\\echo == block %d\n", n; next }
     /^```[[:space:]]*$/ && inside { inside = 0; next }
     inside { print }' doc/adopting.md >"$blocks"
count=$(grep -c '^\\echo == block' "$blocks")
[ "$count" -ge 5 ] || { echo "doc/adopting.md has only $count sql blocks"; exit 1; }
echo "running the $count sql blocks of doc/adopting.md"
psql -X -v ON_ERROR_STOP=1 -f "$blocks"

# Where the reader ends: the history backfilled, the answered call captured once as a draft and
# since approved and billed, at the attorney's rate, on the open matter; nothing for the
# paralegal, no text body in any description, the invoice gate on the bound table.
check() {  # description, query, expected output
  local got
  got="$(psql -X -At -v ON_ERROR_STOP=1 -c "$2")"
  if [ "$got" != "$3" ]; then
    echo "FAILED: $1"; echo "  query:    $2"; echo "  expected: $3"; echo "  got:      $got"; exit 1
  fi
  echo "ok: $1"
}
check "the answered call has one line, billed after approval" \
  "SELECT origin_id, matter_id, mins, memo, line_state, hourly, invoice_ref FROM lawfirm.billing_lines
   WHERE origin_kind = 'call' ORDER BY origin_id" \
  "$(printf '1|700|15|Phone call (outbound)|draft|410.00|\n2|700|15|Phone call (inbound)|billed|410.00|INV-1001')"
check "the text from before autotime was backfilled, without its body" \
  "SELECT origin_id, memo, line_state FROM lawfirm.billing_lines WHERE origin_kind = 'sms'" \
  "1|Text message to client|draft"
check "explain agrees" \
  "SELECT autotime.explain('call', 2, team_id => 7) ->> 'outcome', autotime.entry_for('call', 2, team_id => 7) =
          (SELECT line_id FROM lawfirm.billing_lines WHERE origin_kind = 'call' AND origin_id = 2)" \
  "created|t"
check "the invoice gate holds on the bound table" \
  "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'lawfirm.billing_lines'::regclass
   AND NOT tgisinternal AND tgname LIKE 'autotime_invoice_gate%'" \
  "autotime_invoice_gate,autotime_invoice_gate_insert"
check "the bound table keeps its lines' history (SPEC §7): made, approved, then billed by the application" \
  "SELECT string_agg(h.action, ',' ORDER BY h.change_id) FROM autotime.history(
     (SELECT line_id FROM lawfirm.billing_lines WHERE origin_kind = 'call' AND origin_id = 2), 7) h" \
  "created,approved,edited"
refusal="$(psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE lawfirm.billing_lines SET invoice_ref = 'INV-1002'
     WHERE origin_kind = 'call' AND origin_id = 1" 2>&1 || true)"
case "$refusal" in
  *"is a draft and cannot be invoiced"*) echo "ok: a draft line can't be invoiced" ;;
  *) echo "FAILED: a draft line was put on an invoice, or refused for another reason: $refusal"; exit 1 ;;
esac
echo "adopting.md: $count sql blocks pasted in order, a call captured on the firm's own tables"
