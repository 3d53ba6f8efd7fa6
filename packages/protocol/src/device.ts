/**
 * `/device` namespace: what a body camera sends and what it gets back.
 * Handshake auth: { deviceId, secret, protocol }. Each `status` is acknowledged with a StatusAck;
 * until a device holds an `ok` ack for a seq it keeps the event and resends it (same seq).
 */
import { z } from 'zod';
import { EpochMs, ErrorCode, Id, PROTOCOL_VERSION, Stage } from './common.ts';
import type { DeviceDispatchRequest, DispatchAnswerAck } from './dispatch.ts';
import type { ReportAck } from './stats.ts';

export const DeviceHandshake = z.object({
  deviceId: Id,
  secret: z.string().min(16).max(256),
  protocol: z.number().int().default(PROTOCOL_VERSION),
});
export type DeviceHandshake = z.infer<typeof DeviceHandshake>;

export const Position = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  /** 68 % radius in metres as reported by the GNSS receiver */
  accuracyM: z.number().min(0).max(100_000),
});
export type Position = z.infer<typeof Position>;

export const Network = z.enum(['5g', 'lte', '3g', 'wifi', 'none']);
export type Network = z.infer<typeof Network>;

/** Largest serialized status event the gateway accepts (bytes). */
export const MAX_STATUS_BYTES = 2048;

export const DeviceStatus = z
  .strictObject({
    /** per-device sequence number, strictly increasing across the device's life */
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** device clock, epoch ms, when the status was taken */
    at: EpochMs,
    position: Position.nullable(),
    headingDeg: z.number().min(0).max(360).nullable(),
    speedMps: z.number().min(0).max(120).nullable(),
    batteryPct: z.number().int().min(0).max(100),
    signalBars: z.number().int().min(0).max(4),
    network: Network,
    stage: Stage,
    /** recording only: was it announced to the person? false needs a reason (imminent danger) */
    announced: z.boolean().nullable().default(null),
    unannouncedReason: z.string().max(200).nullable().default(null),
    emergency: z.boolean(),
  })
  .refine((s) => s.stage !== 'recording' || s.announced !== null, {
    message: 'recording needs announced=true|false',
    path: ['announced'],
  })
  .refine((s) => !(s.stage === 'recording' && s.announced === false && !s.unannouncedReason), {
    message: 'an unannounced recording needs unannouncedReason',
    path: ['unannouncedReason'],
  });
export type DeviceStatus = z.infer<typeof DeviceStatus>;
export type DeviceStatusInput = z.input<typeof DeviceStatus>;

export const StatusAck = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), seq: z.number().int(), duplicate: z.boolean() }),
  z.object({
    ok: z.literal(false),
    seq: z.number().int().nullable(),
    code: ErrorCode,
    message: z.string(),
    /** true when resending the same event later can succeed (rate limit, storage unavailable) */
    retry: z.boolean(),
  }),
]);
export type StatusAck = z.infer<typeof StatusAck>;

export interface DeviceServerToClient {
  /** the gateway is about to close the connection (revoked, replaced by a newer connection) */
  bye: (msg: { code: ErrorCode; message: string }) => void;
  /** a supervisor asks this unit for backup; ack on receipt, answer with `dispatch_answer` */
  dispatch_request: (msg: DeviceDispatchRequest, ack: (received: true) => void) => void;
  /** the request was cancelled or timed out: stop heading there */
  dispatch_cancel: (msg: { requestId: string }) => void;
}
export interface DeviceClientToServer {
  status: (msg: unknown, ack: (a: StatusAck) => void) => void;
  /** the officer accepts or declines a dispatch request (DeviceDispatchAnswer) */
  dispatch_answer: (msg: unknown, ack: (a: DispatchAnswerAck) => void) => void;
  /** an officer's report after an episode (DeviceReport in stats.ts) */
  report: (msg: unknown, ack: (a: ReportAck) => void) => void;
}
