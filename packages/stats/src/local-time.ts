/**
 * Municipal time: shifts, weekdays and hours are reported in the tenant's zone (Europe/Berlin for
 * every German municipality), including the daylight-saving changes in March and October. The
 * gateway's queries take the zone from TENANT_TIME_ZONE as a parameter; only the database function
 * `lagebild_hour_slices` (migration 0003, officer-hours) names it in SQL.
 */

export const TENANT_TIME_ZONE = 'Europe/Berlin';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at the instant `epochMs`, in ms (+3,600,000 for CET). */
export function zoneOffsetMs(epochMs: number, timeZone = TENANT_TIME_ZONE): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The instant of a local wall-clock time ("2026-03-29", 6.5 → 06:30 local). */
export function localToEpoch(day: string, hour: number, timeZone = TENANT_TIME_ZONE): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d) + hour * 3_600_000;
  const first = guess - zoneOffsetMs(guess, timeZone);
  return guess - zoneOffsetMs(first, timeZone);
}

/** ISO weekday (1 = Monday … 7 = Sunday) and hour of day of an instant, in local time. */
export function localWeekdayHour(
  epochMs: number,
  timeZone = TENANT_TIME_ZONE,
): { weekday: number; hour: number } {
  const local = new Date(epochMs + zoneOffsetMs(epochMs, timeZone));
  return { weekday: ((local.getUTCDay() + 6) % 7) + 1, hour: local.getUTCHours() };
}

/** Adds `n` days to a "YYYY-MM-DD" date. */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}
