/**
 * The evaluation pages' filter (period, team, context, weekday, hour) as state and as the query
 * string the statistics API and the printable report share, plus number formatting for figures.
 */
import { StatsQuery } from '@lagebild/protocol';
import { type Language, localeOf } from './i18n.ts';

export type EvaluationFilter = StatsQuery;

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The last 26 weeks up to today: a pilot of 3.5 months fits in. */
export function defaultFilter(now: Date): EvaluationFilter {
  const from = new Date(now.getTime() - 26 * 7 * 86_400_000);
  return { from: day(from), to: day(now) };
}

export function filterToQuery(f: EvaluationFilter): string {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  if (f.team !== undefined) p.set('team', f.team);
  if (f.context !== undefined) p.set('context', f.context);
  if (f.weekday !== undefined) p.set('weekday', String(f.weekday));
  if (f.hour !== undefined) p.set('hour', String(f.hour));
  return p.toString();
}

/** Reads a filter from a query string; anything invalid falls back to the default period. */
export function filterFromQuery(search: string, now: Date): EvaluationFilter {
  const raw = Object.fromEntries(
    [...new URLSearchParams(search)].filter(
      ([k, v]) => v !== '' && ['from', 'to', 'team', 'context', 'weekday', 'hour'].includes(k),
    ),
  );
  const parsed = StatsQuery.safeParse({ ...defaultFilter(now), ...raw });
  return parsed.success ? parsed.data : defaultFilter(now);
}

export function formatPercent(x: number | null | undefined, lang: Language, digits = 1): string {
  if (x === null || x === undefined) return '–';
  return new Intl.NumberFormat(localeOf(lang), {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(x);
}

export function formatNumber(x: number | null | undefined, lang: Language, digits = 0): string {
  if (x === null || x === undefined) return '–';
  return new Intl.NumberFormat(localeOf(lang), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(x);
}

/** "27.10." / "27/10" style short date of a YYYY-MM-DD day for chart axes. */
export function formatShortDay(dayString: string, lang: Language): string {
  const [y, m, d] = dayString.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(localeOf(lang), {
    day: '2-digit',
    month: '2-digit',
    timeZone: 'UTC',
  }).format(Date.UTC(y, m - 1, d));
}
