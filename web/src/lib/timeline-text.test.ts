import type { TimelineEntry } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { type Language, type MessageKey, type MessageParams, translate } from './i18n.ts';
import { timelineText } from './timeline-text.ts';

const base = { id: 1, incidentId: '00000000-0000-4000-8000-000000000003', at: 1, actor: null, text: '' };
const entry = (e: Partial<TimelineEntry> & Pick<TimelineEntry, 'kind' | 'params'>) =>
  ({ ...base, ...e }) as TimelineEntry;
const words = (lang: Language, e: TimelineEntry) =>
  timelineText(e, (key: MessageKey, params?: MessageParams) => translate(lang, key, params));

describe('timelineText()', () => {
  it.each([
    [entry({ kind: 'opened', params: { trigger: 'emergency' } }), 'Notruf ausgelöst', 'Emergency raised'],
    [
      entry({ kind: 'stage_change', params: { stage: 'recording' } }),
      'Stufe: Aufzeichnung',
      'Stage: Recording',
    ],
    [entry({ kind: 'stage_change', params: { emergencyEnded: true } }), 'Notruf beendet', 'Emergency ended'],
    [entry({ kind: 'alert_raised', params: { alert: 'emergency' } }), 'Alarm: Notruf', 'Alert: Emergency'],
    [entry({ kind: 'alert_acknowledged', params: {} }), 'Alarm quittiert', 'Alert acknowledged'],
    [
      entry({ kind: 'alert_escalated', params: { level: 2 } }),
      'Alarm nicht quittiert: Eskalationsstufe 2',
      'Alert not acknowledged: escalation level 2',
    ],
    [
      entry({ kind: 'dispatch', params: { callsign: 'KOD 3', state: 'sent', reason: null } }),
      'KOD 3: angefordert',
      'KOD 3: requested',
    ],
    [entry({ kind: 'priority', params: { from: 3, to: 1 } }), 'Priorität 3 → 1', 'Priority 3 → 1'],
    [
      entry({ kind: 'priority', params: { cause: 'emergency', to: 1 } }),
      'Notruf ausgelöst: Priorität 1',
      'Emergency raised: priority 1',
    ],
    [entry({ kind: 'closed', params: { outcome: 'false_alarm' } }), 'Fehlalarm', 'False alarm'],
  ])('words %j in German and English', (e, de, en) => {
    expect(words('de', e)).toBe(de);
    expect(words('en', e)).toBe(en);
  });

  it('adds what a person typed after the sentence, untranslated', () => {
    const closed = entry({ kind: 'closed', params: { outcome: 'resolved' }, text: 'Lage beruhigt' });
    expect(words('en', closed)).toBe('Resolved: Lage beruhigt');
    const opened = entry({ kind: 'opened', params: { trigger: 'manual' }, text: 'Ruhestörung' });
    expect(words('de', opened)).toBe('Einsatz angelegt: Ruhestörung');
    const declined = entry({
      kind: 'dispatch',
      params: { callsign: 'KOD 3', state: 'declined', reason: 'selbst im Einsatz' },
    });
    expect(words('en', declined)).toBe('KOD 3: declined (selbst im Einsatz)');
  });

  it('shows a note as typed', () => {
    expect(words('en', entry({ kind: 'note', params: {}, text: 'Zeuge vor Ort' }))).toBe('Zeuge vor Ort');
  });

  it('shows an entry from before issue 12 (no params) with its stored sentence', () => {
    const old = entry({ kind: 'priority', params: null, text: 'Priorität 3 → 1' });
    expect(words('en', old)).toBe('Priorität 3 → 1');
  });
});
