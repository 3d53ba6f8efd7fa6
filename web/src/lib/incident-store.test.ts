import { Alert, DispatchRequest, Incident } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeAlert, makeIncident, makeRequest } from './dispatch-test-fixtures.ts';
import {
  type AlertCue,
  createIncidentStore,
  cueFor,
  mergeAlert,
  mergeIncident,
  mergeRequest,
} from './incident-store.ts';

function storeAt(start = 0) {
  let t = start;
  const store = createIncidentStore({ now: () => t, lingerMs: 5_000 });
  const cues: [AlertCue, string][] = [];
  store.onCue((cue, alert) => cues.push([cue, alert.id]));
  return { store, cues, advance: (ms: number) => (t += ms) };
}

describe('fixtures', () => {
  it('pass the protocol schemas', () => {
    expect(() => Incident.parse(makeIncident(1))).not.toThrow();
    expect(() => Alert.parse(makeAlert(1))).not.toThrow();
    expect(() => DispatchRequest.parse(makeRequest(1))).not.toThrow();
  });
});

describe('mergeAlert()', () => {
  it('never loses an acknowledgement to a late unacknowledged upsert', () => {
    const acked = makeAlert(1, { acknowledgedAt: 5_000, acknowledgedBy: 'Leitstelle 1' });
    const late = makeAlert(1, { escalationLevel: 1 });
    const merged = mergeAlert(acked, late);
    expect(merged?.acknowledgedBy).toBe('Leitstelle 1');
    expect(merged?.escalationLevel).toBe(1);
  });

  it('keeps the first acknowledger when a second one arrives', () => {
    const first = makeAlert(1, { acknowledgedAt: 5_000, acknowledgedBy: 'A' });
    expect(mergeAlert(first, makeAlert(1, { acknowledgedAt: 5_100, acknowledgedBy: 'B' }))).toBeNull();
  });

  it('never lowers the escalation level', () => {
    expect(mergeAlert(makeAlert(1, { escalationLevel: 2 }), makeAlert(1, { escalationLevel: 1 }))).toBeNull();
  });

  it('returns null when nothing changed', () => {
    expect(mergeAlert(makeAlert(1), makeAlert(1))).toBeNull();
  });
});

describe('cueFor()', () => {
  it('sounds for a new unacknowledged alert and for an escalation, never for an acknowledged one', () => {
    expect(cueFor(undefined, makeAlert(1))).toBe('new');
    expect(cueFor(makeAlert(1), makeAlert(1, { escalationLevel: 1 }))).toBe('escalated');
    expect(cueFor(makeAlert(1), makeAlert(1))).toBeNull();
    expect(cueFor(undefined, makeAlert(1, { acknowledgedAt: 1, acknowledgedBy: 'A' }))).toBeNull();
  });
});

describe('mergeRequest() / mergeIncident()', () => {
  it('drops a request update older than the one held', () => {
    const enRoute = makeRequest(1, { state: 'en_route', updatedAt: 20_000 });
    expect(mergeRequest(enRoute, makeRequest(1, { state: 'delivered', updatedAt: 15_000 }))).toBeNull();
    expect(mergeRequest(enRoute, makeRequest(1, { state: 'on_scene', updatedAt: 25_000 }))?.state).toBe(
      'on_scene',
    );
  });

  it('does not reopen a closed incident', () => {
    const closed = makeIncident(1, { status: 'closed', outcome: 'resolved', closedAt: 9_000 });
    expect(mergeIncident(closed, makeIncident(1))).toBeNull();
    expect(mergeIncident(makeIncident(1), closed)?.status).toBe('closed');
  });
});

describe('createIncidentStore()', () => {
  it('applies the snapshot, then upserts by id replacing the whole entity', () => {
    const { store } = storeAt();
    store.applySnapshot({ incidents: [makeIncident(1)], alerts: [makeAlert(1)], requests: [makeRequest(1)] });
    expect(store.isReady()).toBe(true);
    store.upsertIncident(makeIncident(1, { priority: 2, summary: 'Schlägerei' }));
    store.upsertIncident(makeIncident(2));
    store.upsertRequest(makeRequest(1, { state: 'delivered', updatedAt: 12_000 }));
    expect(store.incidents.size).toBe(2);
    expect(store.incidents.get(makeIncident(1).id)?.summary).toBe('Schlägerei');
    expect(store.requests.get(makeRequest(1).id)?.state).toBe('delivered');
  });

  it('bumps the version only when something changed', () => {
    const { store } = storeAt();
    store.applySnapshot({ incidents: [], alerts: [makeAlert(1)], requests: [] });
    const v = store.getVersion();
    store.upsertAlert(makeAlert(1));
    expect(store.getVersion()).toBe(v);
    store.upsertAlert(makeAlert(1, { acknowledgedAt: 3, acknowledgedBy: 'A' }));
    expect(store.getVersion()).toBe(v + 1);
  });

  it('cues a sound for new and escalated alerts, but not again for alerts known before a reconnect', () => {
    const { store, cues } = storeAt();
    store.applySnapshot({ incidents: [makeIncident(1)], alerts: [makeAlert(1)], requests: [] });
    store.upsertAlert(makeAlert(1, { escalationLevel: 1 }));
    store.upsertAlert(makeAlert(2));
    store.applySnapshot({
      incidents: [makeIncident(1), makeIncident(2)],
      alerts: [makeAlert(1, { escalationLevel: 1 }), makeAlert(2)],
      requests: [],
    });
    expect(cues).toEqual([
      ['new', makeAlert(1).id],
      ['escalated', makeAlert(1).id],
      ['new', makeAlert(2).id],
    ]);
  });

  it('a snapshot drops incidents and alerts that are gone, but keeps a request state newer than its own', () => {
    const { store } = storeAt();
    store.applySnapshot({
      incidents: [makeIncident(1), makeIncident(2)],
      alerts: [makeAlert(2)],
      requests: [],
    });
    store.upsertRequest(makeRequest(1, { state: 'accepted', updatedAt: 30_000 }));
    store.applySnapshot({
      incidents: [makeIncident(1)],
      alerts: [],
      requests: [makeRequest(1, { state: 'delivered', updatedAt: 20_000 })],
    });
    expect([...store.incidents.keys()]).toEqual([makeIncident(1).id]);
    expect(store.alerts.size).toBe(0);
    expect(store.requests.get(makeRequest(1).id)?.state).toBe('accepted');
  });

  it('keeps what this connection delivered by upsert when a stale snapshot arrives after it', () => {
    const { store, cues } = storeAt();
    store.connectionStarted();
    store.upsertIncident(makeIncident(2));
    store.upsertAlert(makeAlert(2));
    store.upsertRequest(makeRequest(2, { incidentId: makeIncident(2).id }));
    store.applySnapshot({ incidents: [makeIncident(1)], alerts: [], requests: [] });
    expect([...store.incidents.keys()].sort()).toEqual([makeIncident(1).id, makeIncident(2).id].sort());
    expect(store.alerts.has(makeAlert(2).id)).toBe(true);
    expect(store.requests.has(makeRequest(2).id)).toBe(true);
    expect(cues).toEqual([['new', makeAlert(2).id]]);
  });

  it('after a reconnect, drops what the previous connection delivered and the snapshot lacks', () => {
    const { store } = storeAt();
    store.connectionStarted();
    store.upsertIncident(makeIncident(2));
    store.connectionStarted();
    store.applySnapshot({ incidents: [makeIncident(1)], alerts: [], requests: [] });
    expect([...store.incidents.keys()]).toEqual([makeIncident(1).id]);
  });

  it('keeps a closed incident for a moment, then prunes it with its alerts and requests', () => {
    const { store, advance } = storeAt(100);
    store.applySnapshot({ incidents: [makeIncident(1)], alerts: [makeAlert(1)], requests: [makeRequest(1)] });
    store.upsertIncident(makeIncident(1, { status: 'closed', outcome: 'resolved', closedAt: 50_000 }));
    expect(store.prune()).toBe(false);
    expect(store.incidents.get(makeIncident(1).id)?.status).toBe('closed');
    advance(5_000);
    expect(store.prune()).toBe(true);
    expect(store.incidents.size).toBe(0);
    expect(store.alerts.size).toBe(0);
    expect(store.requests.size).toBe(0);
  });
});
