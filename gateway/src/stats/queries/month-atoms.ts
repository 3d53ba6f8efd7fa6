/**
 * The disclosure control's atoms of one dimension from per-month counts (issue 17). buildProtection
 * (packages/stats/src/disclosure-control.ts) reads its atoms only through two sums: per ISO month and
 * value, and per week over all values. So the per-month rows of a dimension (`episode_month_counts`)
 * and the weekly totals (`episode_week_counts`, dimension 'all') determine the protection exactly; here
 * they are spread into atoms with exactly those sums (each month filled week by week, value by value,
 * the "north-west corner" of a transport table), a few hundred per month instead of weeks × values.
 */
import { type Atom, isoMonthOf } from '@lagebild/stats';

/** Episodes of one ISO month ('YYYY-MM') and value. */
export interface MonthValue {
  month: string;
  value: string;
  n: number;
}

/** Episodes of one week (its Monday) over all values. */
export interface WeekTotal {
  week: string;
  n: number;
}

/**
 * Atoms whose sums per month and value equal `months` and whose sums per week equal `weeks`. Both
 * count the same episodes (every episode has exactly one value of a dimension); when a month's two
 * sums differ the roll-up is inconsistent, and this throws rather than protect by wrong counts.
 */
export function atomsOfMonths(months: readonly MonthValue[], weeks: readonly WeekTotal[]): Atom[] {
  const byMonth = new Map<string, { values: MonthValue[]; weeks: WeekTotal[] }>();
  const slot = (m: string) => {
    const s = byMonth.get(m) ?? { values: [], weeks: [] };
    byMonth.set(m, s);
    return s;
  };
  for (const v of months) if (v.n > 0) slot(v.month).values.push(v);
  for (const w of weeks) if (w.n > 0) slot(isoMonthOf(w.week)).weeks.push(w);
  const atoms: Atom[] = [];
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const [month, s] of [...byMonth].sort(([a], [b]) => order(a, b))) {
    const vs = s.values.sort((a, b) => order(a.value, b.value));
    const ws = s.weeks.sort((a, b) => order(a.week, b.week));
    const total = (xs: readonly { n: number }[]) => xs.reduce((sum, x) => sum + x.n, 0);
    if (total(vs) !== total(ws)) {
      throw new Error(
        `episode roll-up inconsistent in ${month}: ${total(vs)} episodes by value, ${total(ws)} by week`,
      );
    }
    let i = 0;
    let j = 0;
    let weekLeft = ws[0]?.n ?? 0;
    let valueLeft = vs[0]?.n ?? 0;
    while (i < ws.length && j < vs.length) {
      const n = Math.min(weekLeft, valueLeft);
      atoms.push({ week: ws[i]!.week, value: vs[j]!.value, n });
      weekLeft -= n;
      valueLeft -= n;
      if (weekLeft === 0 && ++i < ws.length) weekLeft = ws[i]!.n;
      if (valueLeft === 0 && ++j < vs.length) valueLeft = vs[j]!.n;
    }
  }
  return atoms;
}
