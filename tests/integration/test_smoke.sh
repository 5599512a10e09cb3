#!/usr/bin/env bash
# Smoke: the stack answers, and nginx's own errors are problem documents.
source "$(dirname "$0")/lib.sh"

req GET /health
expect_status 200
expect_json . '{"status":"ok","database":"ok"}'

req GET /no/such/path
expect_problem 404 not_found

req DELETE /health
expect_problem 405 method_not_allowed
expect_header Allow "GET, OPTIONS"

finish
