'use client';
/**
 * Stage changes and emergencies as they arrive, newest on top. Not a live region: with hundreds of
 * units it would talk non-stop; emergencies are announced by the emergency banner instead.
 */
import type { UnitLive } from '@lagebild/protocol';
import { formatClock } from '@/lib/format';
import type { MessageKey } from '@/lib/i18n';
import type { LiveEvent, LiveEventKind } from '@/lib/live-store';
import { labelOf, type UnitStatus } from '@/lib/unit-filter';
import { usePreferences } from './preferences-provider';
import { StageGlyph } from './stage-glyph';

const MESSAGE: Record<LiveEventKind, MessageKey> = {
  display: 'events.toDisplay',
  recording: 'events.toRecording',
  recordingUnannounced: 'events.toRecordingUnannounced',
  recordingStopped: 'events.recordingStopped',
  standby: 'events.toStandby',
  emergency: 'events.emergency',
  emergencyCleared: 'events.emergencyCleared',
};

const GLYPH: Record<LiveEventKind, UnitStatus> = {
  display: 'display',
  recording: 'recording',
  recordingUnannounced: 'recording',
  recordingStopped: 'standby',
  standby: 'standby',
  emergency: 'emergency',
  emergencyCleared: 'standby',
};

export const EVENTS_SHOWN = 60;

export function EventLog({
  events,
  units,
  onSelect,
}: {
  events: readonly LiveEvent[];
  units: ReadonlyMap<string, UnitLive>;
  onSelect(deviceId: string): void;
}) {
  const { t, lang } = usePreferences();
  return (
    <section className="event-log" aria-labelledby="event-log-title">
      <h2 id="event-log-title" className="panel-title">
        {t('events.title')}
      </h2>
      {events.length === 0 ? (
        <p className="muted">{t('events.empty')}</p>
      ) : (
        <ol className="event-list">
          {events.slice(0, EVENTS_SHOWN).map((event) => {
            const unit = units.get(event.deviceId);
            const name = unit ? labelOf(unit) : event.deviceId.slice(0, 8);
            return (
              <li key={event.id} className={`event event-${event.kind}`}>
                <time dateTime={new Date(event.at).toISOString()}>{formatClock(event.at, lang)}</time>
                <StageGlyph status={GLYPH[event.kind]} size={16} />
                {unit ? (
                  <button type="button" className="link-button" onClick={() => onSelect(event.deviceId)}>
                    {t(MESSAGE[event.kind], { unit: name, reason: event.reason ?? '–' })}
                  </button>
                ) : (
                  <span>{t(MESSAGE[event.kind], { unit: name, reason: event.reason ?? '–' })}</span>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
