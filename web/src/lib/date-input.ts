/**
 * Dates and times typed as text in the UI's language (issue 15): German TT.MM.JJJJ [HH:MM], English
 * DD/MM/YYYY [HH:MM] (en-GB, like every other date of the English UI), whatever the browser's
 * locale. Native date inputs render in the browser's locale instead (mm/dd/yyyy in an en-US
 * Chromium), so a German control room on an English workstation would read 02/03 as 3 February.
 * The pages and the API keep working with ISO values: YYYY-MM-DD, or YYYY-MM-DDTHH:MM (a
 * datetime-local value, local time). Parsing is strict: the language's separator, a four-digit
 * year, a day that exists (no 31.02.), a time from 00:00 to 23:59.
 */
import type { Language } from './i18n.ts';

export type DateKind = 'date' | 'dateTime';

export type DateParse =
  | { ok: true; iso: string }
  /** empty: nothing typed; format: not the language's pattern; day: no such day; time: no such time */
  | { ok: false; reason: 'empty' | 'format' | 'day' | 'time' };

const SEPARATOR: Record<Language, string> = { de: '.', en: '/' };

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

const pad = (n: number) => String(n).padStart(2, '0');

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function patternOf(kind: DateKind, lang: Language): RegExp {
  const sep = `\\${SEPARATOR[lang]}`;
  const date = `(\\d{1,2})${sep}(\\d{1,2})${sep}([1-9]\\d{3})`;
  // "24.12.2026, 18:30" is how Intl writes it, so a pasted timestamp may carry the comma
  return new RegExp(kind === 'date' ? `^${date}$` : `^${date},?\\s+(\\d{1,2}):(\\d{2})$`);
}

/** Reads what someone typed; `iso` is YYYY-MM-DD or YYYY-MM-DDTHH:MM. */
export function parseDateText(text: string, kind: DateKind, lang: Language): DateParse {
  const s = text.trim();
  if (s === '') return { ok: false, reason: 'empty' };
  const m = patternOf(kind, lang).exec(s);
  if (!m) return { ok: false, reason: 'format' };
  const [day, month, year, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return { ok: false, reason: 'day' };
  const date = `${year}-${pad(month)}-${pad(day)}`;
  if (kind === 'date') return { ok: true, iso: date };
  if (hour > 23 || minute > 59) return { ok: false, reason: 'time' };
  return { ok: true, iso: `${date}T${pad(hour)}:${pad(minute)}` };
}

/** The ISO value as the language writes it; '' for '' or anything that is not such a value. */
export function formatDateText(iso: string, kind: DateKind, lang: Language): string {
  const m = ISO.exec(iso);
  if (!m) return '';
  const [, year, month, day, hour, minute] = m;
  const sep = SEPARATOR[lang];
  const date = `${day}${sep}${month}${sep}${year}`;
  return kind === 'date' ? date : `${date} ${hour ?? '00'}:${minute ?? '00'}`;
}

/** The value `days` days later (earlier when negative), time of day kept: arrow keys step by a day. */
export function shiftDays(iso: string, days: number): string {
  const m = ISO.exec(iso);
  if (!m) return iso;
  const [, year, month, day, hour, minute] = m;
  const at = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day) + days));
  const date = `${String(at.getUTCFullYear()).padStart(4, '0')}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  return hour === undefined ? date : `${date}T${hour}:${minute}`;
}
