#!/usr/bin/env bash
# The project's one test command (README "Set up"): makes PostgreSQL's server binaries available,
# then runs every test. Tests that need PostgreSQL start their own throwaway server; none skip.
set -euo pipefail
cd "$(dirname "$0")/.."

# The PostgreSQL tests need the server binaries, and openssl to make their test CA.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages the tests need: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

cargo test --locked "$@"
