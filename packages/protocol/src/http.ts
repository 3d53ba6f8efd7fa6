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
