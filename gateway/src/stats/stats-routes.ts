/**
 * Evaluation API (issue #8). Statistics are read by evaluators, supervisors and admins of the own
 * tenant (aggregates only: no names, device labels, video or exact positions; small cells null).
 * Baseline periods are entered by evaluators and admins. Reports are filed through the web form by
 * control-room roles for an officer (the device files its own over /device); evaluators never see
 * the pending list, which names units. Baseline writes and every statistics export (CSV, printable
 * report) are entries in the hash-chained audit log (§ 76 BDSG): a baseline and its entry commit in
 * one transaction; an export is answered only once its entry is committed.
 */
import { withTransaction } from '@lagebild/db';
import {
  BASELINE_ROLES,
  type BaselinePeriod,
  type BaselinesResponse,
  BreakdownDimension,
  CreateBaselineRequest,
  FileReportRequest,
  type FileReportResponse,
  type PendingEpisodesResponse,
  REPORT_ROLES,
  STATS_ROLES,
  StatsQuery,
  type StatsReport,
  type StatsTeamsResponse,
} from '@lagebild/protocol';
import { actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { fileReport } from './report-store.ts';
import {
  snapQuery,
  statsBreakdown,
  statsCsv,
  statsExport,
  statsHeatmap,
  statsSeries,
  statsSummary,
  statsTeams,
} from './stats-queries.ts';
import type { RouteDeps } from '../http/route-deps.ts';
import { parseInput, pathId } from '../http/validate.ts';

type Query = { Querystring: Record<string, string> };

export function registerStatsRoutes({ app, db, guard, audit, config }: RouteDeps): void {
  const pool = db.pool;
  const quietMs = config.EPISODE_QUIET_S * 1000;
  const readQuery = (raw: Record<string, string>) => {
    const { by: _by, ...rest } = raw;
    return parseInput(StatsQuery, rest, 'statistics filter');
  };

  app.get<Query>('/api/stats/summary', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsSummary(pool, user.tenant.id, readQuery(req.query), quietMs);
  });
  app.get<Query>('/api/stats/series', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsSeries(pool, user.tenant.id, readQuery(req.query));
  });
  app.get<Query>('/api/stats/heatmap', async (req) => {
    const user = await guard(req, STATS_ROLES);
    return statsHeatmap(pool, user.tenant.id, readQuery(req.query));
  });
  app.get<Query>('/api/stats/breakdown', async (req) => {
    const user = await guard(req, STATS_ROLES);
    const by = parseInput(BreakdownDimension, req.query.by, 'breakdown dimension (by)');
    return statsBreakdown(pool, user.tenant.id, readQuery(req.query), by);
  });
  app.get('/api/stats/teams', async (req): Promise<StatsTeamsResponse> => {
    const user = await guard(req, STATS_ROLES);
    return { teams: await statsTeams(pool, user.tenant.id) };
  });
  /** An export leaves the system as a file or on paper: audited before it is answered. */
  const auditExport = (user: { tenant: { id: string }; username: string }, format: string, q: StatsQuery) =>
    audit.append({
      tenantId: user.tenant.id,
      actor: actorOf(user),
      action: 'stats_exported',
      payload: { format, query: snapQuery(q) },
    });

  app.get<Query>('/api/stats/export.csv', async (req, reply) => {
    const user = await guard(req, STATS_ROLES);
    const q = readQuery(req.query);
    const { summary, series } = await statsExport(pool, user.tenant.id, q, quietMs);
    await auditExport(user, 'csv', q);
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="lagebild-${user.tenant.slug}-${q.from}-${q.to}.csv"`,
      );
    return statsCsv(summary, series);
  });
  // the printable report loads its figures here in one answer, so printing is one audited export
  app.get<Query>('/api/stats/report', async (req): Promise<StatsReport> => {
    const user = await guard(req, STATS_ROLES);
    const q = readQuery(req.query);
    const [summary, series, heat, byContext] = await Promise.all([
      statsSummary(pool, user.tenant.id, q, quietMs),
      statsSeries(pool, user.tenant.id, q),
      statsHeatmap(pool, user.tenant.id, q),
      statsBreakdown(pool, user.tenant.id, q, 'context'),
    ]);
    await auditExport(user, 'report', q);
    return { summary, series, heat, byContext };
  });

  const toBaseline = (r: {
    id: string;
    label: string;
    starts_on: string;
    ends_on: string;
    officer_hours: number;
    assaults: number;
    note: string;
    created_at: Date;
  }): BaselinePeriod => ({
    id: r.id,
    label: r.label,
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    officerHours: r.officer_hours,
    assaults: r.assaults,
    note: r.note,
    createdAt: r.created_at.getTime(),
  });
  const BASELINE_COLUMNS = `id, label, to_char(starts_on, 'YYYY-MM-DD') AS starts_on, to_char(ends_on, 'YYYY-MM-DD') AS ends_on,
    officer_hours, assaults, note, created_at`;

  app.get('/api/baselines', async (req): Promise<BaselinesResponse> => {
    const user = await guard(req, STATS_ROLES);
    const { rows } = await pool.query(
      `SELECT ${BASELINE_COLUMNS} FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on, created_at`,
      [user.tenant.id],
    );
    return { baselines: rows.map(toBaseline) };
  });
  app.post('/api/baselines', async (req, reply): Promise<BaselinePeriod> => {
    const user = await guard(req, BASELINE_ROLES);
    const b = parseInput(CreateBaselineRequest, req.body);
    const created = await withTransaction(pool, async (c) => {
      const { rows } = await c.query(
        `INSERT INTO baseline_periods (tenant_id, label, starts_on, ends_on, officer_hours, assaults, note, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${BASELINE_COLUMNS}`,
        [user.tenant.id, b.label, b.startsOn, b.endsOn, b.officerHours, b.assaults, b.note, user.id],
      );
      const baseline = toBaseline(rows[0]);
      await audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'baseline_created',
          target: `baseline:${baseline.id}`,
          payload: {
            label: b.label,
            startsOn: b.startsOn,
            endsOn: b.endsOn,
            officerHours: b.officerHours,
            assaults: b.assaults,
          },
        },
      ]);
      return baseline;
    });
    reply.code(201);
    return created;
  });
  app.delete<{ Params: { id: string } }>('/api/baselines/:id', async (req, reply) => {
    const user = await guard(req, BASELINE_ROLES);
    const id = pathId(req.params.id, 'baseline period');
    await withTransaction(pool, async (c) => {
      // scoped by tenant: another tenant's id is simply not found
      const { rows } = await c.query<{ label: string }>(
        'DELETE FROM baseline_periods WHERE id = $1 AND tenant_id = $2 RETURNING label',
        [id, user.tenant.id],
      );
      if (rows.length === 0) throw new AppError('not_found', 'baseline period not found');
      await audit.appendIn(c, [
        {
          tenantId: user.tenant.id,
          actor: actorOf(user),
          action: 'baseline_deleted',
          target: `baseline:${id}`,
          payload: { label: rows[0]!.label },
        },
      ]);
    });
    return reply.code(204).send();
  });

  app.get('/api/reports/pending', async (req): Promise<PendingEpisodesResponse> => {
    const user = await guard(req, REPORT_ROLES);
    const { rows } = await pool.query<{
      device_id: string;
      callsign: string | null;
      team: string | null;
      started_at: Date;
      ended_at: Date | null;
      max_stage: 'display' | 'recording';
    }>(
      `SELECT e.device_id, u.callsign, e.team, e.started_at, e.ended_at, e.max_stage
         FROM episodes e LEFT JOIN units u ON u.id = e.unit_id
        WHERE e.tenant_id = $1 AND e.report_id IS NULL AND e.started_at > now() - interval '24 hours'
        ORDER BY e.started_at DESC LIMIT 200`,
      [user.tenant.id],
    );
    return {
      episodes: rows.map((r) => ({
        deviceId: r.device_id,
        callsign: r.callsign,
        team: r.team,
        startedAt: r.started_at.getTime(),
        endedAt: r.ended_at?.getTime() ?? null,
        maxStage: r.max_stage,
      })),
    };
  });
  app.post('/api/reports', async (req, reply): Promise<FileReportResponse> => {
    const user = await guard(req, REPORT_ROLES);
    const { deviceId, ...report } = parseInput(FileReportRequest, req.body);
    const device = await pool.query<{ tenant_id: string }>('SELECT tenant_id FROM devices WHERE id = $1', [
      deviceId,
    ]);
    if (device.rows[0]?.tenant_id !== user.tenant.id) throw new AppError('not_found', 'device not found');
    const r = await fileReport(pool, {
      tenantId: user.tenant.id,
      deviceId,
      report,
      source: 'form',
      userId: user.id,
    });
    reply.code(r.duplicate ? 200 : 201);
    return { reportId: report.reportId, ...r };
  });
}
