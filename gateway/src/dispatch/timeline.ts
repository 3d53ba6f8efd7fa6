/**
 * What goes into an incident's timeline, as pure functions: each entry is a kind and its parameters
 * (protocol `TimelineParams`), never a sentence; the dashboards word it in the reader's language
 * (issue 12). Also the decision what an automatic trigger does to a unit's incident.
 */
import type { DispatchRequest, IncidentKind, TimelineEvent } from '@lagebild/protocol';
import type { PersistedChange } from '../live/status-persister.ts';

/** Which automatic incident a committed change triggers, if any. */
export function triggerOf(c: PersistedChange): IncidentKind | null {
  const s = c.rec.status;
  if (s.emergency && !c.from?.emergency) return 'emergency';
  if (s.stage === 'recording' && c.from?.stage !== 'recording') return 'recording';
  return null;
}

/** The priority an automatic incident opens with: an emergency goes first. */
export function priorityOfTrigger(kind: IncidentKind): 1 | 2 {
  return kind === 'emergency' ? 1 : 2;
}

export interface TriggerOutcome {
  /** the unit's open incident (opened by a recording) becomes an emergency of priority 1 */
  raiseToEmergency: boolean;
  /** a new alert goes to every screen of the tenant */
  raiseAlert: boolean;
  /** the incident's timeline entries, in order */
  entries: TimelineEvent[];
}

/**
 * What a trigger does, given whether it opened a new incident or found the unit's open one: a new
 * incident is alerted; an emergency on an open incident raises it to priority 1 and alerts again; a
 * recording on an open incident adds nothing.
 */
export function triggerOutcome(kind: IncidentKind, created: boolean): TriggerOutcome {
  const entries: TimelineEvent[] = [];
  const raiseToEmergency = !created && kind === 'emergency';
  if (created) entries.push({ kind: 'opened', params: { trigger: kind } });
  if (raiseToEmergency) entries.push({ kind: 'priority', params: { cause: 'emergency', to: 1 } });
  const raiseAlert = created || kind === 'emergency';
  if (raiseAlert) entries.push({ kind: 'alert_raised', params: { alert: kind } });
  return { raiseToEmergency, raiseAlert, entries };
}

/** A later change of a unit that has an open incident: its emergency ended, or its new stage. */
export function stageChangeEntry(c: PersistedChange): TimelineEvent {
  const { status } = c.rec;
  return c.from?.emergency && !status.emergency
    ? { kind: 'stage_change', params: { emergencyEnded: true } }
    : { kind: 'stage_change', params: { stage: status.stage } };
}

/** A backup request reached its current state; `reason` is what the officer gave with the answer. */
export function dispatchEntry(
  r: Pick<DispatchRequest, 'callsign' | 'state'>,
  reason: string | null = null,
): TimelineEvent {
  return { kind: 'dispatch', params: { callsign: r.callsign, state: r.state, reason } };
}
