/**
 * [FLT2] One of two gateways killed (SIGKILL) under status load (issue 14): its devices move to the
 * other gateway (as a load balancer sends them there), so does its dashboard, nothing acknowledged
 * is lost or stored twice, and the survivor's dashboards show every unit's newest state. Measured:
 * how soon the killed gateway's dashboard socket notices (the control room then shows
 * "reconnecting"; a gateway that hangs instead is caught by the 2 s heartbeat watchdog of
 * web/src/lib/live-connection.ts), how long until every device is acknowledged again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectOperator, login } from '../src/clients.ts';
import { startFleet } from '../src/faults/fleet.ts';
import { FAULT_GATEWAY_ENV, figure, storedCounts, within } from '../src/faults/observe.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

const EVENTS = 30;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('faults: a gateway killed', () => {
  it('[FLT2] its devices and dashboards move to the other gateway; nothing lost or doubled', async () => {
    stack = await startStack({ gateways: 2, devicesPerTenant: 20, gatewayEnv: FAULT_GATEWAY_ENV });
    const [gwA, gwB] = stack.gateways as [Stack['gateways'][number], Stack['gateways'][number]];
    const devices = stack.tenants.flatMap((t) => t.devices);
    const duisburg = stack.tenants[0]!.devices.map((d) => d.deviceId);
    let alive = [gwA.url, gwB.url];
    const opA = await connectOperator(gwA.url, await login(gwA.url, 'duisburg.operator', DEMO_PASSWORD));
    let opADownAt = 0;
    opA.socket.on('disconnect', () => {
      opADownAt ||= Date.now();
    });
    const fleet = startFleet({ devices, urls: () => alive, events: EVENTS, intervalMs: 500 });
    await within(() => fleet.ackedTotal() >= devices.length * 5, 30_000, 'acks before the kill');

    const killAt = Date.now();
    gwA.child.kill('SIGKILL');
    await gwA.exited;
    alive = [gwB.url]; // the balancer's health check takes A out
    await within(() => opADownAt > 0, 5000, "the killed gateway's dashboard notices");
    const dashboardNoticedMs = opADownAt - killAt;
    opA.close();
    // the dashboard reconnects through the balancer, to B
    const moved = await connectOperator(gwB.url, await login(gwB.url, 'duisburg.operator', DEMO_PASSWORD));
    const dashboardMovedMs = Date.now() - killAt;
    await within(
      () => fleet.devices.every((d) => d.lastAckAt > killAt),
      30_000,
      'every device acknowledged again after the kill',
    );
    const everyDeviceAckedAgainMs = Date.now() - killAt;
    await within(() => fleet.done(), 60_000, 'every outbox drained');
    await fleet.stop();
    await within(
      () => duisburg.every((id) => moved.units.get(id)?.seq === EVENTS),
      10_000,
      'the moved dashboard shows every unit at its last seq',
    );
    const stored = await storedCounts(
      stack.db.pool,
      devices.map((d) => d.deviceId),
    );
    let lost = 0;
    let duplicated = 0;
    for (const d of devices) {
      const c = stored.get(d.deviceId);
      lost += EVENTS - (c?.distinct ?? 0);
      duplicated += (c?.rows ?? 0) - (c?.distinct ?? 0);
    }
    await figure('gateway-killed', {
      devices: devices.length,
      dashboardNoticedMs,
      dashboardMovedMs,
      everyDeviceAckedAgainMs,
      lost,
      duplicated,
    });
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(dashboardNoticedMs).toBeLessThan(2000);
    moved.close();
  });
});
