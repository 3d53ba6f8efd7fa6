/**
 * npm start keeps its services up (issue 11, crash-proof services): a gateway that dies is started
 * again within seconds and the runner says so; SIGTERM still stops the runner and every process it
 * started. The runner runs as `npm start` runs it (infra/src/run-local.ts), on its own data dir and
 * free ports, without simulator, pilot data or SFU to keep the start short.
 */
import { crashesInARow, formatDelay, restartDelayMs } from '@lagebild/infra/supervise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../src/clients.ts';
import {
  alive,
  childProcesses,
  descendants,
  type LocalRunner,
  startLocalRunner,
} from '../src/local-runner.ts';

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

const gatewayOf = async (runner: LocalRunner) =>
  (await childProcesses(runner.child.pid!)).find((c) => c.cmd.includes('gateway/src/main.ts'));

describe('restart backoff', () => {
  it('doubles from 0.5 s for crashes in a row and stops at 30 s', () => {
    expect([0, 1, 2, 3, 6, 7, 50].map((n) => restartDelayMs(n))).toEqual([
      500, 1000, 2000, 4000, 30_000, 30_000, 30_000,
    ]);
  });

  it('starts again at 0.5 s after a run of a minute or more', () => {
    expect(crashesInARow(5, 59_999)).toBe(6);
    expect(crashesInARow(5, 60_000)).toBe(0);
    expect(crashesInARow(-1, 10)).toBe(0); // the first crash
  });

  it('reads as seconds', () => {
    expect([500, 1000, 30_000].map(formatDelay)).toEqual(['0.5 s', '1 s', '30 s']);
  });
});

describe('npm start supervises its services', () => {
  let runner: LocalRunner;

  beforeAll(async () => {
    runner = await startLocalRunner();
    await runner.waitFor(/Lagebild is running/);
  });
  afterAll(async () => {
    await runner?.cleanup();
  });

  it('restarts a gateway killed with SIGKILL within seconds and says so on the console', async () => {
    const before = await gatewayOf(runner);
    expect(before).toBeDefined();
    expect(await healthy(runner.url)).toBe(true);
    const t0 = Date.now();
    process.kill(before!.pid, 'SIGKILL');
    await runner.waitFor(/gateway exited \(signal SIGKILL\); restarting in 0\.5 s/, 5000);
    await until(() => healthy(runner.url), 15_000, 'gateway healthy again');
    const backMs = Date.now() - t0;
    console.log(`gateway answered /healthz again ${backMs} ms after SIGKILL`);
    expect(backMs).toBeLessThan(10_000); // the gateway itself needs 1–5 s to start on a busy 2-core machine
    expect(runner.output()).toMatch(/gateway is running again \(restart 1\)/);
    const after = await gatewayOf(runner);
    expect(after?.pid).not.toBe(before!.pid);
  });

  it('stops itself and every process it started on SIGTERM', async () => {
    const pids = await descendants(runner.child.pid!);
    const names = (await childProcesses(runner.child.pid!)).map((c) => c.cmd);
    expect(names.some((c) => c.includes('postgres'))).toBe(true);
    expect(names.some((c) => c.startsWith('redis-server'))).toBe(true);
    expect(names.some((c) => c.includes('gateway/src/main.ts'))).toBe(true);
    runner.child.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    await until(async () => !(await Promise.all(pids.map(alive))).some(Boolean), 5000, 'every child gone');
    // the ordered stop is no crash: nothing is restarted on the way down
    expect(runner.output().split('stopping…')[1]).not.toMatch(/restarting in/);
  });
});
