/** Formatting of times, ages and measurements for the control room, in the chosen language. */
import { type Language, localeOf, type Translate } from './i18n.ts';

/** "vor 12 s", "vor 3 min", "vor 2 h": short enough for a dense list, exact enough for a shift. */
export function formatAge(ageMs: number, t: Translate): string {
  const seconds = Math.max(0, Math.floor(ageMs / 1000));
  if (seconds < 2) return t('time.justNow');
  if (seconds < 60) return t('time.secondsAgo', { n: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t('time.minutesAgo', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('time.hoursAgo', { n: hours });
  return t('time.daysAgo', { n: Math.floor(hours / 24) });
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();
function cached(lang: Language, kind: 'time' | 'dateTime'): Intl.DateTimeFormat {
  const key = `${lang}:${kind}`;
  let format = clockFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      localeOf(lang),
      kind === 'time'
        ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
        : { dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' },
    );
    clockFormats.set(key, format);
  }
  return format;
}

/** 24-hour wall-clock time, "14:03:07". */
export function formatClock(epochMs: number, lang: Language): string {
  return cached(lang, 'time').format(epochMs);
}

export function formatDateTime(epochMs: number, lang: Language): string {
  return cached(lang, 'dateTime').format(epochMs);
}

export function formatSpeed(speedMps: number | null, lang: Language): string | null {
  if (speedMps === null) return null;
  return `${new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: 0 }).format(speedMps * 3.6)} km/h`;
}

export function formatAccuracy(accuracyM: number, lang: Language): string {
  return `± ${new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: 0 }).format(accuracyM)} m`;
}

export function formatCoordinate(value: number, lang: Language): string {
  return new Intl.NumberFormat(localeOf(lang), { minimumFractionDigits: 5, maximumFractionDigits: 5 }).format(
    value,
  );
}
