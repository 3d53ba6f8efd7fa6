import { type DeviceStatus, TimelineEntry } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import type { PersistedChange } from '../live/status-persister.ts';
import type { StageSnapshot } from '../live/transition.ts';
import { dispatchEntry, stageChangeEntry, triggerOf, triggerOutcome } from './timeline.ts';

function change(status: Partial<DeviceStatus>, from: StageSnapshot | null): PersistedChange {
  return {
    rec: {
      tenantId: '00000000-0000-4000-8000-000000000001',
      deviceId: '00000000-0000-4000-8000-000000000002',
      unitId: null,
      receivedAt: 1_000,
      status: {
        seq: 2,
        at: 1_000,
        position: null,
        headingDeg: null,
        speedMps: null,
        batteryPct: 80,
        signalBars: 3,
        network: 'lte',
        stage: 'standby',
        announced: null,
        unannouncedReason: null,
        emergency: false,
        ...status,
      },
    },
    from,
  };
}
const standby: StageSnapshot = { seq: 1, stage: 'standby', emergency: false };

describe('triggerOf()', () => {
  it('names an emergency when the flag goes up, even while recording', () => {
    expect(triggerOf(change({ emergency: true, stage: 'recording', announced: true }, standby))).toBe(
      'emergency',
    );
  });
  it('names a recording when the stage enters recording', () => {
    expect(triggerOf(change({ stage: 'recording', announced: true }, null))).toBe('recording');
  });
  it('names nothing for an emergency that was already up or a recording that goes on', () => {
    expect(triggerOf(change({ emergency: true }, { ...standby, emergency: true }))).toBeNull();
    expect(
      triggerOf(change({ stage: 'recording', announced: true }, { ...standby, stage: 'recording' })),
    ).toBeNull();
  });
});

describe('triggerOutcome()', () => {
  it('opens and alerts a new incident, in that order in the timeline', () => {
    expect(triggerOutcome('recording', true)).toEqual({
      raiseToEmergency: false,
      raiseAlert: true,
      entries: [
        { kind: 'opened', params: { trigger: 'recording' } },
        { kind: 'alert_raised', params: { alert: 'recording' } },
      ],
    });
  });
  it('raises an open incident to an emergency of priority 1 and alerts again', () => {
    expect(triggerOutcome('emergency', false)).toEqual({
      raiseToEmergency: true,
      raiseAlert: true,
      entries: [
        { kind: 'priority', params: { cause: 'emergency', to: 1 } },
        { kind: 'alert_raised', params: { alert: 'emergency' } },
      ],
    });
  });
  it('adds nothing when a recording starts on an incident already open', () => {
    expect(triggerOutcome('recording', false)).toEqual({
      raiseToEmergency: false,
      raiseAlert: false,
      entries: [],
    });
  });
});

describe('stageChangeEntry()', () => {
  it('says the emergency ended when the flag goes down', () => {
    expect(stageChangeEntry(change({ emergency: false }, { ...standby, emergency: true }))).toEqual({
      kind: 'stage_change',
      params: { emergencyEnded: true },
    });
  });
  it('names the new stage otherwise', () => {
    expect(stageChangeEntry(change({ stage: 'display' }, standby))).toEqual({
      kind: 'stage_change',
      params: { stage: 'display' },
    });
  });
});

describe('dispatchEntry()', () => {
  it('keeps the callsign, the state and the officer’s reason as given', () => {
    expect(dispatchEntry({ callsign: 'KOD 3', state: 'declined' }, 'im Einsatz')).toEqual({
      kind: 'dispatch',
      params: { callsign: 'KOD 3', state: 'declined', reason: 'im Einsatz' },
    });
    expect(dispatchEntry({ callsign: 'KOD 3', state: 'en_route' }).params).toMatchObject({ reason: null });
  });
});

describe('the timeline entries on the wire (protocol TimelineEntry)', () => {
  const base = { id: 1, incidentId: '00000000-0000-4000-8000-000000000003', at: 1, actor: null, text: '' };
  it('accept what the builders write', () => {
    for (const e of [
      ...triggerOutcome('emergency', false).entries,
      stageChangeEntry(change({ stage: 'display' }, standby)),
      dispatchEntry({ callsign: 'KOD 3', state: 'accepted' }),
    ])
      expect(TimelineEntry.safeParse({ ...base, ...e }).success).toBe(true);
  });
  it('accept an entry from before issue 12: no params, its sentence in text', () => {
    expect(
      TimelineEntry.safeParse({ ...base, kind: 'dispatch', params: null, text: 'KOD 3: angefordert' })
        .success,
    ).toBe(true);
  });
  it('refuse parameters that do not fit the kind', () => {
    expect(TimelineEntry.safeParse({ ...base, kind: 'closed', params: { level: 2 } }).success).toBe(false);
  });
});
