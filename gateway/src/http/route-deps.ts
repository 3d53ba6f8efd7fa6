/** What every route module gets: the server, data stores, the session guard and shared counters. */
import type { Db } from '@lagebild/db';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import type { LiveStore } from '../live/live-store.ts';
import type { StatusPersister } from '../live/status-persister.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Guard } from './session.ts';
import type { TenantCheck } from './tenant-guard.ts';

export interface RouteDeps {
  app: FastifyInstance;
  db: Db;
  redis: Redis;
  config: GatewayConfig;
  guard: Guard;
  /** the hash-chained audit log (issue #6) */
  audit: AuditLog;
  /** throws 403 (logged) unless the entity's tenant is the user's */
  sameTenant: TenantCheck;
  live: LiveStore;
  metrics: Metrics;
  persister: StatusPersister;
  log: Logger;
  endSession(sessionHash: string): void;
  disconnectDevice(deviceId: string, reason: string): void;
}
