#!/usr/bin/env bash
# doc/privileges.md shows the recipes that are tested: every ```sql block of the document occurs
# word for word, as consecutive lines, in sql/privilege_recipes.sql (which runs them, then connects
# as each role) and in expected/privilege_recipes.out (so the suite really ran them as written).
# Needs no server.
set -euo pipefail
cd "$(dirname "$0")/../.."
for target in sql/privilege_recipes.sql expected/privilege_recipes.out; do
  awk -v target="$target" '
    FNR == 1 { file++ }
    file == 1 { text = text $0 "\n"; next }
    /^```sql[[:space:]]*$/ { inside = 1; block = ""; next }
    /^```[[:space:]]*$/ && inside {
      inside = 0; n++
      if (index(text, block) == 0) { printf "doc/privileges.md block %d is not in %s as written:\n%s", n, target, block; bad++ }
      next
    }
    inside { block = block $0 "\n" }
    END {
      if (n < 3) { printf "doc/privileges.md has only %d sql blocks\n", n; exit 1 }
      if (bad) exit 1
      printf "doc/privileges.md: its %d sql blocks are in %s word for word\n", n, target
    }' "$target" doc/privileges.md
done
