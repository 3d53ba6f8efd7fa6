/**
 * startSimulation: a fleet of simulated cameras in one process. One timer wheel services every
 * device once per status period, spread evenly; devices start (connect) gradually so a large fleet
 * does not open thousands of sockets in the same millisecond.
 */

import { resolveOptions } from './options.ts';
import { DEFAULT_RESPONSE } from './response.ts';
import { type DeviceContext, SimDevice } from './sim-device.ts';
import { TimerWheel } from './timer-wheel.ts';
import type { SimEvent, SimStats, SimulationOptions } from './types.ts';

export interface Simulation {
  readonly devices: readonly SimDevice[];
  /** the device with this id; throws for an unknown id */
  device(deviceId: string): SimDevice;
  stats(): SimStats;
  /** stop every device and close every socket */
  stop(): Promise<void>;
  /** the seed actually used (random when none was given), to reproduce a run */
  readonly seed: number;
}

export function startSimulation(opts: SimulationOptions): Simulation {
  const o = resolveOptions(opts);
  const counters: DeviceContext['counters'] = {
    produced: 0,
    sent: 0,
    acked: 0,
    duplicates: 0,
    rejected: 0,
    retries: 0,
    dropped: 0,
    connected: 0,
    stopped: 0,
  };
  const onEvent = o.onEvent;
  const emit = onEvent
    ? (e: SimEvent) => {
        try {
          onEvent(e);
        } catch {
          // a failing listener must not break the device loop
        }
      }
    : undefined;
  const pumpSoon = new Set<SimDevice>();
  const ctx: DeviceContext = {
    url: o.url,
    timeScale: o.timeScale,
    behaviour: o.behaviour,
    ackTimeoutMs: o.ackTimeoutMs,
    transport: o.transport,
    maxInFlight: o.maxInFlight,
    seed: o.seed,
    vehicleShare: o.vehicleShare,
    response: { ...DEFAULT_RESPONSE, ...o.response },
    counters,
    emit,
    wantPump: (d) => pumpSoon.add(d),
  };
  const devices = o.devices.map((spec) => new SimDevice(spec, ctx));
  const byId = new Map(devices.map((d) => [d.deviceId, d]));

  const startedAt = Date.now();
  let startedCount = 0;
  const wheel = new TimerWheel<SimDevice>({
    periodMs: 1000 / o.rateHz,
    afterTick(now) {
      // ramp-up: connectPerSecond devices per second, the first ones at once
      const due = Math.min(devices.length, Math.floor(((now - startedAt) / 1000) * o.connectPerSecond) + 1);
      while (startedCount < due) devices[startedCount++]!.start(now);
      if (pumpSoon.size > 0) {
        const list = [...pumpSoon];
        pumpSoon.clear();
        for (const d of list) d.pump(now);
      }
    },
  });
  for (const d of devices) wheel.add(d);
  // first devices connect immediately rather than one slot later
  devices[startedCount++]?.start(startedAt);
  wheel.start();

  let stopped = false;
  return {
    devices,
    seed: o.seed,
    device(deviceId) {
      const d = byId.get(deviceId);
      if (!d) throw new Error(`unknown device [deviceId:${deviceId}]`);
      return d;
    },
    stats() {
      let buffered = 0;
      for (const d of devices) if (!d.refused) buffered += d.buffered;
      return { devices: devices.length, ...counters, buffered };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wheel.stop();
      for (const d of devices) d.close();
      // let the close frames go out before the caller tears the process down
      await new Promise((r) => setTimeout(r, 50));
    },
  };
}
