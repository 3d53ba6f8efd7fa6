/**
 * The WHERE clauses of a statistics query over each of its three sources, as parameterised
 * fragments: episodes (local day, weekday and hour fixed at derivation), officer-hours (closed hours
 * rolled up, plus the hour slices of open shifts) and recordings (local time of the start; team by
 * the unit, context through the camera's episode). A query has at most one filter (StatsQuery).
 */
import type { StatsQuery } from '@lagebild/protocol';
import { and, empty, join, localDayEnd, localDayStart, localTime, raw, type Sql, sql } from './sql.ts';

/** Closed episodes of the tenant in the period and filter; `context` applies to episodes only. */
export function episodeWhere(tenantId: string, q: StatsQuery): Sql {
  const parts = [sql`tenant_id = ${tenantId}`, sql`closed`, sql`local_day BETWEEN ${q.from} AND ${q.to}`];
  if (q.team !== undefined) parts.push(sql`team = ${q.team}`);
  if (q.context === 'unreported') parts.push(sql`context IS NULL`);
  else if (q.context !== undefined) parts.push(sql`context = ${q.context}::"IncidentContext"`);
  if (q.weekday !== undefined) parts.push(sql`local_weekday = ${q.weekday}`);
  if (q.hour !== undefined) parts.push(sql`local_hour = ${q.hour}`);
  return and(parts);
}

/**
 * Hour slices (local_day, local_weekday, local_hour) in the period and filter; officer-hours have no
 * context, so a context filter leaves them whole. `team` names the table whose `team` column counts
 * (the slice's own for the roll-up, the unit's for an open shift).
 */
export function officerHoursWhere(q: StatsQuery, cols: { slice: string; team: string }): Sql {
  const slice = raw(cols.slice);
  const parts = [sql`${slice}.local_day BETWEEN ${q.from} AND ${q.to}`];
  if (q.team !== undefined) parts.push(sql`${raw(cols.team)}.team = ${q.team}`);
  if (q.weekday !== undefined) parts.push(sql`${slice}.local_weekday = ${q.weekday}`);
  if (q.hour !== undefined) parts.push(sql`${slice}.local_hour = ${q.hour}`);
  return and(parts);
}

/** Seconds either side of an episode within which a recording's start still belongs to it. */
export const EPISODE_SLACK_S = 120;

/** A recording's start (`r.started_at`) in local time. */
export const RECORDING_LOCAL_START = localTime('r.started_at');

/** The camera's episode containing the moment it was switched to recording (nearest one), as `ep`. */
export const RECORDING_EPISODE = sql`LATERAL (
        SELECT e.context, true AS found FROM episodes e
         WHERE e.device_id = r.device_id AND e.tenant_id = r.tenant_id
           AND e.started_at <= r.started_at + make_interval(secs => r.prerecord_s + ${raw(String(EPISODE_SLACK_S))})
           AND (e.ended_at IS NULL
                OR e.ended_at >= r.started_at + make_interval(secs => r.prerecord_s - ${raw(String(EPISODE_SLACK_S))}))
         ORDER BY abs(extract(epoch FROM e.started_at - r.started_at) - r.prerecord_s)
         LIMIT 1) ep`;

/**
 * The team of the unit's shift the recording was made under, as `rs.team`: a shift keeps the team
 * it began with (migration 0015), so a team renamed or a unit moved later does not move old
 * recordings. A recording without a unit has no team.
 */
export const RECORDING_SHIFT_TEAM = sql`LATERAL (
        SELECT s.team FROM shifts s
         WHERE s.unit_id = r.unit_id AND s.device_id = r.device_id AND s.started_at <= r.started_at
         ORDER BY s.started_at DESC LIMIT 1) rs`;

/** The joins and WHERE clause that select the tenant's recordings (as `r`) in the period and filter. */
export function recordingSelection(tenantId: string, q: StatsQuery): { joins: Sql; where: Sql } {
  const where = [
    sql`r.tenant_id = ${tenantId}`,
    sql`r.started_at >= ${localDayStart(q.from)}`,
    sql`r.started_at < ${localDayEnd(q.to)}`,
  ];
  const joins: Sql[] = [];
  if (q.team !== undefined) {
    joins.push(sql`JOIN ${RECORDING_SHIFT_TEAM} ON true`);
    where.push(sql`rs.team = ${q.team}`);
  }
  if (q.context !== undefined) {
    joins.push(sql`JOIN ${RECORDING_EPISODE} ON true`);
    where.push(
      q.context === 'unreported'
        ? sql`ep.context IS NULL`
        : sql`ep.context = ${q.context}::"IncidentContext"`,
    );
  }
  if (q.weekday !== undefined) where.push(sql`extract(isodow FROM ${RECORDING_LOCAL_START}) = ${q.weekday}`);
  if (q.hour !== undefined) where.push(sql`extract(hour FROM ${RECORDING_LOCAL_START}) = ${q.hour}`);
  return { joins: joins.length === 0 ? empty : join(joins, ' '), where: and(where) };
}
