/**
 * Recording rows in PostgreSQL (plain SQL, like the other hot paths). Created and completed by
 * `@lagebild/recordings` (the SFU's recorder and the import); the library, retention and four-eyes
 * code read and change rows here. Times are epoch ms at the boundary.
 */
import type { RecordingView, RetentionClass } from '@lagebild/protocol';
import type pg from 'pg';

type Q = Pick<pg.Pool, 'query'>;

export interface RecordingRow {
  id: string;
  tenantId: string;
  deviceId: string;
  state: RecordingView['state'];
  retention: RetentionClass;
  startedAt: number;
  deleteAt: number | null;
  mediaType: string;
  bytes: number;
}

// The row's own transitions live with the recorder's sequence, shared with the SFU.
export { beginRecording, completeRecording } from '@lagebild/recordings';

const ms = (d: Date | null) => (d ? d.getTime() : null);

export async function getRecordingRow(db: Q, id: string): Promise<RecordingRow | null> {
  const { rows } = await db.query(
    'SELECT id, tenant_id, device_id, state, retention, started_at, delete_at, media_type, bytes FROM recordings WHERE id = $1',
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    deviceId: r.device_id,
    state: r.state,
    retention: r.retention,
    startedAt: r.started_at.getTime(),
    deleteAt: ms(r.delete_at),
    mediaType: r.media_type,
    bytes: Number(r.bytes),
  };
}

export interface RecordingFilter {
  tenantId: string;
  unitId?: string;
  incidentId?: string;
  retention?: RetentionClass;
  state?: RecordingView['state'];
  from?: number;
  to?: number;
  limit: number;
}

export async function listRecordings(db: Q, f: RecordingFilter): Promise<RecordingView[]> {
  const where = ['r.tenant_id = $1'];
  const args: unknown[] = [f.tenantId];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (f.unitId) add('r.unit_id = ?', f.unitId);
  if (f.incidentId) add('r.incident_id = ?', f.incidentId);
  if (f.retention) add('r.retention = ?', f.retention);
  if (f.state) add('r.state = ?', f.state);
  if (f.from !== undefined) add('r.started_at >= ?', new Date(f.from));
  if (f.to !== undefined) add('r.started_at < ?', new Date(f.to));
  args.push(f.limit);
  const { rows } = await db.query(
    `SELECT r.*, d.label AS device_label, u.callsign,
            (SELECT c.id FROM recordings c WHERE c.continues_id = r.id) AS continued_by
       FROM recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN units u ON u.id = r.unit_id
      WHERE ${where.join(' AND ')} ORDER BY r.started_at DESC LIMIT $${args.length}`,
    args,
  );
  return rows.map(toView);
}

export async function getRecordingView(db: Q, id: string): Promise<RecordingView | null> {
  const { rows } = await db.query<RecordingViewRow>(
    `SELECT r.*, d.label AS device_label, u.callsign,
            (SELECT c.id FROM recordings c WHERE c.continues_id = r.id) AS continued_by
       FROM recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN units u ON u.id = r.unit_id
      WHERE r.id = $1`,
    [id],
  );
  return rows[0] ? toView(rows[0]) : null;
}

/** Several recordings' views in one query (a page of approvals), keyed by id; unknown ids are absent. */
export async function getRecordingViews(db: Q, ids: readonly string[]): Promise<Map<string, RecordingView>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<RecordingViewRow>(
    `SELECT r.*, d.label AS device_label, u.callsign,
            (SELECT c.id FROM recordings c WHERE c.continues_id = r.id) AS continued_by
       FROM recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN units u ON u.id = r.unit_id
      WHERE r.id = ANY($1::uuid[])`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, toView(r)]));
}

/** The columns of a recording's view: its row with the device's label and the unit's callsign. */
interface RecordingViewRow {
  id: string;
  device_id: string;
  device_label: string;
  unit_id: string | null;
  callsign: string | null;
  incident_id: string | null;
  started_at: Date;
  stopped_at: Date | null;
  bytes: string | number;
  state: RecordingView['state'];
  retention: RetentionClass;
  case_reference: string | null;
  retention_reason: string | null;
  delete_at: Date | null;
  deleted_at: Date | null;
  media_type: string;
  cut_reason: RecordingView['cutReason'];
  continues_id: string | null;
  continued_by: string | null;
}

function toView(r: RecordingViewRow): RecordingView {
  const started = r.started_at.getTime();
  const stopped = ms(r.stopped_at);
  return {
    id: r.id,
    deviceId: r.device_id,
    deviceLabel: r.device_label,
    unitId: r.unit_id,
    callsign: r.callsign ?? null,
    incidentId: r.incident_id,
    startedAt: started,
    stoppedAt: stopped,
    durationS: stopped === null ? null : Math.round((stopped - started) / 100) / 10,
    bytes: Number(r.bytes),
    state: r.state,
    retention: r.retention,
    caseReference: r.case_reference,
    retentionReason: r.retention_reason,
    deleteAt: r.state === 'deleted' ? null : ms(r.delete_at),
    deletedAt: ms(r.deleted_at),
    mediaType: r.media_type,
    cutReason: r.cut_reason,
    continues: r.continues_id,
    continuedBy: r.continued_by,
  };
}
