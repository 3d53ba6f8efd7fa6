/**
 * `npm test`: every suite, then one line `N passed, N failed` summing them all.
 *  1. static checks: TypeScript (each workspace) and biome (lint + format), one check each;
 *  2. vitest: unit tests of every workspace and the integration suite (real services);
 *  3. Playwright: the control room in Debian Chromium against a real stack.
 * Pass `--only static|vitest|e2e` (repeatable) to run a part.
 * Before vitest, PostgreSQL and redis-server are started once: if they cannot start here, the reason
 * is printed once and the integration suite is counted as failed instead of every suite failing
 * (formerly hanging) the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { startPostgres } from '@lagebild/infra/postgres';
import { startRedis } from '@lagebild/infra/redis';

const RESULTS = join(REPO_ROOT, 'test-results');
const only = process.argv.flatMap((a, i, all) => (all[i - 1] === '--only' ? [a] : []));
const wanted = (part: string) => only.length === 0 || only.includes(part);

interface SuiteResult {
  suite: string;
  passed: number;
  failed: number;
  note?: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);

/** Every workspace of the root package.json (`packages/*` expanded) that has a tsconfig.json. */
async function typedWorkspaces(): Promise<string[]> {
  const { workspaces } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const expanded = await Promise.all(
    workspaces.map(async (w) =>
      w.endsWith('/*')
        ? (await readdir(join(REPO_ROOT, w.slice(0, -2)))).sort().map((d) => `${w.slice(0, -2)}/${d}`)
        : [w],
    ),
  );
  return expanded.flat().filter((w) => existsSync(join(REPO_ROOT, w, 'tsconfig.json')));
}

async function staticChecks(): Promise<SuiteResult> {
  const workspaces = await typedWorkspaces();
  let passed = 0;
  const failed: string[] = [];
  for (const ws of workspaces) {
    console.log(`\n▶ typecheck ${ws}`);
    if ((await run(bin('tsc'), ['--noEmit', '-p', ws])) === 0) passed++;
    else failed.push(`typecheck ${ws}`);
  }
  console.log('\n▶ biome check (lint + format)');
  if ((await run(bin('biome'), ['check', '.'])) === 0) passed++;
  else failed.push('biome');
  return { suite: 'static checks', passed, failed: failed.length, note: failed.join(', ') || undefined };
}

/** Why the integration suite's services cannot start on this machine, or null if they can. */
async function serviceCheck(): Promise<string | null> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-check-'));
  await chmod(dir, 0o755);
  try {
    const pg = await startPostgres({ dataDir: join(dir, 'pg') });
    await pg.stop();
    const redis = await startRedis({ dir: join(dir, 'redis') });
    await redis.stop();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function vitest(): Promise<SuiteResult[]> {
  const out = join(RESULTS, 'vitest.json');
  console.log('\n▶ PostgreSQL and redis-server for the integration suite');
  const cannot = await serviceCheck();
  const skipped: SuiteResult[] = [];
  if (cannot) {
    console.error(`\x1b[31mthey cannot start, integration suite not run:\x1b[0m ${cannot}`);
    skipped.push({ suite: 'integration', passed: 0, failed: 1, note: cannot.split('\n')[0] });
  }
  console.log(`\n▶ vitest (unit${cannot ? '' : ' + integration'})`);
  const code = await run(bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${out}`,
    ...(cannot ? ['--project=!integration'] : []),
  ]);
  if (!existsSync(out))
    return [
      { suite: 'vitest', passed: 0, failed: 1, note: `vitest exited ${code} without results` },
      ...skipped,
    ];
  const r = JSON.parse(await readFile(out, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numFailedTestSuites: number;
  };
  // a suite that fails to load (e.g. its beforeAll threw) has no failed tests of its own: count it
  const failedSuites = r.numFailedTests === 0 ? r.numFailedTestSuites : 0;
  return [{ suite: 'vitest', passed: r.numPassedTests, failed: r.numFailedTests + failedSuites }, ...skipped];
}

async function playwright(): Promise<SuiteResult> {
  const out = join(RESULTS, 'playwright.json');
  console.log('\n▶ Playwright (Debian Chromium)');
  const code = await run(bin('playwright'), ['test', '-c', 'test/playwright.config.ts'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
  });
  if (!existsSync(out))
    return { suite: 'playwright', passed: 0, failed: 1, note: `playwright exited ${code} without results` };
  const r = JSON.parse(await readFile(out, 'utf8')) as {
    stats: { expected: number; unexpected: number; flaky: number };
  };
  return { suite: 'playwright', passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected };
}

await rm(RESULTS, { recursive: true, force: true });
await mkdir(RESULTS, { recursive: true });
const results: SuiteResult[] = [];
if (wanted('static')) results.push(await staticChecks());
if (wanted('vitest')) results.push(...(await vitest()));
if (wanted('e2e')) results.push(await playwright());

console.log('\nSummary');
for (const r of results) {
  console.log(
    `  ${r.suite.padEnd(14)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed${r.note ? `  (${r.note})` : ''}`,
  );
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
