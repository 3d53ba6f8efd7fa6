/**
 * Talkback through the gateway (issue 16): the "Sprechen" button of a live tile offers the
 * microphone as SDP to the SFU (sfu/SPEC.md K1) on the control room's own origin, as the tile's
 * video signalling does at /sfu/v1, so the page's CSP stays `connect-src 'self'` and the SFU need
 * not be reachable from browsers.
 *   POST   /sfu/v1/talkback/:id           the speaker's offer (application/sdp) → the SFU's answer, 201
 *   DELETE /sfu/v1/talkback/:id/:talkId   the button released → 200
 * Before anything reaches the SFU the gateway checks the role (operators and supervisors speak,
 * TALKBACK_ROLES; a refusal is audited by the guard), the unit's tenant (another city's unit is
 * answered like an unknown one, and audited) and that the bearer token is the caller's own viewer
 * token for that unit, minted for this very session with the watch's audited reason. Who spoke,
 * when and how long is audited from the SFU's talkback_up/talkback_down (video-routes.ts, K3).
 * Only these routes parse SDP (a plugin scope keeps the parser here; others answer 415 to it).
 */
import { SDP_MEDIA_TYPE, SdpOffer, TALKBACK_ROLES, TalkId, type ViewerTokenClaims } from '@lagebild/protocol';
import { bearer, TokenError, verifyViewerToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { createRouter, idParams } from '../http/route.ts';
import type { HttpDeps, ServiceDeps } from '../http/route-deps.ts';
import type { Guard, SessionUser } from '../http/session.ts';
import { findDevice } from '../live/device-directory.ts';
import { forwardToSfu } from './sfu-forward.ts';

export interface TalkbackProxyDeps extends Pick<HttpDeps, 'sameTenant'>, ServiceDeps {
  app: FastifyInstance;
  /** the session guard of every route (the scope's router needs it) */
  guard: Guard;
}

export const TALKBACK_PROXY_PREFIX = '/sfu/v1/talkback';

/** The SFU's `Location: /talkback/<deviceId>/<talkId>` as the browser reaches it, through the gateway. */
export function proxiedLocation(sfuLocation: string | null): string | null {
  if (!sfuLocation) return null;
  const m = /^\/talkback\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{16})$/.exec(sfuLocation);
  return m ? `${TALKBACK_PROXY_PREFIX}/${m[1]}/${m[2]}` : null;
}

export async function registerTalkbackProxy(deps: TalkbackProxyDeps): Promise<void> {
  const { app, guard, db, config, sameTenant, audit, metrics, log } = deps;

  /** The unit is of the caller's tenant, and the bearer is the caller's viewer token for it. */
  async function checkSpeaker(req: FastifyRequest, user: SessionUser, deviceId: string) {
    const device = await findDevice(db.pool, deviceId);
    if (!device) throw new AppError('not_found', 'device not found');
    sameTenant(user, device.tenantId, 'device', deviceId, req);
    if (config.MEDIA_TOKEN_SECRET.length === 0)
      throw new AppError('unavailable', 'live video is not configured (MEDIA_TOKEN_SECRET unset)');
    let claims: ViewerTokenClaims;
    try {
      claims = verifyViewerToken(config.MEDIA_TOKEN_SECRET, bearer(req.headers.authorization));
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      throw new AppError(
        'unauthenticated',
        `talkback needs the tile's viewer token for this unit (Authorization: Bearer): ${err.message}`,
      );
    }
    if (claims.userId !== user.id || claims.sid !== user.sessionRef || claims.deviceId !== deviceId) {
      metrics.forbidden++;
      log.warn({ audit: 'forbidden', userId: user.id, deviceId }, 'talkback with a foreign viewer token');
      audit.record({
        tenantId: user.tenant.id,
        actor: actorOf(user),
        action: 'forbidden',
        target: null,
        payload: { role: user.role, url: req.url, method: req.method, why: 'foreign viewer token' },
      });
      throw new AppError('forbidden', 'this viewer token was not minted for your session and this unit');
    }
  }

  /** The SFU's answer as it is, with its Location rewritten onto the gateway's path. */
  async function relay(reply: FastifyReply, res: Response): Promise<FastifyReply> {
    reply.code(res.status);
    const type = res.headers.get('content-type');
    if (type) reply.header('content-type', type);
    const location = proxiedLocation(res.headers.get('location'));
    if (location) reply.header('location', location);
    return reply.send(Buffer.from(await res.arrayBuffer()));
  }

  await app.register(async (scope) => {
    scope.addContentTypeParser(SDP_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    const route = createRouter(scope, guard);
    route(
      {
        method: 'POST',
        url: `${TALKBACK_PROXY_PREFIX}/:id`,
        access: TALKBACK_ROLES,
        summary: "Talkback: the speaker's microphone offered to the unit's camera (press)",
        description:
          'Authorization: Bearer <the viewer token of this session for this unit>, a sendonly Opus audio ' +
          "offer; 201 with the SFU's answer and Location for the release (sfu/SPEC.md K1). One speaker " +
          'per camera (409).',
        params: idParams('device'),
        body: SdpOffer,
        consumes: SDP_MEDIA_TYPE,
        status: 201,
        produces: SDP_MEDIA_TYPE,
      },
      async ({ req, reply, user, params: { id }, body }) => {
        await checkSpeaker(req, user, id);
        const res = await forwardToSfu(config.SFU_URL, log, {
          method: 'POST',
          path: `/talkback/${id}`,
          authorization: req.headers.authorization,
          body: { type: SDP_MEDIA_TYPE, text: body },
        });
        return relay(reply, res);
      },
    );
    route(
      {
        method: 'DELETE',
        url: `${TALKBACK_PROXY_PREFIX}/:id/:talkId`,
        access: TALKBACK_ROLES,
        summary: 'Talkback: the button released, the speech ends',
        description: 'The Location of the POST, with the same viewer token; 200 (sfu/SPEC.md K1).',
        params: idParams('device'),
      },
      async ({ req, reply, user, params: { id } }) => {
        const talkId = TalkId.safeParse((req.params as { talkId?: unknown }).talkId);
        if (!talkId.success) throw new AppError('not_found', 'talkback resource not found');
        await checkSpeaker(req, user, id);
        const res = await forwardToSfu(config.SFU_URL, log, {
          method: 'DELETE',
          path: `/talkback/${id}/${talkId.data}`,
          authorization: req.headers.authorization,
        });
        return relay(reply, res);
      },
    );
  });
}
