#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI (pinned in docs/package.json,
# rules in docs/redocly.yaml). Exits with the linter's status.
set -euo pipefail

docs_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../docs" && pwd)"
cd "$docs_dir"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

set +e
npx --no-install redocly lint openapi.yaml
status=$?
set -e
exit "$status"
