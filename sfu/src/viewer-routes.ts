/**
 * Viewer signalling for mediasoup-client, HTTP + JSON under /sfu/v1 (the gateway proxies it, so
 * browsers reach it on the control room's origin). Every call carries `Authorization: Bearer
 * <viewer token>`; a token names one tenant, one user and one unit. Rules and flow: SPEC.md.
 */
import {
  ConnectTransportRequest,
  ConsumeRequest,
  type ConsumeResponse,
  describeIssues,
  type RestartIceResponse,
  SetLayersRequest,
  type SetLayersResponse,
  type ViewerSessionResponse,
  type ViewerTokenClaims,
} from '@lagebild/protocol';
import { bearer, TokenError, verifyViewerToken } from '@lagebild/tokens';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { types } from 'mediasoup';
import type { z } from 'zod';
import type { SfuConfig } from './config.ts';
import { fromTokenError, SfuError } from './errors.ts';
import type { TenantRoom } from './tenant-room.ts';
import { pickSpatialLayer } from './viewer-session.ts';

export interface ViewerDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new SfuError('bad_request', `invalid request body: ${describeIssues(r.error).join('; ')}`);
  return r.data;
}

/** mediasoup refuses bad parameters with TypeError / UnsupportedError: the caller's fault, so 400. */
async function mediasoupCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SfuError) throw err;
    const name = (err as Error).name;
    if (name === 'TypeError' || name === 'UnsupportedError')
      throw new SfuError('bad_request', (err as Error).message);
    throw err;
  }
}

export function registerViewerRoutes({ app, config, room }: ViewerDeps): void {
  const auth = (req: FastifyRequest): ViewerTokenClaims => {
    try {
      return verifyViewerToken(config.MEDIA_TOKEN_SECRET, bearer(req.headers.authorization));
    } catch (err) {
      if (err instanceof TokenError) throw fromTokenError(err);
      throw err;
    }
  };
  type P = { Params: { sid: string; cid: string } };
  const session = (req: FastifyRequest<P>) => {
    const claims = auth(req);
    const r = room(claims.tenantId);
    return { r, s: r.viewer(req.params.sid, claims) };
  };
  const consumerOf = (req: FastifyRequest<P>) => {
    const { s } = session(req);
    const c = s.consumers.get(req.params.cid);
    if (!c) throw new SfuError('not_found', 'consumer not found (the stream ended; consume again)');
    return c;
  };

  app.post('/sfu/v1/sessions', async (req, reply): Promise<ViewerSessionResponse> => {
    const claims = auth(req);
    const r = room(claims.tenantId);
    const s = await r.createViewer(claims);
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
    const { s } = session(req);
    const { dtlsParameters } = parse(ConnectTransportRequest, req.body);
    await mediasoupCall(() =>
      s.transport.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }),
    );
    return reply.code(204).send();
  });

  app.post<P>('/sfu/v1/sessions/:sid/consume', async (req): Promise<ConsumeResponse> => {
    const { r, s } = session(req);
    const { rtpCapabilities } = parse(ConsumeRequest, req.body);
    const consumers = await mediasoupCall(() => r.consume(s, rtpCapabilities as types.RtpCapabilities));
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
    const c = consumerOf(req);
    await c.resume();
    // Resuming asks for a keyframe already; ask explicitly too so a tile joining a long GOP
    // shows a picture at once (cheap: mediasoup rate-limits PLI/FIR towards the publisher).
    if (c.kind === 'video') await c.requestKeyFrame();
    return reply.code(204).send();
  });

  app.post<P>('/sfu/v1/sessions/:sid/consumers/:cid/layers', async (req): Promise<SetLayersResponse> => {
    const c = consumerOf(req);
    const body = parse(SetLayersRequest, req.body);
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
  });

  app.post<P>('/sfu/v1/sessions/:sid/restart-ice', async (req): Promise<RestartIceResponse> => {
    const { s } = session(req);
    const iceParameters = await s.transport.restartIce();
    return { iceParameters: iceParameters as unknown as Record<string, unknown> };
  });

  app.delete<P>('/sfu/v1/sessions/:sid', async (req, reply) => {
    const { s } = session(req);
    s.close('closed');
    return reply.code(204).send();
  });
}
