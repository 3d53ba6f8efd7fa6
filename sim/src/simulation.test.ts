/**
 * End to end against a tiny Socket.IO server that speaks the `/device` protocol: handshake auth,
 * acks, retryable errors, lost acks, signal loss with replay, `bye` on revocation, refused
 * handshakes. Real sockets on loopback, port 0.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeviceStatus, type StatusAck } from '@lagebild/protocol';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from './simulation.ts';
import type { SimDeviceSpec, SimEvent } from './types.ts';

const DEV_A = '00000000-0000-4000-8000-00000000000a';
const DEV_B = '00000000-0000-4000-8000-00000000000b';
const SECRET = 'a-long-enough-device-secret';

interface Received {
  deviceId: string;
  status: DeviceStatus;
}

type StatusHandler = (
  deviceId: string,
  status: DeviceStatus,
  ack: (a: StatusAck) => void,
  attempt: number,
) => void;

/** A gateway stand-in: accepts the known devices with SECRET, validates and acknowledges statuses. */
async function fakeGateway(known: readonly string[] = [DEV_A, DEV_B]) {
  const http = createServer();
  const io = new Server(http);
  const received: Received[] = [];
  const stored = new Map<string, Set<number>>();
  const attempts = new Map<string, number>();
  const sockets = new Map<string, Socket>();
  let connections = 0;
  const invalid: string[] = [];
  let handler: StatusHandler = (_d, _s, ack) => ack({ ok: true, seq: _s.seq, duplicate: false });
  const revoked = new Set<string>();

  const nsp = io.of('/device');
  nsp.use((socket, next) => {
    const { deviceId, secret, protocol } = socket.handshake.auth as Record<string, unknown>;
    if (protocol !== 1)
      return next(Object.assign(new Error('protocol'), { data: { code: 'protocol_too_old' } }));
    if (typeof deviceId !== 'string' || !known.includes(deviceId) || secret !== SECRET) {
      return next(
        Object.assign(new Error('unknown device or wrong secret'), { data: { code: 'unauthenticated' } }),
      );
    }
    if (revoked.has(deviceId)) {
      return next(Object.assign(new Error('this device has been revoked'), { data: { code: 'forbidden' } }));
    }
    socket.data.deviceId = deviceId;
    next();
  });
  nsp.on('connection', (socket) => {
    connections++;
    const deviceId = socket.data.deviceId as string;
    sockets.set(deviceId, socket);
    socket.on('status', (raw: unknown, ack: (a: StatusAck) => void) => {
      const parsed = DeviceStatus.safeParse(raw);
      if (!parsed.success) {
        invalid.push(JSON.stringify(parsed.error.issues));
        return ack({ ok: false, seq: null, code: 'bad_request', message: 'invalid', retry: false });
      }
      const status = parsed.data;
      const key = `${deviceId}:${status.seq}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      received.push({ deviceId, status });
      handler(
        deviceId,
        status,
        (a) => {
          if (a.ok) {
            const set = stored.get(deviceId) ?? new Set<number>();
            const duplicate = set.has(status.seq);
            set.add(status.seq);
            stored.set(deviceId, set);
            ack({ ...a, duplicate });
          } else ack(a);
        },
        attempt,
      );
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    received,
    stored,
    invalid,
    sockets,
    revoked,
    get connections() {
      return connections;
    },
    onStatus(h: StatusHandler) {
      handler = h;
    },
    ok: ((_d, s, ack) => ack({ ok: true, seq: s.seq, duplicate: false })) as StatusHandler,
    async close() {
      io.close();
      await new Promise((r) => setTimeout(r, 20));
    },
  };
}

const device = (deviceId: string, over: Partial<SimDeviceSpec> = {}): SimDeviceSpec => ({
  deviceId,
  secret: SECRET,
  city: 'duisburg',
  label: `cam ${deviceId.slice(-1)}`,
  initialSeq: 1000,
  ...over,
});

async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(opts: Partial<Parameters<typeof startSimulation>[0]> = {}) {
  const gw = await fakeGateway();
  const events: SimEvent[] = [];
  const sim: Simulation = startSimulation({
    url: gw.url,
    devices: [device(DEV_A)],
    rateHz: 10,
    seed: 1,
    behaviour: 'steady',
    onEvent: (e) => events.push(e),
    ...opts,
  });
  cleanups.push(gw.close, () => sim.stop());
  return { gw, sim, events };
}

const seqsOf = (gw: { received: Received[] }, deviceId = DEV_A) =>
  gw.received.filter((r) => r.deviceId === deviceId).map((r) => r.status.seq);

describe('startSimulation against a /device server', () => {
  it('connects with deviceId/secret/protocol and sends valid statuses with strictly increasing seq', async () => {
    const { gw, sim } = await setup({ devices: [device(DEV_A), device(DEV_B, { city: 'dortmund' })] });
    await until(() => sim.stats().acked >= 20, 5000, '20 acks');
    expect(gw.invalid).toEqual([]);
    for (const id of [DEV_A, DEV_B]) {
      const seqs = seqsOf(gw, id);
      expect(seqs[0]).toBe(1000);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    }
    const s = sim.stats();
    expect(s).toMatchObject({ devices: 2, connected: 2, rejected: 0, stopped: 0 });
    expect(s.sent).toBeGreaterThanOrEqual(s.acked);
    // positions are in the right city
    const b = gw.received.find((r) => r.deviceId === DEV_B)!.status;
    expect(b.position!.lat).toBeGreaterThan(51.4);
    expect(b.position!.lng).toBeGreaterThan(7.3);
  });

  it('sends a status at once when the stage or emergency changes', async () => {
    const { gw, sim } = await setup({ rateHz: 0.2 });
    const dev = sim.device(DEV_A);
    await dev.flushed();
    const t0 = Date.now();
    dev.setStage('recording', { announced: false, unannouncedReason: 'Gefahr im Verzug' });
    await until(() => gw.received.some((r) => r.status.stage === 'recording'), 1000, 'recording status');
    expect(Date.now() - t0).toBeLessThan(1000);
    const rec = gw.received.find((r) => r.status.stage === 'recording')!.status;
    expect(rec).toMatchObject({ announced: false, unannouncedReason: 'Gefahr im Verzug', emergency: false });
    dev.setEmergency(true);
    await until(() => gw.received.some((r) => r.status.emergency), 1000, 'emergency status');
    expect(dev.state).toMatchObject({ stage: 'recording', emergency: true });
    expect(() => dev.setStage('recording', { announced: false })).toThrow(/unannouncedReason/);
  });

  it('resends the same seq after a retryable error until it is acknowledged', async () => {
    const { gw, sim, events } = await setup({ rateHz: 2 });
    gw.onStatus((_d, s, ack, attempt) => {
      if (s.seq === 1001 && attempt <= 2) {
        ack({ ok: false, seq: s.seq, code: 'unavailable', message: 'storage unavailable', retry: true });
      } else ack({ ok: true, seq: s.seq, duplicate: false });
    });
    await until(() => (gw.stored.get(DEV_A)?.size ?? 0) >= 4, 8000, '4 stored');
    const seqs = seqsOf(gw);
    expect(seqs.filter((s) => s === 1001)).toHaveLength(3);
    // order is kept: nothing after 1001 was sent before 1001 got through
    const firstOk = seqs.lastIndexOf(1001);
    expect(seqs.slice(0, firstOk).every((s) => s <= 1001)).toBe(true);
    expect(events.filter((e) => e.type === 'rejected' && e.retry)).toHaveLength(2);
    expect(sim.stats().retries).toBe(2);
  });

  it('resends after an ack timeout, and drops the event on a duplicate ack', async () => {
    const { gw, sim } = await setup({ rateHz: 2, ackTimeoutMs: 300 });
    gw.onStatus((_d, s, ack, attempt) => {
      if (s.seq === 1000 && attempt === 1) {
        // stored, but the ack is lost on the way back
        gw.stored.set(DEV_A, new Set([1000]));
        return;
      }
      ack({ ok: true, seq: s.seq, duplicate: false });
    });
    await until(() => sim.stats().duplicates === 1, 5000, 'duplicate ack');
    await sim.device(DEV_A).flushed();
    expect(seqsOf(gw).filter((s) => s === 1000)).toHaveLength(2);
    expect(sim.stats()).toMatchObject({ duplicates: 1, retries: 1, rejected: 0 });
  });

  it('buffers statuses during signal loss and replays them in order after reconnecting', async () => {
    const { gw, sim, events } = await setup({ rateHz: 20 });
    const dev = sim.device(DEV_A);
    await dev.flushed();
    const before = seqsOf(gw).length;
    dev.goOffline(600);
    await until(() => !dev.connected, 1000, 'disconnect');
    await new Promise((r) => setTimeout(r, 300));
    expect(dev.buffered).toBeGreaterThan(3);
    expect(sim.stats().buffered).toBe(dev.buffered);
    expect(dev.state).toMatchObject({ offline: true, signalBars: 0, network: 'none' });
    await until(() => dev.connected, 3000, 'reconnect');
    await dev.flushed();
    const seqs = seqsOf(gw);
    expect(seqs.length).toBeGreaterThan(before + 8);
    // every seq arrived, in order, none twice
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    const duringLoss = gw.received.filter((r) => r.status.network === 'none');
    expect(duringLoss.length).toBeGreaterThan(3);
    expect(duringLoss.every((r) => r.status.signalBars === 0)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['offline', 'disconnected', 'online']));
  });

  it('stops a device for good on bye {code: forbidden} (revoked) and does not reconnect', async () => {
    const { gw, sim, events } = await setup();
    const dev = sim.device(DEV_A);
    await dev.flushed();
    gw.revoked.add(DEV_A);
    const socket = gw.sockets.get(DEV_A)!;
    socket.emit('bye', { code: 'forbidden', message: 'this device has been revoked' });
    socket.disconnect(true);
    await until(() => dev.stopped, 2000, 'stopped');
    const connections = gw.connections;
    await new Promise((r) => setTimeout(r, 1500));
    expect(gw.connections).toBe(connections);
    expect(dev.state).toMatchObject({ stopped: true, stopCode: 'forbidden', connected: false });
    expect(sim.stats()).toMatchObject({ stopped: 1, connected: 0 });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'stopped', deviceId: DEV_A, code: 'forbidden' }),
    );
    expect(() => dev.setStage('display')).toThrow(/stopped/);
  });

  it('reconnects when the server drops the connection without bye (e.g. replaced by a newer one)', async () => {
    const { gw, sim } = await setup();
    const dev = sim.device(DEV_A);
    await dev.flushed();
    gw.sockets.get(DEV_A)!.disconnect(true);
    await until(() => !dev.connected, 1000, 'disconnect');
    await until(() => dev.connected, 4000, 'reconnect');
    expect(gw.connections).toBe(2);
    await dev.flushed();
  });

  it('stops and reports a device whose handshake is refused (connect_error unauthenticated)', async () => {
    const { gw, sim, events } = await setup({
      devices: [device(DEV_A), device(DEV_B, { secret: 'wrong-secret-but-long-enough' })],
    });
    await until(() => sim.device(DEV_B).stopped, 3000, 'B stopped');
    await sim.device(DEV_A).flushed();
    expect(sim.device(DEV_B).state.stopCode).toBe('unauthenticated');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'connect_error', deviceId: DEV_B, code: 'unauthenticated' }),
    );
    expect(sim.stats()).toMatchObject({ stopped: 1, connected: 1 });
    expect(gw.received.every((r) => r.deviceId === DEV_A)).toBe(true);
  });

  it('rejects invalid options with a clear message', () => {
    expect(() => startSimulation({ url: 'not a url', devices: [device(DEV_A)] })).toThrow(/url/);
    expect(() => startSimulation({ url: 'http://x', devices: [] })).toThrow(/at least one device/);
    expect(() => startSimulation({ url: 'http://x', devices: [device(DEV_A), device(DEV_A)] })).toThrow(
      /unique/,
    );
    expect(() => startSimulation({ url: 'http://x', devices: [device('nope')] })).toThrow(/deviceId/);
    expect(() => startSimulation({ url: 'http://x', devices: [device(DEV_A)], rateHz: 0 })).toThrow(/rateHz/);
  });
});

describe('realistic behaviour', () => {
  it('with a compressed clock, episodes happen within seconds and every status stays valid', async () => {
    const ids = Array.from(
      { length: 20 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const gw = await fakeGateway(ids);
    const events: SimEvent[] = [];
    const sim = startSimulation({
      url: gw.url,
      devices: ids.map((id, i) => device(id, { city: i % 2 ? 'dortmund' : 'duisburg' })),
      rateHz: 5,
      seed: 3,
      timeScale: 1000,
      behaviour: 'realistic',
      onEvent: (e) => events.push(e),
    });
    cleanups.push(gw.close, () => sim.stop());
    await until(() => events.filter((e) => e.type === 'stage').length >= 10, 10_000, 'stage changes');
    expect(gw.invalid).toEqual([]);
    expect(new Set(gw.received.map((r) => r.status.stage))).toContain('display');
    // stage changes reach the gateway as statuses too
    const shown = events.find((e) => e.type === 'stage' && e.to === 'display')!;
    await until(
      () => gw.received.some((r) => r.deviceId === shown.deviceId && r.status.stage === 'display'),
      2000,
      'display status',
    );
  }, 15_000);
});
