/**
 * Calls of the incident and dispatch API (same origin, session cookie). The single-entity answers
 * ({alert}, {incident}, {request}, {entry}) have no named schema in the protocol package, so they are
 * checked here with the protocol's entity schemas, wrapped by `field()`.
 */
import {
  Alert,
  CandidatesResponse,
  DispatchRequest,
  DispatchUnitsResponse,
  Incident,
  IncidentDetailResponse,
  type IncidentOutcome,
  type OpenIncidentRequest,
  TimelineEntry,
} from '@lagebild/protocol';
import { apiGet, apiPost, type Schema } from './api.ts';

/** `{ [name]: T }` checked with the schema of T */
export function field<K extends string, T>(name: K, schema: Schema<T>): Schema<Record<K, T>> {
  return {
    parse(data: unknown) {
      if (typeof data !== 'object' || data === null || !(name in data))
        throw new Error(`expected an object with "${name}"`);
      return { [name]: schema.parse((data as Record<string, unknown>)[name]) } as Record<K, T>;
    },
  };
}

const id = encodeURIComponent;

export const getIncidentDetail = (incidentId: string, signal?: AbortSignal) =>
  apiGet(`/api/incidents/${id(incidentId)}`, IncidentDetailResponse, signal);

export const getCandidates = (incidentId: string, signal?: AbortSignal) =>
  apiGet(`/api/incidents/${id(incidentId)}/candidates`, CandidatesResponse, signal);

export const openIncident = (body: OpenIncidentRequest) =>
  apiPost('/api/incidents', body, field('incident', Incident));

export const addNote = (incidentId: string, text: string) =>
  apiPost(`/api/incidents/${id(incidentId)}/notes`, { text }, field('entry', TimelineEntry));

export const closeIncident = (incidentId: string, outcome: IncidentOutcome, note: string) =>
  apiPost(`/api/incidents/${id(incidentId)}/close`, { outcome, note }, field('incident', Incident));

export const acknowledgeAlert = (alertId: string) =>
  apiPost(`/api/alerts/${id(alertId)}/ack`, {}, field('alert', Alert));

export const dispatchUnits = (incidentId: string, unitIds: readonly string[], note = '') =>
  apiPost(`/api/incidents/${id(incidentId)}/dispatch`, { unitIds, note }, DispatchUnitsResponse);

export const cancelRequest = (requestId: string) =>
  apiPost(`/api/dispatch/${id(requestId)}/cancel`, {}, field('request', DispatchRequest));
