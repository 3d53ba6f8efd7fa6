#!/usr/bin/env bash
# Entry for the README's commands: `npm start` (set up, then run everything), `npm test` (set up,
# then every suite), `npm run bench:<name>`. Setup is shared and idempotent (infra/bin/setup.sh).
set -euo pipefail
cmd="${1:-start}"; shift || true
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
case "$cmd" in
  setup) . "$here/setup.sh" test ;;
  start) . "$here/setup.sh" start; cd "$root"; exec node infra/src/run-local.ts "$@" ;;
  test)  . "$here/setup.sh" test;  cd "$root"; exec node test/src/run-all.ts "$@" ;;
  bench) . "$here/setup.sh" test;  cd "$root"; name="$1"; shift; exec node "test/bench/$name.ts" "$@" ;;
  *) echo "usage: lagebild.sh start|test|setup|bench <name>" >&2; exit 2 ;;
esac
