/**
 * Officers' reports after an episode, from the device (`report` on /device) or the web form. The
 * sender's reportId makes a resend a no-op. The report is stored for the tenant and copied onto the
 * episode it falls into (now if the episode is derived already, else by the episode builder).
 */
import type { DeviceReport } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import { attachReports } from './episode-derivation.ts';

export interface FiledReport {
  duplicate: boolean;
  /** an episode containing episodeAt exists (it got the report) */
  matched: boolean;
}

export async function fileReport(
  pool: pg.Pool,
  r: {
    tenantId: string;
    deviceId: string;
    report: DeviceReport;
    source: 'device' | 'form';
    userId: string | null;
  },
): Promise<FiledReport> {
  const { report } = r;
  const ins = await pool.query(
    `INSERT INTO episode_reports (id, tenant_id, device_id, episode_at, assault, context, announcement_given,
       note, source, filed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
    [
      report.reportId,
      r.tenantId,
      r.deviceId,
      new Date(report.episodeAt),
      report.assault,
      report.context,
      report.announcementGiven,
      report.note,
      r.source,
      r.userId,
    ],
  );
  const duplicate = ins.rowCount === 0;
  if (duplicate) {
    const existing = await pool.query<{ device_id: string }>(
      'SELECT device_id FROM episode_reports WHERE id = $1',
      [report.reportId],
    );
    if (existing.rows[0]?.device_id !== r.deviceId) {
      throw new AppError('conflict', 'reportId already used for another device; choose a new id');
    }
  }
  const ep = await pool.query<{ start_seq: string }>(
    `SELECT start_seq FROM episodes WHERE device_id = $1 AND started_at <= $2
        AND COALESCE(ended_at, 'infinity'::timestamptz) >= $2 ORDER BY start_seq DESC LIMIT 1`,
    [r.deviceId, new Date(report.episodeAt)],
  );
  const seq = ep.rows[0]?.start_seq;
  if (seq !== undefined) await attachReports(pool, r.deviceId, Number(seq));
  return { duplicate, matched: seq !== undefined };
}
