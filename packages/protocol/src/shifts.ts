/**
 * The "Dienst" page (issue 15): teams, units and shifts, administered by supervisors and admins of
 * their own tenant. A shift puts one camera on one unit; a camera is on one open shift at a time
 * and a unit wears one camera (enforced by the database). The officer is a pseudonymous personnel
 * number: it appears here only, for supervisors and admins, never in statistics or to evaluators.
 */
import { z } from 'zod';
import { EpochMs, Id, type Role } from './common.ts';

/** Who may open this page and call its routes. */
export const DUTY_ROLES: readonly Role[] = ['admin', 'supervisor'];

export const TeamName = z.string().trim().min(1, 'name: 1–60 characters').max(60, 'name: 1–60 characters');
export const Callsign = z
  .string()
  .trim()
  .min(1, 'callsign: 1–40 characters')
  .max(40, 'callsign: 1–40 characters');
/** A pseudonymous personnel number, e.g. `P-4711`: letters, digits, `-` and `/`, 1–32 characters. */
export const PersonnelNumber = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9/-]{0,31}$/, 'personnelNumber: 1–32 letters, digits, - or /');
/** A camera's label as printed on it (and in its QR code / barcode). */
export const CameraLabel = z.string().trim().min(1).max(100);

export const DutyTeam = z.object({
  id: Id,
  name: z.string(),
  active: z.boolean(),
  /** active units of this team */
  units: z.number().int().min(0),
});
export type DutyTeam = z.infer<typeof DutyTeam>;

/** An open or ended shift as the Dienst page shows it. */
export const DutyShift = z.object({
  id: Id,
  unitId: Id,
  callsign: z.string(),
  team: z.string(),
  deviceId: Id,
  deviceLabel: z.string(),
  personnelNumber: z.string().nullable(),
  startedAt: EpochMs,
  endedAt: EpochMs.nullable(),
  /** display name of who started / ended it (null: the seed, or a deleted user) */
  startedBy: z.string().nullable(),
  endedBy: z.string().nullable(),
});
export type DutyShift = z.infer<typeof DutyShift>;

export const DutyUnit = z.object({
  id: Id,
  callsign: z.string(),
  team: z.string(),
  active: z.boolean(),
  /** the unit's open shift */
  shift: DutyShift.nullable(),
});
export type DutyUnit = z.infer<typeof DutyUnit>;

export const DutyCamera = z.object({
  id: Id,
  label: z.string(),
  /** the open shift wearing it; null = free */
  shiftId: Id.nullable(),
  callsign: z.string().nullable(),
  lastSeenAt: EpochMs.nullable(),
});
export type DutyCamera = z.infer<typeof DutyCamera>;

/** Everything the Dienst page shows: teams, units with their open shift, active cameras. */
export const DutyBoardResponse = z.object({
  teams: z.array(DutyTeam),
  units: z.array(DutyUnit),
  cameras: z.array(DutyCamera),
  /** shifts ended in the last 24 hours, newest first */
  recentlyEnded: z.array(DutyShift),
});
export type DutyBoardResponse = z.infer<typeof DutyBoardResponse>;

export const CreateTeamRequest = z.strictObject({ name: TeamName });
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

/** Rename and/or (de)activate. A team with active units cannot be deactivated. */
export const ChangeTeamRequest = z
  .strictObject({ name: TeamName.optional(), active: z.boolean().optional() })
  .refine((b) => b.name !== undefined || b.active !== undefined, 'name or active is required');
export type ChangeTeamRequest = z.infer<typeof ChangeTeamRequest>;

export const TeamResponse = z.object({ team: DutyTeam });
export type TeamResponse = z.infer<typeof TeamResponse>;

export const CreateUnitRequest = z.strictObject({ callsign: Callsign, teamId: Id });
export type CreateUnitRequest = z.infer<typeof CreateUnitRequest>;

/** Rename, move to another team and/or (de)activate; a unit on shift keeps its team until it ends. */
export const ChangeUnitRequest = z
  .strictObject({ callsign: Callsign.optional(), teamId: Id.optional(), active: z.boolean().optional() })
  .refine(
    (b) => b.callsign !== undefined || b.teamId !== undefined || b.active !== undefined,
    'callsign, teamId or active is required',
  );
export type ChangeUnitRequest = z.infer<typeof ChangeUnitRequest>;

export const UnitAdminResponse = z.object({ unit: DutyUnit });
export type UnitAdminResponse = z.infer<typeof UnitAdminResponse>;

/** Starts a shift: the camera by id (picked from the free ones) or by its label (typed or scanned). */
export const StartShiftRequest = z
  .strictObject({
    unitId: Id,
    deviceId: Id.optional(),
    deviceLabel: CameraLabel.optional(),
    personnelNumber: PersonnelNumber,
  })
  .refine((b) => (b.deviceId === undefined) !== (b.deviceLabel === undefined), {
    message: 'name the camera by deviceId or by deviceLabel (one of them)',
    path: ['deviceId'],
  });
export type StartShiftRequest = z.infer<typeof StartShiftRequest>;

export const ShiftResponse = z.object({ shift: DutyShift });
export type ShiftResponse = z.infer<typeof ShiftResponse>;
