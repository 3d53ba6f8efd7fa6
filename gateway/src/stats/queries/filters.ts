/**
 * What a statistics query asks for, before any SQL: its period widened to whole ISO months (what
 * every answer is about) and its one filter, if any, as dimension and value.
 */
import type { BreakdownDimension, StatsQuery } from '@lagebild/protocol';
import { snapPeriod } from '@lagebild/stats';

/** The dimensions whose values the disclosure control groups: the filters plus the heat map's grid cell. */
export type Dimension = BreakdownDimension | 'cell';

export interface Filter {
  dim: BreakdownDimension;
  /** the value as the disclosure control's atoms spell it */
  value: string;
}

/** The query's one filter as dimension and value (the value as the atoms spell it), if any. */
export function filterOf(q: StatsQuery): Filter | null {
  if (q.team !== undefined) return { dim: 'team', value: q.team };
  if (q.context !== undefined) return { dim: 'context', value: q.context };
  if (q.weekday !== undefined) return { dim: 'weekday', value: String(q.weekday) };
  if (q.hour !== undefined) return { dim: 'hour', value: String(q.hour) };
  return null;
}

/** The query with its period widened to whole ISO months (what every answer is about). */
export function snapQuery(q: StatsQuery): StatsQuery {
  return { ...q, ...snapPeriod(q.from, q.to) };
}
