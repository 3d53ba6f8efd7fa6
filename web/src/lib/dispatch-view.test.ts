import type { DispatchState } from '@lagebild/protocol';
import { DispatchState as DispatchStateSchema } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeAlert, makeCandidate, makeIncident, makeRequest } from './dispatch-test-fixtures.ts';
import {
  alertsForStack,
  canDispatch,
  formatDistance,
  formatEta,
  incidentLocation,
  REQUEST_STATE_VIEW,
  requestsOf,
  sortIncidents,
  suggestNext,
  summarizeRequests,
} from './dispatch-view.ts';
import { dictionaries } from './i18n.ts';
import { makeUnit } from './test-fixtures.ts';

describe('REQUEST_STATE_VIEW', () => {
  it.each(DispatchStateSchema.options)('%s has a text in both languages, a tone and an icon', (state) => {
    const view = REQUEST_STATE_VIEW[state];
    expect(dictionaries.de[view.label]).toBeTruthy();
    expect(dictionaries.en[view.label]).toBeTruthy();
    expect(view.tone).toBeTruthy();
    expect(view.icon).toBe(state);
  });

  it('gives every state its own tone', () => {
    const tones = DispatchStateSchema.options.map((s) => REQUEST_STATE_VIEW[s].tone);
    expect(new Set(tones).size).toBe(tones.length);
  });

  it('uses the German words of the control room', () => {
    const labels = (
      ['sent', 'delivered', 'accepted', 'declined', 'timeout', 'en_route', 'on_scene'] as const
    ).map((s) => dictionaries.de[REQUEST_STATE_VIEW[s].label]);
    expect(labels).toEqual([
      'gesendet',
      'zugestellt',
      'angenommen',
      'abgelehnt',
      'keine Antwort',
      'unterwegs',
      'vor Ort',
    ]);
  });

  it('marks exactly declined and timeout as failed, and the end states as terminal', () => {
    const failed = DispatchStateSchema.options.filter((s) => REQUEST_STATE_VIEW[s].failed);
    const terminal = DispatchStateSchema.options.filter((s) => REQUEST_STATE_VIEW[s].terminal);
    expect(failed).toEqual(['declined', 'timeout']);
    expect(terminal.sort()).toEqual(['cancelled', 'declined', 'on_scene', 'timeout']);
  });
});

describe('summarizeRequests()', () => {
  it('counts per state, problems first, and leaves withdrawn requests out', () => {
    const states: DispatchState[] = ['en_route', 'declined', 'en_route', 'cancelled', 'sent'];
    const requests = states.map((state, i) => makeRequest(i + 1, { state }));
    expect(summarizeRequests(requests)).toEqual([
      { state: 'declined', count: 1 },
      { state: 'sent', count: 1 },
      { state: 'en_route', count: 2 },
    ]);
  });
});

describe('sortIncidents()', () => {
  it('orders by priority, then the longest waiting first', () => {
    const sorted = sortIncidents([
      makeIncident(1, { priority: 2, openedAt: 100 }),
      makeIncident(2, { priority: 1, openedAt: 300 }),
      makeIncident(3, { priority: 1, openedAt: 200 }),
      makeIncident(4, { priority: 3, openedAt: 50 }),
    ]);
    expect(sorted.map((i) => i.number)).toEqual(['2026-0003', '2026-0002', '2026-0001', '2026-0004']);
  });
});

describe('requestsOf()', () => {
  it('returns the requests of one incident, newest first', () => {
    const other = makeIncident(9).id;
    const list = requestsOf(
      [
        makeRequest(1, { createdAt: 1 }),
        makeRequest(2, { createdAt: 3 }),
        makeRequest(3, { incidentId: other }),
      ],
      makeIncident(1).id,
    );
    expect(list.map((r) => r.callsign)).toEqual(['KOD Nord 2', 'KOD Nord 1']);
  });
});

describe('alertsForStack()', () => {
  it('shows unacknowledged alerts (escalated first, then oldest), then recently acknowledged ones', () => {
    const list = alertsForStack(
      [
        makeAlert(1, { raisedAt: 100 }),
        makeAlert(2, { raisedAt: 50 }),
        makeAlert(3, { raisedAt: 200, escalationLevel: 1 }),
        makeAlert(4, { acknowledgedAt: 9_000, acknowledgedBy: 'A' }),
        makeAlert(5, { acknowledgedAt: 1_000, acknowledgedBy: 'B' }),
      ],
      10_000,
      5_000,
    );
    expect(list.map((a) => a.callsign)).toEqual(['KOD Mitte 3', 'KOD Mitte 2', 'KOD Mitte 1', 'KOD Mitte 4']);
  });
});

describe('suggestNext()', () => {
  const candidates = [makeCandidate(1), makeCandidate(2), makeCandidate(3), makeCandidate(4)];

  it('suggests nothing while no request has failed', () => {
    expect(suggestNext(candidates, [makeRequest(1, { state: 'accepted' })])).toBeNull();
  });

  it('after a decline, suggests the best-ranked candidate not yet asked', () => {
    const requests = [
      makeRequest(1, { state: 'declined', updatedAt: 20_000 }),
      makeRequest(2, { state: 'en_route', updatedAt: 20_000 }),
    ];
    expect(suggestNext(candidates, requests)?.callsign).toBe('KOD Nord 3');
  });

  it('after a timeout too, and never the unit that did not answer', () => {
    const requests = [makeRequest(1, { state: 'timeout', updatedAt: 40_000 })];
    expect(suggestNext([makeCandidate(1), makeCandidate(2)], requests)?.callsign).toBe('KOD Nord 2');
  });

  it('stops suggesting once a new request followed the failure', () => {
    const requests = [
      makeRequest(1, { state: 'declined', createdAt: 10_000, updatedAt: 20_000 }),
      makeRequest(3, { state: 'sent', createdAt: 21_000, updatedAt: 21_000 }),
    ];
    expect(suggestNext(candidates, requests)).toBeNull();
  });

  it('suggests nothing when every candidate was already asked', () => {
    const requests = [makeRequest(1, { state: 'declined' })];
    expect(suggestNext([makeCandidate(1)], requests)).toBeNull();
  });
});

describe('incidentLocation()', () => {
  it("follows the unit's live position and falls back to the stored location", () => {
    const unit = makeUnit(1, { position: { lat: 51.5, lng: 6.8, accuracyM: 5 } });
    const units = new Map([[unit.deviceId, unit]]);
    expect(incidentLocation(makeIncident(1), units)).toEqual({ lat: 51.5, lng: 6.8 });
    expect(incidentLocation(makeIncident(2), units)).toEqual({ lat: 51.43, lng: 6.76 });
    expect(incidentLocation(makeIncident(3, { deviceId: null, location: null }), units)).toBeNull();
  });
});

describe('roles and formatting', () => {
  it('lets only supervisors and admins dispatch', () => {
    expect(['admin', 'supervisor', 'operator', 'evaluator'].filter((r) => canDispatch(r as never))).toEqual([
      'admin',
      'supervisor',
    ]);
  });

  it('formats distances and arrival times', () => {
    expect(formatDistance(847, 'de')).toBe('850 m');
    expect(formatDistance(1234, 'de')).toBe('1,2 km');
    expect(formatDistance(1234, 'en')).toBe('1.2 km');
    expect(formatDistance(12_345, 'de')).toBe('12 km');
    expect(formatEta(20)).toBe('1 min');
    expect(formatEta(290)).toBe('5 min');
  });
});
