/**
 * [FLT1] redis-server killed under status load and started again after 10 s (FAULT_REDIS_DOWN_MS),
 * two gateways (issue 14). FAULT_DEVICES simulated devices (default 2,000, the figure) each
 * send one status a second through their outbox. While
 * Redis is gone each gateway keeps acknowledging its own sockets (PostgreSQL is the record) and says
 * `live` is degraded; after it is back they reconnect, the live state is rebuilt from PostgreSQL,
 * nothing acknowledged is lost or stored twice, and the dashboards on both gateways converge.
 */
import type { GatewayHealth } from '@lagebild/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { connectOperator, login } from '../src/clients.ts';
import { startFleet } from '../src/faults/fleet.ts';
import { degradedGauge, FAULT_GATEWAY_ENV, figure, storedCounts, within } from '../src/faults/observe.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

const DEVICES = Number(process.env.FAULT_DEVICES ?? 2000);
const DOWN_MS = Number(process.env.FAULT_REDIS_DOWN_MS ?? 10_000);
const EVENTS = Math.ceil((DOWN_MS + 25_000) / 1000);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const saidDegraded = (events: Array<{ event: string; msg: unknown }>, component: string) =>
  events.some(
    (e) =>
      e.event === 'health' &&
      (e.msg as GatewayHealth).components.some((c) => c.component === component && c.degraded),
  );

describe('faults: Redis killed', () => {
  it(`[FLT1] ${DEVICES} devices at 1 Hz on 2 gateways: acks go on, live state is rebuilt, nothing lost, dashboards converge`, async () => {
    stack = await startStack({
      gateways: 2,
      devicesPerTenant: Math.ceil(DEVICES / 2),
      gatewayEnv: FAULT_GATEWAY_ENV,
    });
    const urls = stack.gateways.map((g) => g.url);
    const devices = stack.tenants.flatMap((t) => t.devices).slice(0, DEVICES);
    const duisburg = stack.tenants[0]!.devices.map((d) => d.deviceId);
    const ops = await Promise.all(
      urls.map(async (u) => connectOperator(u, await login(u, 'duisburg.operator', DEMO_PASSWORD))),
    );
    const fleet = startFleet({ devices, urls: () => urls, events: EVENTS, intervalMs: 1000 });
    await within(() => fleet.ackedTotal() >= devices.length * 4, 60_000, 'acks before the outage');

    const downAt = Date.now();
    const ackedBefore = fleet.ackedTotal();
    const restarting = stack.redis.restart(DOWN_MS);
    const detectMs = await within(
      async () =>
        (await degradedGauge(urls[0]!, 'live')) === 1 && (await degradedGauge(urls[1]!, 'live')) === 1,
      5000,
      'live degraded on both gateways',
    );
    await within(() => ops.every((op) => saidDegraded(op.events, 'live')), 5000, 'both dashboards told');
    await restarting;
    const upAt = Date.now();
    const ackedDuringOutage = fleet.ackedTotal() - ackedBefore;
    // what each Duisburg device had acknowledged when Redis came back: both dashboards must get there
    const byId = new Map(fleet.devices.map((d) => [d.deviceId, d]));
    const target = new Map(duisburg.map((id) => [id, Math.max(0, ...(byId.get(id)?.acked ?? []))]));
    const convergedAfterRestartMs = await within(
      () => ops.every((op) => duisburg.every((id) => (op.units.get(id)?.seq ?? 0) >= target.get(id)!)),
      30_000,
      'dashboards on both gateways show what was acknowledged when Redis came back',
    );
    const recoverMs =
      Date.now() -
      upAt +
      (await within(
        async () =>
          (await degradedGauge(urls[0]!, 'live')) === 0 && (await degradedGauge(urls[1]!, 'live')) === 0,
        30_000,
        'live healthy again on both gateways',
      ));
    await within(() => fleet.done(), 90_000, 'every outbox drained');
    const drainedMs = Date.now() - upAt;
    await fleet.stop();

    // both dashboards converge on the last event of every Duisburg unit
    const convergeMs = await within(
      () => ops.every((op) => duisburg.every((id) => op.units.get(id)?.seq === EVENTS)),
      15_000,
      'dashboards on both gateways show every unit at its last seq',
    );
    // a dashboard opened now gets its picture from the rebuilt live state
    const fresh = await connectOperator(urls[1]!, await login(urls[1]!, 'duisburg.operator', DEMO_PASSWORD));
    const snap = await fresh.snapshot;
    expect(new Set(snap.units.filter((u) => u.seq === EVENTS).map((u) => u.deviceId))).toEqual(
      new Set(duisburg),
    );

    const stored = await storedCounts(
      stack.db.pool,
      devices.map((d) => d.deviceId),
    );
    let lost = 0;
    let duplicated = 0;
    for (const d of devices) {
      const s = stored.get(d.deviceId);
      lost += EVENTS - (s?.distinct ?? 0);
      duplicated += (s?.rows ?? 0) - (s?.distinct ?? 0);
    }
    await figure('redis-killed', {
      devices: devices.length,
      downS: DOWN_MS / 1000,
      detectMs,
      ackedDuringOutage,
      alarmClearedAfterRestartMs: recoverMs,
      dashboardsConvergedAfterRestartMs: convergedAfterRestartMs,
      lastEventAckedAfterRestartMs: drainedMs,
      dashboardsAtLastSeqAfterDrainMs: convergeMs,
      lost,
      duplicated,
      outageMs: upAt - downAt,
    });
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(ackedDuringOutage).toBeGreaterThan(devices.length); // acks went on while Redis was gone
    expect(fleet.devices.every((d) => d.final === 0)).toBe(true);
    for (const op of [...ops, fresh]) op.close();
  });
});
