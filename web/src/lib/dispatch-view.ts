/**
 * Presentation rules for incidents, alerts and dispatch requests, kept apart from React so they can
 * be tested on their own: how each request state looks (text + colour tone + icon, never colour
 * alone), the order of the incident list, which unit to suggest after a refusal, where an incident
 * is (it follows its unit), and who may dispatch.
 */
import type {
  Alert,
  Candidate,
  DispatchRequest,
  DispatchState,
  Incident,
  LatLng,
  Role,
  UnitLive,
} from '@lagebild/protocol';
import type { Language, MessageKey } from './i18n.ts';
import { localeOf } from './i18n.ts';

/** Colour family of a chip; each maps to a CSS class with an AA-contrast pair. */
export type Tone = 'neutral' | 'progress' | 'good' | 'moving' | 'arrived' | 'bad' | 'late' | 'off';
export type StateIcon =
  | 'sent'
  | 'delivered'
  | 'accepted'
  | 'en_route'
  | 'on_scene'
  | 'declined'
  | 'timeout'
  | 'cancelled';

export interface RequestStateView {
  label: MessageKey;
  tone: Tone;
  icon: StateIcon;
  /** the request still counts as help on its way (or there) */
  active: boolean;
  /** nothing will change any more */
  terminal: boolean;
  /** ended without help: a reason to suggest another unit */
  failed: boolean;
}

export const REQUEST_STATE_VIEW: Record<DispatchState, RequestStateView> = {
  sent: {
    label: 'dispatch.state.sent',
    tone: 'neutral',
    icon: 'sent',
    active: true,
    terminal: false,
    failed: false,
  },
  delivered: {
    label: 'dispatch.state.delivered',
    tone: 'progress',
    icon: 'delivered',
    active: true,
    terminal: false,
    failed: false,
  },
  accepted: {
    label: 'dispatch.state.accepted',
    tone: 'good',
    icon: 'accepted',
    active: true,
    terminal: false,
    failed: false,
  },
  en_route: {
    label: 'dispatch.state.en_route',
    tone: 'moving',
    icon: 'en_route',
    active: true,
    terminal: false,
    failed: false,
  },
  on_scene: {
    label: 'dispatch.state.on_scene',
    tone: 'arrived',
    icon: 'on_scene',
    active: true,
    terminal: true,
    failed: false,
  },
  declined: {
    label: 'dispatch.state.declined',
    tone: 'bad',
    icon: 'declined',
    active: false,
    terminal: true,
    failed: true,
  },
  timeout: {
    label: 'dispatch.state.timeout',
    tone: 'late',
    icon: 'timeout',
    active: false,
    terminal: true,
    failed: true,
  },
  cancelled: {
    label: 'dispatch.state.cancelled',
    tone: 'off',
    icon: 'cancelled',
    active: false,
    terminal: true,
    failed: false,
  },
};

/** Order in which a summary lists states: what needs attention first. */
const SUMMARY_ORDER: readonly DispatchState[] = [
  'declined',
  'timeout',
  'sent',
  'delivered',
  'accepted',
  'en_route',
  'on_scene',
  'cancelled',
];

/** Counts per state, in SUMMARY_ORDER, omitting states with no request; cancelled ones are left out. */
export function summarizeRequests(
  requests: readonly DispatchRequest[],
): { state: DispatchState; count: number }[] {
  const counts = new Map<DispatchState, number>();
  for (const r of requests) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return SUMMARY_ORDER.filter((s) => s !== 'cancelled' && counts.has(s)).map((state) => ({
    state,
    count: counts.get(state) ?? 0,
  }));
}

/** Highest priority (1) first, then the one waiting longest; the number settles ties. */
export function compareIncidents(a: Incident, b: Incident): number {
  return a.priority - b.priority || a.openedAt - b.openedAt || a.number.localeCompare(b.number);
}

export function sortIncidents(incidents: Iterable<Incident>): Incident[] {
  return [...incidents].sort(compareIncidents);
}

/** Requests of one incident, newest first. */
export function requestsOf(requests: Iterable<DispatchRequest>, incidentId: string): DispatchRequest[] {
  return [...requests]
    .filter((r) => r.incidentId === incidentId)
    .sort((a, b) => b.createdAt - a.createdAt || a.callsign.localeCompare(b.callsign));
}

/** Alerts of one incident, newest first. */
export function alertsOf(alerts: Iterable<Alert>, incidentId: string): Alert[] {
  return [...alerts].filter((a) => a.incidentId === incidentId).sort((a, b) => b.raisedAt - a.raisedAt);
}

/**
 * Alerts for the stack: every unacknowledged one (escalated first, then oldest first: the longest
 * ignored is the most urgent), then acknowledged ones for `ackVisibleMs` after acknowledgement so every
 * screen sees who took it, newest first.
 */
export function alertsForStack(alerts: Iterable<Alert>, serverNowMs: number, ackVisibleMs: number): Alert[] {
  const open: Alert[] = [];
  const acked: Alert[] = [];
  for (const a of alerts) {
    if (a.acknowledgedAt === null) open.push(a);
    else if (serverNowMs - a.acknowledgedAt < ackVisibleMs) acked.push(a);
  }
  open.sort((a, b) => b.escalationLevel - a.escalationLevel || a.raisedAt - b.raisedAt);
  acked.sort((a, b) => (b.acknowledgedAt ?? 0) - (a.acknowledgedAt ?? 0));
  return [...open, ...acked];
}

/**
 * The unit to propose after a request ended declined or timed out, or null. A failure counts as
 * answered once a later request was made for the incident (someone already acted on it). The
 * proposal is the best-ranked candidate (the server ranks by ETA) that has not been asked for this
 * incident yet, so a unit that just declined is not proposed again.
 */
export function suggestNext(
  candidates: readonly Candidate[],
  requests: readonly DispatchRequest[],
): Candidate | null {
  const failures = requests.filter((r) => REQUEST_STATE_VIEW[r.state].failed);
  const open = failures.some((f) => !requests.some((r) => r.createdAt > f.updatedAt));
  if (!open) return null;
  const asked = new Set(requests.map((r) => r.unitId));
  return candidates.find((c) => !asked.has(c.unitId)) ?? null;
}

/**
 * Where the incident is now: a unit incident follows its unit's live position; otherwise (or when
 * the unit has no position) the last location the server knows.
 */
export function incidentLocation(
  incident: Pick<Incident, 'deviceId' | 'location'>,
  units: ReadonlyMap<string, Pick<UnitLive, 'position'>>,
): LatLng | null {
  const live = incident.deviceId ? units.get(incident.deviceId)?.position : null;
  if (live) return { lat: live.lat, lng: live.lng };
  return incident.location;
}

export function canDispatch(role: Role): boolean {
  return role === 'admin' || role === 'supervisor';
}

export const canCloseIncident = canDispatch;

/** "850 m", "1,2 km" (de) / "1.2 km" (en); metres rounded to 10 below 1 km. */
export function formatDistance(distanceM: number, lang: Language): string {
  if (distanceM < 1000) return `${Math.max(0, Math.round(distanceM / 10) * 10)} m`;
  const km = new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: distanceM < 10_000 ? 1 : 0 });
  return `${km.format(distanceM / 1000)} km`;
}

/** Whole minutes, at least 1: "4 min". */
export function formatEta(etaS: number): string {
  return `${Math.max(1, Math.round(etaS / 60))} min`;
}
