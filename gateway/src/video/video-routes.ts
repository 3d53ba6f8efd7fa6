/**
 * Live video on the gateway side:
 *   POST /api/device/token         a device's secret → a short-lived token for WHIP (and its URL)
 *   POST /api/video/viewer-token   a live role's session → a token to watch one unit of its tenant
 *                                  (in a tile over /sfu/v1, or with any WHEP player at `whepUrl`)
 *   GET  /api/video/live           the tenant's units that are streaming now
 *   ALL  /sfu/v1/*                 the SFU's viewer signalling, proxied so browsers stay on one origin
 *                                  (talkback's SDP beside it: talkback-proxy.ts)
 * and the SFU's Redis announcements forwarded to dashboards as `video` on /control. Every watch is
 * in the hash-chained audit log as `live_watch`: authorised (who, unit, reason), started, ended.
 */
import { randomUUID } from 'node:crypto';
import { auditTarget, liveWatchTarget } from '@lagebild/audit';
import { secretMatches } from '@lagebild/db';
import {
  DEVICE_TOKEN_TTL_MS,
  DeviceTokenRequest,
  DeviceTokenResponse,
  LIVE_ROLES,
  LiveStreamEntry,
  LiveStreamsResponse,
  liveStreamsKey,
  MEDIA_CHANNEL,
  MediaEvent,
  VIEWER_TOKEN_TTL_MS,
  ViewerTokenRequest,
  ViewerTokenResponse,
} from '@lagebild/protocol';
import { signToken } from '@lagebild/tokens';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { HttpDeps, ServiceDeps } from '../http/route-deps.ts';
import { tenantRoom } from '../live/control-namespace.ts';
import { findDevice } from '../live/device-directory.ts';
import { forwardToSfu } from './sfu-forward.ts';
import { sfuProxyPath } from './sfu-proxy-path.ts';

export interface VideoRouteDeps extends HttpDeps, ServiceDeps {
  /** the media-event subscription closes with the server */
  app: FastifyInstance;
  io: Server;
}

/**
 * The SFU's WHEP endpoint for a unit (issue 16): beside its WHIP endpoint (`…/whip` → `…/whep/<id>`),
 * or null if SFU_WHIP_URL does not end in /whip (then the gateway cannot tell where it is).
 */
export function whepUrlOf(whipUrl: string, deviceId: string): string | null {
  const base = whipUrl.replace(/\/$/, '');
  return /\/whip$/.test(base) ? `${base.slice(0, -'whip'.length)}whep/${deviceId}` : null;
}

export function registerVideoRoutes(deps: VideoRouteDeps): void {
  const { app, io, route, db, redis, config, sameTenant, log, metrics, audit } = deps;
  const secret = config.MEDIA_TOKEN_SECRET[0]; // the first signs; the SFU accepts every listed one
  const enabled = () => {
    if (!secret) throw new AppError('unavailable', 'live video is not configured (MEDIA_TOKEN_SECRET unset)');
    return secret;
  };

  const deviceToken = {
    method: 'POST',
    url: '/api/device/token',
    access: 'public',
    description: 'A device proves itself with its secret in the body, not with a session.',
    summary: "A device's secret → a short-lived media token for WHIP",
    body: DeviceTokenRequest,
    response: DeviceTokenResponse,
  } as const;
  route(deviceToken, async ({ req, body: { deviceId, secret: deviceSecret } }) => {
    const key = enabled();
    const device = await findDevice(db.pool, deviceId);
    if (!device || !secretMatches(deviceSecret, device.secretHash)) {
      metrics.deviceAuthFailed++;
      log.warn({ ip: req.ip, deviceId }, 'device token refused');
      throw new AppError('unauthenticated', 'unknown device or wrong secret');
    }
    if (device.state !== 'active') throw new AppError('forbidden', 'this device has been revoked');
    const { token, expiresAt } = signToken(
      key,
      { typ: 'device', tenantId: device.tenantId, deviceId: device.deviceId },
      DEVICE_TOKEN_TTL_MS,
    );
    return {
      token,
      expiresAt,
      whipUrl: config.SFU_WHIP_URL ? `${config.SFU_WHIP_URL.replace(/\/$/, '')}/${device.deviceId}` : null,
    };
  });

  const viewerToken = {
    method: 'POST',
    url: '/api/video/viewer-token',
    access: LIVE_ROLES,
    summary: 'A token to watch one unit of the own tenant, with a reason (audited)',
    body: ViewerTokenRequest,
    response: ViewerTokenResponse,
  } as const;
  // who may watch is answered before whether video is configured: a refusal never depends on setup
  route(viewerToken, async ({ req, user, body: { deviceId, reason } }) => {
    const key = enabled();
    const device = await findDevice(db.pool, deviceId);
    if (!device) throw new AppError('not_found', 'device not found');
    sameTenant(user, device.tenantId, 'device', deviceId, req);
    if (reason.incidentId) {
      // the reason names an incident of the viewer's own tenant, or none (issue 11)
      const { rows } = await db.pool.query<{ tenant_id: string }>(
        'SELECT tenant_id FROM incidents WHERE id = $1',
        [reason.incidentId],
      );
      if (!rows[0]) throw new AppError('not_found', 'incident not found');
      sameTenant(user, rows[0].tenant_id, 'incident', reason.incidentId, req);
    }
    const watchId = randomUUID();
    // the token lives no longer than the session it was minted for; the SFU ends the watch with it
    const { token, expiresAt } = signToken(
      key,
      {
        typ: 'viewer',
        tenantId: user.tenant.id,
        userId: user.id,
        role: user.role,
        deviceId,
        watchId,
        sid: user.sessionRef,
        sexp: user.sessionExpiresAt,
      },
      Math.max(0, Math.min(VIEWER_TOKEN_TTL_MS, user.sessionExpiresAt - Date.now())),
    );
    // committed before the token leaves: no one watches unaudited
    await audit.append({
      tenantId: user.tenant.id,
      actor: actorOf(user),
      action: 'live_watch',
      target: liveWatchTarget(deviceId),
      reason: reason.text ? `${reason.kind}: ${reason.text}` : reason.kind,
      payload: {
        phase: 'authorised',
        watchId,
        userId: user.id,
        role: user.role,
        ...(reason.incidentId ? { incidentId: reason.incidentId } : {}),
      },
    });
    return {
      token,
      expiresAt,
      signallingUrl: '/sfu/v1',
      watchId,
      whepUrl: whepUrlOf(config.SFU_WHIP_URL, deviceId),
    };
  });

  const liveStreams = {
    method: 'GET',
    url: '/api/video/live',
    access: LIVE_ROLES,
    summary: "The tenant's units that are streaming now",
    response: LiveStreamsResponse,
  } as const;
  route(liveStreams, async ({ user }) => {
    const all = await redis.hgetall(liveStreamsKey(user.tenant.id));
    const streams = Object.values(all).flatMap((v) => {
      const e = LiveStreamEntry.safeParse(JSON.parse(v));
      return e.success ? [e.data.stream] : [];
    });
    return { streams };
  });

  const sfuProxy = {
    method: app.supportedMethods as HTTPMethods[],
    url: '/sfu/v1/*',
    access: LIVE_ROLES,
    summary: "The SFU's viewer signalling, proxied so browsers stay on one origin",
    description:
      "Only the documented routes of sfu/SPEC.md (V1–V4) are forwarded; their bodies are the SFU's.",
  } as const;
  // a live role's session first, then the documented route: nothing reaches the SFU otherwise
  route(sfuProxy, async ({ req, reply }) => {
    const path = sfuProxyPath(req.method, req.raw.url ?? req.url);
    if (path === null) throw new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
    enabled();
    // the body is the JSON the gateway parsed, so its type is ours to say
    const body = req.body !== undefined && req.method !== 'GET' ? JSON.stringify(req.body) : undefined;
    const res = await forwardToSfu(config.SFU_URL, log, {
      method: req.method,
      path,
      authorization: req.headers.authorization,
      ...(body !== undefined ? { body: { type: 'application/json', text: body } } : {}),
    });
    reply.code(res.status);
    const type = res.headers.get('content-type');
    if (type) reply.header('content-type', type);
    return reply.send(Buffer.from(await res.arrayBuffer()));
  });

  // Each gateway relays to its own sockets only (`local`): every gateway process receives the
  // Redis message, so a broadcast through the adapter would reach dashboards once per gateway.
  const sub = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  sub.on('error', (err) => log.warn({ err: err.message, client: 'media-sub' }, 'redis connection error'));
  void sub.subscribe(MEDIA_CHANNEL).catch((err) => log.error({ err: err.message }, 'media subscribe failed'));
  const control = io.of('/control');
  sub.on('message', (_channel, raw) => {
    let msg: MediaEvent;
    try {
      msg = MediaEvent.parse(JSON.parse(raw));
    } catch {
      log.warn({ raw: raw.slice(0, 200) }, 'malformed media event dropped');
      return;
    }
    if (msg.type === 'consumer_up' || msg.type === 'consumer_down') {
      void auditWatch(msg).catch((err) =>
        log.error({ err, watchId: msg.watchId }, 'live watch audit failed'),
      );
      return;
    }
    if (msg.type === 'talkback_up' || msg.type === 'talkback_down') {
      void auditTalkback(msg).catch((err) => log.error({ err, talkId: msg.talkId }, 'talkback audit failed'));
      return;
    }
    control.local.to(tenantRoom(msg.tenantId)).emit('video', msg);
  });
  app.addHook('onClose', async () => {
    sub.disconnect();
  });

  /**
   * Talkback (issue 16): who spoke to which camera, when and how long, written once like a watch's
   * phases (every gateway receives the event; the first to claim it writes it).
   */
  async function auditTalkback(
    msg: Extract<MediaEvent, { type: 'talkback_up' | 'talkback_down' }>,
  ): Promise<void> {
    const phase = msg.type === 'talkback_up' ? 'started' : 'ended';
    const claim = await redis.set(`lb:audit-talk:${msg.talkId}:${phase}`, '1', 'EX', 3600, 'NX');
    if (claim !== 'OK') return;
    const speaker = await db.prisma.user.findUnique({
      where: { id: msg.userId },
      select: { username: true },
    });
    audit.record({
      tenantId: msg.tenantId,
      actor: speaker?.username ?? msg.userId,
      action: 'talkback',
      target: auditTarget('device', msg.deviceId),
      payload: {
        phase,
        talkId: msg.talkId,
        userId: msg.userId,
        sfuId: msg.sfuId,
        ...(msg.type === 'talkback_down' ? { durationMs: msg.durationMs, end: msg.reason } : {}),
      },
    });
  }

  /**
   * The start and end of a watch go into the audit chain once, although every gateway receives the
   * media event: the first gateway to claim the event in Redis writes it.
   */
  async function auditWatch(
    msg: Extract<MediaEvent, { type: 'consumer_up' | 'consumer_down' }>,
  ): Promise<void> {
    const phase = msg.type === 'consumer_up' ? 'started' : 'ended';
    const claim = await redis.set(`lb:audit-watch:${msg.sessionId}:${phase}`, '1', 'EX', 3600, 'NX');
    if (claim !== 'OK') return;
    const viewer = await db.prisma.user.findUnique({ where: { id: msg.userId }, select: { username: true } });
    audit.record({
      tenantId: msg.tenantId,
      actor: viewer?.username ?? msg.userId,
      action: 'live_watch',
      target: liveWatchTarget(msg.deviceId),
      payload: {
        phase,
        watchId: msg.watchId ?? null,
        sessionId: msg.sessionId,
        sfuId: msg.sfuId,
        ...(msg.type === 'consumer_down' ? { end: msg.reason } : {}),
      },
    });
  }
}
