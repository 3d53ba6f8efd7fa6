import { type Atom, buildProtection, isoMonthOf } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { atomsOfMonths, type MonthValue, type WeekTotal } from './month-atoms.ts';

/** Per-month and per-week sums of atoms, as the roll-ups hold them. */
function sums(atoms: readonly Atom[]): { months: MonthValue[]; weeks: WeekTotal[] } {
  const m = new Map<string, MonthValue>();
  const w = new Map<string, WeekTotal>();
  for (const a of atoms) {
    const month = isoMonthOf(a.week);
    const mv = m.get(`${month}|${a.value}`) ?? { month, value: a.value, n: 0 };
    mv.n += a.n;
    m.set(`${month}|${a.value}`, mv);
    const wt = w.get(a.week) ?? { week: a.week, n: 0 };
    wt.n += a.n;
    w.set(a.week, wt);
  }
  return { months: [...m.values()], weeks: [...w.values()] };
}

/** Weekly atoms of 40 weeks with small and large cells (a pseudo-random but fixed history). */
function history(): Atom[] {
  const atoms: Atom[] = [];
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  for (let wk = 0; wk < 40; wk++) {
    const week = new Date(Date.UTC(2025, 11, 29 + 7 * wk)).toISOString().slice(0, 10);
    for (const value of ['10:20', '10:21', '11:20', '12:22', 'none']) {
      const n = next() % 9 === 0 ? 0 : next() % (wk % 5 === 0 ? 3 : 12);
      if (n > 0) atoms.push({ week, value, n });
    }
  }
  return atoms;
}

describe('atomsOfMonths', () => {
  it('spreads per-month values over the weeks with the same sums per month and value and per week', () => {
    const weekly = history();
    const { months, weeks } = sums(weekly);
    const spread = atomsOfMonths(months, weeks);
    const again = sums(spread);
    const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sorted(again.months)).toEqual(sorted(months));
    expect(sorted(again.weeks)).toEqual(sorted(weeks));
    expect(spread.every((a) => a.n > 0)).toBe(true);
    expect(spread.length).toBeLessThanOrEqual(months.length + weeks.length);
  });

  it('gives the disclosure control the same protection as the weekly atoms', () => {
    const weekly = history();
    const { months, weeks } = sums(weekly);
    expect(buildProtection(atomsOfMonths(months, weeks))).toEqual(buildProtection(weekly));
  });

  it('refuses counts whose month and week sums differ (a roll-up that drifted)', () => {
    const { months, weeks } = sums(history());
    weeks[3]!.n += 1;
    expect(() => atomsOfMonths(months, weeks)).toThrow(/inconsistent/);
  });
});
