/**
 * Evaluation: officers' reports after an episode (device `report` event and the HTTP form), baseline
 * periods, and the statistics API for evaluators. Statistics never carry names, device labels, video
 * or exact positions; cells with fewer than `minCell` episodes come back as null (suppressed), and so
 * does any figure that could be combined with others to compute such a cell (see
 * packages/stats/src/disclosure-control.ts for the method).
 */
import { z } from 'zod';
import { EpochMs, ErrorCode, Id, type Role, Stage } from './common.ts';

export const Assault = z.enum(['none', 'verbal', 'physical']);
export type Assault = z.infer<typeof Assault>;

export const IncidentContext = z.enum([
  'traffic_control',
  'regulatory_offence',
  'problem_district',
  'large_event',
  'other',
]);
export type IncidentContext = z.infer<typeof IncidentContext>;

/** Roles that read statistics; supervisors and admins too, as all of it is aggregated. */
export const STATS_ROLES: readonly Role[] = ['evaluator', 'supervisor', 'admin'];
/** Roles that enter baseline periods. */
export const BASELINE_ROLES: readonly Role[] = ['evaluator', 'admin'];
/** Roles that file a report on behalf of an officer through the web form (the officer at the station). */
export const REPORT_ROLES: readonly Role[] = ['supervisor', 'operator', 'admin'];

/**
 * An officer's short report after an episode. `reportId` is chosen by the sender and makes a resend
 * idempotent; `episodeAt` is any device time inside the episode (its start, normally). The note stays
 * in the tenant and is never part of statistics.
 */
export const DeviceReport = z.strictObject({
  reportId: Id,
  episodeAt: EpochMs,
  assault: Assault,
  context: IncidentContext,
  announcementGiven: z.boolean(),
  note: z.string().max(1000).default(''),
});
export type DeviceReport = z.infer<typeof DeviceReport>;
export type DeviceReportInput = z.input<typeof DeviceReport>;

export const ReportAck = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), reportId: Id, duplicate: z.boolean() }),
  z.object({ ok: z.literal(false), code: ErrorCode, message: z.string(), retry: z.boolean() }),
]);
export type ReportAck = z.infer<typeof ReportAck>;

/** POST /api/reports: the web form files for a device's episode. */
export const FileReportRequest = DeviceReport.extend({ deviceId: Id });
export type FileReportRequest = z.infer<typeof FileReportRequest>;
export const FileReportResponse = z.object({ reportId: Id, duplicate: z.boolean(), matched: z.boolean() });
export type FileReportResponse = z.infer<typeof FileReportResponse>;

/** GET /api/reports/pending: recent episodes of the tenant still without a report (live roles). */
export const PendingEpisode = z.object({
  deviceId: Id,
  callsign: z.string().nullable(),
  team: z.string().nullable(),
  startedAt: EpochMs,
  endedAt: EpochMs.nullable(),
  maxStage: Stage,
});
export type PendingEpisode = z.infer<typeof PendingEpisode>;
export const PendingEpisodesResponse = z.object({ episodes: z.array(PendingEpisode) });
export type PendingEpisodesResponse = z.infer<typeof PendingEpisodesResponse>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/**
 * Why a figure is null: `small_cell` fewer than minCell episodes (recordings) in it; `protects_small_cell`
 * it could be combined with other figures to compute a cell below minCell (complementary
 * suppression), it is part of a coarser figure only; `combined_filters` a breakdown or heat map
 * does not combine with a filter on another dimension.
 */
export const SuppressionReason = z.enum(['small_cell', 'protects_small_cell', 'combined_filters']);
export type SuppressionReason = z.infer<typeof SuppressionReason>;

/** The filter dimensions; a query uses at most one of them. */
export const FILTER_DIMENSIONS = ['team', 'context', 'weekday', 'hour'] as const;

/**
 * Filters of every statistics view (query string). Days are local (Europe/Berlin), `to` inclusive.
 * The gateway widens the period to whole ISO months (the weeks whose Thursday is in the month) and
 * answers with the widened period in `query`; at most one of team, context, weekday and hour.
 */
export const StatsQuery = z
  .strictObject({
    from: Day,
    to: Day,
    team: z.string().min(1).max(100).optional(),
    context: z.union([IncidentContext, z.literal('unreported')]).optional(),
    weekday: z.coerce.number().int().min(1).max(7).optional(),
    hour: z.coerce.number().int().min(0).max(23).optional(),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => FILTER_DIMENSIONS.filter((d) => q[d] !== undefined).length <= 1, {
    message:
      'filter by one of team, context, weekday or hour at a time (combined filters single out small groups)',
    path: ['team'],
  })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 3 * 366 * 86_400_000, {
    message: 'at most three years at once',
    path: ['to'],
  });
export type StatsQuery = z.infer<typeof StatsQuery>;

const Proportion = z.object({
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
  successes: z.number().int(),
  n: z.number().int(),
});
export type Proportion = z.infer<typeof Proportion>;

export const BaselineComparison = z.object({
  baselineId: Id,
  label: z.string(),
  baselineAssaults: z.number().int(),
  baselineOfficerHours: z.number(),
  baselinePer1000h: z.number(),
  pilotAssaults: z.number().int(),
  pilotOfficerHours: z.number(),
  pilotPer1000h: z.number().nullable(),
  /** pilot rate ÷ baseline rate with a 95 % interval; < 1 means fewer assaults per hour on duty */
  rateRatio: z
    .object({ ratio: z.number(), low: z.number(), high: z.number(), corrected: z.boolean() })
    .nullable(),
});
export type BaselineComparison = z.infer<typeof BaselineComparison>;

/**
 * What became of the recordings (rows of the recordings table, which keep their metadata after the
 * video is crypto-shredded), counted by the local day, weekday and hour of the recording's start.
 * Every figure is null when fewer than minCell recordings match (the whole block, like a cell).
 */
export const RetentionFigures = z.object({
  /** recordings started in the selection */
  total: z.number().int().nullable(),
  /** held as evidence, legal hold included: never deleted by the sweeper */
  kept: z.number().int().nullable(),
  /** of kept, under legal hold */
  legalHold: z.number().int().nullable(),
  /** video deleted (crypto-shredded); deletedByRetention + deletedEarly */
  deleted: z.number().int().nullable(),
  /** deleted by the retention sweeper when the period ran out */
  deletedByRetention: z.number().int().nullable(),
  /** deleted before the period ended, after a four-eyes request and consent */
  deletedEarly: z.number().int().nullable(),
  /** standard class and not deleted: still within the retention period (or being recorded) */
  pending: z.number().int().nullable(),
});
export type RetentionFigures = z.infer<typeof RetentionFigures>;

export const RetentionSummary = RetentionFigures.extend({
  /** fewer than minCell recordings match, or the figures would reveal a small cell: every figure is null */
  suppressed: z.boolean(),
  suppressedReason: SuppressionReason.nullable(),
  /**
   * How the filters reach recordings: period, weekday and hour by the recording's start (local
   * time), team by the unit on shift with the camera when it began. A recording has no context of
   * its own: under a context filter it counts with the episode of the same camera that contains its
   * start (±2 min for clock differences); recordings without such an episode are left out then.
   */
  contextFrom: z.literal('episode'),
});
export type RetentionSummary = z.infer<typeof RetentionSummary>;

export const StatsSummary = z.object({
  query: StatsQuery,
  quietSeconds: z.number(),
  minCell: z.number().int(),
  /** fewer than minCell episodes match, or the figures would reveal a small cell: every episode figure is null */
  suppressed: z.boolean(),
  suppressedReason: SuppressionReason.nullable(),
  officerHours: z.number(),
  funnel: z.object({
    /** closed episodes (left standby) */
    episodes: z.number().int().nullable(),
    /** display shown before any recording: the de-escalation attempts */
    display: z.number().int().nullable(),
    /** of those, escalated to recording */
    displayThenRecording: z.number().int().nullable(),
    /** recording without display first (imminent danger) */
    directRecording: z.number().int().nullable(),
  }),
  /** display episodes ended without recording and without a reported assault, Wilson 95 % */
  deescalation: Proportion.nullable(),
  recordings: z.number().int().nullable(),
  recordingsPer1000h: z.number().nullable(),
  assaults: z.object({ verbal: z.number().int(), physical: z.number().int() }).nullable(),
  assaultsPer1000h: z.number().nullable(),
  displayToRecording: z.object({ medianS: z.number(), p90S: z.number(), n: z.number().int() }).nullable(),
  announcedShare: Proportion.nullable(),
  reportsFiledShare: z.number().nullable(),
  comparisons: z.array(BaselineComparison),
  /** recordings kept as evidence vs deleted vs still within retention (own privacy gate) */
  retention: RetentionSummary,
});
export type StatsSummary = z.infer<typeof StatsSummary>;

export const SeriesPoint = z.object({
  /** first local day (a Monday) of the point's week, or of its ISO month when the series is by month */
  weekStart: Day,
  /** why the episode figures are null, or null when they are shown */
  suppressed: SuppressionReason.nullable(),
  episodes: z.number().int().nullable(),
  display: z.number().int().nullable(),
  recordings: z.number().int().nullable(),
  assaults: z.number().int().nullable(),
  deescalationRate: z.number().nullable(),
  officerHours: z.number(),
  /** recordings started in the week and what became of them; null figures below minCell */
  retention: RetentionFigures,
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;
/** Per week without a filter; per ISO month under a filter (weeks of one team would be small cells). */
export const StatsSeries = z.object({
  query: StatsQuery,
  bin: z.enum(['week', 'month']),
  points: z.array(SeriesPoint),
});
export type StatsSeries = z.infer<typeof StatsSeries>;

export const HeatCell = z.object({
  row: z.number().int(),
  col: z.number().int(),
  episodes: z.number().int(),
});
export const StatsHeatmap = z.object({
  query: StatsQuery,
  cellLatDeg: z.number(),
  cellLngDeg: z.number(),
  /** only cells with at least minCell episodes that reveal no small cell */
  cells: z.array(HeatCell),
  suppressedCells: z.number().int(),
  /** episodes with a position outside the cells shown; null when the period's total is not shown */
  suppressedEpisodes: z.number().int().nullable(),
  /** `combined_filters` when the query has a filter: the map is not shown at all then */
  suppressed: SuppressionReason.nullable(),
});
export type StatsHeatmap = z.infer<typeof StatsHeatmap>;

export const BreakdownDimension = z.enum(['team', 'context', 'weekday', 'hour']);
export type BreakdownDimension = z.infer<typeof BreakdownDimension>;
export const BreakdownRow = z.object({
  key: z.string(),
  suppressed: SuppressionReason.nullable(),
  episodes: z.number().int().nullable(),
  display: z.number().int().nullable(),
  recordings: z.number().int().nullable(),
  deescalationRate: z.number().nullable(),
});
export const StatsBreakdown = z.object({
  query: StatsQuery,
  by: BreakdownDimension,
  /** `combined_filters` when the query filters another dimension: no rows then */
  suppressed: SuppressionReason.nullable(),
  rows: z.array(BreakdownRow),
});
export type StatsBreakdown = z.infer<typeof StatsBreakdown>;

/**
 * GET /api/stats/report: everything the printable report shows, in one answer, so that printing a
 * report is one audited export (§ 76 BDSG) like the CSV.
 */
export const StatsReport = z.object({
  summary: StatsSummary,
  series: StatsSeries,
  heat: StatsHeatmap,
  byContext: StatsBreakdown,
});
export type StatsReport = z.infer<typeof StatsReport>;

/** Teams of the tenant, for the filter (team names are not personal data). */
export const StatsTeamsResponse = z.object({ teams: z.array(z.string()) });
export type StatsTeamsResponse = z.infer<typeof StatsTeamsResponse>;

export const BaselinePeriod = z.object({
  id: Id,
  label: z.string(),
  startsOn: Day,
  endsOn: Day,
  officerHours: z.number(),
  assaults: z.number().int(),
  note: z.string(),
  createdAt: EpochMs,
});
export type BaselinePeriod = z.infer<typeof BaselinePeriod>;

export const CreateBaselineRequest = z
  .strictObject({
    label: z.string().trim().min(1).max(120),
    startsOn: Day,
    endsOn: Day,
    officerHours: z.number().positive().max(10_000_000),
    assaults: z.number().int().min(0).max(1_000_000),
    note: z.string().max(2000).default(''),
  })
  .refine((b) => b.startsOn <= b.endsOn, {
    message: 'startsOn must not be after endsOn',
    path: ['startsOn'],
  });
export type CreateBaselineRequest = z.infer<typeof CreateBaselineRequest>;

export const BaselinesResponse = z.object({ baselines: z.array(BaselinePeriod) });
export type BaselinesResponse = z.infer<typeof BaselinesResponse>;
