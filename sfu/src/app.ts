/**
 * Builds an SFU: mediasoup worker pool, a router per tenant, WHIP ingest and viewer signalling over
 * HTTP (Fastify), announcements on Redis. `buildSfu` wires; `listen` opens the port; `close` ends
 * every stream (announced as shutdown) and stops the workers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serviceErrorHandler } from '@lagebild/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { type Announcer, createAnnouncer } from './announcer.ts';
import { registerBenchPlainConsumers } from './bench-plain-consumers.ts';
import type { SfuConfig } from './config.ts';
import { SfuError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadRecorderContext } from './recorder-context.ts';
import { createRecorderHost, type RecorderHost, type RecorderView } from './recorder-host.ts';
import { revocationChecks, subscribeRevocations } from './revocation.ts';
import { registerTalkbackRoutes, type Talkback } from './talkback-routes.ts';
import { TenantRoom } from './tenant-room.ts';
import { registerViewerRoutes } from './viewer-routes.ts';
import { registerWhepRoutes } from './whep-routes.ts';
import { registerWhipRoutes } from './whip-routes.ts';
import { WorkerPool } from './worker-pool.ts';

export { loadConfig, type SfuConfig } from './config.ts';
export { iceServerLinks } from './whip-routes.ts';

export interface SfuStats {
  workers: { slot: number; pid: number; routers: number }[];
  tenants: number;
  publishers: number;
  viewers: number;
  /** WebRTC transports alive in the workers (publishers + viewers; a leak shows here) */
  transports: number;
  workerRestarts: number;
  whipPublishes: number;
  whipRefused: number;
  whipPostMs: { p50: number; p95: number; n: number };
  /** WHEP sessions answered / refused, and POST → 201 time (issue 16) */
  whepPlays: number;
  whepRefused: number;
  whepPostMs: { p50: number; p95: number; n: number };
  /** V8 heap in use (after a full GC when asked with ?gc=1 and node runs with --expose-gc) */
  heapUsedKb: number;
  streams: { deviceId: string; videoCodec: string | null; bytesReceived: number }[];
  /** talkback relays per camera: packets forwarded, a speaker now, listening subscriptions (issue 16) */
  talkback: ReturnType<Talkback['stats']>;
  /** live recordings (ffmpeg pid for CPU measurements and fault tests) */
  recordings: RecorderView[];
  eventLoopDelayMs: { p50: number; p99: number };
}

export interface Sfu {
  app: FastifyInstance;
  pool: WorkerPool;
  log: Logger;
  announcer: Announcer;
  rooms: ReadonlyMap<string, TenantRoom>;
  /** null when this node does not record (VAULT_DIR unset) */
  recorder: RecorderHost | null;
  stats(): Promise<SfuStats>;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * `Authorization: Bearer <secret>` compared in constant time (both sides hashed first, so neither
 * the secret's length nor its prefix shows in the timing).
 */
export function hasInternalSecret(header: string | undefined, secret: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(secret)) && m !== null;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

export async function buildSfu(config: SfuConfig, opts: { log?: Logger } = {}): Promise<Sfu> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL, config.SFU_ID);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const announcer = createAnnouncer(redis, config.SFU_ID, log.child({ mod: 'announce' }));
  await announcer.clearOwn(); // streams a previous run of this node announced are gone

  const pool = await WorkerPool.start({
    size: config.SFU_WORKERS,
    workerBin: config.MEDIASOUP_WORKER_BIN,
    listenIp: config.SFU_LISTEN_IP,
    announcedAddress: config.SFU_ANNOUNCED_ADDRESS,
    rtcBasePort: config.SFU_RTC_PORT,
    socketBufferBytes: config.SFU_RTC_SOCKET_BUFFER_BYTES,
    log: log.child({ mod: 'workers' }),
  });
  const recorderCtx = await loadRecorderContext(config, redis, log.child({ mod: 'recorder' }));
  const recorder = recorderCtx
    ? createRecorderHost(recorderCtx, config, log.child({ mod: 'recorder' }))
    : null;
  if (!recorder) log.warn('VAULT_DIR not set: streams are not recorded on this node');
  let workerRestarts = 0;
  pool.on('replaced', () => workerRestarts++);

  const rooms = new Map<string, TenantRoom>();
  const room = (tenantId: string): TenantRoom => {
    let r = rooms.get(tenantId);
    if (!r) {
      r = new TenantRoom({
        tenantId,
        pool,
        config,
        announcer,
        log: log.child({ mod: 'room' }),
        ...(recorder
          ? {
              // the talkback track first (a few ms: a DirectTransport on the same worker), then the
              // recorder's consumers and ffmpeg, ready before the first packet (recorder-input.ts)
              onAdopt: (p, router) =>
                recorder.prepare(
                  p,
                  router,
                  talkback
                    .recordWith(p)
                    .catch((err) => log.error({ err, deviceId: p.deviceId }, 'talkback track not recorded')),
                ),
              onPublish: (p, router, o) => recorder.record(p, router, o),
            }
          : {}),
      });
      rooms.set(tenantId, r);
    }
    return r;
  };
  const metrics = {
    whipPublishes: 0,
    whipRefused: 0,
    whipPostMs: [] as number[],
    whepPlays: 0,
    whepRefused: 0,
    whepPostMs: [] as number[],
  };

  const app = Fastify({
    loggerInstance: log.child({ mod: 'http' }) as FastifyBaseLogger,
    bodyLimit: config.SFU_MAX_BODY_BYTES,
    disableRequestLogging: true,
  });
  for (const type of ['application/sdp', 'application/trickle-ice-sdpfrag']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }
  app.setErrorHandler(
    serviceErrorHandler({
      error: SfuError,
      tooLargeMessage: `request body too large (max ${config.SFU_MAX_BODY_BYTES} bytes)`,
      unsupportedMediaType: (type) =>
        new SfuError('unsupported_media_type', `unsupported content type ${type}`),
    }),
  );

  const revocations = revocationChecks(redis, config.SFU_REVOCATION_CHECK_TIMEOUT_MS);
  const talkback = registerTalkbackRoutes({
    app,
    config,
    room,
    announcer,
    log: log.child({ mod: 'talkback' }),
    revocations,
  });
  const revLog = log.child({ mod: 'revocation' });
  const subscriber = subscribeRevocations(
    config.REDIS_URL,
    {
      onRevocation(r) {
        const target = rooms.get(r.tenantId);
        if (r.type === 'device_revoked') {
          target?.revokeDevice(r.deviceId, r.at);
          talkback.revokeDevice(r.tenantId, r.deviceId, r.at);
        } else {
          target?.endOperatorSession(r.sid);
          talkback.endOperatorSession(r.tenantId, r.sid);
        }
        revLog.info({ type: r.type, tenantId: r.tenantId }, 'revocation applied');
      },
      onResync() {
        void resync().catch((err) => revLog.error({ err }, 'revocation re-check failed'));
      },
    },
    revLog,
  );
  /** After a subscriber outage: what was revoked meanwhile is in the keys, not in the channel. */
  async function resync(): Promise<void> {
    for (const r of rooms.values()) {
      for (const p of [...r.publishers.values()]) {
        const at = await revocations.deviceRevokedAt(p.deviceId);
        if (at !== null) r.revokeDevice(p.deviceId, at);
      }
      for (const v of [...r.viewers.values()]) {
        if (await revocations.sessionEnded(v.claims.sid)) r.endOperatorSession(v.claims.sid);
      }
    }
  }
  // Revocations published from now on reach live sessions; one that is lost to a slow Redis at
  // startup is still in the keys that every request checks.
  await Promise.race([subscriber.ready, new Promise((r) => setTimeout(r, 5000).unref())]);

  registerWhipRoutes({ app, config, room, log: log.child({ mod: 'whip' }), metrics, revocations });
  registerViewerRoutes({ app, config, room, revocations });
  registerWhepRoutes({ app, config, room, log: log.child({ mod: 'whep' }), metrics, revocations });
  app.get('/healthz', async () => ({ ok: true, workers: pool.slots.length }));

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const stats = async (): Promise<SfuStats> => {
    let transports = 0;
    const workers = [];
    for (const s of pool.slots) {
      workers.push({ slot: s.index, pid: s.worker.pid, routers: s.routers });
    }
    for (const r of rooms.values()) {
      try {
        const { router } = await r.router();
        transports += (await router.dump()).transportIds.length;
      } catch {
        // router being recreated
      }
    }
    let publishers = 0;
    let viewers = 0;
    const streams: SfuStats['streams'] = [];
    for (const r of rooms.values()) {
      publishers += r.publishers.size;
      viewers += r.viewers.size;
      for (const p of r.publishers.values()) {
        const [t] = await p.transport.getStats().catch(() => []);
        streams.push({
          deviceId: p.deviceId,
          videoCodec: p.stream().videoCodec,
          bytesReceived: t?.bytesReceived ?? 0,
        });
      }
    }
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return {
      workers,
      tenants: rooms.size,
      publishers,
      viewers,
      transports,
      workerRestarts,
      whipPublishes: metrics.whipPublishes,
      whipRefused: metrics.whipRefused,
      whipPostMs: {
        p50: pct(metrics.whipPostMs, 50),
        p95: pct(metrics.whipPostMs, 95),
        n: metrics.whipPostMs.length,
      },
      whepPlays: metrics.whepPlays,
      whepRefused: metrics.whepRefused,
      whepPostMs: {
        p50: pct(metrics.whepPostMs, 50),
        p95: pct(metrics.whepPostMs, 95),
        n: metrics.whepPostMs.length,
      },
      heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024),
      streams,
      talkback: talkback.stats(),
      recordings: recorder?.active() ?? [],
      eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)) },
    };
  };
  // Operational view (counts, device ids, pids): tests, benchmarks, monitoring. A shared secret, not
  // the caller's address: behind a proxy on the same host every request comes from loopback (issue
  // 11: the gateway's proxy handed it to anyone). Without a configured secret it does not exist.
  app.get('/internal/stats', async (req) => {
    if (!config.SFU_INTERNAL_SECRET) throw new SfuError('not_found', 'not found');
    if (!hasInternalSecret(req.headers.authorization, config.SFU_INTERNAL_SECRET))
      throw new SfuError('unauthenticated', 'internal endpoint: Authorization: Bearer <SFU_INTERNAL_SECRET>');
    // `?gc=1` with node --expose-gc: a full collection first, so leak tests read the live heap
    if ((req.query as { gc?: string }).gc === '1') (globalThis as { gc?: () => void }).gc?.();
    return stats();
  });

  // a benchmark seam (issue 17), absent unless configured; production refuses the setting (config.ts)
  if (config.SFU_BENCH_PLAIN_CONSUMERS === 'on')
    registerBenchPlainConsumers({
      app,
      config,
      room,
      authorize(req) {
        if (!hasInternalSecret(req.headers.authorization, config.SFU_INTERNAL_SECRET))
          throw new SfuError(
            'unauthenticated',
            'internal endpoint: Authorization: Bearer <SFU_INTERNAL_SECRET>',
          );
      },
      log: log.child({ mod: 'bench' }),
    });

  let closing: Promise<void> | undefined;
  return {
    app,
    pool,
    log,
    announcer,
    rooms,
    recorder,
    stats,
    listen: () => app.listen({ host: config.HOST, port: config.PORT }),
    close() {
      closing ??= (async () => {
        loopDelay.disable();
        for (const r of rooms.values()) r.close();
        await recorder?.close(); // seal what was recording before the workers go
        await app.close();
        pool.close();
        await subscriber.close();
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}
