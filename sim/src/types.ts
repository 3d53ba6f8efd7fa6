/**
 * Public types of the simulator: options, the events reported to `onEvent`, per-device snapshots
 * and run statistics.
 */
import type { ErrorCode, Network, Position, Stage } from '@lagebild/protocol';
import type { LatLng } from './geo.ts';
import type { PatrolMode } from './patrol.ts';
import type { City } from './waypoints.ts';

export type Behaviour = 'realistic' | 'steady';

export interface SimDeviceSpec {
  /** device UUID as provisioned in the gateway */
  deviceId: string;
  secret: string;
  city: City;
  label?: string;
  /**
   * First seq this device sends. Default: Date.now() * 1000, which keeps seq strictly increasing
   * across restarts of the simulator (as a real device's persisted counter would) while staying
   * below Number.MAX_SAFE_INTEGER for centuries.
   */
  initialSeq?: number;
}

export interface SimulationOptions {
  /** gateway base URL, e.g. http://127.0.0.1:3000 (the `/device` namespace is appended) */
  url: string;
  devices: ReadonlyArray<SimDeviceSpec>;
  /** statuses per second per device (default 1) */
  rateHz?: number;
  /** PRNG seed; the same seed and devices give the same behaviour (default: random) */
  seed?: number;
  /**
   * Compresses the behavioural clock: escalation episodes, battery drain and signal losses run
   * this many times faster (default 1). Walking and driving stay at real speed so the map and the
   * reported speeds remain plausible.
   */
  timeScale?: number;
  /** 'steady' = move and report only: no random stage changes, emergencies or signal losses */
  behaviour?: Behaviour;
  onEvent?: (e: SimEvent) => void;
  /** how long to wait for a status ack before resending (default 10,000 ms) */
  ackTimeoutMs?: number;
  /**
   * the device protocol over Socket.IO's `/device` (default) or over a plain WebSocket at
   * `/api/device/v1/ws` (docs/device-protocol.md)
   */
  transport?: 'socket.io' | 'websocket';
  /** statuses awaiting an ack at once per device (default 1, strict order) */
  maxInFlight?: number;
  /** how many devices start connecting per second, to ramp up large fleets (default 500) */
  connectPerSecond?: number;
  /** share of units on vehicle patrol (default 0.2) */
  vehicleShare?: number;
  /** how officers answer dispatch requests: acceptance rate, answer delay, time on scene */
  response?: Partial<import('./response.ts').ResponseParams>;
}

export type SimEvent =
  | { type: 'connected'; deviceId: string }
  | { type: 'disconnected'; deviceId: string; reason: string }
  | { type: 'connect_error'; deviceId: string; code: string | null; message: string }
  | { type: 'ack'; deviceId: string; seq: number; duplicate: boolean }
  | { type: 'rejected'; deviceId: string; seq: number; code: ErrorCode; message: string; retry: boolean }
  | { type: 'timeout'; deviceId: string; seq: number }
  | {
      type: 'stage';
      deviceId: string;
      from: Stage;
      to: Stage;
      announced: boolean | null;
      unannouncedReason: string | null;
      manual: boolean;
    }
  | { type: 'emergency'; deviceId: string; emergency: boolean; manual: boolean }
  | { type: 'offline'; deviceId: string; durationMs: number; cause: 'manual' | 'signal' }
  | { type: 'online'; deviceId: string }
  | { type: 'dropped'; deviceId: string; count: number; reason: 'outbox_full' | 'device_stopped' }
  | { type: 'bye'; deviceId: string; code: string; message: string }
  | {
      type: 'dispatch';
      deviceId: string;
      requestId: string;
      step: 'received' | 'accepted' | 'declined' | 'answer_refused' | 'cancelled' | 'arrived';
    }
  | { type: 'stopped'; deviceId: string; code: string; message: string };

export interface DeviceSnapshot {
  deviceId: string;
  label: string;
  city: City;
  mode: PatrolMode;
  /** seq of the newest status taken, null before the first */
  seq: number | null;
  stage: Stage;
  announced: boolean | null;
  unannouncedReason: string | null;
  emergency: boolean;
  /** last reported (noisy) position */
  position: Position | null;
  truePosition: LatLng;
  headingDeg: number | null;
  speedMps: number;
  batteryPct: number;
  signalBars: number;
  network: Network;
  /** where the unit is heading (or standing) */
  waypoint: string;
  connected: boolean;
  /** in a simulated signal loss */
  offline: boolean;
  /** statuses not yet acknowledged */
  buffered: number;
  stopped: boolean;
  /** why the device stopped (e.g. 'forbidden' after revocation), null while running */
  stopCode: string | null;
  stopMessage: string | null;
}

export interface SimStats {
  devices: number;
  /** statuses taken */
  produced: number;
  /** emits, resends included */
  sent: number;
  /** statuses acknowledged as new */
  acked: number;
  /** statuses acknowledged as already stored (a resend the gateway had) */
  duplicates: number;
  /** statuses refused for good (non-retryable error) */
  rejected: number;
  /** retryable errors and ack timeouts (each is followed by a resend) */
  retries: number;
  /** statuses given up: outbox overflow, or left when a device was stopped by the gateway */
  dropped: number;
  /** statuses waiting for an ack (devices refused by the gateway excluded: theirs count as dropped) */
  buffered: number;
  /** devices with a connected socket */
  connected: number;
  /** devices stopped by the gateway (revoked, bad credentials) */
  stopped: number;
}
