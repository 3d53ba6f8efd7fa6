'use client';
/** The countdown to a recording's deletion (or why there is none), for the table and the detail. */
import type { RecordingView } from '@lagebild/protocol';
import { deletionCountdown, formatRemaining } from '@/lib/countdown';
import { formatDateTime } from '@/lib/format';
import { usePreferences } from '../preferences-provider';

export function DeletionCell({ recording, now }: { recording: RecordingView; now: number }) {
  const { t, lang } = usePreferences();
  const c = deletionCountdown(recording, now);
  switch (c.kind) {
    case 'held':
      return <span className="rec-countdown rec-countdown-held">{t('rec.deletion.held')}</span>;
    case 'deleted':
      return (
        <span className="rec-countdown muted">
          {t('rec.deletion.done', { date: c.at === null ? '–' : formatDateTime(c.at, lang) })}
        </span>
      );
    case 'due':
      return <span className="rec-countdown rec-countdown-urgent">{t('rec.deletion.due')}</span>;
    case 'in': {
      const time = formatRemaining(c.ms, t);
      const date = formatDateTime(c.at, lang);
      return (
        <time
          dateTime={new Date(c.at).toISOString()}
          className={`rec-countdown${c.urgent ? ' rec-countdown-urgent' : ''}`}
          title={t('rec.deletion.inLabel', { time, date })}
        >
          {t('rec.deletion.in', { time })}
        </time>
      );
    }
  }
}
