/** What every route module gets: the server, data stores, the session guard and shared counters. */
import type { Db } from '@lagebild/db';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import type { LiveStore } from '../live/live-store.ts';
import type { Revoker } from '../live/revocations.ts';
import type { StatusPersister } from '../live/status-persister.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Guard, SessionEndReason } from './session.ts';
import type { TenantCheck } from './tenant-guard.ts';

export interface RouteDeps {
  app: FastifyInstance;
  db: Db;
  redis: Redis;
  config: GatewayConfig;
  guard: Guard;
  /** the hash-chained audit log (issue #6) */
  audit: AuditLog;
  /** throws 404 like an unknown id (logged, audited) unless the entity's tenant is the user's */
  sameTenant: TenantCheck;
  live: LiveStore;
  metrics: Metrics;
  persister: StatusPersister;
  log: Logger;
  /** ends an operator session everywhere at once: its /control sockets and its SFU viewer sessions */
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
  disconnectDevice(deviceId: string, reason: string): void;
  /** revocations the SFU enforces at once (device tokens and streams, viewer sessions) */
  revoker: Revoker;
}
