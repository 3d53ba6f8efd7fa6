/** Builders for incidents, alerts, requests and candidates in unit tests (valid UUIDs, schema-clean). */
import type { Alert, Candidate, DispatchRequest, Incident } from '@lagebild/protocol';

export function uuidOf(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function makeIncident(n: number, overrides: Partial<Incident> = {}): Incident {
  return {
    id: uuidOf(0x20, n),
    number: `2026-${String(n).padStart(4, '0')}`,
    kind: 'emergency',
    status: 'open',
    priority: 1,
    unitId: uuidOf(0x10, n),
    deviceId: uuidOf(0, n),
    callsign: `KOD Mitte ${n}`,
    location: { lat: 51.43, lng: 6.76 },
    openedAt: 1_000 * n,
    openedBy: null,
    closedAt: null,
    closedBy: null,
    outcome: null,
    summary: '',
    ...overrides,
  };
}

export function makeAlert(n: number, overrides: Partial<Alert> = {}): Alert {
  return {
    id: uuidOf(0x30, n),
    incidentId: uuidOf(0x20, n),
    kind: 'emergency',
    callsign: `KOD Mitte ${n}`,
    raisedAt: 1_000 * n,
    acknowledgedAt: null,
    acknowledgedBy: null,
    escalationLevel: 0,
    ...overrides,
  };
}

export function makeRequest(n: number, overrides: Partial<DispatchRequest> = {}): DispatchRequest {
  return {
    id: uuidOf(0x40, n),
    incidentId: uuidOf(0x20, 1),
    unitId: uuidOf(0x10, n),
    deviceId: uuidOf(0, n),
    callsign: `KOD Nord ${n}`,
    state: 'sent',
    requestedBy: 'Dienstgruppenleitung',
    createdAt: 10_000 + n,
    updatedAt: 10_000 + n,
    distanceM: 400 * n,
    etaS: 300 * n,
    mode: 'foot',
    declineReason: null,
    ...overrides,
  };
}

export function makeCandidate(n: number, overrides: Partial<Candidate> = {}): Candidate {
  return {
    unitId: uuidOf(0x10, n),
    deviceId: uuidOf(0, n),
    callsign: `KOD Nord ${n}`,
    team: 'Nord',
    distanceM: 400 * n,
    etaS: 300 * n,
    mode: 'foot',
    ...overrides,
  };
}
