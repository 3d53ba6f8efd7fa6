/**
 * A service that cannot start fails at once and says why (issue 12: when PostgreSQL could not start,
 * `npm start` failed without a reason and every integration suite waited 60–120 s for its hook
 * timeout). Each case here must fail well within its bound, naming the cause.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '@lagebild/infra/postgres';
import { spawnService } from '@lagebild/infra/process';
import { startRedis } from '@lagebild/infra/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRunner, startLocalRunner } from '../src/local-runner.ts';

let dir: string;
let blocker: Server;
let takenPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-fail-'));
  await chmod(dir, 0o755);
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  takenPort = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
  blocker?.close();
  await rm(dir, { recursive: true, force: true });
});

async function failure(start: () => Promise<unknown>): Promise<{ message: string; ms: number }> {
  const t0 = Date.now();
  const err = await start().then(
    () => new Error('expected the start to fail'),
    (e: Error) => e,
  );
  return { message: err.message, ms: Date.now() - t0 };
}

describe('startPostgres()', () => {
  it('rejects at once with the server’s reason when its port is taken', async () => {
    const { message, ms } = await failure(() =>
      startPostgres({ dataDir: join(dir, 'pg-port'), port: takenPort }),
    );
    expect(message).toMatch(/PostgreSQL exited \(code 1\) before it was ready/);
    expect(message).toMatch(/Address already in use/);
    expect(ms).toBeLessThan(15_000); // initdb included
  });

  it('rejects at once when the data directory belongs to another PostgreSQL version', async () => {
    const data = join(dir, 'pg-old');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'PG_VERSION'), '9\n');
    const { message, ms } = await failure(() => startPostgres({ dataDir: data }));
    expect(message).toMatch(/PostgreSQL exited \(code \d\) before it was ready/);
    expect(message).toMatch(/FATAL|could not|postgres:/);
    expect(ms).toBeLessThan(5000);
  });
});

describe('startRedis()', () => {
  it('rejects at once with redis-server’s reason when its port is taken', async () => {
    const { message, ms } = await failure(() => startRedis({ dir: join(dir, 'redis'), port: takenPort }));
    expect(message).toMatch(/redis-server exited \(code 1\) before it was ready/);
    expect(message).toMatch(/Address already in use/);
    expect(ms).toBeLessThan(5000);
  });
});

describe('spawnService()', () => {
  it('rejects as soon as the service exits before it is ready, with its last lines', async () => {
    const entry = join(dir, 'crash.ts');
    await writeFile(entry, "console.error('config: PORT must be a number'); process.exit(2);\n");
    const { message, ms } = await failure(() => spawnService({ name: 'crasher', entry, env: {} }));
    expect(message).toMatch(/crasher exited \(code 2\) before it was ready/);
    expect(message).toMatch(/PORT must be a number/);
    expect(ms).toBeLessThan(5000);
  });
});

describe('npm start that cannot start', () => {
  let runner: LocalRunner | undefined;
  afterEach(async () => {
    await runner?.cleanup();
    runner = undefined;
  });

  it('exits non-zero at once, naming PORT, when the port is taken', async () => {
    const t0 = Date.now();
    runner = await startLocalRunner({ PORT: String(takenPort) });
    expect(await runner.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(runner.output()).toMatch(
      new RegExp(`could not start: port ${takenPort} \\(PORT\\) on 127\\.0\\.0\\.1 is in use`),
    );
  });

  it('exits non-zero within seconds with PostgreSQL’s reason when its cluster cannot be used', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lagebild-fail-runner-'));
    await chmod(dataDir, 0o755);
    await mkdir(join(dataDir, 'postgres'));
    await writeFile(join(dataDir, 'postgres', 'PG_VERSION'), '9\n');
    const t0 = Date.now();
    runner = await startLocalRunner({ LB_DATA_DIR: dataDir });
    expect(await runner.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(runner.output()).toMatch(/could not start: PostgreSQL exited \(code \d\) before it was ready/);
    await rm(dataDir, { recursive: true, force: true });
  });
});
