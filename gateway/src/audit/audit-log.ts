/**
 * The gateway's handle on the audit log (issue #6): `append` writes a hash-chained entry and
 * resolves once it is committed (callers that must not act unaudited, like playback, await it);
 * `record` is for paths that cannot wait (a refused request) and logs a failed append loudly.
 * Each entry is also a pino line with `audit: '<action>'`, as before, for log shipping.
 */
import { type AuditInput, appendAudit, appendAuditIn, pruneAuditPayloads } from '@lagebild/audit';
import type { Signer } from '@lagebild/vault';
import type pg from 'pg';
import type { SessionUser } from '../http/session.ts';
import type { TenantCheck } from '../http/tenant-guard.ts';
import type { Logger } from '../logger.ts';

export type AuditEntry = AuditInput;

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** inside the caller's transaction, so the audited change and its entry commit together */
  appendIn(client: pg.PoolClient, entries: AuditEntry[]): Promise<void>;
  record(entry: AuditEntry): void;
  /** empties payloads past the legal period (audited as `audit_pruned`); returns how many */
  prune(): Promise<number>;
  signer: Signer;
}

export const actorOf = (user: Pick<SessionUser, 'username'>): string => user.username;

export function createAuditLog(opts: {
  pool: pg.Pool;
  signer: Signer;
  log: Logger;
  now?: () => number;
}): AuditLog {
  const line = (e: AuditEntry) =>
    opts.log.info(
      { audit: e.action, actor: e.actor, tenantId: e.tenantId, target: e.target ?? undefined },
      'audit',
    );
  return {
    signer: opts.signer,
    async append(entry) {
      await appendAudit(opts.pool, entry, opts.now);
      line(entry);
    },
    async appendIn(client, entries) {
      await appendAuditIn(client, entries, opts.now);
      for (const e of entries) line(e);
    },
    prune: () => pruneAuditPayloads(opts.pool, opts.now),
    record(entry) {
      appendAudit(opts.pool, entry, opts.now).then(
        () => line(entry),
        (err) => opts.log.error({ err, audit: entry.action }, 'audit append failed'),
      );
    },
  };
}

/** Wraps the tenant check so every cross-tenant refusal also lands in the audit log. */
export function auditedTenantCheck(inner: TenantCheck, audit: AuditLog): TenantCheck {
  return (user, tenantId, what, id, req) => {
    try {
      inner(user, tenantId, what, id, req);
    } catch (err) {
      audit.record({
        tenantId: user.tenant.id,
        actor: actorOf(user),
        action: 'cross_tenant_refused',
        target: `${what}:${id}`,
        payload: { url: req.url, method: req.method },
      });
      throw err;
    }
  };
}
