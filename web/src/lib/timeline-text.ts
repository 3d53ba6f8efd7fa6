/**
 * Words an incident timeline entry in the reader's language (issue 12): the gateway stores each
 * entry as a kind and its parameters, and what a person typed (a note, a closing remark, a summary,
 * a decline reason) is shown as typed after it. Entries written before that change have no
 * parameters; their stored German sentence is shown as it is.
 */
import type { TimelineEntry } from '@lagebild/protocol';
import type { Translate } from './i18n.ts';

/** The sentence of the entry's kind and parameters, or null when only typed words make it up. */
function sentenceOf(e: TimelineEntry, t: Translate): string | null {
  if (e.params === null) return null;
  switch (e.kind) {
    case 'opened':
      return t(`timeline.opened.${e.params.trigger}`);
    case 'stage_change':
      return 'stage' in e.params
        ? t('timeline.stage', { stage: t(`stage.${e.params.stage}`) })
        : t('timeline.emergencyEnded');
    case 'alert_raised':
      return t('timeline.alertRaised', { kind: t(`alerts.kind.${e.params.alert}`) });
    case 'alert_acknowledged':
      return t('timeline.alertAcknowledged');
    case 'alert_escalated':
      return t('timeline.alertEscalated', { level: e.params.level });
    case 'dispatch': {
      const sentence = t(`timeline.dispatch.${e.params.state}`, { unit: e.params.callsign });
      return e.params.reason ? `${sentence} (${e.params.reason})` : sentence;
    }
    case 'note':
      return null;
    case 'priority':
      return 'cause' in e.params
        ? t('timeline.priorityByEmergency', { to: e.params.to })
        : t('timeline.priority', { from: e.params.from, to: e.params.to });
    case 'closed':
      return t(`incident.outcome.${e.params.outcome}`);
  }
}

/** The line a timeline entry shows: its sentence, then what a person typed with it. */
export function timelineText(e: TimelineEntry, t: Translate): string {
  const sentence = sentenceOf(e, t);
  if (sentence === null) return e.text;
  return e.text ? `${sentence}: ${e.text}` : sentence;
}
