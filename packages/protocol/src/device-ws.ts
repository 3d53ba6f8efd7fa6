/**
 * The device protocol over a plain WebSocket (RFC 6455): the same events, acks and guarantees as
 * the Socket.IO namespace `/device` (device.ts), without Socket.IO's framing, handshake and
 * per-socket state, so a gateway holds many more cameras (issue 17). docs/device-protocol.md D30–D32.
 *
 * - Upgrade `GET /api/device/v1/ws` with `Authorization: Basic base64(<deviceId>:<secret>)` (or
 *   `Bearer <device token>`) and `Sec-WebSocket-Protocol: lagebild.device.v<PROTOCOL_VERSION>`.
 *   Refusals are plain HTTP answers before the upgrade (400, 401, 403, 426, 503) with an ErrorBody.
 * - Every frame is one JSON object in a text frame. A message that wants an answer carries `ref`
 *   (chosen by its sender, unique among its open requests); the answer is `{ type: 'ack', ref, data }`.
 */
import { z } from 'zod';
import { ErrorCode, PROTOCOL_VERSION } from './common.ts';

export const DEVICE_WS_PATH = '/api/device/v1/ws';

/** The subprotocol that names the protocol version a device speaks. */
export const deviceWsSubprotocol = (version: number = PROTOCOL_VERSION) => `lagebild.device.v${version}`;
/** The version a subprotocol names, or null when it is not one of ours. */
export function deviceWsVersion(subprotocol: string): number | null {
  const m = /^lagebild\.device\.v(\d{1,6})$/.exec(subprotocol.trim());
  return m ? Number(m[1]) : null;
}

/** Largest frame the gateway reads: a report (4 KiB) with its envelope; larger ones close with 1009. */
export const MAX_DEVICE_WS_FRAME = 8 * 1024;

/**
 * Close codes the gateway uses besides RFC 6455's 1001 (shutting down) and 1009 (frame too large);
 * a device that did not answer a ping is cut without a close frame (1006 on its side).
 */
export const DeviceWsClose = {
  /** the device was revoked (after a `bye` with code forbidden) */
  revoked: 4403,
  /** another connection of the same device replaced this one */
  replaced: 4409,
} as const;

const Ref = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** What a device sends: a request (with the answer it expects) or the ack of a gateway's request. */
export const DeviceWsInbound = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('status'), ref: Ref, data: z.unknown() }),
  z.strictObject({ type: z.literal('dispatch_answer'), ref: Ref, data: z.unknown() }),
  z.strictObject({ type: z.literal('report'), ref: Ref, data: z.unknown() }),
  z.strictObject({ type: z.literal('ack'), ref: Ref, data: z.unknown() }),
]);
export type DeviceWsInbound = z.infer<typeof DeviceWsInbound>;

/** What the gateway sends. `error` answers a frame it could not read (ref when it had one). */
export const DeviceWsOutbound = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ack'), ref: Ref, data: z.unknown() }),
  z.object({ type: z.literal('dispatch_request'), ref: Ref, data: z.unknown() }),
  z.object({ type: z.literal('dispatch_cancel'), data: z.object({ requestId: z.string() }) }),
  z.object({ type: z.literal('bye'), data: z.object({ code: ErrorCode, message: z.string() }) }),
  z.object({
    type: z.literal('error'),
    ref: Ref.nullable(),
    data: z.object({ code: ErrorCode, message: z.string() }),
  }),
]);
export type DeviceWsOutbound = z.infer<typeof DeviceWsOutbound>;
