/**
 * WHIP ingest (RFC 9725) for body cameras and any standard WHIP client:
 *   POST   /whip/:deviceId               SDP offer → 201, SDP answer, Location, ETag, Link (ICE servers)
 *   PATCH  /whip/:deviceId/:resourceId   trickle ICE (204) or ICE restart (200 + sdpfrag, new ETag)
 *   DELETE /whip/:deviceId/:resourceId   end the stream
 *   OPTIONS on both                      CORS preflight (browsers), Accept-Post, Link
 * Every request carries `Authorization: Bearer <device token>` for exactly this device. Rules: SPEC.md.
 */

import {
  type DeviceTokenClaims,
  type IceServer,
  PRERECORD_HEADER,
  PrerecordSeconds,
} from '@lagebild/protocol';
import { bearer, TokenError, verifyDeviceToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SfuConfig } from './config.ts';
import { fromTokenError, SfuError } from './errors.ts';
import { patchIce } from './ice-patch.ts';
import type { Logger } from './logger.ts';
import type { Publisher } from './publisher.ts';
import type { RevocationChecks } from './revocation.ts';
import type { TenantRoom } from './tenant-room.ts';
import { parseOffer, SdpError } from './whip-sdp.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

export interface WhipDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
  log: Logger;
  metrics: { whipPublishes: number; whipRefused: number; whipPostMs: number[] };
  revocations: RevocationChecks;
}

/**
 * A mediasoup call on a publisher that may close while it runs (DELETE, replacement, revocation or
 * peer timeout in between): mediasoup then rejects (InvalidStateError, or the worker's "not found"),
 * which is the client's 404 for an ended resource, not a 500.
 */
async function whileOpen<T>(publisher: Publisher, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (publisher.closed || publisher.transport.closed)
      throw new SfuError('not_found', 'WHIP resource ended while the request was handled');
    throw err;
  }
}

/** RFC 9725 §4.6: one Link header per ICE server, TURN credentials as link parameters. */
export function iceServerLinks(servers: readonly IceServer[]): string[] {
  const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  return servers.flatMap((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).map((url) => {
      let link = `<${url}>; rel="ice-server"`;
      if (s.username) link += `; username=${quote(s.username)}`;
      if (s.credential) link += `; credential=${quote(s.credential)}; credential-type="password"`;
      return link;
    }),
  );
}

/** CORS for WHIP and WHEP ([W7], [E7]): tokens, no cookies, so `*` is the default. */
export function corsHeaders(config: Pick<SfuConfig, 'SFU_CORS_ORIGINS'>) {
  const origins = config.SFU_CORS_ORIGINS.split(',').map((o) => o.trim());
  return (req: FastifyRequest, reply: FastifyReply): void => {
    const origin = req.headers.origin;
    if (!origin) return;
    if (origins.includes('*')) reply.header('access-control-allow-origin', '*');
    else if (origins.includes(origin))
      reply.header('access-control-allow-origin', origin).header('vary', 'origin');
    reply.header('access-control-expose-headers', 'location, etag, link, accept-patch');
  };
}

export function registerWhipRoutes({ app, config, room, log, metrics, revocations }: WhipDeps): void {
  const links = iceServerLinks(config.SFU_ICE_SERVERS);

  const cors = corsHeaders(config);

  /** Token for this device, not issued before a revocation of the device ([W3], [W11]). */
  const authorize = async (
    req: FastifyRequest<{ Params: { deviceId: string } }>,
  ): Promise<DeviceTokenClaims> => {
    let claims: DeviceTokenClaims;
    try {
      claims = verifyDeviceToken(config.MEDIA_TOKEN_SECRET, bearer(req.headers.authorization));
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
    const { deviceId } = req.params;
    if (!UUID.test(deviceId)) throw new SfuError('not_found', 'no such WHIP endpoint');
    if (claims.deviceId !== deviceId.toLowerCase()) {
      log.warn(
        { audit: 'whip_foreign_device', tokenDevice: claims.deviceId, deviceId, tenantId: claims.tenantId },
        'whip refused',
      );
      throw new SfuError('forbidden', 'this token is for another device');
    }
    try {
      await revocations.device(claims);
    } catch (err) {
      if (err instanceof SfuError && err.code === 'revoked')
        log.warn({ audit: 'whip_revoked_token', deviceId, tenantId: claims.tenantId }, 'whip refused');
      throw err;
    }
    return claims;
  };

  const contentType = (req: FastifyRequest) =>
    (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/whip/')) cors(req, reply);
  });

  /**
   * [W4] The content type is checked before the body is parsed: an SDP offer sent as
   * application/json would otherwise reach Fastify's JSON parser and come back as a 400.
   */
  const requireType =
    (type: string, what: string) =>
    async (req: FastifyRequest): Promise<void> => {
      if (contentType(req) !== type) throw new SfuError('unsupported_media_type', `${what} must be ${type}`);
    };

  const preflight = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('access-control-allow-methods', 'POST, PATCH, DELETE, OPTIONS')
      .header('access-control-allow-headers', `authorization, content-type, if-match, ${PRERECORD_HEADER}`)
      .header('access-control-max-age', '600')
      .header('accept-post', SDP)
      .header('accept-patch', SDPFRAG);
    if (links.length > 0) reply.header('link', links);
    return reply.code(204).send();
  };
  app.options('/whip/:deviceId', preflight);
  app.options('/whip/:deviceId/:resourceId', preflight);

  app.post<{ Params: { deviceId: string }; Body: string }>(
    '/whip/:deviceId',
    { onRequest: requireType(SDP, 'WHIP offers') },
    async (req, reply) => {
      const t0 = performance.now();
      try {
        const claims = await authorize(req);
        let offer: ReturnType<typeof parseOffer>;
        try {
          offer = parseOffer(typeof req.body === 'string' ? req.body : '');
        } catch (err) {
          if (err instanceof SdpError)
            throw new SfuError('bad_request', `malformed SDP offer: ${err.message}`);
          throw err;
        }
        const prerecord = PrerecordSeconds.safeParse(req.headers[PRERECORD_HEADER] ?? 0);
        if (!prerecord.success)
          throw new SfuError('bad_request', `${PRERECORD_HEADER} must be a number of seconds (0–600)`);
        const { publisher, answer } = await room(claims.tenantId).publish(claims.deviceId, offer, {
          prerecordS: prerecord.data,
          tokenIat: claims.iat,
        });
        metrics.whipPublishes++;
        metrics.whipPostMs.push(performance.now() - t0);
        if (metrics.whipPostMs.length > 1000) metrics.whipPostMs.shift();
        reply
          .code(201)
          .header('content-type', SDP)
          .header('location', `/whip/${claims.deviceId}/${publisher.resourceId}`)
          .header('etag', publisher.etag)
          .header('accept-patch', SDPFRAG);
        if (links.length > 0) reply.header('link', links);
        return answer;
      } catch (err) {
        metrics.whipRefused++;
        throw err;
      }
    },
  );

  app.patch<{ Params: { deviceId: string; resourceId: string }; Body: string }>(
    '/whip/:deviceId/:resourceId',
    { onRequest: requireType(SDPFRAG, 'PATCH bodies') },
    async (req, reply) => {
      const claims = await authorize(req);
      const publisher = room(claims.tenantId).publisherByResource(claims.deviceId, req.params.resourceId);
      const out = await patchIce(publisher, publisher.transport, req.body, req.headers['if-match'], (fn) =>
        whileOpen(publisher, fn),
      );
      if (out.status === 204) return reply.code(204).send();
      log.info({ deviceId: claims.deviceId }, 'whip ice restart');
      return reply.code(200).header('content-type', SDPFRAG).header('etag', out.etag).send(out.frag);
    },
  );

  app.delete<{ Params: { deviceId: string; resourceId: string } }>(
    '/whip/:deviceId/:resourceId',
    async (req, reply) => {
      const claims = await authorize(req);
      room(claims.tenantId).publisherByResource(claims.deviceId, req.params.resourceId).close('unpublished');
      return reply.code(200).send();
    },
  );

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', 'POST, OPTIONS');
    throw new SfuError(
      'method_not_allowed',
      'WHIP endpoints take POST (and PATCH/DELETE on the resource URL)',
    );
  };
  app.get('/whip/:deviceId', notAllowed);
  app.put('/whip/:deviceId', notAllowed);
  app.get('/whip/:deviceId/:resourceId', notAllowed);
}
