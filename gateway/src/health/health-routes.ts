/**
 * Wires the health monitor into the gateway: each tick goes to this gateway's own dashboards (not
 * through the Redis adapter: a gateway cut off from Redis must still reach its sockets, and each
 * speaks for itself), a new dashboard gets the current picture at once, and admins read it as
 * Prometheus gauges at GET /metrics.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Server } from 'socket.io';
import type { GatewayConfig } from '../config.ts';
import type { Route } from '../http/route.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.ts';
import { prometheusText } from './prometheus-text.ts';

export function registerHealth(deps: {
  route: Route;
  io: Server;
  redis: readonly Redis[];
  pool: pg.Pool;
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
      access: ['admin'],
      summary: 'Degraded components and counters of this gateway (Prometheus text format)',
      produces: 'text/plain',
    },
    async ({ reply }) => {
      reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      return prometheusText(monitor.current().components, deps.metrics, {
        persistQueue: deps.persister.queued(),
        instance: config.INSTANCE_ID,
      });
    },
  );
  return monitor;
}
