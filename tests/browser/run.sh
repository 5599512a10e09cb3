#!/usr/bin/env bash
# Runs browser test files (default: every *.test.mjs here) with Node's test
# runner, installing the pinned playwright-core first when node_modules is
# missing. Needs EVENTLY_TEST_STATE (the stack fixture); see CMakeLists.txt.
#   run.sh [file.test.mjs ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi

if [ $# -eq 0 ]; then set -- *.test.mjs; fi
exec node --test --test-concurrency=1 "$@"
