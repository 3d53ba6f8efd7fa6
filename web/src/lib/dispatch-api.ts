/** Calls of the incident and dispatch API (same origin, session cookie), checked with the protocol's schemas. */
import {
  AlertResponse,
  CandidatesResponse,
  DispatchRequestResponse,
  DispatchUnitsResponse,
  IncidentDetailResponse,
  type IncidentOutcome,
  IncidentResponse,
  type OpenIncidentRequest,
  TimelineEntryResponse,
} from '@lagebild/protocol';
import { apiGet, apiPost } from './api.ts';

const id = encodeURIComponent;

export const getIncidentDetail = (incidentId: string, signal?: AbortSignal) =>
  apiGet(`/api/incidents/${id(incidentId)}`, IncidentDetailResponse, signal);

export const getCandidates = (incidentId: string, signal?: AbortSignal) =>
  apiGet(`/api/incidents/${id(incidentId)}/candidates`, CandidatesResponse, signal);

export const openIncident = (body: OpenIncidentRequest) => apiPost('/api/incidents', body, IncidentResponse);

export const addNote = (incidentId: string, text: string) =>
  apiPost(`/api/incidents/${id(incidentId)}/notes`, { text }, TimelineEntryResponse);

export const closeIncident = (incidentId: string, outcome: IncidentOutcome, note: string) =>
  apiPost(`/api/incidents/${id(incidentId)}/close`, { outcome, note }, IncidentResponse);

export const acknowledgeAlert = (alertId: string) =>
  apiPost(`/api/alerts/${id(alertId)}/ack`, {}, AlertResponse);

export const dispatchUnits = (incidentId: string, unitIds: readonly string[], note = '') =>
  apiPost(`/api/incidents/${id(incidentId)}/dispatch`, { unitIds, note }, DispatchUnitsResponse);

export const cancelRequest = (requestId: string) =>
  apiPost(`/api/dispatch/${id(requestId)}/cancel`, {}, DispatchRequestResponse);

export const setPriority = (incidentId: string, priority: number) =>
  apiPost(`/api/incidents/${id(incidentId)}/priority`, { priority }, IncidentResponse);
