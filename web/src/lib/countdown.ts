/**
 * The time until a recording is deleted, shown on every row of the library: days and hours while
 * far, hours and minutes on the last day, minutes in the last hour, "due" once the sweeper may take
 * it. Pure, so the wording is tested without a clock.
 */
import type { RecordingView } from '@lagebild/protocol';
import type { Translate } from './i18n';

export type DeletionCountdown =
  | { kind: 'held' }
  | { kind: 'deleted'; at: number | null }
  | { kind: 'due' }
  | { kind: 'in'; ms: number; at: number; urgent: boolean };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function deletionCountdown(
  r: Pick<RecordingView, 'state' | 'deleteAt' | 'deletedAt'>,
  now: number,
): DeletionCountdown {
  if (r.state === 'deleted') return { kind: 'deleted', at: r.deletedAt };
  if (r.deleteAt === null) return { kind: 'held' };
  const ms = r.deleteAt - now;
  if (ms <= 0) return { kind: 'due' };
  return { kind: 'in', ms, at: r.deleteAt, urgent: ms < 2 * DAY_MS };
}

export function formatRemaining(ms: number, t: Translate): string {
  const totalMin = Math.max(1, Math.floor(ms / 60_000));
  const d = Math.floor(totalMin / (24 * 60));
  const h = Math.floor((totalMin % (24 * 60)) / 60);
  const m = totalMin % 60;
  if (d > 0) return t('rec.time.days', { d, h });
  if (h > 0) return t('rec.time.hours', { h, m });
  return t('rec.time.minutes', { m });
}
