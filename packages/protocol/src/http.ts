/**
 * HTTP API bodies (all under /api). Errors are always ErrorBody with the status of its code.
 */
import { z } from 'zod';
import { EpochMs, Id, Role } from './common.ts';
import { StageChange, UnitLive } from './control.ts';

export const LoginRequest = z.strictObject({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(1000),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const Tenant = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  /** default map view */
  center: z.object({ lat: z.number(), lng: z.number() }),
  zoom: z.number().int(),
});
export type Tenant = z.infer<typeof Tenant>;

export const User = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  role: Role,
  tenant: Tenant,
});
export type User = z.infer<typeof User>;

export const MeResponse = z.object({
  user: User,
  /** map tiles; null = no tile server configured, the map draws on a plain background */
  map: z.object({ tileUrl: z.string().nullable(), attribution: z.string() }),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const Unit = z.object({
  id: Id,
  callsign: z.string(),
  team: z.string(),
  deviceId: Id.nullable(),
  shiftStartedAt: EpochMs.nullable(),
});
export type Unit = z.infer<typeof Unit>;

export const UnitsResponse = z.object({
  units: z.array(Unit.extend({ live: UnitLive.nullable() })),
});
export type UnitsResponse = z.infer<typeof UnitsResponse>;

export const UnitDetailResponse = z.object({
  unit: Unit,
  live: UnitLive.nullable(),
  /** stage changes of the current shift (or last 12 h), oldest first */
  stageHistory: z.array(StageChange),
});
export type UnitDetailResponse = z.infer<typeof UnitDetailResponse>;

export const DeviceState = z.enum(['active', 'revoked']);
export const Device = z.object({
  id: Id,
  label: z.string(),
  state: DeviceState,
  createdAt: EpochMs,
  revokedAt: EpochMs.nullable(),
  lastSeenAt: EpochMs.nullable(),
});
export type Device = z.infer<typeof Device>;

export const DevicesResponse = z.object({ devices: z.array(Device) });
export type DevicesResponse = z.infer<typeof DevicesResponse>;

export const ProvisionDeviceRequest = z.strictObject({
  label: z.string().trim().min(1).max(64),
});
export type ProvisionDeviceRequest = z.infer<typeof ProvisionDeviceRequest>;

export const RevokeDeviceResponse = z.object({ device: Device });
export type RevokeDeviceResponse = z.infer<typeof RevokeDeviceResponse>;

/** The secret is shown exactly once; only its hash is stored. */
export const ProvisionDeviceResponse = z.object({ device: Device, secret: z.string() });
export type ProvisionDeviceResponse = z.infer<typeof ProvisionDeviceResponse>;

// ---- tenant policies (administration) ----------------------------------------------------------

/** Bounds of each per-tenant policy; the database (migration 0008) enforces the same ones. */
export const POLICY_LIMITS = {
  /** the law: deleted after at most 14 days unless kept as evidence */
  retentionDays: { min: 1, max: 14 },
  /** 0 = pre-recording off (the default); typically 30–60 s where the state's law allows it */
  prerecordS: { min: 0, max: 120 },
  alertEscalateAfterS: { min: 5, max: 3600 },
  dispatchAnswerTimeoutS: { min: 5, max: 600 },
} as const;

/** What opens an incident by itself (a manual incident is always possible). */
export const AutoIncidentTrigger = z.enum(['emergency', 'recording']);
export type AutoIncidentTrigger = z.infer<typeof AutoIncidentTrigger>;

const bounded = (name: keyof typeof POLICY_LIMITS, unit: string, why = '') => {
  const { min, max } = POLICY_LIMITS[name];
  return z
    .number()
    .int(`${name} must be a whole number of ${unit}`)
    .min(min, `${name} must be at least ${min} ${unit}`)
    .max(max, `${name} must be at most ${max} ${unit}${why}`);
};
const RetentionDays = bounded(
  'retentionDays',
  'days',
  ' (recordings are deleted after at most 14 days unless kept as evidence)',
);
const PrerecordS = bounded('prerecordS', 'seconds');
const AlertEscalateAfterS = bounded('alertEscalateAfterS', 'seconds');
const DispatchAnswerTimeoutS = bounded('dispatchAnswerTimeoutS', 'seconds');
const AutoIncidentOn = z
  .array(AutoIncidentTrigger)
  .max(2)
  .refine((a) => new Set(a).size === a.length, 'autoIncidentOn names each trigger at most once');

/** The tenant's policies as the gateway reads them (GET /api/admin/policies). */
export const TenantPolicies = z.object({
  retentionDays: RetentionDays,
  prerecordS: PrerecordS,
  autoIncidentOn: AutoIncidentOn,
  alertEscalateAfterS: AlertEscalateAfterS,
  dispatchAnswerTimeoutS: DispatchAnswerTimeoutS,
});
export type TenantPolicies = z.infer<typeof TenantPolicies>;
export const POLICY_NAMES = [
  'retentionDays',
  'prerecordS',
  'autoIncidentOn',
  'alertEscalateAfterS',
  'dispatchAnswerTimeoutS',
] as const satisfies readonly (keyof TenantPolicies)[];

/**
 * PUT /api/admin/policies: any subset of the policies plus a required reason (audited with the old
 * and new values). Unknown fields are refused. Shortening the retention period applies to existing
 * standard recordings at once; lengthening applies to new recordings only.
 */
export const TenantPoliciesUpdate = z
  .strictObject({
    retentionDays: RetentionDays.optional(),
    prerecordS: PrerecordS.optional(),
    autoIncidentOn: AutoIncidentOn.optional(),
    alertEscalateAfterS: AlertEscalateAfterS.optional(),
    dispatchAnswerTimeoutS: DispatchAnswerTimeoutS.optional(),
    reason: z
      .string('reason is required (5–500 characters)')
      .trim()
      .min(5, 'reason must be at least 5 characters')
      .max(500, 'reason must be at most 500 characters'),
  })
  .refine((u) => POLICY_NAMES.some((k) => u[k] !== undefined), 'name at least one policy to change');
export type TenantPoliciesUpdate = z.infer<typeof TenantPoliciesUpdate>;

/** Who changed the policies last (from the audit log); null if never changed on the screen. */
export const PolicyChange = z.object({
  at: EpochMs,
  actor: z.string().nullable(),
  reason: z.string().nullable(),
});
export type PolicyChange = z.infer<typeof PolicyChange>;

export const PoliciesResponse = z.object({ policies: TenantPolicies, lastChange: PolicyChange.nullable() });
export type PoliciesResponse = z.infer<typeof PoliciesResponse>;

export const PoliciesUpdateResponse = PoliciesResponse.extend({
  /** the policies whose value actually changed (empty: nothing to do, nothing audited) */
  changed: z.array(z.enum(POLICY_NAMES)),
  /** standard recordings whose deletion time moved forward because the period got shorter */
  recordingsShortened: z.number().int().min(0),
});
export type PoliciesUpdateResponse = z.infer<typeof PoliciesUpdateResponse>;
