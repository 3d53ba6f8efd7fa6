/**
 * The retention sweeper: finds `standard` recordings past their deletion time, crypto-shreds them
 * (signed receipt → wrapped key destroyed → ciphertext removed), marks the rows deleted (metadata
 * stays for statistics) and audits each deletion, in one transaction per batch. Rows are locked
 * FOR UPDATE SKIP LOCKED, so a concurrent evidence mark waits and then finds the row deleted, and
 * two gateways never sweep the same recording. Killed midway, the next run redoes the batch:
 * shredding is idempotent and returns the receipt written the first time.
 */

import { auditTarget } from '@lagebild/audit';
import { withTransaction } from '@lagebild/db';
import { dayKekId, type HsmKeyring, shredRecording, type VaultStore } from '@lagebild/vault';
import type pg from 'pg';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import type { Logger } from '../logger.ts';

export interface SweeperOptions {
  pool: pg.Pool;
  store: VaultStore;
  /** the HSM's keys: a deletion day's key is destroyed once its recordings are gone (issue 13) */
  keys?: HsmKeyring | null;
  audit: AuditLog;
  log: Logger;
  now?: () => number;
  batch?: number;
  /** test hook between shredding steps, e.g. to kill the process midway */
  onStep?: (recordingId: string, step: 'receipt' | 'key' | 'ciphertext') => void | Promise<void>;
}

const SHRED_CONCURRENCY = 16;

interface DueRow {
  id: string;
  tenant_id: string;
  device_id: string;
}

export interface RetentionSweeper {
  sweepOnce(): Promise<{ deleted: number; keysDestroyed: number }>;
  /** deletes one recording now (four-eyes early deletion), inside the caller's transaction */
  deleteNow(
    client: pg.PoolClient,
    row: DueRow,
    cause: string,
    audit: Omit<AuditEntry, 'action' | 'target'>,
  ): Promise<void>;
}

/**
 * Shreds a batch's recordings a few at a time: each one waits on fsyncs (receipt, signature), so
 * overlapping them is what makes 100,000 expired recordings a matter of minutes. On a failure no new
 * one starts, the ones under way finish (shredding is idempotent, the next run redoes the batch),
 * and only then does the error reach the caller, which rolls the batch back.
 */
async function shredAll<T>(rows: DueRow[], fn: (r: DueRow) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(rows.length);
  let next = 0;
  let failed: { err: unknown } | null = null;
  await Promise.all(
    Array.from({ length: Math.min(SHRED_CONCURRENCY, rows.length) }, async () => {
      while (!failed && next < rows.length) {
        const i = next++;
        try {
          out[i] = await fn(rows[i]!);
        } catch (err) {
          failed ??= { err };
        }
      }
    }),
  );
  if (failed) throw (failed as { err: unknown }).err;
  return out;
}

export function createRetentionSweeper(o: SweeperOptions): RetentionSweeper {
  const now = o.now ?? Date.now;
  const batch = o.batch ?? 200;

  async function shred(client: pg.PoolClient, rows: DueRow[], cause: string): Promise<AuditEntry[]> {
    const ids: string[] = [];
    const receipts: string[] = [];
    const sigs: string[] = [];
    const entries: AuditEntry[] = [];
    const results = await shredAll(rows, (r) =>
      shredRecording({
        store: o.store,
        signer: o.audit.signer,
        tenantId: r.tenant_id,
        recordingId: r.id,
        deviceId: r.device_id,
        cause,
        now,
        onStep: o.onStep ? (s) => o.onStep!(r.id, s) : undefined,
      }),
    );
    rows.forEach((r, i) => {
      const res = results[i]!;
      ids.push(r.id);
      receipts.push(res.receiptJson);
      sigs.push(res.signature.toString('base64'));
      entries.push({
        tenantId: r.tenant_id,
        actor: 'system:retention',
        action: 'recording_deleted',
        target: `recording:${r.id}`,
        reason: cause,
        payload: {
          plaintextSha256: res.receipt.plaintextSha256,
          manifestSha256: res.receipt.manifestSha256,
          deletedAt: res.receipt.deletedAt,
        },
      });
    });
    await client.query(
      `UPDATE recordings r SET state = 'deleted', delete_at = NULL, deleted_at = to_timestamp(v.at / 1000.0),
              deletion_receipt = v.receipt, deletion_signature = v.sig
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS v(id, receipt, sig, at)
        WHERE r.id = v.id`,
      [ids, receipts, sigs, receipts.map((j) => JSON.parse(j).deletedAt ?? now())],
    );
    return entries;
  }

  /**
   * Destroys, inside the HSM, each past deletion day's key that no recording of its tenant still
   * names (all shredded, or re-wrapped when kept longer): from then on no backup of key.json or the
   * ciphertext opens any of them. The row and the audit entry commit first; the key is destroyed
   * after, and a crash in between leaves a recorded key that the next run destroys.
   */
  async function destroySpentDayKeys(): Promise<number> {
    if (!o.keys) return 0;
    const today = dayKekId(now());
    let destroyed = 0;
    for (const k of o.keys.inventory()) {
      if (k.kind !== 'day' || k.kekId >= today) continue;
      const spent = await withTransaction(o.pool, async (client) => {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM recordings WHERE tenant_id = $1 AND kek_id = $2 AND state <> 'deleted'`,
          [k.tenantId, k.kekId],
        );
        if (rows[0]!.n > 0) return false;
        const { rowCount } = await client.query(
          'INSERT INTO destroyed_keys (tenant_id, kek_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [k.tenantId, k.kekId],
        );
        if (rowCount)
          await o.audit.appendIn(client, [
            {
              tenantId: k.tenantId,
              actor: 'system:retention',
              action: 'key_destroyed',
              target: auditTarget('tenant', k.tenantId),
              payload: { kekId: k.kekId, createdAt: k.createdAt },
            },
          ]);
        return true;
      });
      if (spent && o.keys.destroyKek(k.tenantId, k.kekId) > 0) {
        destroyed++;
        o.log.info({ tenantId: k.tenantId, kekId: k.kekId }, 'deletion day key destroyed');
      }
    }
    return destroyed;
  }

  return {
    async sweepOnce() {
      let deleted = 0;
      for (;;) {
        // one batch per transaction: the rows, their receipts and their audit entries commit together
        const n = await withTransaction(o.pool, async (client) => {
          const { rows } = await client.query<DueRow>(
            `SELECT id, tenant_id, device_id FROM recordings
              WHERE retention = 'standard' AND state IN ('complete', 'incomplete') AND delete_at <= $1
              ORDER BY delete_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
            [new Date(now()), batch],
          );
          if (rows.length > 0) await o.audit.appendIn(client, await shred(client, rows, 'retention_expired'));
          return rows.length;
        });
        if (n === 0) return { deleted, keysDestroyed: await destroySpentDayKeys() };
        deleted += n;
        o.log.info({ deleted: n }, 'expired recordings deleted');
      }
    },
    async deleteNow(client, row, cause, audit) {
      const [entry] = await shred(client, [row], cause);
      await o.audit.appendIn(client, [
        { ...entry!, ...audit, action: 'recording_deleted', target: `recording:${row.id}` },
      ]);
    },
  };
}
