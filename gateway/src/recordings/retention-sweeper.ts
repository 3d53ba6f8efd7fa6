/**
 * The retention sweeper: finds `standard` recordings past their deletion time, crypto-shreds them
 * (signed receipt → wrapped key destroyed → ciphertext removed), marks the rows deleted (metadata
 * stays for statistics) and audits each deletion, in one transaction per batch. Rows are locked
 * FOR UPDATE SKIP LOCKED, so a concurrent evidence mark waits and then finds the row deleted, and
 * two gateways never sweep the same recording. Killed midway, the next run redoes the batch:
 * shredding is idempotent and returns the receipt written the first time.
 */
import { withTransaction } from '@lagebild/db';
import { shredRecording, type VaultStore } from '@lagebild/vault';
import type pg from 'pg';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import type { Logger } from '../logger.ts';

export interface SweeperOptions {
  pool: pg.Pool;
  store: VaultStore;
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
  sweepOnce(): Promise<{ deleted: number }>;
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
        if (n === 0) return { deleted };
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
