/**
 * Simulated devices for fault tests that behave as the device protocol asks: each event stays in
 * the device's outbox until it holds an ok ack for it, and is resent (same seq) otherwise. Each
 * device is placed on one of the gateways (as a load balancer would) and moves to the next one when
 * its gateway is gone. The fleet records every ack's time, so a test can say how long acks stopped
 * and how long the outboxes took to drain.
 */
import type { StatusAck } from '@lagebild/protocol';
import { connectDevice, status, type TestDevice } from '../clients.ts';

export interface FleetOptions {
  devices: ReadonlyArray<{ deviceId: string; secret: string }>;
  /** gateway base URLs; device i starts on urls[i % n] and fails over to the next */
  urls: () => readonly string[];
  /** events per device */
  events: number;
  intervalMs: number;
  /** device clock offset per device (ms), e.g. ±3 h */
  clockSkewMs?: (i: number) => number;
  ackTimeoutMs?: number;
  /**
   * keep every acked seq and ack time (default). The soak turns it off: an hour of 2,000 devices
   * would be 7.2 million entries, a growing heap in the driver that is no leak of the system's.
   */
  history?: boolean;
}

export interface FleetDevice {
  deviceId: string;
  /** the acked seqs (empty with `history: false`) */
  acked: Set<number>;
  /** how many distinct seqs were acked */
  ackedCount: number;
  outbox: Map<number, ReturnType<typeof status>>;
  produced: number;
  /** refusals by code, e.g. `unavailable` when the gateway's queue to PostgreSQL is full */
  refused: Map<string, number>;
  /** refusals that said `retry: false` (must stay 0: nothing here is the device's fault) */
  final: number;
  /** ok acks that said `duplicate: true`: a resend of something stored before */
  duplicates: number;
  /** Date.now() of the newest ok ack (0 before the first) */
  lastAckAt: number;
  /** socket connections made (1 + reconnects) */
  connects: number;
  /** acks that named another seq than the event they answered (must stay 0) */
  wrongAcks: number;
}

export interface Fleet {
  devices: FleetDevice[];
  /** times (Date.now) of every ok ack (empty with `history: false`) */
  ackTimes: number[];
  ackedTotal(): number;
  outboxTotal(): number;
  /** every device produced all its events and holds an ack for each */
  done(): boolean;
  stop(): Promise<void>;
}

export function startFleet(opts: FleetOptions): Fleet {
  const ackTimes: number[] = [];
  let stopped = false;
  const history = opts.history ?? true;
  const devices: FleetDevice[] = opts.devices.map((d) => ({
    deviceId: d.deviceId,
    acked: new Set(),
    ackedCount: 0,
    outbox: new Map(),
    produced: 0,
    refused: new Map(),
    final: 0,
    duplicates: 0,
    lastAckAt: 0,
    connects: 0,
    wrongAcks: 0,
  }));
  const sockets: Array<TestDevice | null> = devices.map(() => null);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const loops = devices.map(async (dev, i) => {
    let urlIndex = i;
    const producer = setInterval(() => {
      if (dev.produced >= opts.events) return clearInterval(producer);
      dev.produced++;
      const s = status(dev.produced);
      dev.outbox.set(dev.produced, { ...s, at: s.at + (opts.clockSkewMs?.(i) ?? 0) });
    }, opts.intervalMs);
    while (!stopped && (dev.produced < opts.events || dev.outbox.size > 0)) {
      let socket = sockets[i];
      if (!socket?.socket.connected) {
        socket?.close();
        sockets[i] = null;
        const urls = opts.urls();
        try {
          socket = await connectDevice(urls[urlIndex % urls.length]!, opts.devices[i]!, {
            connectTimeoutMs: 20_000,
          });
          sockets[i] = socket;
          dev.connects++;
        } catch {
          urlIndex++; // the balancer tries another gateway
          await sleep(200);
          continue;
        }
      }
      const next = [...dev.outbox.entries()].sort((a, b) => a[0] - b[0])[0];
      if (!next) {
        await sleep(Math.min(50, opts.intervalMs));
        continue;
      }
      const ack: StatusAck | null = await socket.send(next[1], opts.ackTimeoutMs ?? 3000).catch(() => null);
      if (ack && ack.seq !== null && ack.seq !== next[0]) {
        dev.wrongAcks++;
        continue;
      }
      if (ack?.ok) {
        if (dev.outbox.delete(ack.seq)) dev.ackedCount++;
        if (history) dev.acked.add(ack.seq);
        if (ack.duplicate) dev.duplicates++;
        dev.lastAckAt = Date.now();
        if (history) ackTimes.push(dev.lastAckAt);
      } else {
        if (ack && !ack.ok) {
          dev.refused.set(ack.code, (dev.refused.get(ack.code) ?? 0) + 1);
          if (!ack.retry) dev.final++;
        }
        await sleep(200);
      }
    }
    clearInterval(producer);
  });

  return {
    devices,
    ackTimes,
    ackedTotal: () => devices.reduce((n, d) => n + d.ackedCount, 0),
    outboxTotal: () => devices.reduce((n, d) => n + d.outbox.size, 0),
    done: () => devices.every((d) => d.produced >= opts.events && d.outbox.size === 0),
    async stop() {
      stopped = true;
      // a loop waits at most for one ack or connect timeout; bounded all the same
      await Promise.race([Promise.allSettled(loops), new Promise((r) => setTimeout(r, 30_000))]);
      for (const s of sockets) s?.close();
    },
  };
}
