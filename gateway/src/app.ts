/**
 * Builds a gateway: HTTP API (Fastify), Socket.IO namespaces /device and /control on the same
 * server, Redis streams adapter for multi-process fan-out and connection-state recovery, status
 * persistence. `buildGateway` builds each part in dependency order with the small functions below
 * (no part reaches for one built after it); `listen` opens the port; `close` drains and stops.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import cookie from '@fastify/cookie';
import { type Db, openDb } from '@lagebild/db';
import { type DeviceDispatchRequest, OkResponse as HealthResponse } from '@lagebild/protocol';
import { periodic, serviceErrorHandler } from '@lagebild/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { exportStamper, startAuditAnchoring } from './audit/audit-anchoring.ts';
import { type AuditLog, actorOf, auditedTenantCheck, createAuditLog } from './audit/audit-log.ts';
import { registerAuditRoutes } from './audit/audit-routes.ts';
import { registerAuthRoutes } from './auth/auth-routes.ts';
import { createTotpSealer, sealStoredTotpSecrets } from './auth/totp-sealer.ts';
import type { GatewayConfig } from './config.ts';
import { registerDeviceRoutes } from './devices/device-routes.ts';
import { registerDeviceStatusRoutes } from './devices/device-status-routes.ts';
import { createLastSeen } from './devices/last-seen.ts';
import { type Broadcaster, type ControlEmitter, createBroadcaster } from './dispatch/broadcast.ts';
import { registerDispatchRoutes } from './dispatch/dispatch-routes.ts';
import { createDispatcher, type DeviceLink } from './dispatch/dispatcher.ts';
import { straightLineEstimator } from './dispatch/eta.ts';
import { createIncidentService } from './dispatch/incident-service.ts';
import { AppError } from './errors.ts';
import { registerHealth } from './health/health-routes.ts';
import { registerJsonBody } from './http/json-body.ts';
import { openApiDocument } from './http/openapi.ts';
import { checkOrigin, STATE_CHANGING } from './http/origin.ts';
import { contractOf, createRouter, type Route, type RouteContract } from './http/route.ts';
import type { HttpDeps } from './http/route-deps.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { type Guard, type SessionEndReason, sessionGuard, sessionRefOf } from './http/session.ts';
import { takeEndedSessions } from './http/session-sweeper.ts';
import { registerStaticWeb } from './http/static-web.ts';
import { tenantCheck } from './http/tenant-guard.ts';
import { releaseUpgradeResponses } from './http/upgrade-responses.ts';
import { createCoalescer } from './live/coalescer.ts';
import { attachControlNamespace, tenantRoom } from './live/control-namespace.ts';
import { attachDeviceNamespace, deviceNamespace } from './live/device-namespace.ts';
import { createDeviceSessions, type DeviceSessions } from './live/device-sessions.ts';
import { attachDeviceWebSocket } from './live/device-ws.ts';
import { createLiveStore } from './live/live-store.ts';
import { createRevoker } from './live/revocations.ts';
import { createStatusIntake } from './live/status-intake.ts';
import { createStatusPersister, type StageChangeHooks } from './live/status-persister.ts';
import { createStreamAdapter } from './live/stream-adapter.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { POLICY_CHANNEL, registerPolicyRoutes } from './policies/policy-routes.ts';
import { productionRefusals } from './production.ts';
import { registerFourEyesRoutes } from './recordings/four-eyes-routes.ts';
import { recordingAccess } from './recordings/recording-access.ts';
import { registerRecordingRoutes } from './recordings/recording-routes.ts';
import { createRetentionSweeper, type RetentionSweeper } from './recordings/retention-sweeper.ts';
import { loadVaultContext } from './recordings/vault-context.ts';
import { shiftChangeNotifier } from './shifts/shift-change.ts';
import { registerShiftRoutes } from './shifts/shift-routes.ts';
import { deviceReports } from './stats/device-reports.ts';
import { registerEvaluation } from './stats/evaluation.ts';
import { registerTeamUnitAdminRoutes } from './units/team-unit-admin-routes.ts';
import { registerUnitRoutes } from './units/unit-routes.ts';
import { registerUserRoutes } from './users/user-routes.ts';
import { registerTalkbackProxy } from './video/talkback-proxy.ts';
import { registerVideoRoutes } from './video/video-routes.ts';

export { loadConfig } from './config.ts';

/**
 * One HTTP route as registered (method, URL pattern): the authorisation matrix test walks them all.
 * `contract` is its declaration (roles, schemas) when it was registered through `route()`.
 */
export interface RouteEntry {
  method: string;
  url: string;
  contract?: RouteContract;
}

export interface Gateway {
  app: FastifyInstance;
  /** every HTTP route the gateway registered, in order (HEAD routes Fastify adds are left out) */
  routes: readonly RouteEntry[];
  io: Server;
  db: Db;
  metrics: Metrics;
  log: Logger;
  listen(): Promise<string>;
  close(): Promise<void>;
}

type OriginOptions = Parameters<typeof checkOrigin>[1];

/** The database, after the production checks passed (a refusal closes it and throws). */
async function openCheckedDb(config: GatewayConfig): Promise<Db> {
  const db = openDb(config.DATABASE_URL, {
    max: 20,
    applicationName: `lagebild-gateway${config.INSTANCE_ID ? `-${config.INSTANCE_ID}` : ''}`,
  });
  const refusals = await productionRefusals(config, db.pool).catch((err: Error) => [
    `the production checks could not read the database: ${err.message}`,
  ]);
  if (refusals.length > 0) {
    await db.close();
    throw new Error(`refusing to start in production mode:\n${refusals.map((r) => `  ${r}`).join('\n')}`);
  }
  return db;
}

interface RedisClients {
  redis: Redis;
  /** the Socket.IO streams adapter's own connection */
  adapter: Redis;
  /** subscriber mode needs a connection of its own: changed tenant policies (policy-routes.ts) */
  policy: Redis;
  disconnect(): void;
}

function openRedis(config: GatewayConfig, log: Logger): RedisClients {
  const redis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const adapter = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const policy = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const all = { redis, 'adapter-redis': adapter, 'policy-redis': policy };
  for (const [name, r] of Object.entries(all)) {
    r.on('error', (err) => log.warn({ err: err.message, client: name }, 'redis connection error'));
  }
  return {
    redis,
    adapter,
    policy,
    disconnect() {
      for (const r of Object.values(all)) r.disconnect();
    },
  };
}

/** Fastify with cookies, JSON bodies, security headers, the origin check and the error answers. */
async function createHttpServer(
  config: GatewayConfig,
  log: Logger,
  metrics: Metrics,
  originOptions: OriginOptions,
): Promise<{ app: FastifyInstance; routes: RouteEntry[] }> {
  const app: FastifyInstance = Fastify({
    loggerInstance: log.child({ mod: 'http' }) as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
    trustProxy: config.TRUST_PROXY,
    disableRequestLogging: true,
  });
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (r) => {
    const contract = contractOf(r.config);
    for (const method of [r.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: r.url, ...(contract ? { contract } : {}) });
  });
  await app.register(cookie);
  registerJsonBody(app);
  await registerSecurityHeaders(app, {
    webDir: config.WEB_DIR,
    tileUrl: config.TILE_URL,
    hsts: config.COOKIE_SECURE,
  });
  // A browser's state-changing request must come from our own origin (issue 11); requests without
  // an Origin header (cameras, curl) carry no ambient browser credentials and pass.
  app.addHook('onRequest', async (req) => {
    if (!STATE_CHANGING.has(req.method)) return;
    const verdict = checkOrigin(req.headers, originOptions);
    if (verdict === 'foreign' || verdict === 'invalid') {
      metrics.forbidden++;
      log.warn(
        { origin: String(req.headers.origin).slice(0, 200), url: req.url },
        'cross-origin request refused',
      );
      throw new AppError('forbidden', 'cross-origin request refused');
    }
  });
  app.setErrorHandler(
    serviceErrorHandler({ error: AppError, tooLargeMessage: 'request body too large (max 16 KiB)' }),
  );
  return { app, routes };
}

/**
 * How often a Socket.IO connection is pinged; one that has not answered when the next ping is due is
 * ended, so a camera out of network shows offline within 20 s. A device WebSocket is pinged after
 * half of it in silence and cut after as long again: offline within 10 to 15 s.
 */
const DEVICE_PING_MS = 10_000;

function createIo(app: FastifyInstance, config: GatewayConfig, adapterRedis: Redis): Server {
  const io = new Server(app.server, {
    serveClient: false,
    // upgrades to other paths are the device WebSocket's, which answers every one (device-ws.ts)
    destroyUpgrade: false,
    maxHttpBufferSize: 16 * 1024,
    pingInterval: DEVICE_PING_MS,
    pingTimeout: DEVICE_PING_MS,
    connectionStateRecovery: { maxDisconnectionDuration: config.RECOVERY_WINDOW_MS, skipMiddlewares: false },
    adapter: createStreamAdapter(adapterRedis, {
      maxLen: config.REDIS_STREAM_MAXLEN,
      onlyPlaintext: true,
      streamName: 'lb:sio',
    }),
  });
  releaseUpgradeResponses(io);
  return io;
}

/** Incident, alert and dispatch upserts to every dashboard of a tenant, on every gateway. */
function controlEmitter(io: Server): ControlEmitter {
  const control = io.of('/control');
  return {
    emit: (tenantId: string, event: string, msg: unknown) =>
      control.to(tenantRoom(tenantId)).emit(event, msg),
  };
}

/**
 * The persister hands back to `afterCommit` exactly the effects `inTransaction` returned, so the
 * incident hooks' effect type survives the persister's type-erased slot.
 */
function persisterHooks<E>(hooks: StageChangeHooks<E>): StageChangeHooks {
  return {
    inTransaction: (client, changes) => hooks.inTransaction(client, changes),
    afterCommit: (effects) => hooks.afterCommit(effects as E[]),
  };
}

/** The session guard: a role refusal is counted, logged and audited. */
function createGuard(db: Db, audit: AuditLog, metrics: Metrics, log: Logger): Guard {
  return sessionGuard(db, (user, req) => {
    metrics.forbidden++;
    log.warn(
      { audit: 'forbidden', userId: user.id, role: user.role, url: req.url },
      'request refused for role',
    );
    audit.record({
      tenantId: user.tenant.id,
      actor: actorOf(user),
      action: 'forbidden',
      target: null,
      payload: { role: user.role, url: req.url, method: req.method },
    });
  });
}

function unavailableSweeper(): RetentionSweeper {
  const no = async (): Promise<never> => {
    throw new AppError('unavailable', 'recordings are not configured on this server');
  };
  return { sweepOnce: no, deleteNow: no };
}

/** /healthz, the admins' counters and the OpenAPI document of every route registered before it. */
function registerServiceRoutes(
  route: Route,
  metrics: Metrics,
  persistQueue: () => number,
  routes: readonly RouteEntry[],
): { stop(): void } {
  route(
    { method: 'GET', url: '/healthz', access: 'public', summary: 'Liveness', response: HealthResponse },
    async () => ({ ok: true as const }),
  );
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  route(
    {
      method: 'GET',
      url: '/api/metrics',
      access: ['admin'],
      summary: "This gateway's counters, event-loop delay and memory",
    },
    async () => {
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
      const mem = process.memoryUsage();
      return {
        ...metrics,
        persistQueue: persistQueue(),
        // where this process's memory is: the V8 heap, Buffers and other memory outside it
        memoryMb: {
          rss: mb(mem.rss),
          heapTotal: mb(mem.heapTotal),
          heapUsed: mb(mem.heapUsed),
          external: mb(mem.external),
          arrayBuffers: mb(mem.arrayBuffers),
        },
        eventLoopDelayMs: {
          p50: ms(loopDelay.percentile(50)),
          p99: ms(loopDelay.percentile(99)),
          max: ms(loopDelay.max),
        },
      };
    },
  );
  let doc: unknown;
  route(
    {
      method: 'GET',
      url: '/api/openapi.json',
      // for the people who build on the API: signed in, so a stranger learns nothing of it
      access: 'session',
      summary: 'This API as an OpenAPI 3.1 document',
      produces: 'application/json',
    },
    async () => {
      doc ??= openApiDocument(routes);
      return doc;
    },
  );
  return { stop: () => loopDelay.disable() };
}

export async function buildGateway(config: GatewayConfig, opts: { log?: Logger } = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL, config.INSTANCE_ID);
  const metrics = createMetrics();
  const db = await openCheckedDb(config);
  const redis = openRedis(config, log);
  const originOptions = { publicOrigins: config.PUBLIC_ORIGIN, forwardedHost: config.TRUST_PROXY !== false };
  const { app, routes } = await createHttpServer(config, log, metrics, originOptions);
  const io = createIo(app, config, redis.adapter);

  // live state, incidents and dispatch: each built from what exists already
  const live = createLiveStore(redis.redis, db.pool);
  const dlog = log.child({ mod: 'dispatch' });
  const broadcast: Broadcaster = createBroadcaster(db.pool, controlEmitter(io), (err) =>
    dlog.warn({ err }, 'broadcast failed'),
  );
  const incidents = createIncidentService({ pool: db.pool, broadcast, log: dlog });
  redis.policy.on('message', (channel: string, tenantId: string) => {
    if (channel === POLICY_CHANNEL) incidents.invalidatePolicy(tenantId);
  });
  redis.policy
    .subscribe(POLICY_CHANNEL)
    .catch((err) => log.warn({ err }, 'no policy change subscription; cached policies expire within 30 s'));
  // the devices connected here, over either transport; made once the dispatcher exists
  let sessions: DeviceSessions | undefined;
  const link = {
    send: (deviceId: string, msg: DeviceDispatchRequest) =>
      sessions ? sessions.sendDispatch(deviceId, msg) : Promise.resolve(false),
    cancel: (deviceId: string, requestId: string) => sessions?.cancelDispatch(deviceId, requestId),
  };
  const dispatcher = createDispatcher({
    pool: db.pool,
    live,
    broadcast,
    log: dlog,
    estimator: straightLineEstimator(),
    staleAfterMs: config.STALE_AFTER_S * 1000,
    onSceneRadiusM: config.ON_SCENE_RADIUS_M,
    devices: () => link,
  });
  const persister = createStatusPersister({
    pool: db.pool,
    log: log.child({ mod: 'persister' }),
    metrics,
    batchMax: config.PERSIST_BATCH_MAX,
    queueMax: config.PERSIST_QUEUE_MAX,
    lingerMs: config.PERSIST_LINGER_MS,
    lanes: config.PERSIST_LANES,
    hooks: persisterHooks(incidents.hooks),
  });
  const control = attachControlNamespace({
    io,
    db,
    live,
    metrics,
    log: log.child({ mod: 'control' }),
    incidents: (tenantId) => incidents.snapshot(tenantId),
    originOptions,
  });
  const coalescer = createCoalescer({
    intervalMs: config.COALESCE_MS,
    emit: (tenantId, batch) => {
      metrics.batchesEmitted++;
      control.emitBatch(tenantId, batch);
    },
  });
  // one validation, rate limit, ordering and persistence path for Socket.IO and HTTP status
  const intake = createStatusIntake({
    live,
    persister,
    coalescer,
    metrics,
    log: log.child({ mod: 'device' }),
    ratePerS: config.DEVICE_RATE_PER_S,
    rateBurst: config.DEVICE_RATE_BURST,
    onLive: (unit) => dispatcher.onLive(unit),
  });
  const lastSeen = createLastSeen({ pool: db.pool, log: log.child({ mod: 'device' }), intervalMs: 1000 });
  const nsp = deviceNamespace(io);
  const devices = createDeviceSessions({
    nsp,
    lastSeen,
    pool: db.pool,
    live,
    persister,
    coalescer,
    metrics,
    log: log.child({ mod: 'device' }),
    intake,
    dispatch: dispatcher,
    report: deviceReports(db.pool, log.child({ mod: 'reports' })),
  });
  sessions = devices;
  attachDeviceNamespace({
    nsp,
    pool: db.pool,
    metrics,
    log: log.child({ mod: 'device' }),
    sessions: devices,
  });
  const deviceWs = attachDeviceWebSocket({
    server: app.server,
    pool: db.pool,
    metrics,
    log: log.child({ mod: 'device-ws' }),
    sessions: devices,
    tokenSecrets: config.MEDIA_TOKEN_SECRET,
    silenceMs: DEVICE_PING_MS / 2,
  });
  const sweeper = periodic(
    config.SWEEP_INTERVAL_MS,
    async () => {
      await incidents.sweep();
      await dispatcher.sweep();
    },
    (err) => dlog.warn({ err }, 'sweep failed'),
  );

  // audit, sessions and the HTTP routes
  const vault = await loadVaultContext(config, log.child({ mod: 'vault' }));
  const audit = createAuditLog({
    pool: db.pool,
    signer: vault.signer,
    log: log.child({ mod: 'audit' }),
  });
  // issue 13: the gateway alone signs checkpoints and anchors them with the TSA
  const auditAnchoring = startAuditAnchoring({
    pool: db.pool,
    signer: vault.signer,
    config,
    metrics,
    log: log.child({ mod: 'audit-anchoring' }),
  });
  const revoker = createRevoker(redis.redis);
  /** an operator session ends on every gateway (sockets) and every SFU (viewer sessions) at once */
  const endSession = (sessionHash: string, tenantId: string, reason: SessionEndReason) => {
    control.endSession(sessionHash, reason);
    revoker
      .sessionEnded(tenantId, sessionRefOf(sessionHash), reason)
      .catch((err) => log.error({ err }, 'session end not announced to the SFU'));
  };
  // expired sessions and disabled users' sessions end within one sweep, without a request
  const sessionSweep = periodic(
    config.SESSION_SWEEP_MS,
    async () => {
      for (const s of await takeEndedSessions(db.pool)) endSession(s.sessionHash, s.tenantId, s.reason);
    },
    (err) => log.warn({ err }, 'session sweep failed'),
  );
  const guard = createGuard(db, audit, metrics, log);
  const route = createRouter(app, guard);
  const http: HttpDeps = { route, sameTenant: auditedTenantCheck(tenantCheck(metrics, log), audit) };
  const stores = { db, audit, log };
  const totpLog = log.child({ mod: 'totp' });
  const totpSealer = createTotpSealer(() => vault.secretKeys(), totpLog);
  await sealStoredTotpSecrets(db.pool, totpSealer, totpLog);
  registerAuthRoutes({ ...http, ...stores, redis: redis.redis, config, metrics, endSession, totpSealer });
  registerUnitRoutes({ ...http, ...stores, live });
  registerTeamUnitAdminRoutes({ ...http, ...stores });
  const onShiftChange = shiftChangeNotifier({ live, coalescer, devices, log: log.child({ mod: 'shifts' }) });
  registerShiftRoutes({ ...http, ...stores, live, onShiftChange });
  registerDeviceRoutes({
    ...http,
    ...stores,
    revoker,
    disconnectDevice: (deviceId, message) => devices.disconnect(deviceId, message),
  });
  await registerDeviceStatusRoutes({
    app,
    route,
    pool: db.pool,
    lastSeen,
    live,
    intake,
    metrics,
    log: log.child({ mod: 'device-http' }),
    tokenSecrets: config.MEDIA_TOKEN_SECRET,
  });
  registerVideoRoutes({ ...http, ...stores, app, io, redis: redis.redis, config, metrics });
  await registerTalkbackProxy({ ...http, ...stores, app, guard, redis: redis.redis, config, metrics });
  registerDispatchRoutes({ ...http, ...stores, live, incidents, dispatcher });
  registerUserRoutes({ ...http, ...stores, endSession });
  const access = recordingAccess(db, vault, http.sameTenant);
  registerPolicyRoutes({
    ...stores,
    route,
    redis: redis.redis,
    access,
    onChanged: (tenantId) => incidents.invalidatePolicy(tenantId),
  });
  registerEvaluation({ ...stores, route, app, config });
  const retention = vault.store
    ? createRetentionSweeper({
        pool: db.pool,
        store: vault.store,
        keys: vault.hsm,
        audit,
        log: log.child({ mod: 'retention' }),
      })
    : null;
  registerRecordingRoutes({
    ...stores,
    route,
    redis: redis.redis,
    vault,
    access,
    stampCheckpoint: exportStamper({ pool: db.pool, config, log: log.child({ mod: 'audit-anchoring' }) }),
  });
  registerFourEyesRoutes({ ...http, ...stores, access, sweeper: retention ?? unavailableSweeper() });
  registerAuditRoutes({ route, db });
  const retentionTimer = periodic(
    retention ? config.RETENTION_SWEEP_MS : 0,
    async () => void (await retention?.sweepOnce()),
    (err) => log.error({ err }, 'retention sweep failed'),
  );
  // the legal period of audit payloads ends at a year boundary: an hourly look is plenty
  const auditPruneTimer = periodic(
    config.AUDIT_PRUNE_MS,
    async () => {
      const n = await audit.prune();
      if (n > 0) log.info({ pruned: n }, 'audit payloads past the legal period emptied');
    },
    (err) => log.error({ err }, 'audit pruning failed'),
  );
  const service = registerServiceRoutes(route, metrics, () => persister.queued(), routes);
  const health = registerHealth({
    route,
    io,
    redis: [redis.redis, redis.adapter],
    pool: db.pool,
    db,
    persister,
    config,
    metrics,
    log: log.child({ mod: 'health' }),
  });
  await registerStaticWeb(app, config.WEB_DIR);

  let closing: Promise<void> | undefined;
  return {
    app,
    routes,
    io,
    db,
    metrics,
    log,
    async listen() {
      return app.listen({ host: config.HOST, port: config.PORT });
    },
    close() {
      closing ??= (async () => {
        coalescer.stop();
        sweeper.stop();
        retentionTimer.stop();
        auditPruneTimer.stop();
        auditAnchoring.stop();
        sessionSweep.stop();
        service.stop();
        health.stop();
        deviceWs.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await persister.close();
        await lastSeen.close();
        await app.close();
        redis.disconnect();
        await db.close();
        vault.close();
      })();
      return closing;
    },
  };
}
