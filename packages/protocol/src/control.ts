/**
 * `/control` namespace: what operators' browsers receive. Authenticated by the session cookie.
 * On connect: one `snapshot`; then `batch` every tick (default 100 ms) with the latest state per
 * unit that changed and every stage change in order (never merged away).
 */
import { z } from 'zod';
import { EpochMs, Id, Stage } from './common.ts';
import { Network, Position } from './device.ts';
import type { Alert, DispatchRequest, Incident, IncidentsResponse } from './dispatch.ts';
import type { GatewayHealth } from './health.ts';
import type { VideoEvent } from './media.ts';

export const UnitLive = z.object({
  deviceId: Id,
  deviceLabel: z.string(),
  unitId: Id.nullable(),
  callsign: z.string().nullable(),
  team: z.string().nullable(),
  seq: z.number().int(),
  /** device clock of the newest status */
  at: EpochMs,
  /** gateway clock when the newest status arrived */
  receivedAt: EpochMs,
  position: Position.nullable(),
  headingDeg: z.number().nullable(),
  speedMps: z.number().nullable(),
  batteryPct: z.number().int(),
  signalBars: z.number().int(),
  network: Network,
  stage: Stage,
  announced: z.boolean().nullable(),
  emergency: z.boolean(),
  /** device time at which the current stage began */
  stageSince: EpochMs,
  /** socket connected to some gateway right now */
  online: z.boolean(),
});
export type UnitLive = z.infer<typeof UnitLive>;

export const StageChange = z.object({
  deviceId: Id,
  unitId: Id.nullable(),
  seq: z.number().int(),
  from: Stage.nullable(),
  to: Stage,
  at: EpochMs,
  receivedAt: EpochMs,
  announced: z.boolean().nullable(),
  unannouncedReason: z.string().nullable(),
  emergency: z.boolean(),
});
export type StageChange = z.infer<typeof StageChange>;

export const ControlSnapshot = z.object({
  serverTime: EpochMs,
  units: z.array(UnitLive),
});
export type ControlSnapshot = z.infer<typeof ControlSnapshot>;

export const ControlBatch = z.object({
  serverTime: EpochMs,
  units: z.array(UnitLive),
  stageChanges: z.array(StageChange),
});
export type ControlBatch = z.infer<typeof ControlBatch>;

export interface ControlServerToClient {
  snapshot: (msg: ControlSnapshot) => void;
  batch: (msg: ControlBatch) => void;
  /** open incidents, unacknowledged alerts and active requests, once after `snapshot` */
  incidents: (msg: IncidentsResponse) => void;
  incident: (msg: Incident) => void;
  alert: (msg: Alert) => void;
  dispatch: (msg: DispatchRequest) => void;
  /** a unit's live stream went up or down, or the SFU reset it (media.ts; the tile (re)opens or closes) */
  video: (msg: VideoEvent) => void;
  /** the gateway's view of its dependencies, about twice a second (health.ts; also the heartbeat) */
  health: (msg: GatewayHealth) => void;
  /** session ended (logout, expiry, user disabled): the client should go to the login page */
  bye: (msg: { code: string; message: string }) => void;
}
// biome-ignore lint/complexity/noBannedTypes: the control namespace takes no client events yet
export type ControlClientToServer = {};
