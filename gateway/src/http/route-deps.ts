/**
 * The HTTP plumbing every feature's routes get: the typed route helper and the tenant check on an
 * entity loaded by id. Each feature's `register…Routes` names the stores and services it needs
 * beside these, so nothing is handed around that its routes do not use.
 */
import type { Db } from '@lagebild/db';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Route } from './route.ts';
import type { TenantCheck } from './tenant-guard.ts';

export interface HttpDeps {
  route: Route;
  /** throws 404 like an unknown id (logged, audited) unless the entity's tenant is the user's */
  sameTenant: TenantCheck;
}

/** The stores and services of a feature whose routes reach all of them (sign-in, live video). */
export interface ServiceDeps {
  db: Db;
  redis: Redis;
  config: GatewayConfig;
  audit: AuditLog;
  metrics: Metrics;
  log: Logger;
}
