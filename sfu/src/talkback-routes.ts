/**
 * Talkback (issue 16): an operator or supervisor presses and holds "Sprechen" on a live tile; their
 * microphone goes through the SFU to that unit's camera.
 *   POST   /talkback/:deviceId                  speaker: WHIP-style audio offer, viewer token → 201
 *   DELETE /talkback/:deviceId/:talkId          speaker released the button → 200
 *   POST   /talkback/:deviceId/listen           camera: WHEP-style recvonly audio offer, device token → 201
 *   DELETE /talkback/:deviceId/listen/:listenId camera stops listening → 200
 * The camera's subscription is its own (not its WHIP session: a WHIP answer is recvonly by rule W1,
 * and a subscription that outlives speakers needs no renegotiation). Speakers feed the camera's
 * TalkbackRelay (one stable SSRC); one speaker per camera at a time (a second → 409). Each speech is
 * announced (`talkback_up` once ICE+DTLS are up, `talkback_down` with its duration) and audited by
 * the gateway as `talkback`. Recorded as the recording's second audio track (`recordWith`). Rules: SPEC.md K1–K6.
 */
import { randomBytes } from 'node:crypto';
import {
  type DeviceTokenClaims,
  type MediaEvent,
  TALKBACK_ROLES,
  type ViewerTokenClaims,
} from '@lagebild/protocol';
import { bearer, TokenError, verifyDeviceToken, verifyViewerToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { types } from 'mediasoup';
import type { Announcer } from './announcer.ts';
import type { SfuConfig } from './config.ts';
import { fromTokenError, SfuError } from './errors.ts';
import type { Logger } from './logger.ts';
import { watchPeer } from './peer-watch.ts';
import type { Publisher } from './publisher.ts';
import type { RevocationChecks } from './revocation.ts';
import { TalkbackRelay } from './talkback-relay.ts';
import type { TenantRoom } from './tenant-room.ts';
import { consumeInto, createEgressRouter, planEgress } from './whep-egress.ts';
import { buildAnswer, parseOffer, producerCandidates, SdpError } from './whip-sdp.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SDP = 'application/sdp';
/** who may speak to a camera (admins administer, they do not dispatch) */
const SPEAKER_ROLES: ReadonlySet<string> = new Set(TALKBACK_ROLES);

type DownReason = Extract<MediaEvent, { type: 'talkback_down' }>['reason'];

interface Speaker {
  id: string;
  claims: ViewerTokenClaims;
  transport: types.WebRtcTransport;
  close(reason: DownReason): void;
}

interface Listener {
  id: string;
  tokenIat: number;
  transport: types.WebRtcTransport;
  close(): void;
}

/** One camera's talkback: its relay, the speaker (if any) and its listening subscriptions. */
interface CameraTalkback {
  relay: TalkbackRelay;
  speaker: Speaker | null;
  listeners: Map<string, Listener>;
  /** requests setting up a speaker or listener now (the relay must not be released under them) */
  pending: number;
}

export interface TalkbackDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
  announcer: Announcer;
  log: Logger;
  revocations: RevocationChecks;
}

export interface Talkback {
  /**
   * [K6] Adds the camera's talkback track to a publisher's recording (its `recordedExtras`) and keeps
   * it filled with silence while the publisher lives. Resolves once the track exists.
   */
  recordWith(publisher: Publisher): Promise<void>;
  /** an operator session ended: its speakers stop ([K5]) */
  endOperatorSession(tenantId: string, sid: string): void;
  /** a device was revoked: its listening subscriptions end ([K5]) */
  revokeDevice(tenantId: string, deviceId: string, revokedAt: number): void;
  /** relay packet counts per camera (stats) */
  stats(): { deviceId: string; packets: number; speaking: boolean; listeners: number }[];
}

export function registerTalkbackRoutes({
  app,
  config,
  room,
  announcer,
  log,
  revocations,
}: TalkbackDeps): Talkback {
  const cameras = new Map<string, CameraTalkback>();
  const keyOf = (tenantId: string, deviceId: string) => `${tenantId}:${deviceId}`;

  /** the camera's relay, opened on first use in the tenant's router (gone with it on a worker death) */
  const cameraOf = async (tenantId: string, deviceId: string): Promise<CameraTalkback> => {
    const key = keyOf(tenantId, deviceId);
    const known = cameras.get(key);
    if (known && !known.relay.closed) return known;
    const { router } = await room(tenantId).router();
    const again = cameras.get(key); // opened by a concurrent request meanwhile
    if (again && !again.relay.closed) return again;
    const relay = await TalkbackRelay.open(router, { tenantId, deviceId, talkback: true });
    const cam: CameraTalkback = { relay, speaker: null, listeners: new Map(), pending: 0 };
    cameras.set(key, cam);
    relay.producer.observer.once('close', () => {
      relay.close();
      if (cameras.get(key) === cam) cameras.delete(key);
      cam.speaker?.close('stream_ended');
      for (const l of [...cam.listeners.values()]) l.close();
    });
    return cam;
  };

  /** A relay nobody speaks to, listens on or records is closed (no DirectTransport left behind). */
  const releaseIfIdle = (cam: CameraTalkback) => {
    if (cam.speaker || cam.listeners.size > 0 || cam.relay.recordings > 0 || cam.pending > 0) return;
    cam.relay.close();
  };

  const requireSdp = async (req: FastifyRequest): Promise<void> => {
    const got = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (got !== SDP) throw new SfuError('unsupported_media_type', `talkback offers must be ${SDP}`);
  };
  const offerOf = (body: unknown, mode: 'publish' | 'play') => {
    try {
      return parseOffer(typeof body === 'string' ? body : '', mode);
    } catch (err) {
      if (err instanceof SdpError) throw new SfuError('bad_request', `malformed SDP offer: ${err.message}`);
      throw err;
    }
  };
  const checkDeviceParam = (deviceId: string) => {
    if (!UUID.test(deviceId)) throw new SfuError('not_found', 'no such talkback endpoint');
  };

  /** [K1] a viewer token for this unit, of an operator or supervisor whose session has not ended */
  const speakerAuth = async (req: FastifyRequest<{ Params: { deviceId: string } }>) => {
    let claims: ViewerTokenClaims;
    try {
      claims = verifyViewerToken(config.MEDIA_TOKEN_SECRET, bearer(req.headers.authorization));
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
    checkDeviceParam(req.params.deviceId);
    if (claims.deviceId !== req.params.deviceId.toLowerCase())
      throw new SfuError('forbidden', 'this viewer token is for another unit');
    if (!SPEAKER_ROLES.has(claims.role))
      throw new SfuError('forbidden', 'only operators and supervisors speak to a camera');
    await revocations.session(claims);
    return claims;
  };

  /** [K3] a device token for this camera, not revoked */
  const cameraAuth = async (req: FastifyRequest<{ Params: { deviceId: string } }>) => {
    let claims: DeviceTokenClaims;
    try {
      claims = verifyDeviceToken(config.MEDIA_TOKEN_SECRET, bearer(req.headers.authorization));
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
    checkDeviceParam(req.params.deviceId);
    if (claims.deviceId !== req.params.deviceId.toLowerCase())
      throw new SfuError('forbidden', 'this token is for another device');
    await revocations.device(claims);
    return claims;
  };

  app.post<{ Params: { deviceId: string }; Body: string }>(
    '/talkback/:deviceId',
    { onRequest: requireSdp },
    async (req, reply) => {
      const claims = await speakerAuth(req);
      const offer = offerOf(req.body, 'publish');
      const r = room(claims.tenantId);
      if (!r.publishers.get(claims.deviceId)?.live)
        throw new SfuError('not_found', 'this unit is not live right now');
      const cam = await cameraOf(claims.tenantId, claims.deviceId);
      cam.pending++;
      try {
        if (cam.speaker && cam.speaker.claims.userId !== claims.userId)
          throw new SfuError(
            'conflict',
            'someone else is speaking to this camera; try again when they release',
          );
        cam.speaker?.close('released'); // the same user pressing again replaces their own
        const { router } = await r.router();
        const section = offer.sections.find((s) => !s.rejected && s.kind === 'audio');
        if (!section) throw new SfuError('unprocessable', 'a talkback offer needs an audio section (Opus)');
        const transport = await r.createTransportOn();
        try {
          await transport.connect({ dtlsParameters: offer.dtls });
          let producer: types.Producer | null = null;
          let rtpParameters: types.RtpParameters | null = null;
          for (const candidate of producerCandidates(section, router.rtpCapabilities)) {
            try {
              producer = await transport.produce({ kind: 'audio', rtpParameters: candidate });
              rtpParameters = candidate;
              break;
            } catch {
              // next codec
            }
          }
          if (!producer || !rtpParameters)
            throw new SfuError('unprocessable', 'a talkback offer needs Opus audio');
          const stop = await cam.relay.speak(producer, router);
          const id = randomBytes(12).toString('base64url');
          let upAt: number | null = null;
          const event = {
            tenantId: claims.tenantId,
            deviceId: claims.deviceId,
            userId: claims.userId,
            talkId: id,
          };
          const speaker: Speaker = {
            id,
            claims,
            transport,
            close(reason) {
              if (cam.speaker === speaker) cam.speaker = null;
              stop();
              unwatch();
              if (!transport.closed) transport.close();
              releaseIfIdle(cam);
              if (upAt === null) return;
              const durationMs = Date.now() - upAt;
              upAt = null;
              announcer.announce({
                type: 'talkback_down',
                ...event,
                sfuId: config.SFU_ID,
                durationMs,
                reason,
                at: Date.now(),
              });
              log.info({ deviceId: claims.deviceId, durationMs, reason }, 'talkback ended');
            },
          };
          const unwatch = watchPeer(transport, config.SFU_PEER_TIMEOUT_MS, () => speaker.close('timeout'));
          transport.on('dtlsstatechange', (state) => {
            if (state !== 'connected' || upAt !== null || transport.closed) return;
            upAt = Date.now();
            announcer.announce({ type: 'talkback_up', ...event, sfuId: config.SFU_ID, at: upAt });
          });
          cam.speaker = speaker;
          const answer = buildAnswer(offer, [{ section, rtpParameters }], transport);
          reply
            .code(201)
            .header('content-type', SDP)
            .header('location', `/talkback/${claims.deviceId}/${id}`);
          return answer;
        } catch (err) {
          if (!transport.closed) transport.close();
          throw err;
        }
      } finally {
        cam.pending--;
        releaseIfIdle(cam);
      }
    },
  );

  app.delete<{ Params: { deviceId: string; talkId: string } }>(
    '/talkback/:deviceId/:talkId',
    async (req, reply) => {
      const claims = await speakerAuth(req);
      const speaker = cameras.get(keyOf(claims.tenantId, claims.deviceId))?.speaker;
      if (!speaker || speaker.id !== req.params.talkId || speaker.claims.userId !== claims.userId)
        throw new SfuError('not_found', 'talkback resource not found (released or ended)');
      speaker.close('released');
      return reply.code(200).send();
    },
  );

  app.post<{ Params: { deviceId: string }; Body: string }>(
    '/talkback/:deviceId/listen',
    { onRequest: requireSdp },
    async (req, reply) => {
      const claims = await cameraAuth(req);
      const offer = offerOf(req.body, 'play');
      const cam = await cameraOf(claims.tenantId, claims.deviceId);
      cam.pending++;
      try {
        const { plans, reasons } = planEgress(
          { ...offer, sections: offer.sections.filter((s) => s.kind === 'audio') },
          [cam.relay.producer],
        );
        if (plans.length === 0)
          throw new SfuError(
            'unprocessable',
            `no media section accepted: ${reasons.join('; ') || 'no audio'}`,
          );
        const r = room(claims.tenantId);
        const { router, egress } = await createEgressRouter(r, plans);
        const id = randomBytes(12).toString('base64url');
        try {
          const transport = await r.createTransportOn(egress);
          await transport.connect({ dtlsParameters: offer.dtls });
          const { accepted } = await consumeInto(router, egress, transport, plans);
          const listener: Listener = {
            id,
            tokenIat: claims.iat,
            transport,
            close() {
              if (!cam.listeners.delete(id)) return;
              unwatch();
              if (!egress.closed) egress.close();
              releaseIfIdle(cam);
            },
          };
          const unwatch = watchPeer(transport, config.SFU_PEER_TIMEOUT_MS, () => listener.close());
          egress.observer.once('close', () => listener.close());
          cam.listeners.set(id, listener);
          const answer = buildAnswer({ ...offer, bundled: offer.bundled }, accepted, transport, 'sendonly');
          reply
            .code(201)
            .header('content-type', SDP)
            .header('location', `/talkback/${claims.deviceId}/listen/${id}`);
          return answer;
        } catch (err) {
          if (!egress.closed) egress.close();
          throw err;
        }
      } finally {
        cam.pending--;
        releaseIfIdle(cam);
      }
    },
  );

  app.delete<{ Params: { deviceId: string; listenId: string } }>(
    '/talkback/:deviceId/listen/:listenId',
    async (req, reply) => {
      const claims = await cameraAuth(req);
      const listener = cameras
        .get(keyOf(claims.tenantId, claims.deviceId))
        ?.listeners.get(req.params.listenId);
      if (!listener) throw new SfuError('not_found', 'talkback subscription not found');
      listener.close();
      return reply.code(200).send();
    },
  );

  return {
    async recordWith(publisher) {
      const cam = await cameraOf(publisher.tenantId, publisher.deviceId);
      if (publisher.closed) return;
      publisher.recordedExtras.push(cam.relay.recordProducer);
      const done = cam.relay.recording();
      publisher.once('close', () => {
        done();
        releaseIfIdle(cam);
      });
    },
    endOperatorSession(tenantId, sid) {
      for (const [key, cam] of cameras)
        if (key.startsWith(`${tenantId}:`) && cam.speaker?.claims.sid === sid)
          cam.speaker.close('session_ended');
    },
    revokeDevice(tenantId, deviceId, revokedAt) {
      const cam = cameras.get(keyOf(tenantId, deviceId));
      if (!cam) return;
      for (const l of [...cam.listeners.values()]) if (l.tokenIat <= revokedAt) l.close();
      cam.speaker?.close('stream_ended');
    },
    stats() {
      return [...cameras.entries()].map(([key, cam]) => ({
        deviceId: key.split(':')[1]!,
        packets: cam.relay.packets,
        speaking: cam.speaker !== null,
        listeners: cam.listeners.size,
      }));
    },
  };
}
