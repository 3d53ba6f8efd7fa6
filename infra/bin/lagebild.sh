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
  # the fuzzing suites (issue 11) alone: `--runs N` runs N per boundary, `--seed S` replays a run
  fuzz)  . "$here/setup.sh" test;  cd "$root"
         while [ $# -gt 0 ]; do
           case "$1" in
             --runs) export FUZZ_RUNS="$2"; shift 2 ;;
             --runs=*) export FUZZ_RUNS="${1#*=}"; shift ;;
             --seed) export FUZZ_SEED="$2"; shift 2 ;;
             --seed=*) export FUZZ_SEED="${1#*=}"; shift ;;
             *) break ;;
           esac
         done
         exec npx vitest run --project integration test/integration/fuzz-http.test.ts \
           test/integration/fuzz-sockets.test.ts test/integration/fuzz-whip.test.ts "$@" ;;
  # the fault suites (issue 14): each fault injected into a real stack, asserted, its recovery timed;
  # ends with one line `N passed, N failed` like `test` (.ci/run sums both)
  faults) . "$here/setup.sh" test; cd "$root"; mkdir -p test-results
         code=0
         npx vitest run -c test/vitest.faults.config.ts --reporter=default --reporter=json \
           --outputFile="$root/test-results/faults.json" "$@" || code=$?
         node -e '
           const fs = require("node:fs"); const f = "test-results/faults.json";
           if (!fs.existsSync(f)) { console.log("0 passed, 1 failed"); process.exit(0); }
           const r = JSON.parse(fs.readFileSync(f, "utf8"));
           const failed = r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
           console.log(`${r.numPassedTests} passed, ${failed} failed`);'
         exit "$code" ;;
  # long-running load with memory sampling (issue 14): `npm run soak -- --minutes N [--devices 2000]`
  soak)  . "$here/setup.sh" test;  cd "$root"; exec node test/soak/soak.ts "$@" ;;
  *) echo "usage: lagebild.sh start|test|setup|fuzz [--runs N] [--seed S]|faults|soak --minutes N|bench <name>" >&2; exit 2 ;;
esac
