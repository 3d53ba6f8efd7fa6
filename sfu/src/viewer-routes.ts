/**
 * Viewer signalling for mediasoup-client, HTTP + JSON under /sfu/v1 (the gateway proxies it, so
 * browsers reach it on the control room's origin). Every call carries `Authorization: Bearer
 * <viewer token>`; a token names one tenant, one user and one unit. Rules and flow: SPEC.md.
 */
import {
  ConnectTransportRequest,
  ConsumeRequest,
  type ConsumeResponse,
  type RestartIceResponse,
  SetLayersRequest,
  type SetLayersResponse,
  type ViewerSessionResponse,
  type ViewerTokenClaims,
} from '@lagebild/protocol';
import { bearer, TokenError, verifyViewerToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { types } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import { fromTokenError, parseInput, SfuError } from './errors.ts';
import type { RevocationChecks } from './revocation.ts';
import type { TenantRoom } from './tenant-room.ts';
import { pickSpatialLayer, type ViewerSession } from './viewer-session.ts';

export interface ViewerDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
  revocations: RevocationChecks;
}

/**
 * mediasoup refuses bad parameters with TypeError / UnsupportedError: the caller's fault, so 400.
 * A session that closed while the call was under way (timeout, revocation, a replacing session)
 * makes mediasoup reject with InvalidStateError or a worker error: that is a 404 like any call on
 * a closed session, not a 500.
 */
export async function mediasoupCall<T>(session: ViewerSession, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SfuError) throw err;
    if (session.closed || session.transport.closed)
      throw new SfuError('not_found', 'viewer session closed meanwhile; create a new one');
    const name = (err as Error).name;
    if (name === 'TypeError' || name === 'UnsupportedError')
      throw new SfuError('bad_request', (err as Error).message);
    if (name === 'InvalidStateError')
      throw new SfuError('not_found', 'consumer or transport closed meanwhile; consume again');
    throw err;
  }
}

/**
 * The watch a token belongs to: its watchId (the gateway mints one per token and audits it), or the
 * token's signature if it has none. One live SFU session per watch ([V6]).
 */
export function watchKeyOf(claims: ViewerTokenClaims, token: string): string {
  return claims.watchId
    ? `w:${claims.userId}:${claims.watchId}`
    : `t:${token.slice(token.lastIndexOf('.') + 1)}`;
}

export function registerViewerRoutes({ app, config, room, revocations }: ViewerDeps): void {
  /** Signature, shape, expiry, then whether the operator session still exists ([V7]). */
  const auth = async (req: FastifyRequest): Promise<{ claims: ViewerTokenClaims; token: string }> => {
    const token = bearer(req.headers.authorization);
    let claims: ViewerTokenClaims;
    try {
      claims = verifyViewerToken(config.MEDIA_TOKEN_SECRET, token);
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
    await revocations.session(claims);
    return { claims, token: token! };
  };
  type P = { Params: { sid: string; cid: string } };
  const session = async (req: FastifyRequest<P>) => {
    const { claims } = await auth(req);
    const r = room(claims.tenantId);
    return { r, s: r.viewer(req.params.sid, claims) };
  };
  const consumerOf = async (req: FastifyRequest<P>) => {
    const { s } = await session(req);
    const c = s.consumers.get(req.params.cid);
    if (!c || c.closed)
      throw new SfuError('not_found', 'consumer not found (the stream ended; consume again)');
    return { s, c };
  };

  app.post('/sfu/v1/sessions', async (req, reply): Promise<ViewerSessionResponse> => {
    const { claims, token } = await auth(req);
    const r = room(claims.tenantId);
    const s = await r.createViewer({ claims, watchKey: watchKeyOf(claims, token) });
    const { router } = await r.router();
    reply.code(201);
    return {
      sessionId: s.id,
      deviceId: claims.deviceId,
      routerRtpCapabilities: router.rtpCapabilities as Record<string, unknown>,
      transport: {
        id: s.transport.id,
        iceParameters: s.transport.iceParameters as unknown as Record<string, unknown>,
        iceCandidates: s.transport.iceCandidates as unknown as Record<string, unknown>[],
        dtlsParameters: s.transport.dtlsParameters as unknown as Record<string, unknown>,
      },
      iceServers: [...config.SFU_ICE_SERVERS],
    };
  });

  app.post<P>('/sfu/v1/sessions/:sid/connect', async (req, reply) => {
    const { s } = await session(req);
    const { dtlsParameters } = parseInput(ConnectTransportRequest, req.body);
    await mediasoupCall(s, () =>
      s.transport.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }),
    );
    return reply.code(204).send();
  });

  app.post<P>('/sfu/v1/sessions/:sid/consume', async (req): Promise<ConsumeResponse> => {
    const { r, s } = await session(req);
    const { rtpCapabilities } = parseInput(ConsumeRequest, req.body);
    const consumers = await mediasoupCall(s, () => r.consume(s, rtpCapabilities as types.RtpCapabilities));
    return {
      consumers: consumers.map((c) => {
        const layers = c.rtpParameters.encodings?.[0]?.scalabilityMode ?? 'L1T1';
        const m = /^[LS](\d+)T(\d+)/.exec(layers);
        return {
          id: c.id,
          producerId: c.producerId,
          kind: c.kind,
          rtpParameters: c.rtpParameters as unknown as Record<string, unknown>,
          spatialLayers: Number(m?.[1] ?? 1),
          temporalLayers: Number(m?.[2] ?? 1),
        };
      }),
    };
  });

  app.post<P>('/sfu/v1/sessions/:sid/consumers/:cid/resume', async (req, reply) => {
    const { s, c } = await consumerOf(req);
    await mediasoupCall(s, async () => {
      await c.resume();
      // Resuming asks for a keyframe already; ask explicitly too so a tile joining a long GOP
      // shows a picture at once (cheap: mediasoup rate-limits PLI/FIR towards the publisher).
      if (c.kind === 'video') await c.requestKeyFrame();
    });
    return reply.code(204).send();
  });

  app.post<P>('/sfu/v1/sessions/:sid/consumers/:cid/layers', async (req): Promise<SetLayersResponse> => {
    const { s, c } = await consumerOf(req);
    const body = parseInput(SetLayersRequest, req.body);
    return mediasoupCall(s, () => setLayers(c, body));
  });

  const setLayers = async (c: types.Consumer, body: SetLayersRequest): Promise<SetLayersResponse> => {
    if (c.kind !== 'video') throw new SfuError('bad_request', 'layers apply to video consumers only');
    const layers = Number(
      /^[LS](\d+)/.exec(c.rtpParameters.encodings?.[0]?.scalabilityMode ?? 'L1T1')?.[1] ?? 1,
    );
    if ('tileWidthPx' in body) {
      if (body.tileWidthPx === 0 || body.tileHeightPx === 0) {
        await c.pause(); // hidden tile: stop forwarding, keep the consumer
        return { spatialLayer: 0, temporalLayer: null, paused: true };
      }
      if (c.paused) await c.resume();
      const spatialLayer = pickSpatialLayer(layers, config.SFU_SOURCE_HEIGHT_PX, body.tileHeightPx);
      if (layers > 1) await c.setPreferredLayers({ spatialLayer });
      return { spatialLayer, temporalLayer: null, paused: false };
    }
    const spatialLayer = Math.min(body.spatialLayer, layers - 1);
    if (layers > 1 || body.temporalLayer !== undefined) {
      await c.setPreferredLayers({
        spatialLayer,
        ...(body.temporalLayer !== undefined ? { temporalLayer: body.temporalLayer } : {}),
      });
    }
    return { spatialLayer, temporalLayer: body.temporalLayer ?? null, paused: c.paused };
  };

  app.post<P>('/sfu/v1/sessions/:sid/restart-ice', async (req): Promise<RestartIceResponse> => {
    const { s } = await session(req);
    const iceParameters = await mediasoupCall(s, () => s.transport.restartIce());
    return { iceParameters: iceParameters as unknown as Record<string, unknown> };
  });

  app.delete<P>('/sfu/v1/sessions/:sid', async (req, reply) => {
    const { s } = await session(req);
    s.close('closed');
    return reply.code(204).send();
  });
}
