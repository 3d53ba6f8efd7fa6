/**
 * Confidence intervals for what evaluators report to a council: proportions (Wilson score interval,
 * which stays inside [0, 1] and behaves for small pilots) and rate ratios of Poisson counts
 * (log-normal interval, with a 0.5 correction when a count is zero so the ratio stays finite).
 */

export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for `successes` of `n`; null when n = 0 (nothing to estimate). */
export function wilson(successes: number, n: number, z = Z95): (Interval & { estimate: number }) | null {
  if (n <= 0) return null;
  if (successes < 0 || successes > n) throw new RangeError(`successes ${successes} outside 0..${n}`);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // at the edges the bound is exactly 0 or 1; floating point would leave 0.9999999999999999
  return {
    estimate: p,
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
  };
}

/** Events per 1,000 hours; null without exposure. */
export function per1000Hours(events: number, hours: number): number | null {
  return hours > 0 ? (events / hours) * 1000 : null;
}

export interface RateRatio extends Interval {
  ratio: number;
  /** a zero count was replaced by 0.5 (Haldane) for the interval and the ratio */
  corrected: boolean;
}

/**
 * Ratio of two Poisson rates, (a / hoursA) / (b / hoursB), with a 95 % interval from
 * exp(ln RR ± z·√(1/a + 1/b)). Null when either exposure is missing.
 */
export function rateRatio(a: number, hoursA: number, b: number, hoursB: number, z = Z95): RateRatio | null {
  if (!(hoursA > 0) || !(hoursB > 0)) return null;
  const corrected = a === 0 || b === 0;
  const ca = corrected ? a + 0.5 : a;
  const cb = corrected ? b + 0.5 : b;
  const ratio = ca / hoursA / (cb / hoursB);
  const se = Math.sqrt(1 / ca + 1 / cb);
  return {
    ratio,
    low: Math.exp(Math.log(ratio) - z * se),
    high: Math.exp(Math.log(ratio) + z * se),
    corrected,
  };
}

/** Linear-interpolated quantile (the same as PostgreSQL's percentile_cont) of unsorted values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
