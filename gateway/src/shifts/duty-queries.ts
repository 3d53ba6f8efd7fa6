/**
 * Reads of the Dienst page (issue 15): a tenant's teams, units with their open shift, active
 * cameras with the shift wearing each, one shift as the page shows it. Plain SQL on a pool or a
 * transaction's client; every query names the tenant, so nothing of another tenant is read.
 */
import type { DutyBoardResponse, DutyCamera, DutyShift, DutyTeam, DutyUnit } from '@lagebild/protocol';
import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const ms = (d: Date | null) => (d === null ? null : d.getTime());

interface ShiftRow {
  id: string;
  unit_id: string;
  callsign: string;
  team: string;
  device_id: string;
  device_label: string;
  personnel_number: string | null;
  started_at: Date;
  ended_at: Date | null;
  started_by: string | null;
  ended_by: string | null;
}

const SHIFT_SELECT = `
  SELECT s.id, s.unit_id, u.callsign, s.team, s.device_id, d.label AS device_label, s.personnel_number,
         s.started_at, s.ended_at, sb.display_name AS started_by, eb.display_name AS ended_by
    FROM shifts s
    JOIN units u ON u.id = s.unit_id
    JOIN devices d ON d.id = s.device_id
    LEFT JOIN users sb ON sb.id = s.started_by
    LEFT JOIN users eb ON eb.id = s.ended_by`;

const shiftOf = (r: ShiftRow): DutyShift => ({
  id: r.id,
  unitId: r.unit_id,
  callsign: r.callsign,
  team: r.team,
  deviceId: r.device_id,
  deviceLabel: r.device_label,
  personnelNumber: r.personnel_number,
  startedAt: r.started_at.getTime(),
  endedAt: ms(r.ended_at),
  startedBy: r.started_by,
  endedBy: r.ended_by,
});

/** One shift of the tenant, or null (unknown, or another tenant's). */
export async function loadShift(db: Queryable, tenantId: string, id: string): Promise<DutyShift | null> {
  const { rows } = await db.query<ShiftRow>(`${SHIFT_SELECT} WHERE s.id = $1 AND s.tenant_id = $2`, [
    id,
    tenantId,
  ]);
  return rows[0] ? shiftOf(rows[0]) : null;
}

/** The open shift wearing a device, or null. */
export async function openShiftOfDevice(db: Queryable, deviceId: string): Promise<DutyShift | null> {
  const { rows } = await db.query<ShiftRow>(`${SHIFT_SELECT} WHERE s.device_id = $1 AND s.ended_at IS NULL`, [
    deviceId,
  ]);
  return rows[0] ? shiftOf(rows[0]) : null;
}

/** The open shift of a unit, or null. */
export async function openShiftOfUnit(db: Queryable, unitId: string): Promise<DutyShift | null> {
  const { rows } = await db.query<ShiftRow>(`${SHIFT_SELECT} WHERE s.unit_id = $1 AND s.ended_at IS NULL`, [
    unitId,
  ]);
  return rows[0] ? shiftOf(rows[0]) : null;
}

export async function listTeams(db: Queryable, tenantId: string, id?: string): Promise<DutyTeam[]> {
  const { rows } = await db.query<{ id: string; name: string; deactivated_at: Date | null; units: number }>(
    `SELECT t.id, t.name, t.deactivated_at,
            (SELECT count(*)::int FROM units u
              WHERE u.tenant_id = t.tenant_id AND u.team = t.name AND u.deactivated_at IS NULL) AS units
       FROM teams t
      WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR t.id = $2)
      ORDER BY t.deactivated_at IS NOT NULL, t.name`,
    [tenantId, id ?? null],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, active: r.deactivated_at === null, units: r.units }));
}

export async function listUnits(db: Queryable, tenantId: string, id?: string): Promise<DutyUnit[]> {
  const [{ rows: units }, { rows: shifts }] = await Promise.all([
    db.query<{ id: string; callsign: string; team: string; deactivated_at: Date | null }>(
      `SELECT id, callsign, team, deactivated_at FROM units
        WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id = $2)
        ORDER BY deactivated_at IS NOT NULL, team, callsign`,
      [tenantId, id ?? null],
    ),
    db.query<ShiftRow>(
      `${SHIFT_SELECT} WHERE s.tenant_id = $1 AND s.ended_at IS NULL AND ($2::uuid IS NULL OR s.unit_id = $2)`,
      [tenantId, id ?? null],
    ),
  ]);
  const byUnit = new Map(shifts.map((s) => [s.unit_id, shiftOf(s)]));
  return units.map((u) => ({
    id: u.id,
    callsign: u.callsign,
    team: u.team,
    active: u.deactivated_at === null,
    shift: byUnit.get(u.id) ?? null,
  }));
}

async function listCameras(db: Queryable, tenantId: string): Promise<DutyCamera[]> {
  const { rows } = await db.query<{
    id: string;
    label: string;
    shift_id: string | null;
    callsign: string | null;
    last_seen_at: Date | null;
  }>(
    `SELECT d.id, d.label, s.id AS shift_id, u.callsign, d.last_seen_at
       FROM devices d
       LEFT JOIN shifts s ON s.device_id = d.id AND s.ended_at IS NULL
       LEFT JOIN units u ON u.id = s.unit_id
      WHERE d.tenant_id = $1 AND d.state = 'active'
      ORDER BY d.label`,
    [tenantId],
  );
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    shiftId: r.shift_id,
    callsign: r.callsign,
    lastSeenAt: ms(r.last_seen_at),
  }));
}

async function recentlyEnded(db: Queryable, tenantId: string): Promise<DutyShift[]> {
  const { rows } = await db.query<ShiftRow>(
    `${SHIFT_SELECT} WHERE s.tenant_id = $1 AND s.ended_at > now() - interval '24 hours'
      ORDER BY s.ended_at DESC LIMIT 100`,
    [tenantId],
  );
  return rows.map(shiftOf);
}

export async function dutyBoard(db: Queryable, tenantId: string): Promise<DutyBoardResponse> {
  const [teams, units, cameras, ended] = await Promise.all([
    listTeams(db, tenantId),
    listUnits(db, tenantId),
    listCameras(db, tenantId),
    recentlyEnded(db, tenantId),
  ]);
  return { teams, units, cameras, recentlyEnded: ended };
}
