/**
 * [FLT3] PostgreSQL down for 30 s (FAULT_PG_DOWN_MS) under status load (issue 14). The gateway's queue
 * to PostgreSQL is small here (PERSIST_QUEUE_MAX=100) and more devices than that wait for an ack at
 * once, so the bound is reached: the persister holds at most its bound, refuses the rest with the
 * retryable `unavailable`, the devices keep those events in their outbox, the database alarm
 * reaches /metrics and the dashboards, and once PostgreSQL is back every event is written once.
 */
import type { GatewayHealth } from '@lagebild/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { connectOperator, login } from '../src/clients.ts';
import { startFleet } from '../src/faults/fleet.ts';
import {
  degradedGauge,
  FAULT_GATEWAY_ENV,
  figure,
  gauge,
  storedCounts,
  within,
} from '../src/faults/observe.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

const DOWN_MS = Number(process.env.FAULT_PG_DOWN_MS ?? 30_000);
const QUEUE_MAX = 100;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('faults: PostgreSQL down', () => {
  it(`[FLT3] holds events within the bound, refuses beyond it (retryable), alarms, and writes everything once PostgreSQL is back (${DOWN_MS / 1000} s)`, async () => {
    stack = await startStack({
      gateways: 1,
      devicesPerTenant: 60,
      gatewayEnv: { ...FAULT_GATEWAY_ENV, PERSIST_QUEUE_MAX: String(QUEUE_MAX) },
      // FAULT_VERBOSE=1 prints the gateway's warnings and errors (why it ended, if it did)
      verbose: process.env.FAULT_VERBOSE === '1',
    });
    const { url } = stack;
    const devices = stack.tenants.flatMap((t) => t.devices);
    const op = await connectOperator(url, await login(url, 'duisburg.operator', DEMO_PASSWORD));
    const events = Math.ceil((DOWN_MS + 20_000) / 500);
    const fleet = startFleet({ devices, urls: () => [url], events, intervalMs: 500 });
    await within(() => fleet.ackedTotal() >= devices.length * 4, 30_000, 'acks before the outage');

    const downAt = Date.now();
    const restarting = stack.pg.restart(DOWN_MS);
    const detectMs = await within(
      async () => (await degradedGauge(url, 'database')) === 1,
      10_000,
      () =>
        `database degraded in /metrics (gateway ${
          stack?.gateways[0]?.child.exitCode === null
            ? 'still running'
            : `exited with ${stack?.gateways[0]?.child.exitCode ?? stack?.gateways[0]?.child.signalCode}`
        })`,
    );
    await within(
      () =>
        op.events.some(
          (e) =>
            e.event === 'health' &&
            (e.msg as GatewayHealth).components.some((c) => c.component === 'database' && c.degraded),
        ),
      5000,
      'the dashboard told',
    );
    let maxQueue = 0;
    const sampler = setInterval(() => {
      gauge(url, 'lagebild_persist_queue{').then(
        (n) => {
          maxQueue = Math.max(maxQueue, n ?? 0);
        },
        () => {},
      );
    }, 250);
    await restarting;
    const upAt = Date.now();
    const outboxAtRestart = fleet.outboxTotal();
    // the backlog is written once each device is back to at most the one event it is sending
    const backlog = within(() => fleet.outboxTotal() <= devices.length, 120_000, 'backlog written').then(
      () => Date.now() - upAt,
    );
    const recoverMs = await within(
      async () => (await degradedGauge(url, 'database')) === 0,
      30_000,
      'database healthy again in /metrics',
    );
    await within(() => fleet.done(), 120_000, 'every outbox drained');
    const drainedMs = Date.now() - upAt;
    const backlogClearedMs = await backlog;
    clearInterval(sampler);
    await fleet.stop();

    const refused = fleet.devices.reduce((n, d) => n + (d.refused.get('unavailable') ?? 0), 0);
    const stored = await storedCounts(
      stack.db.pool,
      devices.map((d) => d.deviceId),
    );
    let lost = 0;
    let duplicated = 0;
    for (const d of devices) {
      const s = stored.get(d.deviceId);
      lost += events - (s?.distinct ?? 0);
      duplicated += (s?.rows ?? 0) - (s?.distinct ?? 0);
      expect(s).toEqual({ rows: events, distinct: events, min: 1, max: events });
    }
    await figure('postgres-down', {
      devices: devices.length,
      downS: DOWN_MS / 1000,
      detectMs,
      maxPersistQueue: maxQueue,
      queueBound: QUEUE_MAX,
      refusedUnavailable: refused,
      outboxAtRestart,
      alarmClearedAfterRestartMs: recoverMs,
      backlogWrittenAfterRestartMs: backlogClearedMs,
      lastEventAckedAfterRestartMs: drainedMs,
      lost,
      duplicated,
      outageMs: upAt - downAt,
    });
    expect(maxQueue).toBeLessThanOrEqual(QUEUE_MAX);
    expect(refused).toBeGreaterThan(0);
    expect(fleet.devices.every((d) => d.final === 0)).toBe(true);
    expect(outboxAtRestart).toBeGreaterThan(0);
    op.close();
  });
});
