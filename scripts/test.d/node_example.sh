#!/usr/bin/env bash
# The Node.js example application (examples/node): installs its pinned dependencies from the
# lockfile and runs its tests (node --test) against a database with autotime and the practice
# schema, on its own scratch cluster. test.sh has already built and installed the extension.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
# A fresh machine has neither: Debian's (node 18 runs `node --test`).
command -v node >/dev/null && command -v npm >/dev/null || install_packages nodejs npm
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are required"; exit 1; }
cluster_start
trap cluster_stop EXIT
export PGDATABASE=autotime_node
createdb "$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
  -c 'CREATE EXTENSION autotime' -c 'SELECT autotime.create_practice_schema()' >/dev/null
cd examples/node
echo "node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
node --test test.js
echo "node example: $(node --version), pg $(node -p "require(\"pg/package.json\").version"), tests passed"
