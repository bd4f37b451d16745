#!/usr/bin/env bash
# The entry point behind every npm script and `npx mercato`: puts Node 24 first on PATH (installing
# it when the machine's node is older), installs npm dependencies when they are missing or stale,
# then runs one task. Usage: bash scripts/run.sh <build|lint|typecheck|format|proto|kernels|test|mercato> [args…]
# Everything it says on its own goes to stderr: stdout belongs to the task (`mercato … --json`).
# Concurrent calls are safe: dependency installs take a lock (flock, where the machine has it) and
# scripts/build.mjs builds one at a time and skips what is up to date.
set -euo pipefail
# When the command began, before any set-up, for the start-up time `mercato up` prints.
export MERCATO_STARTED_AT="$(date +%s)"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$MERCATO_ROOT"

install_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "mercato: installing npm dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund >&2
  fi
  if [ -x scripts/tensorflow/install-tfjs-native.sh ] && [ -z "${MERCATO_SKIP_TF:-}" ]; then
    bash scripts/tensorflow/install-tfjs-native.sh
  fi
}

ensure_deps() {
  if command -v flock >/dev/null; then
    mkdir -p .mercato
    (flock 9 && install_deps) 9>.mercato/deps.lock
  else
    install_deps
  fi
}

build() { node scripts/build.mjs "$@"; }

task="${1:-}"
shift || true
case "$task" in
  build) ensure_deps; build ;;
  lint) ensure_deps; NX_DAEMON=false nx show projects >/dev/null; eslint . --max-warnings 0; prettier --check . ;;
  format) ensure_deps; prettier --write . ;;
  typecheck) ensure_deps; tsc -p tsconfig.json ;;
  proto)
    ensure_deps
    buf lint
    buf generate
    if git rev-parse --verify --quiet main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then
      buf breaking --against '.git#branch=main'
    fi
    ;;
  kernels) ensure_deps; node scripts/kernels/build.mjs ;;
  test) ensure_deps; build; vitest run "$@" ;;
  mercato) ensure_deps; build --quiet; exec node --enable-source-maps dist/scripts/cli/src/main.js "$@" ;;
  *) echo "usage: bash scripts/run.sh <build|lint|typecheck|format|proto|kernels|test|mercato> [args…]" >&2; exit 64 ;;
esac
