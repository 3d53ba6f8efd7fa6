/**
 * Re-wrapping when a recording's deletion time changes (issue 13): kept as evidence or under legal
 * hold it moves to the tenant's evidence key; given another day (an approved extension, a release
 * back to the normal period, a shorter retention period of its tenant) it moves to that day's key. Otherwise the sweeper could not destroy the
 * old day's key, or (worse) would destroy the key a kept recording still needs. The new key.json is
 * written before the caller's transaction commits, together with the row's kek_id and the audit
 * entry: if the commit fails, the file names a key that is never destroyed early, only later.
 * The data key passes through this process's memory, as it does for every playback.
 */
import { auditTarget } from '@lagebild/audit';
import { keyObject, readWrappedKey, VaultError } from '@lagebild/vault';
import type pg from 'pg';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import type { RecordingAccess } from './recording-access.ts';

export interface RewrapInput {
  tenantId: string;
  recordingId: string;
  /** the recording's new deletion time (epoch ms), or null when it is held (evidence, legal hold) */
  deleteAt: number | null;
  actor: string;
  reason?: string;
}

/** the new key id, or null when nothing changed (same key, no vault, no key in the store) */
export async function rewrapKept(
  c: pg.PoolClient,
  access: Pick<RecordingAccess, 'requireVault'>,
  audit: Pick<AuditLog, 'appendIn'>,
  r: RewrapInput,
): Promise<string | null> {
  const vault = await access.requireVault().catch(() => null);
  if (!vault) return null;
  const { store, keyring } = vault;
  let wrapped: Awaited<ReturnType<typeof readWrappedKey>>;
  try {
    wrapped = await readWrappedKey(store, r.tenantId, r.recordingId);
  } catch (err) {
    // a row without a vault object (seeded, or already shredded) has nothing to re-wrap
    if (err instanceof VaultError && (err.code === 'not_found' || err.code === 'shredded')) return null;
    throw err;
  }
  const kekId = keyring.kekIdFor(r.tenantId, r.deleteAt);
  if (wrapped.kekId === kekId) return null;
  const expect = { tenantId: r.tenantId, recordingId: r.recordingId };
  const dataKey = keyring.unwrap(wrapped, expect);
  const next = keyring.wrap(r.tenantId, r.recordingId, dataKey, kekId);
  dataKey.fill(0);
  await store.put(keyObject(r.tenantId, r.recordingId), `${JSON.stringify(next)}\n`);
  await c.query('UPDATE recordings SET kek_id = $2 WHERE id = $1', [r.recordingId, next.kekId]);
  const entry: AuditEntry = {
    tenantId: r.tenantId,
    actor: r.actor,
    action: 'recording_rewrapped',
    target: auditTarget('recording', r.recordingId),
    payload: { from: wrapped.kekId, to: next.kekId, deleteAt: r.deleteAt },
    ...(r.reason ? { reason: r.reason } : {}),
  };
  await audit.appendIn(c, [entry]);
  return next.kekId;
}

/** the row's deletion time after a change in the same transaction (null: held) */
export async function deleteAtOf(c: pg.PoolClient, recordingId: string): Promise<number | null> {
  const { rows } = await c.query<{ delete_at: Date | null }>(
    'SELECT delete_at FROM recordings WHERE id = $1',
    [recordingId],
  );
  return rows[0]?.delete_at?.getTime() ?? null;
}

/**
 * After a shorter retention period moved the tenant's deletion times forward
 * (`lagebild_shorten_retention`), every standard recording whose key belongs to a later day than its
 * new deletion time is re-wrapped under its new day's key, audited each, in the caller's
 * transaction. Otherwise the recording would be shredded on its new day while a backup of its
 * key.json stayed readable until the old day's key is destroyed. How many were re-wrapped.
 */
export async function rewrapShortened(
  c: pg.PoolClient,
  access: Pick<RecordingAccess, 'requireVault'>,
  audit: Pick<AuditLog, 'appendIn'>,
  r: { tenantId: string; actor: string; reason?: string },
): Promise<number> {
  const vault = await access.requireVault().catch(() => null);
  if (!vault) return 0;
  const { rows } = await c.query<{ id: string; delete_at: Date; kek_id: string | null }>(
    `SELECT id, delete_at, kek_id FROM recordings
      WHERE tenant_id = $1 AND retention = 'standard' AND state <> 'deleted' AND delete_at IS NOT NULL
      ORDER BY delete_at, id`,
    [r.tenantId],
  );
  let n = 0;
  for (const row of rows) {
    const deleteAt = row.delete_at.getTime();
    if (row.kek_id === vault.keyring.kekIdFor(r.tenantId, deleteAt)) continue;
    const moved = await rewrapKept(c, access, audit, { ...r, recordingId: row.id, deleteAt });
    if (moved) n++;
  }
  return n;
}
