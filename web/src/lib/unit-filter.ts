/**
 * Searching, filtering, counting and ordering the unit list. Order is by urgency: emergencies first,
 * then recordings, then display, then standby; within a group by call sign in natural order
 * ("KOD 2" before "KOD 10").
 */
import type { UnitLive } from '@lagebild/protocol';
import { freshnessOf } from './staleness.ts';

/** What the list and map show as a unit's state; emergency overrides the stage. */
export type UnitStatus = 'emergency' | 'recording' | 'display' | 'standby';
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

const URGENCY: Record<UnitStatus, number> = { emergency: 0, recording: 1, display: 2, standby: 3 };
const collator = new Intl.Collator('de', { numeric: true, sensitivity: 'base' });

export function statusOf(unit: Pick<UnitLive, 'emergency' | 'stage'>): UnitStatus {
  return unit.emergency ? 'emergency' : unit.stage;
}

/** Call sign, or the device label for a camera not assigned to a unit. */
export function labelOf(unit: Pick<UnitLive, 'callsign' | 'deviceLabel'>): string {
  return unit.callsign ?? unit.deviceLabel;
}

export function compareUnits(a: UnitLive, b: UnitLive): number {
  return (
    URGENCY[statusOf(a)] - URGENCY[statusOf(b)] ||
    collator.compare(labelOf(a), labelOf(b)) ||
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

function matchesWords(unit: UnitLive, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const haystack = fold(`${unit.callsign ?? ''} ${unit.team ?? ''} ${unit.deviceLabel}`);
  return words.every((w) => haystack.includes(w));
}

/** Every word of the search must occur in call sign, team or device label. */
export function matchesText(unit: UnitLive, text: string): boolean {
  return matchesWords(unit, searchWords(text));
}

function matchesStage(unit: UnitLive, stage: StageFilter, serverNowMs: number): boolean {
  if (stage === 'all') return true;
  if (stage === 'lost') return freshnessOf(unit, serverNowMs) === 'lost';
  return statusOf(unit) === stage;
}

export interface FilterResult {
  /** sorted by urgency, then call sign */
  units: UnitLive[];
  /** counts within the text+team filter, so each stage button says what it would show */
  counts: Record<StageFilter, number>;
  total: number;
}

/**
 * Each label's place in collation order. Sorting 10,000 units with `collator.compare` took ~100 ms
 * each time the list was refreshed (issue 17's bench:map); labels change only with shifts, so they
 * are collated once and the sort compares numbers. Rebuilt when a label it does not know turns up.
 */
let labelRanks = new Map<string, number>();
function rankLabels(units: readonly UnitLive[]): Map<string, number> {
  let missing = false;
  for (const unit of units) {
    if (!labelRanks.has(labelOf(unit))) {
      missing = true;
      break;
    }
  }
  if (missing) {
    // keep the labels already ranked (another caller may sort another set), unless they pile up
    const known = labelRanks.size > 4 * units.length + 1000 ? [] : labelRanks.keys();
    const labels = [...new Set([...known, ...units.map(labelOf)])].sort(collator.compare);
    labelRanks = new Map();
    let rank = 0;
    for (const [i, label] of labels.entries()) {
      // labels the collator calls equal ("KOD 1", "Kod 1") share a rank, as compareUnits treats them
      if (i > 0 && collator.compare(labels[i - 1]!, label) !== 0) rank += 1;
      labelRanks.set(label, rank);
    }
  }
  return labelRanks;
}

/** compareUnits for many units: the same order, with the labels' collation ranked once */
function sortUnits(units: UnitLive[]): void {
  const ranks = rankLabels(units);
  const keyed = units.map((unit) => ({
    unit,
    urgency: URGENCY[statusOf(unit)],
    rank: ranks.get(labelOf(unit)) ?? 0,
  }));
  keyed.sort(
    (a, b) =>
      a.urgency - b.urgency ||
      a.rank - b.rank ||
      (a.unit.deviceId < b.unit.deviceId ? -1 : a.unit.deviceId > b.unit.deviceId ? 1 : 0),
  );
  for (let i = 0; i < keyed.length; i++) units[i] = keyed[i]!.unit;
}

export function filterUnits(all: Iterable<UnitLive>, query: UnitQuery, serverNowMs: number): FilterResult {
  const counts: Record<StageFilter, number> = {
    all: 0,
    emergency: 0,
    recording: 0,
    display: 0,
    standby: 0,
    lost: 0,
  };
  const units: UnitLive[] = [];
  const words = searchWords(query.text);
  let total = 0;
  for (const unit of all) {
    total += 1;
    if (query.team !== null && unit.team !== query.team) continue;
    if (!matchesWords(unit, words)) continue;
    counts.all += 1;
    counts[statusOf(unit)] += 1;
    if (freshnessOf(unit, serverNowMs) === 'lost') counts.lost += 1;
    if (matchesStage(unit, query.stage, serverNowMs)) units.push(unit);
  }
  sortUnits(units);
  return { units, counts, total };
}

export function teamsOf(all: Iterable<UnitLive>): string[] {
  const teams = new Set<string>();
  for (const unit of all) if (unit.team) teams.add(unit.team);
  return [...teams].sort(collator.compare);
}
