/**
 * The audit log in PostgreSQL: appends go through the database function `audit_append`, which
 * serialises them on the single head row and computes the hashes, so any number of gateways and SFUs
 * write one chain and none of them chooses a hash; the gateway alone signs checkpoints
 * (`checkpointIfDue`); reading the log back in seq order for verification and export (JSON lines).
 */

import { withTransaction } from '@lagebild/db/transaction';
import type { AuditAction } from '@lagebild/protocol';
import { canonicalJson, type Signer, signJson } from '@lagebild/vault';
import type pg from 'pg';
import {
  type AuditRecord,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type CheckpointStatement,
  storablePayload,
} from './chain.ts';

/** What an audit entry can be about; one spelling per kind (a dispatch request is `request:`). */
export type AuditTargetKind =
  | 'alert'
  | 'approval'
  | 'baseline'
  | 'device'
  | 'incident'
  | 'recording'
  | 'request'
  | 'shift'
  | 'team'
  | 'tenant'
  | 'unit'
  | 'user';

/**
 * A typed target reference, `<kind>:<id>` (issue 12). The one exception is `live_watch`, whose
 * entries have named the watched device by its bare id since the first one was written: the audit
 * view reads both spellings, and `liveWatchTarget` is the only place that writes the bare one.
 */
export type AuditTarget = `${AuditTargetKind}:${string}` | LiveWatchTarget;
declare const liveWatchBrand: unique symbol;
export type LiveWatchTarget = string & { readonly [liveWatchBrand]: true };

export const auditTarget = (kind: AuditTargetKind, id: string): AuditTarget => `${kind}:${id}`;
export const liveWatchTarget = (deviceId: string): LiveWatchTarget => deviceId as LiveWatchTarget;

export interface AuditInput {
  tenantId: string | null;
  /** who: `user:<id>` plus name, `device:<id>`, `system:sweeper` */
  actor: string | null;
  /** one of the protocol's actions, so the audit view can name every entry (typed, issue 12) */
  action: AuditAction;
  /** what it was done to, e.g. `recording:<id>` (`auditTarget('recording', id)`) */
  target?: AuditTarget | null;
  reason?: string | null;
  recipient?: string | null;
  payload?: Record<string, unknown> | null;
}

/** When the gateway's checkpoint job signs the head: after this many entries or this long. */
export interface CheckpointPolicy {
  every?: number;
  everyMs?: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Appends entries inside the caller's transaction (`client` must be in BEGIN … COMMIT), so an
 * audited change and its entry commit together. The database function `audit_append` (migration
 * 0013) takes the head's lock and computes every hash; the caller supplies only the entries'
 * contents, never a hash. Returns the new records.
 */
export async function appendAuditIn(
  client: Queryable,
  inputs: AuditInput[],
  now: () => number = Date.now,
): Promise<AuditRecord[]> {
  if (inputs.length === 0) return [];
  const at = Math.trunc(now());
  const payloads = inputs.map((i) => storablePayload(i.payload));
  const entries = inputs.map((i, k) => ({
    tenant: i.tenantId,
    actor: i.actor,
    action: i.action,
    target: i.target ?? null,
    reason: i.reason ?? null,
    recipient: i.recipient ?? null,
    // the exact bytes the payload hash covers (canonicalJson, as chain.ts's payloadHash)
    payload: canonicalJson(payloads[k] ?? null),
  }));
  const { rows } = await client.query<{
    seq: string;
    at: Date;
    payload_hash: string;
    prev_hash: string;
    hash: string;
  }>('SELECT * FROM audit_append($1::jsonb, $2)', [JSON.stringify(entries), at]);
  return rows.map((r, k) => ({
    seq: Number(r.seq),
    tenantId: inputs[k]!.tenantId,
    at: r.at.getTime(),
    actor: inputs[k]!.actor,
    action: inputs[k]!.action,
    target: inputs[k]!.target ?? null,
    reason: inputs[k]!.reason ?? null,
    recipient: inputs[k]!.recipient ?? null,
    payload: payloads[k] ?? null,
    payloadHash: r.payload_hash,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

async function writeCheckpoint(client: Queryable, signer: Signer, seq: number, hash: string, at: number) {
  const statement: CheckpointStatement = { format: CHECKPOINT_FORMAT, seq, hash, at };
  const { json, signature } = signJson(signer, statement);
  await client.query('SELECT audit_add_checkpoint($1, $2, $3, $4, $5)', [
    seq,
    at,
    json,
    signature.toString('base64'),
    signer.fingerprint,
  ]);
}

/** `fn` inside BEGIN … COMMIT on one pooled connection; ROLLBACK on any error. */
/**
 * An audited change: `change` runs in a transaction and returns the entries that describe it, which
 * are appended in the same transaction, so the change and its entries commit together or not at all.
 */
export async function auditedChange<T>(
  pool: pg.Pool,
  change: (client: pg.PoolClient) => Promise<{ result: T; entries: AuditInput[] }>,
  now?: () => number,
): Promise<T> {
  return withTransaction(pool, async (client) => {
    const { result, entries } = await change(client);
    if (entries.length > 0) await appendAuditIn(client, entries, now);
    return result;
  });
}

/** Appends in its own transaction. */
export async function appendAudit(
  pool: pg.Pool,
  inputs: AuditInput | AuditInput[],
  now?: () => number,
): Promise<AuditRecord[]> {
  return withTransaction(pool, (client) =>
    appendAuditIn(client, Array.isArray(inputs) ? inputs : [inputs], now),
  );
}

/**
 * Empties the payloads whose legal period has ended (entries written before the previous calendar
 * year; the database function is the only change the append-only triggers allow, and the payload
 * hash stays in the chain) and, if it emptied any, records that itself as `audit_pruned`, in one
 * transaction. Safe to run from several processes at once: the second finds nothing left.
 */
export async function pruneAuditPayloads(pool: pg.Pool, now?: () => number): Promise<number> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: string }>('SELECT audit_prune_payloads() AS n');
    const pruned = Number(rows[0]!.n);
    if (pruned > 0) {
      await appendAuditIn(
        client,
        [{ tenantId: null, actor: 'system:audit', action: 'audit_pruned', payload: { entries: pruned } }],
        now,
      );
    }
    return pruned;
  });
}

/** Forces a checkpoint of the current head (e.g. before an export for the data protection officer). */
export async function checkpointNow(
  pool: pg.Pool,
  signer: Signer,
  now: () => number = Date.now,
): Promise<Checkpoint | null> {
  return checkpointIfDue(pool, signer, { every: 1, everyMs: 0 }, now, true);
}

/**
 * The gateway's checkpoint job (issue 13: only the gateway signs): signs the head when `policy.every`
 * entries or `policy.everyMs` have passed since the last checkpoint and the head has moved. The head
 * is read under its lock, so two gateways never sign two different heads as one seq.
 */
export async function checkpointIfDue(
  pool: pg.Pool,
  signer: Signer,
  policy: CheckpointPolicy,
  now: () => number = Date.now,
  force = false,
): Promise<Checkpoint | null> {
  const seq = await withTransaction(pool, async (client) => {
    const head = (
      await client.query<{ seq: string; hash: string; checkpoint_seq: string; checkpoint_at: Date }>(
        // the head's row lock, taken by a function (the app role may not lock audit_head itself)
        'SELECT * FROM audit_lock_head()',
      )
    ).rows[0];
    if (!head) throw new Error('audit_head is missing: run the migrations');
    const headSeq = Number(head.seq);
    if (headSeq === 0) return null;
    const at = Math.trunc(now());
    const moved = headSeq - Number(head.checkpoint_seq);
    if (moved <= 0 && !force) return null;
    const due =
      force ||
      moved >= (policy.every ?? 1000) ||
      at - head.checkpoint_at.getTime() >= (policy.everyMs ?? 10 * 60_000);
    if (!due) return null;
    if (moved <= 0) return headSeq; // already checkpointed
    await writeCheckpoint(client, signer, headSeq, head.hash, at);
    return headSeq;
  });
  if (seq === null) return null;
  return (await loadCheckpoints(pool)).find((c) => c.seq === seq) ?? null;
}

interface Row {
  seq: string;
  tenant_id: string | null;
  at: Date;
  actor: string | null;
  action: string;
  target: string | null;
  reason: string | null;
  recipient: string | null;
  payload: Record<string, unknown> | null;
  payload_hash: string;
  prev_hash: string;
  hash: string;
}

export const recordFromRow = (r: Row): AuditRecord => ({
  seq: Number(r.seq),
  tenantId: r.tenant_id,
  at: r.at.getTime(),
  actor: r.actor,
  action: r.action,
  target: r.target,
  reason: r.reason,
  recipient: r.recipient,
  payload: r.payload,
  payloadHash: r.payload_hash,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The whole log in seq order, in pages (keyset pagination; no long-running cursor). */
export async function* readAuditLog(
  pool: Pick<pg.Pool, 'query'>,
  pageSize = 5000,
): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<Row>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [
      after,
      pageSize,
    ]);
    for (const r of rows) yield recordFromRow(r);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

export async function loadCheckpoints(pool: Pick<pg.Pool, 'query'>): Promise<Checkpoint[]> {
  const { rows } = await pool.query<{
    seq: string;
    hash: string;
    at: Date;
    statement: string;
    signature: string;
    signing_key: string;
  }>('SELECT * FROM audit_checkpoints ORDER BY seq');
  return rows.map((r) => ({
    seq: Number(r.seq),
    hash: r.hash,
    at: r.at.getTime(),
    statement: r.statement,
    signature: r.signature,
    signingKey: r.signing_key,
  }));
}

/** JSON lines: `{"checkpoint":…}` lines, then `{"entry":…}` lines; what the DPO keeps. */
export async function* exportAuditJsonl(pool: pg.Pool): AsyncGenerator<string> {
  for (const c of await loadCheckpoints(pool)) yield `${JSON.stringify({ checkpoint: c })}\n`;
  for await (const e of readAuditLog(pool)) yield `${JSON.stringify({ entry: e })}\n`;
}

export function parseAuditJsonl(text: string): { entries: AuditRecord[]; checkpoints: Checkpoint[] } {
  const entries: AuditRecord[] = [];
  const checkpoints: Checkpoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { entry?: AuditRecord; checkpoint?: Checkpoint };
    if (o.entry) entries.push(o.entry);
    if (o.checkpoint) checkpoints.push(o.checkpoint);
  }
  return { entries, checkpoints };
}
