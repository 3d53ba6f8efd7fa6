/**
 * Nothing acknowledged is lost: not when PostgreSQL goes away for a while, not when the gateway
 * holding a device is killed. The device here behaves as the protocol asks: it keeps every event
 * until it holds an ok ack for it and resends it (same seq) otherwise.
 */
import type { DeviceCredentials } from '@lagebild/db';
import type { StatusAck } from '@lagebild/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, connectOperator, login, status, type TestDevice, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Sends seq 1..n at `intervalMs`, resending each until acknowledged; returns the acked seqs. */
function reliableDevice(getDevice: () => TestDevice | null, n: number, intervalMs: number) {
  const acked = new Set<number>();
  const outbox = new Map<number, ReturnType<typeof status>>();
  let seq = 0;
  const producer = setInterval(() => {
    if (seq >= n) return clearInterval(producer);
    seq++;
    outbox.set(seq, status(seq));
  }, intervalMs);
  let stopped = false;
  const pump = (async () => {
    while (!stopped && (seq < n || outbox.size > 0)) {
      const dev = getDevice();
      const next = [...outbox.entries()].sort((a, b) => a[0] - b[0])[0];
      if (!dev || !next) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const ack: StatusAck | null = await dev.send(next[1], 1500).catch(() => null);
      if (ack?.ok) {
        acked.add(ack.seq);
        outbox.delete(ack.seq);
      } else await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    acked,
    done: () => pump,
    stop() {
      stopped = true;
      clearInterval(producer);
    },
  };
}

async function storedSeqs(s: Stack, deviceId: string): Promise<number[]> {
  const { rows } = await s.db.pool.query('SELECT seq FROM status_events WHERE device_id = $1 ORDER BY seq', [
    deviceId,
  ]);
  return rows.map((r) => Number(r.seq));
}

describe('faults', () => {
  it('[ACK2] holds acks while PostgreSQL is down and stores every event once it is back', async () => {
    stack = await startStack({ gateways: 1, devicesPerTenant: 1 });
    const creds = stack.tenants[0]!.devices[0]!;
    const device = await connectDevice(stack.url, creds, { reconnection: true });
    const sender = reliableDevice(() => device, 40, 50);
    await waitFor(() => sender.acked.size >= 10, 10_000, '10 acks before the outage');
    const ackedBefore = sender.acked.size;
    await stack.pg.restart(1500);
    await sender.done();
    device.close();
    expect(sender.acked.size).toBe(40);
    expect(await storedSeqs(stack, creds.deviceId)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(ackedBefore).toBeLessThan(40);
  });

  it('[ACK1] loses nothing acknowledged when the gateway holding the device is killed', async () => {
    stack = await startStack({ gateways: 2, devicesPerTenant: 1 });
    const [gwA, gwB] = stack.gateways as [Stack['gateways'][number], Stack['gateways'][number]];
    const creds = stack.tenants[0]!.devices[0]!;
    const op = await connectOperator(gwB.url, await login(gwB.url, 'duisburg.operator', DEMO_PASSWORD));
    let device: TestDevice | null = await connectDevice(gwA.url, creds);
    const sender = reliableDevice(() => device, 60, 30);
    await waitFor(() => sender.acked.size >= 15, 10_000, 'acks from gateway A');
    gwA.child.kill('SIGKILL');
    await gwA.exited;
    device.close();
    device = null;
    device = await connectDevice(gwB.url, creds); // the load balancer sends it to the survivor
    await sender.done();
    expect(sender.acked.size).toBe(60);
    expect(await storedSeqs(stack, creds.deviceId)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    await waitFor(() => op.units.get(creds.deviceId)?.seq === 60, 3000, 'dashboard on B shows seq 60');
    op.close();
    device.close();
  });

  it('[ACK9] keeps acknowledging while Redis is down', async () => {
    stack = await startStack({ gateways: 1, devicesPerTenant: 1 });
    const creds = stack.tenants[0]!.devices[0]!;
    const device = await connectDevice(stack.url, creds, { reconnection: true });
    const sender = reliableDevice(() => device, 40, 50);
    await waitFor(() => sender.acked.size >= 10, 10_000, '10 acks before the outage');
    await stack.redis.restart(1500);
    await sender.done();
    device.close();
    expect(sender.acked.size).toBe(40);
    expect(await storedSeqs(stack, creds.deviceId)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(stack.gateways[0]!.child.exitCode).toBeNull(); // still running
  });

  it('[ACK9] rebuilds the picture of quiet units from PostgreSQL after Redis lost it', async () => {
    stack = await startStack({ gateways: 1, devicesPerTenant: 2 });
    const [quiet, active] = stack.tenants[0]!.devices as [DeviceCredentials, DeviceCredentials];
    const q = await connectDevice(stack.url, quiet);
    await q.send(status(1, { stage: 'display' }));
    await q.send(status(2, { stage: 'display', batteryPct: 33 }));
    q.close();
    await stack.redis.restart(); // everything Redis held is gone
    const a = await connectDevice(stack.url, active, { reconnection: true });
    await waitFor(() => a.socket.connected, 5000, 'device connected');
    expect(await a.send(status(1), 10_000)).toMatchObject({ ok: true });
    const op = await connectOperator(stack.url, await login(stack.url, 'duisburg.operator', DEMO_PASSWORD));
    await waitFor(
      () => op.units.has(quiet.deviceId) && op.units.has(active.deviceId),
      5000,
      'both units on the dashboard',
    );
    expect(op.units.get(quiet.deviceId)).toMatchObject({
      seq: 2,
      stage: 'display',
      batteryPct: 33,
      online: false,
    });
    op.close();
    a.close();
  });
});
