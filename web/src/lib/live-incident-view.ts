/**
 * What the map page shows of the incident store, as a value: incidents in list order, and each
 * incident's alerts and dispatch requests, newest first. Computed once per store version (see
 * live-session.ts), so React compares it by identity instead of pretending a version number is a
 * dependency.
 */
import type { Alert, DispatchRequest, Incident } from '@lagebild/protocol';
import { sortIncidents } from './dispatch-view.ts';
import type { IncidentStore } from './incident-store.ts';

export interface IncidentView {
  /** the store version this view was computed from */
  version: number;
  incidents: Incident[];
  alerts: Alert[];
  alertsByIncident: ReadonlyMap<string, Alert[]>;
  requestsByIncident: ReadonlyMap<string, DispatchRequest[]>;
}

function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export function incidentViewOf(
  store: Pick<IncidentStore, 'getVersion' | 'incidents' | 'alerts' | 'requests'>,
): IncidentView {
  const alertsByIncident = groupBy(store.alerts.values(), (a) => a.incidentId);
  const requestsByIncident = groupBy(store.requests.values(), (r) => r.incidentId);
  for (const list of alertsByIncident.values()) list.sort((a, b) => b.raisedAt - a.raisedAt);
  for (const list of requestsByIncident.values()) list.sort((a, b) => b.createdAt - a.createdAt);
  return {
    version: store.getVersion(),
    incidents: sortIncidents(store.incidents.values()),
    alerts: [...store.alerts.values()],
    alertsByIncident,
    requestsByIncident,
  };
}

/** Changes whenever anything shown about this incident changes: the detail re-reads its timeline. */
export function changeKeyOf(
  incident: Incident,
  alerts: readonly Alert[],
  requests: readonly DispatchRequest[],
): string {
  return [
    incident.status,
    incident.priority,
    incident.summary,
    ...alerts.map((a) => `${a.id}:${a.acknowledgedAt}:${a.escalationLevel}`),
    ...requests.map((r) => `${r.id}:${r.state}`),
  ].join('|');
}
