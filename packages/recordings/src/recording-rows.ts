/**
 * The Recording row's own transitions (plain SQL): created in state `recording` when the first byte
 * is about to be written, completed from the signed manifest (or marked `incomplete` after a crash).
 * Times are epoch ms at the boundary.
 */
import type { CutReason } from '@lagebild/protocol';
import type pg from 'pg';

type Q = Pick<pg.Pool, 'query'>;

/** A new recording of the standard class, due at start + the tenant's retention period. */
export async function beginRecording(
  db: Q,
  r: {
    id: string;
    tenantId: string;
    deviceId: string;
    startedAt: number;
    mediaType?: string;
    prerecordS?: number;
    incidentId?: string | null;
  },
  /** chooses the key-encryption key from the deletion time (epoch ms): the day key (issue 13) */
  kekIdFor: (deleteAt: number) => string,
): Promise<{ deleteAt: number; kekId: string }> {
  const { rows } = await db.query<{ delete_at: Date }>(
    `INSERT INTO recordings (id, tenant_id, device_id, unit_id, incident_id, started_at, media_type, prerecord_s, delete_at)
     SELECT $1, $2, $3,
            (SELECT unit_id FROM shifts WHERE device_id = $3 AND ended_at IS NULL LIMIT 1),
            $4, $5::timestamptz, $6, $7, $5::timestamptz + make_interval(days => t.retention_days)
       FROM tenants t WHERE t.id = $2
     RETURNING delete_at`,
    [
      r.id,
      r.tenantId,
      r.deviceId,
      r.incidentId ?? null,
      new Date(r.startedAt),
      r.mediaType ?? 'video/webm',
      r.prerecordS ?? 0,
    ],
  );
  const deleteAt = rows[0]?.delete_at.getTime();
  if (deleteAt === undefined) throw new Error(`tenant ${r.tenantId} does not exist`);
  // the row names its key from the start, so the sweeper never destroys a key a recording still uses
  const kekId = kekIdFor(deleteAt);
  await db.query('UPDATE recordings SET kek_id = $2 WHERE id = $1', [r.id, kekId]);
  return { deleteAt, kekId };
}

export async function completeRecording(
  db: Q,
  r: {
    id: string;
    complete: boolean;
    /** measured from the media at the end (live recorder); the row keeps its start otherwise */
    startedAt?: number;
    prerecordS?: number;
    stoppedAt: number;
    bytes: number;
    kekId: string | null;
    manifestSha256: string | null;
    plaintextSha256: string | null;
    ciphertextSha256: string | null;
    /** a prefix: the stream went on (issue 14) */
    cutReason?: CutReason;
  },
): Promise<void> {
  await db.query(
    `UPDATE recordings SET state = $2, stopped_at = $3, bytes = $4, kek_id = COALESCE(kek_id, $5), manifest_sha256 = $6,
            plaintext_sha256 = $7, ciphertext_sha256 = $8,
            started_at = COALESCE($9, started_at), prerecord_s = COALESCE($10, prerecord_s),
            cut_reason = $11, cut_at = CASE WHEN $11::text IS NULL THEN NULL ELSE now() END
      WHERE id = $1 AND state = 'recording'`,
    [
      r.id,
      r.complete ? 'complete' : 'incomplete',
      new Date(r.stoppedAt),
      r.bytes,
      r.kekId,
      r.manifestSha256,
      r.plaintextSha256,
      r.ciphertextSha256,
      r.startedAt === undefined ? null : new Date(r.startedAt),
      r.prerecordS ?? null,
      r.cutReason ?? null,
    ],
  );
}

/** How long after a cut a new recording of the same device still continues it. */
export const CONTINUE_WITHIN_MS = 5 * 60_000;

/**
 * Links a recording to the prefix it continues (issue 14): the latest recording of the same device
 * that was cut within CONTINUE_WITHIN_MS before this one began (or after: a worker's death is sealed
 * while the camera already publishes again), and not continued yet. Called when the recording
 * begins and again when it ends, like `linkOpenIncident`. Returns the link, if there is one.
 */
export async function linkContinuation(
  db: Q,
  id: string,
): Promise<{ recordingId: string; reason: CutReason } | null> {
  try {
    await db.query(
      `UPDATE recordings me SET continues_id = (
          SELECT p.id FROM recordings p
           WHERE p.device_id = me.device_id AND p.tenant_id = me.tenant_id AND p.id <> me.id
             AND p.cut_at IS NOT NULL AND p.cut_at >= me.started_at - make_interval(secs => $2::double precision / 1000)
             AND p.started_at < me.started_at
             AND NOT EXISTS (SELECT 1 FROM recordings c WHERE c.continues_id = p.id)
           ORDER BY p.cut_at DESC LIMIT 1)
        WHERE me.id = $1 AND me.continues_id IS NULL`,
      [id, CONTINUE_WITHIN_MS],
    );
  } catch (err) {
    // another recording took the same prefix at the same moment (unique index): not this one's
    if ((err as { code?: string }).code !== '23505') throw err;
  }
  const { rows } = await db.query<{ id: string; cut_reason: CutReason }>(
    `SELECT p.id, p.cut_reason FROM recordings me JOIN recordings p ON p.id = me.continues_id WHERE me.id = $1`,
    [id],
  );
  return rows[0] ? { recordingId: rows[0].id, reason: rows[0].cut_reason } : null;
}

/**
 * Links a recording without an incident to its device's open incident, if there is one. A camera's
 * recording usually opens an incident itself (`auto_incident_on`), which may land a moment after the
 * recording began, so the recorder links again at stop.
 */
export async function linkOpenIncident(db: Q, id: string): Promise<void> {
  await db.query(
    `UPDATE recordings r SET incident_id = (
        SELECT i.id FROM incidents i
         WHERE i.device_id = r.device_id AND i.tenant_id = r.tenant_id AND i.status <> 'closed'
         ORDER BY i.opened_at DESC LIMIT 1)
      WHERE r.id = $1 AND r.incident_id IS NULL`,
    [id],
  );
}

/**
 * Rows a previous run of a recorder left in state `recording` (the process was killed): marked
 * `incomplete` with the time and size of what reached the vault. Their video is a decryptable prefix.
 */
export async function finishOrphanedRecordings(
  db: Q,
  rows: { id: string; bytes: number; stoppedAt: number }[],
): Promise<number> {
  let n = 0;
  for (const r of rows) {
    const res = await db.query(
      `UPDATE recordings SET state = 'incomplete', stopped_at = $2, bytes = $3
        WHERE id = $1 AND state = 'recording'`,
      [r.id, new Date(r.stoppedAt), r.bytes],
    );
    n += res.rowCount ?? 0;
  }
  return n;
}

/**
 * Seconds of a device's pre-recording buffer the tenant allows at the start of a recording: 0 (off)
 * unless an administrator enabled it (`tenants.prerecord_s`). A device's claim is capped by it.
 */
export async function allowedPrerecordS(db: Q, tenantId: string, claimedS: number): Promise<number> {
  if (claimedS <= 0) return 0;
  const { rows } = await db.query('SELECT prerecord_s FROM tenants WHERE id = $1', [tenantId]);
  return Math.min(claimedS, Number(rows[0]?.prerecord_s ?? 0));
}
