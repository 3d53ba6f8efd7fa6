import type { VideoEvent } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeAlert, makeIncident, makeRequest } from './dispatch-test-fixtures.ts';
import {
  type ConnectionStatus,
  createLiveSession,
  INITIAL_CONNECTION,
  type LiveInput,
  reduceConnection,
} from './live-session.ts';
import { deviceIdOf, makeUnit } from './test-fixtures.ts';

function sessionAt(start = 10_000) {
  let t = start;
  const session = createLiveSession({ now: () => t });
  return { session, advance: (ms: number) => (t += ms) };
}

function statusAfter(inputs: LiveInput[], nowMs = 0): ConnectionStatus {
  return inputs.reduce((s, input) => reduceConnection(s, input, nowMs), INITIAL_CONNECTION);
}

const snapshot = (units = [makeUnit(1)]): LiveInput => ({
  type: 'snapshot',
  msg: { serverTime: 5_000, units },
});
const online = true;
const TENANT = '00000000-0000-4000-8000-0000000000aa';

describe('createLiveSession()', () => {
  it('a snapshot fills the units and makes the connection live', () => {
    const { session } = sessionAt();
    session.apply({ type: 'connecting' });
    session.apply({ type: 'connected' });
    session.apply(snapshot([makeUnit(1), makeUnit(2)]));
    expect([...session.unitStore.units.keys()]).toEqual([deviceIdOf(1), deviceIdOf(2)]);
    expect(session.getStatus()).toMatchObject({ state: 'live', downSince: null, wasLive: true });
  });

  it('a batch with an older seq does not move a unit back', () => {
    const { session } = sessionAt();
    session.apply(snapshot([makeUnit(1, { seq: 5, stage: 'recording', announced: true })]));
    session.apply({
      type: 'batch',
      msg: {
        serverTime: 5_100,
        units: [makeUnit(1, { seq: 4, position: { lat: 1, lng: 1, accuracyM: 5 } })],
        stageChanges: [],
      },
    });
    const unit = session.unitStore.units.get(deviceIdOf(1));
    expect(unit?.seq).toBe(5);
    expect(unit?.stage).toBe('recording');
    expect(unit?.position?.lat).toBe(51.43);
  });

  it('an HTTP seed of units does not remove units the socket delivered', () => {
    const { session } = sessionAt();
    session.apply(snapshot([makeUnit(1)]));
    session.apply({ type: 'seedUnits', units: [makeUnit(2)] });
    expect(session.unitStore.units.size).toBe(2);
  });

  it('an incident upsert shows in the incident view with its alerts and requests, newest first', () => {
    const { session } = sessionAt();
    const before = session.getIncidentView();
    session.apply({ type: 'incident', incident: makeIncident(1) });
    session.apply({ type: 'alert', alert: makeAlert(1, { raisedAt: 1_000 }) });
    session.apply({
      type: 'alert',
      alert: makeAlert(2, { incidentId: makeIncident(1).id, raisedAt: 2_000 }),
    });
    session.apply({ type: 'dispatch', request: makeRequest(1) });
    const view = session.getIncidentView();
    expect(view).not.toBe(before);
    expect(view.incidents.map((i) => i.id)).toEqual([makeIncident(1).id]);
    expect(view.alertsByIncident.get(makeIncident(1).id)?.map((a) => a.id)).toEqual([
      makeAlert(2).id,
      makeAlert(1).id,
    ]);
    expect(view.requestsByIncident.get(makeRequest(1).incidentId)).toHaveLength(1);
    expect(session.getIncidentView()).toBe(view);
  });

  it('an HTTP incident seed is ignored once the socket snapshot came', () => {
    const { session } = sessionAt();
    session.apply({ type: 'incidents', msg: { incidents: [makeIncident(1)], alerts: [], requests: [] } });
    session.apply({ type: 'seedIncidents', msg: { incidents: [makeIncident(2)], alerts: [], requests: [] } });
    expect([...session.incidentStore.incidents.keys()]).toEqual([makeIncident(1).id]);
  });

  it('a `bye` ends the session: signed out, and later connection events change nothing', () => {
    const { session } = sessionAt();
    session.apply(snapshot());
    session.apply({ type: 'bye' });
    const ended = session.getStatus();
    expect(ended.ended).toBe('signedOut');
    session.apply({ type: 'disconnected', reason: 'transport close', online });
    expect(session.getStatus()).toBe(ended);
  });

  it('a lost connection after a snapshot shows "reconnecting" since the moment it went down', () => {
    const { session, advance } = sessionAt(10_000);
    session.apply(snapshot());
    advance(2_000);
    session.apply({ type: 'disconnected', reason: 'transport close', online });
    expect(session.getStatus()).toMatchObject({ state: 'reconnecting', downSince: 12_000 });
    advance(1_000);
    session.apply({ type: 'connectError', code: undefined, online });
    expect(session.getStatus()).toMatchObject({ state: 'reconnecting', downSince: 12_000 });
    session.apply({ type: 'connected' });
    session.apply(snapshot());
    expect(session.getStatus()).toMatchObject({ state: 'live', downSince: null });
  });

  it('tells its status listeners only when the status changes', () => {
    const { session } = sessionAt();
    let calls = 0;
    session.subscribeStatus(() => calls++);
    session.apply(snapshot());
    session.apply({ type: 'batch', msg: { serverTime: 5_100, units: [], stageChanges: [] } });
    expect(calls).toBe(1);
  });

  it('passes stream events to the video wall and keeps consumer events to itself', () => {
    const { session } = sessionAt();
    const seen: VideoEvent[] = [];
    session.onVideo((e) => seen.push(e));
    const down: VideoEvent = {
      type: 'producer_down',
      tenantId: TENANT,
      deviceId: deviceIdOf(1),
      sfuId: 'sfu-1',
      reason: 'unpublished',
      at: 1_000,
    };
    const consumer = {
      type: 'consumer_up',
      tenantId: TENANT,
      deviceId: deviceIdOf(1),
      userId: TENANT,
      sessionId: 's',
      sfuId: 'sfu-1',
      at: 1_000,
    } as const;
    session.apply({ type: 'video', event: down });
    session.apply({ type: 'video', event: consumer });
    expect(seen).toEqual([down]);
  });
});

describe('reduceConnection()', () => {
  it('calls a first connection that keeps failing "connecting", then "offline" after three attempts', () => {
    const failed: LiveInput = { type: 'connectError', code: undefined, online };
    expect(statusAfter([{ type: 'connecting' }, failed]).state).toBe('connecting');
    expect(statusAfter([{ type: 'connecting' }, failed, failed]).state).toBe('connecting');
    expect(statusAfter([{ type: 'connecting' }, failed, failed, failed]).state).toBe('offline');
  });

  it('is offline at once when the browser is', () => {
    expect(statusAfter([snapshot(), { type: 'connectError', code: undefined, online: false }]).state).toBe(
      'offline',
    );
    expect(
      statusAfter([snapshot(), { type: 'disconnected', reason: 'ping timeout', online: false }]).state,
    ).toBe('offline');
  });

  it('shows no "down since" for a page that was never live', () => {
    expect(statusAfter([{ type: 'connectError', code: undefined, online }], 5).downSince).toBeNull();
  });

  it('ignores a disconnect the page asked for', () => {
    const live = statusAfter([snapshot()]);
    expect(reduceConnection(live, { type: 'disconnected', reason: 'io client disconnect', online }, 0)).toBe(
      live,
    );
  });

  it('ends the session on a refusal by the socket or the HTTP API', () => {
    expect(statusAfter([{ type: 'connectError', code: 'unauthenticated', online }]).ended).toBe('signedOut');
    expect(statusAfter([{ type: 'connectError', code: 'forbidden', online }]).ended).toBe('forbidden');
    expect(statusAfter([{ type: 'seedFailed', code: 'forbidden' }]).ended).toBe('forbidden');
    expect(statusAfter([{ type: 'seedFailed', code: 'unavailable' }]).ended).toBeNull();
  });

  it('lets signing out outrank a refusal, and nothing outrank signing out', () => {
    const forbidden = statusAfter([{ type: 'seedFailed', code: 'forbidden' }]);
    expect(reduceConnection(forbidden, { type: 'bye' }, 0).ended).toBe('signedOut');
    const signedOut = statusAfter([{ type: 'bye' }]);
    expect(reduceConnection(signedOut, { type: 'seedFailed', code: 'forbidden' }, 0).ended).toBe('signedOut');
  });
});

describe('gateway health and heartbeat (issue 14)', () => {
  const degradedDb = {
    component: 'database',
    degraded: true,
    since: 4_000,
    reason: 'database_unreachable',
  } as const;

  it('keeps what the gateway reports as degraded while live', () => {
    const s = statusAfter([{ type: 'connecting' }, snapshot(), { type: 'health', components: [degradedDb] }]);
    expect(s.health).toEqual([degradedDb]);
  });

  it('a repeated heartbeat with the same health changes nothing', () => {
    const s = statusAfter([snapshot(), { type: 'health', components: [degradedDb] }]);
    expect(reduceConnection(s, { type: 'health', components: [{ ...degradedDb }] }, 0)).toBe(s);
  });

  it('a silent gateway makes a live picture "reconnecting" and forgets its health', () => {
    const s = statusAfter([snapshot(), { type: 'health', components: [degradedDb] }], 1_000);
    const after = reduceConnection(s, { type: 'silent' }, 3_000);
    expect(after).toMatchObject({ state: 'reconnecting', downSince: 3_000, health: [] });
  });

  it('health is not taken while the picture is not live (no stale "all well")', () => {
    const s = statusAfter([snapshot(), { type: 'disconnected', reason: 'transport close', online }]);
    expect(reduceConnection(s, { type: 'health', components: [degradedDb] }, 0)).toBe(s);
    expect(s.health).toEqual([]);
  });
});
