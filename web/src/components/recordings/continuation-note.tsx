/**
 * A library row's note on a recording cut while its stream went on (issue 14): "Unterbrochen (Speicher
 * voll) · fortgesetzt" on the prefix, "Fortsetzung von 14:02:11" on the recording that continues it
 * (the linked one's start, when it is among the rows shown). Nothing for a recording that ran to its end.
 */
import type { RecordingView } from '@lagebild/protocol';
import { formatDateTime } from '@/lib/format';
import { usePreferences } from '../preferences-provider';

export function ContinuationNote({
  recording: r,
  rows,
}: {
  recording: RecordingView;
  rows: RecordingView[];
}) {
  const { t, lang } = usePreferences();
  if (!r.cutReason && !r.continues) return null;
  const prev = r.continues ? rows.find((x) => x.id === r.continues) : undefined;
  return (
    <span className="table-sub">
      {r.continues &&
        (prev
          ? t('rec.continues', { date: formatDateTime(prev.startedAt, lang) })
          : t('rec.continuesUnknown'))}
      {r.continues && r.cutReason && ' · '}
      {r.cutReason &&
        t(r.continuedBy ? 'rec.cutContinued' : 'rec.cut', { reason: t(`rec.cutReason.${r.cutReason}`) })}
    </span>
  );
}
