/**
 * Incidents, alerts and dispatch of backup. Incidents open automatically (emergency, recording —
 * per tenant) or manually; alerts go to every control-room screen of the tenant and are acknowledged
 * once; supervisors send requests to devices, which answer. Dashboards receive every change as an
 * upsert of the whole entity on `/control` (`incident`, `alert`, `dispatch`), so a screen that
 * applies them in order shows the same picture as every other screen.
 */
import { z } from 'zod';
import { EpochMs, Id, Stage } from './common.ts';

export const LatLng = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});
export type LatLng = z.infer<typeof LatLng>;

export const IncidentKind = z.enum(['emergency', 'recording', 'manual']);
export type IncidentKind = z.infer<typeof IncidentKind>;
export const IncidentStatus = z.enum(['open', 'closed']);
/** 1 = highest */
export const Priority = z.number().int().min(1).max(3);
export const IncidentOutcome = z.enum([
  'resolved',
  'backup_not_needed',
  'false_alarm',
  'handed_over',
  'other',
]);
export type IncidentOutcome = z.infer<typeof IncidentOutcome>;

export const Incident = z.object({
  id: Id,
  /** human-readable number per tenant and year, e.g. "2026-0042" */
  number: z.string(),
  kind: IncidentKind,
  status: IncidentStatus,
  priority: Priority,
  /** the unit in trouble; the incident's location follows its live position */
  unitId: Id.nullable(),
  deviceId: Id.nullable(),
  callsign: z.string().nullable(),
  /** last known location (for a unit incident: where the unit was when it last changed) */
  location: LatLng.nullable(),
  openedAt: EpochMs,
  openedBy: z.string().nullable(),
  closedAt: EpochMs.nullable(),
  closedBy: z.string().nullable(),
  outcome: IncidentOutcome.nullable(),
  summary: z.string(),
});
export type Incident = z.infer<typeof Incident>;

/**
 * A request's life: sent → delivered (the device confirmed receipt) → accepted → en_route →
 * on_scene; or declined / timeout (no answer in time) / cancelled. Terminal: on_scene, declined,
 * timeout, cancelled.
 */
export const DispatchState = z.enum([
  'sent',
  'delivered',
  'accepted',
  'en_route',
  'on_scene',
  'declined',
  'timeout',
  'cancelled',
]);
export type DispatchState = z.infer<typeof DispatchState>;

export const TimelineKind = z.enum([
  'opened',
  'stage_change',
  'alert_raised',
  'alert_acknowledged',
  'alert_escalated',
  'dispatch',
  'note',
  'priority',
  'closed',
]);
export type TimelineKind = z.infer<typeof TimelineKind>;

/**
 * What each kind of timeline entry says, as parameters: the dashboards word it in the reader's
 * language (issue 12), so the server stores no sentences. Words a person typed (a note, a closing
 * remark, a manual incident's summary, a decline reason) are kept as they were typed.
 */
export const TimelineParams = {
  /** the incident was opened: by an emergency, a recording or a person */
  opened: z.object({ trigger: IncidentKind }),
  /** the unit in trouble changed its stage, or ended its emergency */
  stage_change: z.union([z.object({ stage: Stage }), z.object({ emergencyEnded: z.literal(true) })]),
  alert_raised: z.object({ alert: IncidentKind }),
  alert_acknowledged: z.object({}),
  /** `level` counts the escalation periods that passed unacknowledged (1, 2, …) */
  alert_escalated: z.object({ level: z.number().int().min(1) }),
  /** a backup request reached `state`; `reason` is the declining officer's own words */
  dispatch: z.object({ callsign: z.string(), state: DispatchState, reason: z.string().nullable() }),
  note: z.object({}),
  /** a person changed the priority, or an emergency raised it */
  priority: z.union([
    z.object({ from: Priority, to: Priority }),
    z.object({ cause: z.literal('emergency'), to: Priority }),
  ]),
  closed: z.object({ outcome: IncidentOutcome }),
} as const satisfies Record<TimelineKind, z.ZodType>;
export type TimelineParams<K extends TimelineKind> = z.infer<(typeof TimelineParams)[K]>;

/** A timeline entry's meaning: its kind and that kind's parameters (what the gateway writes). */
export type TimelineEvent = { [K in TimelineKind]: { kind: K; params: TimelineParams<K> } }[TimelineKind];

const TimelineEntryBase = z.object({
  id: z.number().int(),
  incidentId: Id,
  at: EpochMs,
  actor: z.string().nullable(),
  /**
   * Free text a person typed (note, closing remark, summary; '' when none). Entries written before
   * issue 12 have `params: null` and carry their whole German sentence here.
   */
  text: z.string(),
});
const P = TimelineParams;
export const TimelineEntry = z.discriminatedUnion('kind', [
  TimelineEntryBase.extend({ kind: z.literal('opened'), params: P.opened.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('stage_change'), params: P.stage_change.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('alert_raised'), params: P.alert_raised.nullable() }),
  TimelineEntryBase.extend({
    kind: z.literal('alert_acknowledged'),
    params: P.alert_acknowledged.nullable(),
  }),
  TimelineEntryBase.extend({ kind: z.literal('alert_escalated'), params: P.alert_escalated.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('dispatch'), params: P.dispatch.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('note'), params: P.note.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('priority'), params: P.priority.nullable() }),
  TimelineEntryBase.extend({ kind: z.literal('closed'), params: P.closed.nullable() }),
]);
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const Alert = z.object({
  id: Id,
  incidentId: Id,
  kind: IncidentKind,
  callsign: z.string().nullable(),
  raisedAt: EpochMs,
  acknowledgedAt: EpochMs.nullable(),
  acknowledgedBy: z.string().nullable(),
  /** 0 = not escalated; +1 each time the escalation period passes unacknowledged */
  escalationLevel: z.number().int().min(0),
});
export type Alert = z.infer<typeof Alert>;

export const TravelMode = z.enum(['foot', 'vehicle']);
export type TravelMode = z.infer<typeof TravelMode>;

export const DispatchRequest = z.object({
  id: Id,
  incidentId: Id,
  unitId: Id,
  deviceId: Id,
  callsign: z.string(),
  state: DispatchState,
  requestedBy: z.string(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  /** straight-line distance and estimated time of arrival when the request was made */
  distanceM: z.number(),
  etaS: z.number(),
  mode: TravelMode,
  declineReason: z.string().nullable(),
});
export type DispatchRequest = z.infer<typeof DispatchRequest>;

export const Candidate = z.object({
  unitId: Id,
  deviceId: Id,
  callsign: z.string(),
  team: z.string(),
  distanceM: z.number(),
  etaS: z.number(),
  mode: TravelMode,
});
export type Candidate = z.infer<typeof Candidate>;

/** Why a unit is not offered as a candidate (shown to supervisors on request). */
export const Unavailability = z.enum([
  'subject',
  'busy',
  'recording',
  'offline',
  'stale',
  'no_position',
  'emergency',
]);
export type Unavailability = z.infer<typeof Unavailability>;

// ---- HTTP bodies ------------------------------------------------------------------------------

export const OpenIncidentRequest = z.union([
  z.strictObject({
    unitId: Id,
    priority: Priority.default(2),
    summary: z.string().trim().max(500).default(''),
  }),
  z.strictObject({
    location: LatLng,
    priority: Priority.default(2),
    summary: z.string().trim().max(500).default(''),
  }),
]);
export type OpenIncidentRequest = z.infer<typeof OpenIncidentRequest>;

export const SetPriorityRequest = z.strictObject({ priority: Priority });

/** Single-entity answers of the incident API. */
export const IncidentResponse = z.object({ incident: Incident });
export const AlertResponse = z.object({ alert: Alert });
export const DispatchRequestResponse = z.object({ request: DispatchRequest });
export const TimelineEntryResponse = z.object({ entry: TimelineEntry });

export const IncidentNoteRequest = z.strictObject({ text: z.string().trim().min(1).max(2000) });
export const CloseIncidentRequest = z.strictObject({
  outcome: IncidentOutcome,
  note: z.string().trim().max(2000).default(''),
});
export const DispatchUnitsRequest = z.strictObject({
  unitIds: z.array(Id).min(1).max(10),
  note: z.string().trim().max(500).default(''),
});

export const IncidentsResponse = z.object({
  incidents: z.array(Incident),
  alerts: z.array(Alert),
  requests: z.array(DispatchRequest),
});
export type IncidentsResponse = z.infer<typeof IncidentsResponse>;

export const IncidentDetailResponse = z.object({
  incident: Incident,
  alerts: z.array(Alert),
  requests: z.array(DispatchRequest),
  timeline: z.array(TimelineEntry),
});
export type IncidentDetailResponse = z.infer<typeof IncidentDetailResponse>;

export const CandidatesResponse = z.object({
  candidates: z.array(Candidate),
  unavailable: z.array(z.object({ unitId: Id, callsign: z.string(), reason: Unavailability })),
});
export type CandidatesResponse = z.infer<typeof CandidatesResponse>;

/** Per dispatched unit: the request, or why it was refused (e.g. another supervisor was faster). */
export const DispatchUnitsResponse = z.object({
  results: z.array(
    z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), unitId: Id, request: DispatchRequest }),
      z.object({ ok: z.literal(false), unitId: Id, code: z.string(), message: z.string() }),
    ]),
  ),
});
export type DispatchUnitsResponse = z.infer<typeof DispatchUnitsResponse>;

// ---- device side -------------------------------------------------------------------------------

/** gateway → device (`dispatch_request`, acknowledged on receipt) */
export const DeviceDispatchRequest = z.object({
  requestId: Id,
  incidentId: Id,
  incidentNumber: z.string(),
  priority: Priority,
  location: LatLng.nullable(),
  /** the unit in trouble, if any: the device should head to where it is */
  subjectDeviceId: Id.nullable(),
  callsign: z.string().nullable(),
  note: z.string(),
  expiresAt: EpochMs,
});
export type DeviceDispatchRequest = z.infer<typeof DeviceDispatchRequest>;

/** device → gateway (`dispatch_answer`, acknowledged) */
export const DeviceDispatchAnswer = z.strictObject({
  requestId: Id,
  answer: z.enum(['accept', 'decline']),
  reason: z.string().trim().max(200).nullable().default(null),
});
export type DeviceDispatchAnswer = z.infer<typeof DeviceDispatchAnswer>;

export const DispatchAnswerAck = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), state: DispatchState }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type DispatchAnswerAck = z.infer<typeof DispatchAnswerAck>;

/** `/control` events after the connect snapshot */
export const ControlIncidentsSnapshot = IncidentsResponse;
export type ControlIncidentsSnapshot = IncidentsResponse;
