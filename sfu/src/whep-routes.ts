/**
 * WHEP egress (IETF WISH draft-ietf-wish-whep, issue 16) for any standard player, e.g. a video
 * management system or a second control room:
 *   POST   /whep/:deviceId               SDP offer (recvonly) → 201, SDP answer, Location, ETag, Link
 *   PATCH  /whep/:deviceId/:sessionId    trickle ICE (204) or ICE restart (200 + sdpfrag, new ETag)
 *   DELETE /whep/:deviceId/:sessionId    stop watching
 *   OPTIONS on both                      CORS preflight, Accept-Post, Link
 * Every request carries `Authorization: Bearer <viewer token>` from the gateway's
 * `POST /api/video/viewer-token` (a reason, audited as `live_watch` like a tile) for exactly this unit.
 * A WHEP session is a viewer session (SPEC V5–V8 apply: one per watch, caps, peer timeout,
 * revocation of the operator session). Rules: SPEC.md E1–E8.
 */
import type { ViewerTokenClaims } from '@lagebild/protocol';
import { bearer, TokenError, verifyViewerToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SfuConfig } from './config.ts';
import { fromTokenError, SfuError } from './errors.ts';
import { patchIce } from './ice-patch.ts';
import type { Logger } from './logger.ts';
import type { RevocationChecks } from './revocation.ts';
import type { TenantRoom } from './tenant-room.ts';
import { watchKeyOf } from './viewer-routes.ts';
import type { ViewerSession } from './viewer-session.ts';
import { openWhepSession } from './whep-egress.ts';
import { corsHeaders, iceServerLinks } from './whip-routes.ts';
import { parseOffer, SdpError } from './whip-sdp.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

export interface WhepDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
  log: Logger;
  revocations: RevocationChecks;
  metrics: { whepPlays: number; whepRefused: number; whepPostMs: number[] };
}

export function registerWhepRoutes({ app, config, room, log, revocations, metrics }: WhepDeps): void {
  const links = iceServerLinks(config.SFU_ICE_SERVERS);
  const cors = corsHeaders(config);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/whep/')) cors(req, reply);
  });

  /** [E2] a viewer token for exactly this unit, of an operator session that has not ended */
  const authorize = async (
    req: FastifyRequest<{ Params: { deviceId: string } }>,
  ): Promise<{ claims: ViewerTokenClaims; token: string }> => {
    const token = bearer(req.headers.authorization);
    let claims: ViewerTokenClaims;
    try {
      claims = verifyViewerToken(config.MEDIA_TOKEN_SECRET, token);
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
    if (!UUID.test(req.params.deviceId)) throw new SfuError('not_found', 'no such WHEP endpoint');
    if (claims.deviceId !== req.params.deviceId.toLowerCase()) {
      log.warn(
        { audit: 'whep_foreign_unit', tokenDevice: claims.deviceId, tenantId: claims.tenantId },
        'whep refused',
      );
      throw new SfuError('forbidden', 'this viewer token is for another unit');
    }
    await revocations.session(claims);
    return { claims, token: token! };
  };

  /** the WHEP session of this resource URL, for the token's user and unit */
  const resource = async (
    req: FastifyRequest<{ Params: { deviceId: string; sessionId: string } }>,
  ): Promise<ViewerSession & { whep: NonNullable<ViewerSession['whep']> }> => {
    const { claims } = await authorize(req);
    const s = room(claims.tenantId).viewer(req.params.sessionId, claims);
    if (!s.whep || s.closed) throw new SfuError('not_found', 'WHEP resource not found (ended or replaced)');
    return s as ViewerSession & { whep: NonNullable<ViewerSession['whep']> };
  };

  const requireType =
    (type: string, what: string) =>
    async (req: FastifyRequest): Promise<void> => {
      const got = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (got !== type) throw new SfuError('unsupported_media_type', `${what} must be ${type}`);
    };

  const preflight = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('access-control-allow-methods', 'POST, PATCH, DELETE, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, if-match')
      .header('access-control-max-age', '600')
      .header('accept-post', SDP)
      .header('accept-patch', SDPFRAG);
    if (links.length > 0) reply.header('link', links);
    return reply.code(204).send();
  };
  app.options('/whep/:deviceId', preflight);
  app.options('/whep/:deviceId/:sessionId', preflight);

  app.post<{ Params: { deviceId: string }; Body: string }>(
    '/whep/:deviceId',
    { onRequest: requireType(SDP, 'WHEP offers') },
    async (req, reply) => {
      const t0 = performance.now();
      try {
        const { claims, token } = await authorize(req);
        let offer: ReturnType<typeof parseOffer>;
        try {
          offer = parseOffer(typeof req.body === 'string' ? req.body : '', 'play');
        } catch (err) {
          if (err instanceof SdpError)
            throw new SfuError('bad_request', `malformed SDP offer: ${err.message}`);
          throw err;
        }
        const { session, answer } = await openWhepSession(
          room(claims.tenantId),
          { claims, watchKey: watchKeyOf(claims, token) },
          offer,
        );
        metrics.whepPlays++;
        metrics.whepPostMs.push(performance.now() - t0);
        if (metrics.whepPostMs.length > 1000) metrics.whepPostMs.shift();
        log.info({ deviceId: claims.deviceId, sessionId: session.id }, 'whep session');
        reply
          .code(201)
          .header('content-type', SDP)
          .header('location', `/whep/${claims.deviceId}/${session.id}`)
          .header('etag', session.whep!.etag)
          .header('accept-patch', SDPFRAG);
        if (links.length > 0) reply.header('link', links);
        return answer;
      } catch (err) {
        metrics.whepRefused++;
        throw err;
      }
    },
  );

  app.patch<{ Params: { deviceId: string; sessionId: string }; Body: string }>(
    '/whep/:deviceId/:sessionId',
    { onRequest: requireType(SDPFRAG, 'PATCH bodies') },
    async (req, reply) => {
      const s = await resource(req);
      const out = await patchIce(s.whep, s.transport, req.body, req.headers['if-match'], async (fn) => {
        try {
          return await fn();
        } catch (err) {
          if (s.closed || s.transport.closed)
            throw new SfuError('not_found', 'WHEP resource ended while the request was handled');
          throw err;
        }
      });
      if (out.status === 204) return reply.code(204).send();
      return reply.code(200).header('content-type', SDPFRAG).header('etag', out.etag).send(out.frag);
    },
  );

  app.delete<{ Params: { deviceId: string; sessionId: string } }>(
    '/whep/:deviceId/:sessionId',
    async (req, reply) => {
      (await resource(req)).close('closed');
      return reply.code(200).send();
    },
  );

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', 'POST, OPTIONS');
    throw new SfuError(
      'method_not_allowed',
      'WHEP endpoints take POST (and PATCH/DELETE on the resource URL)',
    );
  };
  app.get('/whep/:deviceId', notAllowed);
  app.put('/whep/:deviceId', notAllowed);
  app.get('/whep/:deviceId/:sessionId', notAllowed);
}
