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

// ---- status over plain HTTP (docs/device-protocol.md, D-rules on HTTP) ----

/** Most status events one HTTP batch carries; the body is also bounded by the gateway's 16 KiB. */
export const MAX_STATUS_BATCH = 100;

/**
 * `POST /api/device/v1/status`: events in the order the device took them. Each event is checked on
 * its own against DeviceStatus (one bad event does not refuse the others) and answered with its ack.
 */
export const StatusBatchRequest = z.strictObject({
  events: z.array(z.unknown()).min(1).max(MAX_STATUS_BATCH),
});
export type StatusBatchRequest = z.infer<typeof StatusBatchRequest>;

/** One ack per event, in the request's order; each means exactly what the socket's ack means. */
export const StatusBatchResponse = z.object({ acks: z.array(StatusAck) });
export type StatusBatchResponse = z.infer<typeof StatusBatchResponse>;

const osmNumber = z.coerce.number().refine(Number.isFinite, { message: 'expected a number' });

/**
 * The OsmAnd protocol as Traccar's server reads it and Traccar Client and many trackers send it:
 * query parameters (or a form body) on GET or POST. Units: `speed` in knots, `bearing`/`heading`
 * in degrees, `altitude` and `accuracy` in metres, `batt` in percent, `timestamp` in epoch seconds
 * (or ms, ISO 8601, or `yyyy-MM-dd HH:mm:ss` UTC). Unknown parameters are ignored, as Traccar does.
 * Lagebild adds `secret` (the device's secret, when no Authorization header is sent) and the
 * optional `seq`, `stage` and `emergency`.
 */
export const OsmAndParams = z.looseObject({
  id: z.string().min(1).max(64).optional(),
  deviceid: z.string().min(1).max(64).optional(),
  secret: z.string().min(16).max(256).optional(),
  timestamp: z.string().min(1).max(40).optional(),
  lat: osmNumber.pipe(z.number().min(-90).max(90)).optional(),
  lon: osmNumber.pipe(z.number().min(-180).max(180)).optional(),
  /** `lat,lon` in one parameter */
  location: z.string().max(64).optional(),
  valid: z.string().max(8).optional(),
  speed: osmNumber.optional(),
  bearing: osmNumber.optional(),
  heading: osmNumber.optional(),
  altitude: osmNumber.optional(),
  accuracy: osmNumber.pipe(z.number().min(0).max(100_000)).optional(),
  hdop: osmNumber.optional(),
  batt: osmNumber.pipe(z.number().min(0).max(100)).optional(),
  charge: z.string().max(8).optional(),
  /** Traccar Client sends `alarm=sos` when the officer presses its SOS button */
  alarm: z.string().max(40).optional(),
  seq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  stage: Stage.optional(),
  emergency: z.enum(['true', 'false', '1', '0']).optional(),
});
export type OsmAndParams = z.infer<typeof OsmAndParams>;

/** One position as Traccar Client 9 posts it (flutter_background_geolocation's location template). */
export const TraccarJsonLocation = z.looseObject({
  /** ISO 8601 */
  timestamp: z.string().min(1).max(40),
  coords: z.looseObject({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    /** metres */
    accuracy: z.number().optional(),
    /** metres per second; -1 = unknown */
    speed: z.number().optional(),
    /** degrees; -1 = unknown */
    heading: z.number().optional(),
    altitude: z.number().optional(),
  }),
  /** level 0…1; -1 = unknown */
  battery: z.looseObject({ level: z.number().min(-1).max(1).optional() }).optional(),
  extras: z.looseObject({ alarm: z.string().max(40).optional() }).optional(),
});
export type TraccarJsonLocation = z.infer<typeof TraccarJsonLocation>;

/**
 * Traccar Client 9's JSON body on the OsmAnd endpoint: `{ location, device_id }`, one position or a
 * batch of them (its batch sync). The secret stays in the server URL's query string.
 */
export const TraccarJsonReport = z.looseObject({
  location: z.union([TraccarJsonLocation, z.array(TraccarJsonLocation).min(1).max(MAX_STATUS_BATCH)]),
  device_id: z.string().min(1).max(64).optional(),
});
export type TraccarJsonReport = z.infer<typeof TraccarJsonReport>;
