import { describe, expect, it } from 'vitest';
import {
  type Atom,
  buildProtection,
  complementaryGroup,
  isoMonthOf,
  isoMonthStart,
  mergeRuns,
  periodMonths,
  periodVerdict,
  snapPeriod,
  valueBlocks,
  weeksOfMonth,
  weekVerdict,
} from './disclosure-control.ts';

describe('fixed bins', () => {
  it('assigns a week to the month of its Thursday', () => {
    expect(isoMonthOf('2026-03-02')).toBe('2026-03');
    expect(isoMonthOf('2026-03-30')).toBe('2026-04'); // Thursday 2 April
    expect(isoMonthOf('2026-02-23')).toBe('2026-02'); // Thursday 26 February
    expect(isoMonthStart('2026-03')).toBe('2026-03-02');
    expect(isoMonthStart('2026-07')).toBe('2026-06-29'); // Thursday 2 July
    expect(weeksOfMonth('2026-03')).toEqual(['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23']);
  });

  it('widens any period to whole ISO months, so no period ends on an arbitrary day', () => {
    expect(snapPeriod('2026-03-02', '2026-03-03')).toEqual({ from: '2026-03-02', to: '2026-03-29' });
    expect(snapPeriod('2026-03-02', '2026-03-04')).toEqual(snapPeriod('2026-03-02', '2026-03-03'));
    expect(snapPeriod('2026-07-01', '2026-10-15')).toEqual({ from: '2026-06-29', to: '2026-11-01' });
    expect(snapPeriod('2026-03-01', '2026-03-01')).toEqual({ from: '2026-02-02', to: '2026-03-01' });
    expect(periodMonths('2026-06-29', '2026-11-01')).toEqual(['2026-07', '2026-08', '2026-09', '2026-10']);
  });
});

describe('mergeRuns', () => {
  const bins = (...n: number[]) => n.map((x, i) => ({ key: String(i), n: x }));
  const keys = (blocks: { keys: string[] }[]) => blocks.map((b) => b.keys.join(''));

  it('merges consecutive small bins until each block holds at least five', () => {
    expect(keys(mergeRuns(bins(6, 2, 2, 1, 9), 'own'))).toEqual(['0', '123', '4']);
  });

  it('keeps an empty bin as a block of its own, as 0 singles nobody out', () => {
    expect(keys(mergeRuns(bins(0, 3, 0, 4, 0), 'own'))).toEqual(['0', '123', '4']);
  });

  it('keeps a small tail apart (never shown) or joins it to the previous block', () => {
    expect(mergeRuns(bins(7, 3), 'own').map((b) => b.n)).toEqual([7, 3]);
    expect(mergeRuns(bins(7, 3), 'previous').map((b) => b.n)).toEqual([10]);
  });
});

describe('complementaryGroup', () => {
  const cells = (o: Record<string, number>) => Object.entries(o).map(([key, n]) => ({ key, n }));

  it('groups a lone small value with the smallest other value, so total less the rest hides it', () => {
    expect(complementaryGroup(cells({ A: 40, B: 2, C: 9 }))).toEqual(new Set(['B', 'C']));
  });

  it('groups small values together when they reach five on their own', () => {
    expect(complementaryGroup(cells({ A: 40, B: 2, C: 3, D: 9 }))).toEqual(new Set(['B', 'C']));
  });

  it('adds complements until the group reaches five', () => {
    expect(complementaryGroup(cells({ A: 40, B: 1, C: 1, D: 9 }))).toEqual(new Set(['B', 'C', 'D']));
  });

  it('leaves a row without small values alone and never uses an empty value as complement', () => {
    expect(complementaryGroup(cells({ A: 5, B: 0, C: 7 }))).toEqual(new Set());
    expect(complementaryGroup(cells({ A: 5, B: 0, C: 1 }))).toEqual(new Set(['A', 'C']));
  });
});

describe('valueBlocks', () => {
  const rows: Record<string, Record<string, number>> = {
    '2026-07': { Nord: 4, Mitte: 1 },
    '2026-08': { Nord: 5, Mitte: 7 },
    '2026-09': { Nord: 6, Mitte: 4 },
    '2026-10': { Nord: 3 },
    '2026-11': { Nord: 9, Mitte: 6 },
  };
  const blocks = Object.entries(rows).map(([m, r]) => ({
    keys: [m],
    n: Object.values(r).reduce((a, b) => a + b, 0),
  }));
  const rowOf = (m: string) => new Map(Object.entries(rows[m] ?? {}));

  it('merges a month with a small value into the next month that holds that value, up to three months', () => {
    expect(valueBlocks(blocks, rowOf).map((b) => b.keys.join(' '))).toEqual([
      '2026-07 2026-08', // Mitte 1 + 7
      '2026-09', // Mitte 4, and October has none to add
      '2026-10 2026-11', // Nord 3 + 9
    ]);
  });

  it('stops at three months and leaves the rest to complementary suppression', () => {
    const thin = ['2026-07', '2026-08', '2026-09', '2026-10'].map((m) => ({ keys: [m], n: 9 }));
    const row = () =>
      new Map([
        ['A', 8],
        ['B', 1],
      ]);
    expect(valueBlocks(thin, row).map((b) => b.keys.length)).toEqual([3, 1]);
  });
});

/**
 * A synthetic history: March and April 2026, teams A (large), B (one episode in the first March
 * week), C; February holds two episodes only.
 */
const history = atoms(`
  2026-02-02 A 2
  2026-03-02 A 6
  2026-03-02 B 1
  2026-03-09 A 2
  2026-03-16 A 8
  2026-03-23 A 7
  2026-03-23 C 6
  2026-04-06 A 12
  2026-04-06 C 5`);
const count = counter(history);
const monthWeeks = (months: readonly string[]) => months.flatMap(weeksOfMonth);

/** Atoms from lines of "week value n". */
function atoms(table: string): Atom[] {
  return table
    .trim()
    .split('\n')
    .map((line) => {
      const [week, value, n] = line.trim().split(/\s+/) as [string, string, string];
      return { week, value, n: Number(n) };
    });
}

/** Episodes of a history in some weeks, of one value or all. */
function counter(history: readonly Atom[]) {
  return (weeks: readonly string[], value?: string) =>
    history
      .filter((a) => weeks.includes(a.week) && (value === undefined || a.value === value))
      .reduce((s, a) => s + a.n, 0);
}

describe('buildProtection and its verdicts', () => {
  const p = buildProtection(history);

  it('merges a month below five with the next one and shows neither alone', () => {
    // February (2) and March (30) form one block
    expect(periodVerdict(p, ['2026-03'], count(monthWeeks(['2026-03'])))).toBe('protects_small_cell');
    expect(periodVerdict(p, ['2026-02'], 2)).toBe('protects_small_cell');
    expect(periodVerdict(p, ['2026-02', '2026-03'], 32)).toBeNull();
    expect(periodVerdict(p, ['2026-02', '2026-03', '2026-04'], 49)).toBeNull();
  });

  it('hides a small value and its complement, but not the values beside them', () => {
    const feb2apr = ['2026-02', '2026-03', '2026-04'];
    expect(periodVerdict(p, feb2apr, count(monthWeeks(feb2apr), 'B'), 'B')).toBe('protects_small_cell');
    // March: B (1) grouped with C (6), the smallest other team
    expect(periodVerdict(p, feb2apr, count(monthWeeks(feb2apr), 'C'), 'C')).toBe('protects_small_cell');
    expect(periodVerdict(p, feb2apr, count(monthWeeks(feb2apr), 'A'), 'A')).toBeNull();
  });

  it('merges a small week with its neighbour inside the month block', () => {
    // February's two episodes run on into the first March week
    expect(weekVerdict(p, '2026-02-02', 2)).toBe('protects_small_cell');
    expect(weekVerdict(p, '2026-03-02', 7)).toBe('protects_small_cell');
    expect(weekVerdict(p, '2026-03-09', 2)).toBe('protects_small_cell');
    expect(weekVerdict(p, '2026-03-16', 8)).toBe('protects_small_cell');
    expect(weekVerdict(p, '2026-03-23', 13)).toBeNull();
    expect(weekVerdict(p, '2026-04-06', 17)).toBeNull();
    expect(weekVerdict(p, '2026-04-13', 0)).toBe('small_cell');
  });

  it('no two shown figures differ by a cell of one to four (every pair, every dimension value)', () => {
    expectNoSmallDifferences(history, ['A', 'B', 'C']);
    // a team small in one month and present in the next: the months are shown together only
    expectNoSmallDifferences(
      atoms(`
        2026-03-02 A 9
        2026-03-09 B 1
        2026-04-06 A 7
        2026-04-13 B 6
        2026-05-04 A 8
        2026-05-04 B 3
        2026-06-01 A 12`),
      ['A', 'B'],
    );
  });
});

/**
 * Every figure the verdicts allow, over every period of whole months and every value; then every
 * pair whose selections nest, and every two disjoint ones inside a third: the difference is never a
 * cell of one to four.
 */
function expectNoSmallDifferences(history: Atom[], values: string[]) {
  const p = buildProtection(history);
  const count = counter(history);
  {
    const months = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'];
    type Shown = { cells: Set<string>; n: number };
    const shown: Shown[] = [];
    // what a figure covers as the attacker knows it: every week × value its selection spans, empty
    // or not (who knows which cells of the tenant are empty is beyond the threat model, see the module)
    const cellsOf = (weeks: string[], value?: string) =>
      new Set(weeks.flatMap((w) => (value === undefined ? values : [value]).map((v) => `${w}/${v}`)));
    for (let i = 0; i < months.length; i++) {
      for (let j = i; j < months.length; j++) {
        const ms = months.slice(i, j + 1);
        const weeks = monthWeeks(ms);
        for (const value of [undefined, ...values]) {
          const n = count(weeks, value);
          if (periodVerdict(p, ms, n, value) === null) shown.push({ cells: cellsOf(weeks, value), n });
        }
      }
      for (const w of weeksOfMonth(months[i]!)) {
        const n = count([w]);
        if (weekVerdict(p, w, n) === null) shown.push({ cells: cellsOf([w]), n });
      }
    }
    expect(shown.length).toBeGreaterThan(5);
    const contains = (a: Set<string>, b: Set<string>) => [...b].every((x) => a.has(x));
    for (const a of shown) {
      for (const b of shown) {
        const diff = a.n - b.n;
        if (contains(a.cells, b.cells))
          expect(diff === 0 || diff >= 5, `${diff}: ${[...a.cells]} ⊇ ${[...b.cells]}`).toBe(true);
        // two disjoint figures inside a third: the remainder is not small either
        for (const c of shown) {
          if ([...a.cells].some((x) => b.cells.has(x))) continue;
          if (!contains(c.cells, a.cells) || !contains(c.cells, b.cells)) continue;
          const rest = c.n - a.n - b.n;
          expect(
            rest === 0 || rest >= 5,
            `${rest}: ${[...c.cells]} ⊇ ${[...a.cells]} + ${[...b.cells]}`,
          ).toBe(true);
        }
      }
    }
  }
}
