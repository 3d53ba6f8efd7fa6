/**
 * Searching, filtering, counting and ordering the unit list. Order is by urgency: emergencies first,
 * then recordings, then display, then standby; within a group by call sign in natural order
 * ("KOD 2" before "KOD 10").
 */
import type { UnitLive } from '@lagebild/protocol';
import { freshnessOf } from './staleness.ts';
import { collateLabels, createUnitOrder, labelOf, statusOf, type UnitStatus, URGENCY } from './unit-order.ts';

export { labelOf, statusOf, type UnitStatus };

export const UNIT_STATUSES: readonly UnitStatus[] = ['emergency', 'recording', 'display', 'standby'];

export type StageFilter = 'all' | UnitStatus | 'lost';
export const STAGE_FILTERS: readonly StageFilter[] = ['all', ...UNIT_STATUSES, 'lost'];

export interface UnitQuery {
  text: string;
  /** null = all teams */
  team: string | null;
  stage: StageFilter;
}
export const EMPTY_QUERY: UnitQuery = { text: '', team: null, stage: 'all' };

export function compareUnits(a: UnitLive, b: UnitLive): number {
  return (
    URGENCY[statusOf(a)] - URGENCY[statusOf(b)] ||
    collateLabels(labelOf(a), labelOf(b)) ||
    a.deviceId.localeCompare(b.deviceId)
  );
}

function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

function searchWords(text: string): string[] {
  return fold(text).split(/\s+/).filter(Boolean);
}

/** folded haystacks by their text: call sign, team and label change only with shifts */
const folded = new Map<string, string>();
const FOLDED_MAX = 50_000;

function matchesWords(unit: UnitLive, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const text = `${unit.callsign ?? ''} ${unit.team ?? ''} ${unit.deviceLabel}`;
  let haystack = folded.get(text);
  if (haystack === undefined) {
    if (folded.size >= FOLDED_MAX) folded.clear();
    haystack = fold(text);
    folded.set(text, haystack);
  }
  return words.every((w) => haystack.includes(w));
}

/** Every word of the search must occur in call sign, team or device label. */
export function matchesText(unit: UnitLive, text: string): boolean {
  return matchesWords(unit, searchWords(text));
}

export interface FilterResult {
  /** sorted by urgency, then call sign */
  units: readonly UnitLive[];
  /** counts within the text+team filter, so each stage button says what it would show */
  counts: Record<StageFilter, number>;
  total: number;
}

/** sorted by compareUnits (the labels' collation ranked once), then filtered and counted */
export function filterUnits(all: Iterable<UnitLive>, query: UnitQuery, serverNowMs: number): FilterResult {
  const order = createUnitOrder();
  order.reset(all);
  return filterOrdered(order.units(), query, serverNowMs);
}

/**
 * filterUnits for units already in list order (unit-order.ts keeps that order per change): the
 * same result without sorting. Without a filter the list is `ordered` itself.
 */
export function filterOrdered(
  ordered: readonly UnitLive[],
  query: UnitQuery,
  serverNowMs: number,
): FilterResult {
  const counts: Record<StageFilter, number> = {
    all: 0,
    emergency: 0,
    recording: 0,
    display: 0,
    standby: 0,
    lost: 0,
  };
  const words = searchWords(query.text);
  const everything = query.team === null && words.length === 0 && query.stage === 'all';
  const units: UnitLive[] = [];
  for (const unit of ordered) {
    if (query.team !== null && unit.team !== query.team) continue;
    if (!matchesWords(unit, words)) continue;
    counts.all += 1;
    counts[statusOf(unit)] += 1;
    const lost = freshnessOf(unit, serverNowMs) === 'lost';
    if (lost) counts.lost += 1;
    if (everything) continue;
    if (query.stage === 'all' || (query.stage === 'lost' ? lost : statusOf(unit) === query.stage))
      units.push(unit);
  }
  return { units: everything ? ordered : units, counts, total: ordered.length };
}

export function teamsOf(all: Iterable<UnitLive>): string[] {
  const teams = new Set<string>();
  for (const unit of all) if (unit.team) teams.add(unit.team);
  return [...teams].sort(collateLabels);
}
