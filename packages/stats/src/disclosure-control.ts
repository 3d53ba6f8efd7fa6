/**
 * Small-cell protection that holds against differencing (issue 11, "Statistics privacy").
 *
 * Threat model: an evaluator (or a supervisor, or an admin; any STATS_ROLES account of the tenant)
 * may send any number of statistics queries: summary, weekly series, breakdowns, heat map, CSV and
 * the printable report, each with a period and filters. Hiding every figure below MIN_CELL is not
 * enough: two figures that are each ≥ MIN_CELL can differ by a cell of 1–4 episodes (a period and
 * the same period plus a day; a team's figure and the total; a week of the series and the summary;
 * a breakdown row and the total less the other rows). Such a cell can single out one officer's or
 * one person's encounter, so it must not be computable from any set of answers.
 *
 * Method: every figure the API shows is a sum over *protected blocks*, and a block is never split.
 *  1. Fixed bins. Periods are snapped to whole "ISO months" (the Monday–Sunday weeks whose Thursday
 *     falls in a calendar month), so weeks nest in months and no period starts or ends on an
 *     arbitrary day. At most one filter dimension (team, context, weekday, hour) at a time; a
 *     breakdown or heat map does not combine with a filter on another dimension.
 *  2. Time blocks. Over the tenant's whole history (never the query's own range, which would move
 *     the blocks with the query), consecutive months are merged until each block holds ≥ MIN_CELL
 *     episodes or none; inside each month block the weeks are merged the same way. A period is shown
 *     only if it is a union of whole month blocks, a week of the series only if it is a block alone.
 *  3. Value blocks. For a filter or breakdown, consecutive month blocks are merged further (up to
 *     three months) while that lifts a value of 1–4 episodes: a team's month of 1 and the next of 4
 *     are shown as one figure of 5, for periods containing both months only.
 *  4. Complementary (secondary) suppression. In each value block, the values still at 1–4 episodes
 *     are grouped with each other and, if needed, with the smallest other values until the group
 *     holds ≥ MIN_CELL and at least two values; a value in a group is never shown for a period
 *     containing that block. The group's sum stays computable (total less the others), its members
 *     are not.
 * So every published number is a sum of block or group counts, each 0 or ≥ MIN_CELL, and the blocks
 * nest (weeks in month blocks in value blocks). A linear combination of published numbers (the
 * differencing attack in any form) cannot isolate a cell of 1–4: within a value block the
 * difference between two values is the same in every month of it, whatever other dimension or
 * total is added. Suppressed figures are null with a reason, never altered values.
 * The attacker is assumed to know every answer and that counts are never negative, not which of
 * the tenant's cells are empty. Not covered: an attacker who knows such zeros from elsewhere (a team
 * off duty in given weeks, from the roster) can set weekly totals against a value's figure for a
 * month or a value block; protecting week × value jointly would close that. Nor figures seen at two
 * moments (a month still open grows), nor officer-hours (duty time, not encounters).
 */
import { addDays } from './local-time.ts';
import { MIN_CELL } from './privacy.ts';

/** Why a figure is null (see the protocol's SuppressionReason). */
export type Suppression = 'small_cell' | 'protects_small_cell' | 'combined_filters';

export interface Bin {
  key: string;
  n: number;
}
export interface Block {
  keys: string[];
  n: number;
}

/** The Monday (YYYY-MM-DD) of the ISO week containing `day`. */
export function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return addDays(day, -((d.getUTCDay() + 6) % 7));
}

/** The "ISO month" (YYYY-MM) a week belongs to: the month of its Thursday. */
export function isoMonthOf(weekStart: string): string {
  return addDays(weekStart, 3).slice(0, 7);
}

/** First Monday of an ISO month: the week holding the month's first Thursday. */
export function isoMonthStart(month: string): string {
  const first = `${month}-01`;
  const d = new Date(`${first}T00:00:00Z`);
  const toThursday = (4 - d.getUTCDay() + 7) % 7;
  return addDays(first, toThursday - 3);
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** The ISO months from `first` to `last`, both included. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m <= last; m = nextMonth(m)) out.push(m);
  return out;
}

/** Mondays of the weeks of an ISO month. */
export function weeksOfMonth(month: string): string[] {
  const out: string[] = [];
  for (let w = isoMonthStart(month); isoMonthOf(w) === month; w = addDays(w, 7)) out.push(w);
  return out;
}

/**
 * A period widened to whole ISO months: from the Monday starting the month of `from`'s week to the
 * Sunday ending the month of `to`'s week. Arbitrary start or end days are what the "one more day"
 * attack needs; fixed bins take them away.
 */
export function snapPeriod(from: string, to: string): { from: string; to: string } {
  const first = isoMonthOf(mondayOf(from));
  const last = isoMonthOf(mondayOf(to));
  return { from: isoMonthStart(first), to: addDays(isoMonthStart(nextMonth(last)), -1) };
}

/** The ISO months of a snapped period. */
export function periodMonths(from: string, to: string): string[] {
  return monthsBetween(isoMonthOf(mondayOf(from)), isoMonthOf(mondayOf(to)));
}

/**
 * Consecutive bins merged left to right until each block holds ≥ min or is empty (an empty bin on
 * its own stays a block: showing 0 singles nobody out). A small remainder at the end joins the
 * previous block when `tail` is 'previous' (weeks inside a month block, whose sum is ≥ min), else it
 * stays a small block that is never shown (the months still to come).
 */
export function mergeRuns(bins: readonly Bin[], tail: 'own' | 'previous', min = MIN_CELL): Block[] {
  const out: Block[] = [];
  let acc: Block | null = null;
  for (const b of bins) {
    if (acc === null && b.n === 0) {
      out.push({ keys: [b.key], n: 0 });
      continue;
    }
    acc ??= { keys: [], n: 0 };
    acc.keys.push(b.key);
    acc.n += b.n;
    if (acc.n >= min) {
      out.push(acc);
      acc = null;
    }
  }
  if (acc !== null) {
    const prev = out.at(-1);
    if (tail === 'previous' && prev !== undefined) {
      prev.keys.push(...acc.keys);
      prev.n += acc.n;
    } else out.push(acc);
  }
  return out;
}

/**
 * Complementary suppression in one row (a month block): values with 1 … min-1 episodes form one
 * group, joined by the smallest other non-empty values until the group holds ≥ min and at least two
 * values, so neither the row total less the shown values nor anything else gives a member away.
 * Returns the keys that may not be shown alone.
 */
export function complementaryGroup(cells: readonly Bin[], min = MIN_CELL): Set<string> {
  const small = cells.filter((c) => c.n > 0 && c.n < min);
  if (small.length === 0) return new Set();
  const group = new Set(small.map((c) => c.key));
  let sum = small.reduce((s, c) => s + c.n, 0);
  const others = cells.filter((c) => c.n >= min).sort((a, b) => a.n - b.n || a.key.localeCompare(b.key));
  for (const c of others) {
    if (sum >= min && group.size >= 2) break;
    group.add(c.key);
    sum += c.n;
  }
  return group;
}

/** Episodes (or recordings) of the tenant's whole history per week and value of one dimension. */
export interface Atom {
  week: string;
  /** value of the dimension in use ('' when there is none) */
  value: string;
  n: number;
}

export interface Protection {
  /** month → its month block (by the total) */
  monthBlock: Map<string, Block>;
  /** month → its block for the dimension's values: a union of consecutive month blocks */
  valueBlock: Map<string, Block>;
  /** week → its week block */
  weekBlock: Map<string, Block>;
  /** value block (by its first month) → values that may not be shown alone in it */
  grouped: Map<string, Set<string>>;
  min: number;
}

/** At most this many months are merged for a dimension's values; beyond, complementary suppression. */
export const MAX_VALUE_BLOCK_MONTHS = 3;

/**
 * Month blocks merged further for a dimension's values, so fewer values need complementary
 * suppression: while the block so far has values of 1 … min-1 episodes and the next month block
 * holds any of them, the next one joins (up to MAX_VALUE_BLOCK_MONTHS months). Unions of whole
 * month blocks only, so the totals of the month blocks (public) cannot split them.
 */
export function valueBlocks(
  blocks: readonly Block[],
  rowOf: (month: string) => ReadonlyMap<string, number>,
  min = MIN_CELL,
): Block[] {
  const row = (b: Block) => {
    const out = new Map<string, number>();
    for (const m of b.keys) for (const [v, n] of rowOf(m)) out.set(v, (out.get(v) ?? 0) + n);
    return out;
  };
  const out: Block[] = [];
  let acc: { keys: string[]; n: number; row: Map<string, number> } | null = null;
  for (const b of blocks) {
    const next = row(b);
    if (acc !== null) {
      const small = [...acc.row].filter(([, n]) => n > 0 && n < min).map(([v]) => v);
      const helps = small.some((v) => (next.get(v) ?? 0) > 0);
      if (helps && acc.keys.length + b.keys.length <= MAX_VALUE_BLOCK_MONTHS) {
        acc.keys.push(...b.keys);
        acc.n += b.n;
        for (const [v, n] of next) acc.row.set(v, (acc.row.get(v) ?? 0) + n);
        continue;
      }
      out.push({ keys: acc.keys, n: acc.n });
    }
    acc = { keys: [...b.keys], n: b.n, row: next };
  }
  if (acc !== null) out.push({ keys: acc.keys, n: acc.n });
  return out;
}

/** Blocks and complementary groups of one tenant's history, for one dimension (or none). */
export function buildProtection(atoms: readonly Atom[], min = MIN_CELL): Protection {
  const p: Protection = {
    monthBlock: new Map(),
    valueBlock: new Map(),
    weekBlock: new Map(),
    grouped: new Map(),
    min,
  };
  if (atoms.length === 0) return p;
  const byMonth = new Map<string, Map<string, number>>();
  const byWeek = new Map<string, number>();
  for (const a of atoms) {
    const m = isoMonthOf(a.week);
    const row = byMonth.get(m) ?? new Map<string, number>();
    row.set(a.value, (row.get(a.value) ?? 0) + a.n);
    byMonth.set(m, row);
    byWeek.set(a.week, (byWeek.get(a.week) ?? 0) + a.n);
  }
  const known = [...byMonth.keys()].sort();
  const months = monthsBetween(known[0]!, known.at(-1)!);
  const rowOf = (m: string) => byMonth.get(m) ?? new Map<string, number>();
  const sumRow = (m: string) => [...rowOf(m).values()].reduce((s, n) => s + n, 0);
  const blocks = mergeRuns(
    months.map((m) => ({ key: m, n: sumRow(m) })),
    'own',
    min,
  );
  for (const block of blocks) {
    for (const m of block.keys) p.monthBlock.set(m, block);
    const weeks = block.keys.flatMap(weeksOfMonth).map((w) => ({ key: w, n: byWeek.get(w) ?? 0 }));
    // a month block below min (the months still to come) is shown in no week either
    const weekBlocks =
      block.n > 0 && block.n < min
        ? [{ keys: weeks.map((w) => w.key), n: block.n }]
        : mergeRuns(weeks, 'previous', min);
    for (const wb of weekBlocks) for (const w of wb.keys) p.weekBlock.set(w, wb);
  }
  for (const vb of valueBlocks(blocks, rowOf, min)) {
    for (const m of vb.keys) p.valueBlock.set(m, vb);
    const row = new Map<string, number>();
    for (const m of vb.keys) for (const [v, n] of rowOf(m)) row.set(v, (row.get(v) ?? 0) + n);
    p.grouped.set(
      vb.keys[0]!,
      complementaryGroup(
        [...row].map(([key, n]) => ({ key, n })),
        min,
      ),
    );
  }
  return p;
}

/**
 * May the figure of `months` (a snapped period), restricted to `value` of the dimension when given,
 * be shown? null if so, else why not. `count` is the figure's own number of episodes.
 */
export function periodVerdict(
  p: Protection,
  months: readonly string[],
  count: number,
  value?: string,
): Suppression | null {
  const inPeriod = new Set(months);
  for (const m of months) {
    const total = p.monthBlock.get(m);
    if (total === undefined) continue; // outside the history: nothing there
    if (total.n > 0 && total.n < p.min) return 'small_cell';
    const block = value === undefined ? total : p.valueBlock.get(m)!;
    if (block.keys.some((k) => !inPeriod.has(k))) return 'protects_small_cell';
    if (value !== undefined && p.grouped.get(block.keys[0]!)?.has(value)) return 'protects_small_cell';
  }
  return count < p.min ? 'small_cell' : null;
}

/** May one week of the (unfiltered) series be shown? */
export function weekVerdict(p: Protection, week: string, count: number): Suppression | null {
  const block = p.weekBlock.get(week);
  if (block !== undefined) {
    if (block.n > 0 && block.n < p.min) return 'small_cell';
    if (block.keys.length > 1) return 'protects_small_cell';
  }
  return count < p.min ? 'small_cell' : null;
}
