/**
 * Live video: short-lived media tokens (device → WHIP ingest, viewer → SFU signalling), the HTTP
 * bodies of the gateway's token routes and the SFU's viewer signalling, and the Redis messages the
 * SFU announces producers, consumers and router resets with. Rules: sfu/SPEC.md.
 */
import { z } from 'zod';
import { EpochMs, Id, Role } from './common.ts';

/** A device token lives this long; the device fetches a new one for each publish. */
export const DEVICE_TOKEN_TTL_MS = 10 * 60_000;
/** A viewer token only has to outlive the signalling of one tile (create, consume, resume). */
export const VIEWER_TOKEN_TTL_MS = 5 * 60_000;

/**
 * WHIP POST header of a camera whose stream begins with its pre-recording buffer: how many seconds
 * before the button press the first media is from (issue #6). The SFU caps it by the tenant's policy
 * (`tenants.prerecord_s`, 0 = off) and records the result in the manifest as `prerecordS`.
 */
export const PRERECORD_HEADER = 'lagebild-prerecord-s';
export const PrerecordSeconds = z.coerce.number().min(0).max(600);

export const DeviceTokenClaims = z.object({
  typ: z.literal('device'),
  tenantId: Id,
  deviceId: Id,
  iat: EpochMs,
  exp: EpochMs,
});
export type DeviceTokenClaims = z.infer<typeof DeviceTokenClaims>;

export const ViewerTokenClaims = z.object({
  typ: z.literal('viewer'),
  tenantId: Id,
  userId: Id,
  role: Role,
  /** the one unit this token may watch */
  deviceId: Id,
  /**
   * One watch (§ 76 BDSG): the gateway logs the reason under this id when it mints the token, the SFU
   * repeats it on consumer_up/consumer_down, so from–to joins who, unit and reason.
   */
  watchId: z.string().max(64).optional(),
  /**
   * The operator session this token was minted for, as a non-secret id (`sessionRef`): logout, expiry
   * or a disabled user end every SFU viewer session carrying it (REVOCATION_CHANNEL, issue 11).
   */
  sid: z.string().regex(/^[0-9a-f]{32}$/),
  /** when that operator session expires: the SFU ends the viewer session then at the latest */
  sexp: EpochMs,
  iat: EpochMs,
  exp: EpochMs,
});
export type ViewerTokenClaims = z.infer<typeof ViewerTokenClaims>;

export const MediaTokenClaims = z.discriminatedUnion('typ', [DeviceTokenClaims, ViewerTokenClaims]);
export type MediaTokenClaims = z.infer<typeof MediaTokenClaims>;

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

// ---- gateway HTTP: POST /api/device/token, POST /api/video/viewer-token, GET /api/video/live ----

export const DeviceTokenRequest = z.strictObject({
  deviceId: Id,
  secret: z.string().min(16).max(256),
});
export type DeviceTokenRequest = z.infer<typeof DeviceTokenRequest>;

export const DeviceTokenResponse = z.object({
  token: z.string(),
  expiresAt: EpochMs,
  /** WHIP endpoint for this device (POST the SDP offer here with `Authorization: Bearer <token>`) */
  whipUrl: z.string().nullable(),
});
export type DeviceTokenResponse = z.infer<typeof DeviceTokenResponse>;

/** Why a live stream is watched (§ 76 BDSG); an incident id when the tile follows an incident. */
export const WatchReason = z.strictObject({
  kind: z.enum(['incident', 'emergency', 'officer_safety', 'situation_assessment', 'other']),
  incidentId: Id.optional(),
  text: z.string().max(500).optional(),
});
export type WatchReason = z.infer<typeof WatchReason>;

export const ViewerTokenRequest = z.strictObject({
  deviceId: Id,
  reason: WatchReason,
});
export type ViewerTokenRequest = z.infer<typeof ViewerTokenRequest>;

export const ViewerTokenResponse = z.object({
  token: z.string(),
  expiresAt: EpochMs,
  /** base URL of the viewer signalling (same origin, proxied by the gateway): `/sfu/v1` */
  signallingUrl: z.string(),
  /** the audit id of this watch (see ViewerTokenClaims.watchId) */
  watchId: z.string(),
  /**
   * WHEP endpoint of this unit on the SFU (issue 16): any WHEP player POSTs its offer there with
   * the token as Bearer (sfu/SPEC.md E1–E8). Null when the gateway does not know the SFU's URL.
   */
  whepUrl: z.string().nullable().optional(),
});
export type ViewerTokenResponse = z.infer<typeof ViewerTokenResponse>;

export const LiveStream = z.object({
  deviceId: Id,
  kinds: z.array(z.enum(['audio', 'video'])),
  videoCodec: z.string().nullable(),
  since: EpochMs,
});
export type LiveStream = z.infer<typeof LiveStream>;

export const LiveStreamsResponse = z.object({ streams: z.array(LiveStream) });
export type LiveStreamsResponse = z.infer<typeof LiveStreamsResponse>;

// ---- talkback through the gateway (sfu/SPEC.md K1): POST/DELETE /sfu/v1/talkback/<deviceId>[/<talkId>] ----

/** The content type of every WHIP, WHEP and talkback offer and answer. */
export const SDP_MEDIA_TYPE = 'application/sdp';
/** A browser's SDP offer as a request body: text that starts like SDP (RFC 8866), at most 16 KiB. */
export const SdpOffer = z
  .string()
  .max(16 * 1024)
  .regex(/^v=0\r?\n/, 'an SDP offer starts with the line v=0');
/** A talkback resource's id, as the SFU hands it out in `Location` (12 random bytes, base64url). */
export const TalkId = z.string().regex(/^[A-Za-z0-9_-]{16}$/);

// ---- SFU viewer signalling (HTTP JSON, Bearer viewer token), see sfu/SPEC.md ----

/**
 * mediasoup's own structures (RTP capabilities, DTLS and RTP parameters) pass through as objects;
 * the SFU's mediasoup worker validates them in depth and answers 400 with its reason.
 */
const MediasoupObject = z.record(z.string(), z.unknown());

export const ViewerTransport = z.object({
  id: z.string(),
  iceParameters: MediasoupObject,
  iceCandidates: z.array(MediasoupObject),
  dtlsParameters: MediasoupObject,
});
export type ViewerTransport = z.infer<typeof ViewerTransport>;

export const ViewerSessionResponse = z.object({
  sessionId: z.string(),
  deviceId: Id,
  routerRtpCapabilities: MediasoupObject,
  transport: ViewerTransport,
  iceServers: z.array(IceServer),
});
export type ViewerSessionResponse = z.infer<typeof ViewerSessionResponse>;

export const ConnectTransportRequest = z.strictObject({ dtlsParameters: MediasoupObject });
export type ConnectTransportRequest = z.infer<typeof ConnectTransportRequest>;

export const ConsumeRequest = z.strictObject({ rtpCapabilities: MediasoupObject });
export type ConsumeRequest = z.infer<typeof ConsumeRequest>;

export const ViewerConsumer = z.object({
  id: z.string(),
  producerId: z.string(),
  kind: z.enum(['audio', 'video']),
  rtpParameters: MediasoupObject,
  /** simulcast/SVC: spatial layers the producer offers (1 = single layer) */
  spatialLayers: z.number().int().min(1),
  temporalLayers: z.number().int().min(1),
});
export type ViewerConsumer = z.infer<typeof ViewerConsumer>;

export const ConsumeResponse = z.object({ consumers: z.array(ViewerConsumer) });
export type ConsumeResponse = z.infer<typeof ConsumeResponse>;

/** Either the tile's size in CSS pixels × devicePixelRatio (the SFU picks layers) or explicit layers. */
export const SetLayersRequest = z.union([
  z.strictObject({
    tileWidthPx: z.number().int().min(0).max(8192),
    tileHeightPx: z.number().int().min(0).max(8192),
  }),
  z.strictObject({
    spatialLayer: z.number().int().min(0).max(3),
    temporalLayer: z.number().int().min(0).max(3).optional(),
  }),
]);
export type SetLayersRequest = z.infer<typeof SetLayersRequest>;

export const SetLayersResponse = z.object({
  spatialLayer: z.number().int(),
  temporalLayer: z.number().int().nullable(),
  /** true while the consumer is paused for a hidden (0×0) tile */
  paused: z.boolean(),
});
export type SetLayersResponse = z.infer<typeof SetLayersResponse>;

export const RestartIceResponse = z.object({ iceParameters: MediasoupObject });
export type RestartIceResponse = z.infer<typeof RestartIceResponse>;

// ---- Redis: SFU → everyone, channel MEDIA_CHANNEL ----

export const MEDIA_CHANNEL = 'lb:media';
/** Redis hash per tenant: deviceId → LiveStream JSON, for dashboards that connect later. */
export const liveStreamsKey = (tenantId: string) => `lb:media:live:${tenantId}`;

/** A value of that hash: the stream and the SFU node that holds it. */
export const LiveStreamEntry = z.object({ sfuId: z.string(), stream: LiveStream });
export type LiveStreamEntry = z.infer<typeof LiveStreamEntry>;

/** why a stream ended; `revoked`: the device was revoked (issue 11), its recording sealed */
export const ProducerDownReason = z.enum([
  'unpublished',
  'replaced',
  'worker_died',
  'timeout',
  'shutdown',
  'revoked',
]);
export type ProducerDownReason = z.infer<typeof ProducerDownReason>;

export const MediaEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('producer_up'),
    tenantId: Id,
    deviceId: Id,
    sfuId: z.string(),
    stream: LiveStream,
    at: EpochMs,
  }),
  z.object({
    type: z.literal('producer_down'),
    tenantId: Id,
    deviceId: Id,
    sfuId: z.string(),
    reason: ProducerDownReason,
    at: EpochMs,
  }),
  z.object({
    type: z.literal('consumer_up'),
    tenantId: Id,
    deviceId: Id,
    userId: Id,
    sessionId: z.string(),
    watchId: z.string().optional(),
    sfuId: z.string(),
    at: EpochMs,
  }),
  z.object({
    type: z.literal('consumer_down'),
    tenantId: Id,
    deviceId: Id,
    userId: Id,
    sessionId: z.string(),
    watchId: z.string().optional(),
    sfuId: z.string(),
    /** `session_ended`: the viewer's operator session ended (logout, expiry, disabled user) */
    reason: z.enum([
      'closed',
      'producer_gone',
      'transport_gone',
      'worker_died',
      'timeout',
      'shutdown',
      'session_ended',
    ]),
    at: EpochMs,
  }),
  /**
   * Talkback (issue 16): a user's microphone reached the SFU for a unit's camera (`talkback_up`, once
   * ICE and DTLS are up) and ended (`talkback_down`, with how long it was open). The gateway audits both.
   */
  z.object({
    type: z.literal('talkback_up'),
    tenantId: Id,
    deviceId: Id,
    userId: Id,
    talkId: z.string(),
    sfuId: z.string(),
    at: EpochMs,
  }),
  z.object({
    type: z.literal('talkback_down'),
    tenantId: Id,
    deviceId: Id,
    userId: Id,
    talkId: z.string(),
    sfuId: z.string(),
    durationMs: z.number().int().nonnegative(),
    reason: z.enum(['released', 'timeout', 'session_ended', 'stream_ended', 'shutdown']),
    at: EpochMs,
  }),
  /**
   * A mediasoup worker died: its routers were recreated on a fresh worker, and every publisher and
   * viewer listed lost its transport and must reconnect (devices re-POST to WHIP, tiles re-consume).
   */
  z.object({
    type: z.literal('router_reset'),
    tenantId: Id,
    sfuId: z.string(),
    deviceIds: z.array(Id),
    at: EpochMs,
  }),
]);
export type MediaEvent = z.infer<typeof MediaEvent>;

/** What dashboards get on `/control` as `video`: stream up/down and resets (consumer events are audit only). */
export type VideoEvent = Extract<MediaEvent, { type: 'producer_up' | 'producer_down' | 'router_reset' }>;

// ---- revocations: gateway → every SFU (Redis), enforced at once (issue 11) ----

/** Pub/sub channel on which gateways announce revocations; every SFU node ends what they name. */
export const REVOCATION_CHANNEL = 'lb:revocations';
/**
 * Set by the gateway when a device is revoked, value = revocation time (epoch ms), kept for longer
 * than a device token lives: the SFU refuses every device token of that device issued at or before it.
 */
export const revokedDeviceKey = (deviceId: string) => `lb:revoked:device:${deviceId}`;
/** Set when an operator session ends (value = epoch ms), kept as long as a viewer token lives. */
export const endedSessionKey = (sid: string) => `lb:revoked:session:${sid}`;
/** How long the revocation keys outlive the tokens they refuse (clock skew between nodes). */
export const REVOCATION_GRACE_MS = 60_000;

export const Revocation = z.discriminatedUnion('type', [
  /** the device's WHIP sessions end (recording sealed), its tokens are refused */
  z.object({ type: z.literal('device_revoked'), tenantId: Id, deviceId: Id, at: EpochMs }),
  /** the operator session's viewer sessions end, its viewer tokens are refused */
  z.object({
    type: z.literal('session_ended'),
    tenantId: Id,
    sid: z.string().regex(/^[0-9a-f]{32}$/),
    reason: z.enum(['logout', 'expired', 'user_disabled', 'ended_by_admin']),
    at: EpochMs,
  }),
]);
export type Revocation = z.infer<typeof Revocation>;
