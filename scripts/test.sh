#!/usr/bin/env bash
# The project's one test command (README "Set up"): makes PostgreSQL's server binaries available,
# then runs every test. Tests that need PostgreSQL start their own throwaway server; none skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found; installing the Debian package" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql
fi

cargo test --locked "$@"
