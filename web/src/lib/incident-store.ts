/**
 * The browser's picture of the tenant's open incidents, their alerts and dispatch requests, fed by
 * the `/control` socket: one `incidents` message after each (re)connect, then `incident`, `alert` and
 * `dispatch` upserts (whole entities, keyed by id). Every screen that applies them in order shows
 * the same picture.
 *
 * The gateway joins the socket to the tenant's room before it queries the snapshot, so an upsert
 * can arrive before a snapshot that does not contain it yet. Everything received on the current
 * connection (`connectionStarted`) therefore survives the snapshot; what we held from before a
 * reconnect and the snapshot lacks is gone.
 *
 * Upserts can overtake each other (HTTP seed vs. socket, two gateway processes), so a few facts are
 * treated as one-way: a closed incident never reopens, an acknowledged alert never loses its
 * acknowledgement and escalation never goes down, and a request older (`updatedAt`) than the one
 * held is ignored. A closed incident stays visible for CLOSED_LINGER_MS so nobody sees it vanish
 * mid-click, then `prune` drops it with its alerts and requests.
 *
 * Applying an alert reports a sound cue ('new' / 'escalated'); the UI decides whether to play it.
 * Framework-free like live-store.ts: React reads it through subscribe/getVersion.
 */
import type { Alert, DispatchRequest, Incident, IncidentsResponse } from '@lagebild/protocol';

export const CLOSED_LINGER_MS = 5_000;

export type AlertCue = 'new' | 'escalated';

/** Merges an alert upsert with the one held; null = nothing changed. */
export function mergeAlert(prev: Alert | undefined, next: Alert): Alert | null {
  if (!prev) return next;
  const merged: Alert = {
    ...next,
    acknowledgedAt: prev.acknowledgedAt ?? next.acknowledgedAt,
    acknowledgedBy: prev.acknowledgedAt !== null ? prev.acknowledgedBy : next.acknowledgedBy,
    escalationLevel: Math.max(prev.escalationLevel, next.escalationLevel),
  };
  return sameAlert(prev, merged) ? null : merged;
}

function sameAlert(a: Alert, b: Alert): boolean {
  return (
    a.acknowledgedAt === b.acknowledgedAt &&
    a.acknowledgedBy === b.acknowledgedBy &&
    a.escalationLevel === b.escalationLevel &&
    a.callsign === b.callsign &&
    a.kind === b.kind &&
    a.raisedAt === b.raisedAt &&
    a.incidentId === b.incidentId
  );
}

/** What a change of an alert should sound like, if anything. Acknowledged alerts are silent. */
export function cueFor(prev: Alert | undefined, next: Alert): AlertCue | null {
  if (next.acknowledgedAt !== null) return null;
  if (!prev) return 'new';
  if (next.escalationLevel > prev.escalationLevel) return 'escalated';
  return null;
}

/** Merges a request upsert; an older one (by updatedAt) than held is dropped (null). */
export function mergeRequest(
  prev: DispatchRequest | undefined,
  next: DispatchRequest,
): DispatchRequest | null {
  if (prev && next.updatedAt < prev.updatedAt) return null;
  if (prev && next.updatedAt === prev.updatedAt && next.state === prev.state) return null;
  return next;
}

/** Merges an incident upsert; a closed incident does not reopen from a late 'open' upsert. */
export function mergeIncident(prev: Incident | undefined, next: Incident): Incident | null {
  if (prev?.status === 'closed' && next.status === 'open') return null;
  return next;
}

export interface IncidentStoreOptions {
  now?: () => number;
  lingerMs?: number;
}

export function createIncidentStore(options: IncidentStoreOptions = {}) {
  const now = options.now ?? Date.now;
  const lingerMs = options.lingerMs ?? CLOSED_LINGER_MS;
  const incidents = new Map<string, Incident>();
  const alerts = new Map<string, Alert>();
  const requests = new Map<string, DispatchRequest>();
  /** incidentId → browser time after which a closed incident is dropped */
  const closedUntil = new Map<string, number>();
  /** ids received by upsert on the current connection: newer than, or as new as, any snapshot */
  const fresh = { incidents: new Set<string>(), alerts: new Set<string>(), requests: new Set<string>() };
  const listeners = new Set<() => void>();
  const cueListeners = new Set<(cue: AlertCue, alert: Alert) => void>();
  let version = 0;
  let ready = false;

  function notify(): void {
    version += 1;
    for (const listener of listeners) listener();
  }

  function cue(kind: AlertCue | null, alert: Alert): void {
    if (!kind) return;
    for (const listener of cueListeners) listener(kind, alert);
  }

  function putIncident(next: Incident): boolean {
    const merged = mergeIncident(incidents.get(next.id), next);
    if (!merged) return false;
    incidents.set(merged.id, merged);
    fresh.incidents.add(merged.id);
    if (merged.status === 'closed' && !closedUntil.has(merged.id))
      closedUntil.set(merged.id, now() + lingerMs);
    return true;
  }

  function putAlert(next: Alert): boolean {
    const prev = alerts.get(next.id);
    const merged = mergeAlert(prev, next);
    if (!merged) return false;
    alerts.set(merged.id, merged);
    fresh.alerts.add(merged.id);
    cue(cueFor(prev, merged), merged);
    return true;
  }

  function putRequest(next: DispatchRequest): boolean {
    const merged = mergeRequest(requests.get(next.id), next);
    if (!merged) return false;
    requests.set(merged.id, merged);
    fresh.requests.add(merged.id);
    return true;
  }

  function drop(incidentId: string): void {
    incidents.delete(incidentId);
    closedUntil.delete(incidentId);
    for (const [id, a] of alerts) if (a.incidentId === incidentId) alerts.delete(id);
    for (const [id, r] of requests) if (r.incidentId === incidentId) requests.delete(id);
  }

  return {
    incidents: incidents as ReadonlyMap<string, Incident>,
    alerts: alerts as ReadonlyMap<string, Alert>,
    requests: requests as ReadonlyMap<string, DispatchRequest>,
    getVersion: () => version,
    /** true once a snapshot (socket or HTTP) has been applied */
    isReady: () => ready,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** called for every alert that should sound (new unacknowledged, escalated) */
    onCue(listener: (cue: AlertCue, alert: Alert) => void): () => void {
      cueListeners.add(listener);
      return () => cueListeners.delete(listener);
    },
    /** a new socket connection: what arrives from now on is at least as new as its snapshot */
    connectionStarted(): void {
      fresh.incidents.clear();
      fresh.alerts.clear();
      fresh.requests.clear();
    },
    /**
     * The whole truth after a (re)connect, except for what this connection already delivered by
     * upsert (see the file comment): incidents and alerts held from before and missing from the
     * snapshot are gone (closed while we were away). Alerts we already knew do not sound again.
     */
    applySnapshot(msg: IncidentsResponse): void {
      const previousIncidents = new Map(incidents);
      const previousAlerts = new Map(alerts);
      const previousRequests = new Map(requests);
      incidents.clear();
      alerts.clear();
      requests.clear();
      for (const incident of msg.incidents) {
        const held = fresh.incidents.has(incident.id) ? previousIncidents.get(incident.id) : undefined;
        incidents.set(incident.id, held ?? incident);
      }
      for (const id of fresh.incidents) {
        const held = previousIncidents.get(id);
        if (held && !incidents.has(id)) incidents.set(id, held);
      }
      for (const id of closedUntil.keys()) if (!incidents.has(id)) closedUntil.delete(id);
      for (const incident of incidents.values()) {
        if (incident.status === 'closed' && !closedUntil.has(incident.id))
          closedUntil.set(incident.id, now() + lingerMs);
      }
      for (const alert of msg.alerts) {
        const prev = previousAlerts.get(alert.id);
        const merged = prev ? (mergeAlert(prev, alert) ?? prev) : alert;
        alerts.set(merged.id, merged);
        cue(cueFor(prev, merged), merged);
      }
      for (const id of fresh.alerts) {
        const held = previousAlerts.get(id);
        if (held && !alerts.has(id)) alerts.set(id, held);
      }
      for (const request of msg.requests) {
        const prev = previousRequests.get(request.id);
        requests.set(request.id, prev && prev.updatedAt > request.updatedAt ? prev : request);
      }
      for (const id of fresh.requests) {
        const held = previousRequests.get(id);
        if (held && !requests.has(id)) requests.set(id, held);
      }
      ready = true;
      notify();
    },
    upsertIncident(incident: Incident): void {
      if (putIncident(incident)) notify();
    },
    upsertAlert(alert: Alert): void {
      if (putAlert(alert)) notify();
    },
    upsertRequest(request: DispatchRequest): void {
      if (putRequest(request)) notify();
    },
    /** drops closed incidents whose linger time has passed; returns whether anything changed */
    prune(): boolean {
      const t = now();
      let changed = false;
      for (const [id, until] of closedUntil) {
        if (until <= t) {
          drop(id);
          changed = true;
        }
      }
      if (changed) notify();
      return changed;
    },
  };
}
export type IncidentStore = ReturnType<typeof createIncidentStore>;
