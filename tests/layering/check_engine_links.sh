#!/usr/bin/env bash
# Fails when a bundled engine binary links libsqlite3 or libz: engines link
# only the base, the protocol codec and the named points (docs/architecture.md),
# never the controller. The sqlite engine links libsqlite3 as its own storage,
# so it is not checked. Usage: check_engine_links.sh ENGINE_BINARY...
set -euo pipefail
status=0
for binary in "$@"; do
  if ! libraries=$(ldd "$binary"); then
    echo "cannot list the libraries of $binary (ldd failed)"
    exit 1
  fi
  if grep -E 'libsqlite3|libz\.so' <<<"$libraries"; then
    echo "$binary links a library of the controller (above); link crashlab::engines only"
    status=1
  else
    echo "$binary: neither libsqlite3 nor libz"
  fi
done
exit "$status"
