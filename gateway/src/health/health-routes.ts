/**
 * Wires the health monitor into the gateway: each tick goes to this gateway's own dashboards (not
 * through the Redis adapter: a gateway cut off from Redis must still reach its sockets, and each
 * speaks for itself), a new dashboard gets the current picture at once, and admins read it as
 * Prometheus gauges at GET /metrics: with the scraper's METRICS_TOKEN (no database involved, so the
 * database alarm can be read while PostgreSQL is down) or an admin's session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '@lagebild/db';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Server } from 'socket.io';
import type { GatewayConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Route } from '../http/route.ts';
import { cookieFrom, resolveSession, SESSION_COOKIE } from '../http/session.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.ts';
import { prometheusText } from './prometheus-text.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** the scraper's token, or else an admin session (401 without one, 403 for other roles) */
async function checkMetricsCaller(req: FastifyRequest, db: Db, token: string): Promise<void> {
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (token && bearer && timingSafeEqual(digest(bearer), digest(token))) return;
  const user = await resolveSession(db, cookieFrom(req.headers.cookie, SESSION_COOKIE)).catch(() => {
    throw new AppError('unavailable', 'sessions cannot be checked right now; scrape with METRICS_TOKEN');
  });
  if (!user) throw new AppError('unauthenticated', 'sign in as an admin or send the metrics token');
  if (user.role !== 'admin') throw new AppError('forbidden', 'only admins read /metrics');
}

export function registerHealth(deps: {
  route: Route;
  io: Server;
  redis: readonly Redis[];
  pool: pg.Pool;
  db: Db;
  persister: { queued(): number; failingSince(): number | null };
  config: GatewayConfig;
  metrics: Metrics;
  log: Logger;
}): HealthMonitor {
  const { config } = deps;
  const control = deps.io.of('/control');
  const monitor = createHealthMonitor({
    intervalMs: config.HEALTH_INTERVAL_MS,
    redis: deps.redis,
    pool: deps.pool,
    persister: deps.persister,
    persistQueueMax: config.PERSIST_QUEUE_MAX,
    sfuUrl: config.SFU_URL,
    vaultDir: config.VAULT_DIR,
    recordingsMinFreeBytes: config.RECORDINGS_MIN_FREE_MB * 1024 * 1024,
    log: deps.log,
    onHealth: (msg) => control.local.emit('health', msg),
  });
  control.on('connection', (socket) => socket.emit('health', monitor.current()));
  deps.route(
    {
      method: 'GET',
      url: '/metrics',
      // checked below: a scraper's token needs no session lookup (see the file's header)
      access: 'public',
      summary: 'Degraded components and counters of this gateway (Prometheus text format)',
      description: 'For an admin session, or `Authorization: Bearer <METRICS_TOKEN>` (a scraper).',
      produces: 'text/plain',
    },
    async ({ req, reply }) => {
      await checkMetricsCaller(req, deps.db, config.METRICS_TOKEN);
      reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      return prometheusText(monitor.current().components, deps.metrics, {
        persistQueue: deps.persister.queued(),
        instance: config.INSTANCE_ID,
      });
    },
  );
  return monitor;
}
