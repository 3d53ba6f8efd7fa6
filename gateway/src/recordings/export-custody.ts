/**
 * A recording's chain of custody for its export bundle (issue 13): every audit entry about it —
 * target `recording:<id>` (recorded, sealed, played, exported, marked as evidence, four-eyes,
 * released) and the `live_watch` entries of its device while it recorded — and, so that a
 * recipient can check them without the database, every entry in between up to a signed
 * checkpoint taken now. Entries in between that are not about the recording ship without their
 * payload: the hash covers the payload's hash, which they keep. The checkpoint carries its RFC 3161
 * time stamp and the TSA's CA certificate when the TSA answers (`stamp`), so the bundle's README
 * commands prove when the whole chain existed.
 */
import {
  type AuditRecord,
  checkpointNow,
  entryHashInput,
  liveWatchTarget,
  recordFromRow,
} from '@lagebild/audit';
import { type CustodyChain, canonicalJson, type Signer } from '@lagebild/vault';
import type pg from 'pg';
import type { StampCheckpoint } from '../audit/audit-anchoring.ts';

/** a watch authorised shortly before the recording began is part of its custody too */
const LIVE_WATCH_SLACK_MS = 10 * 60_000;

export async function recordingCustody(
  pool: pg.Pool,
  signer: Signer,
  rec: { id: string; deviceId: string; startedAt: number; stoppedAt: number | null },
  stamp?: StampCheckpoint,
): Promise<CustodyChain | null> {
  const about = (e: Pick<AuditRecord, 'action' | 'target' | 'at'>) =>
    e.target === `recording:${rec.id}` ||
    (e.action === 'live_watch' &&
      e.target === liveWatchTarget(rec.deviceId) &&
      e.at >= rec.startedAt - LIVE_WATCH_SLACK_MS &&
      e.at <= (rec.stoppedAt ?? Date.now()));
  const first = await pool.query<{ seq: string }>(
    `SELECT min(seq) AS seq FROM audit_log
      WHERE target = $1
         OR (action = 'live_watch' AND target = $2 AND at BETWEEN $3 AND $4)`,
    [
      `recording:${rec.id}`,
      liveWatchTarget(rec.deviceId),
      new Date(rec.startedAt - LIVE_WATCH_SLACK_MS),
      new Date(rec.stoppedAt ?? Date.now()),
    ],
  );
  const firstSeq = Number(first.rows[0]?.seq ?? 0);
  if (!firstSeq) return null;
  // a checkpoint of the head as it is now: it covers the export entry written just before
  const checkpoint = await checkpointNow(pool, signer);
  if (!checkpoint) return null;
  const { rows } = await pool.query('SELECT * FROM audit_log WHERE seq BETWEEN $1 AND $2 ORDER BY seq', [
    firstSeq,
    checkpoint.seq,
  ]);
  const entries = rows.map((row) => {
    const e = recordFromRow(row);
    return {
      seq: e.seq,
      hashInput: entryHashInput(e),
      payload: about(e) && e.payload !== null ? canonicalJson(e.payload) : null,
    };
  });
  const timestamp = stamp ? await stamp(checkpoint) : null;
  return {
    entries,
    checkpoint: {
      statement: checkpoint.statement,
      signature: Buffer.from(checkpoint.signature, 'base64'),
      ...(timestamp ? { timestamp } : {}),
    },
  };
}
