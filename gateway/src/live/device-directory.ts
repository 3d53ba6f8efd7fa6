/**
 * Who a device is: its tenant, label, state and the unit wearing it on the open shift. Read from
 * PostgreSQL at every handshake, so a revocation or a shift change takes effect on the next connect.
 */
import type pg from 'pg';

export interface DeviceIdentity {
  deviceId: string;
  tenantId: string;
  label: string;
  secretHash: string;
  state: 'active' | 'revoked';
  unitId: string | null;
  callsign: string | null;
  team: string | null;
}

export async function findDevice(pool: pg.Pool, deviceId: string): Promise<DeviceIdentity | null> {
  const { rows } = await pool.query<DeviceIdentity>(
    `SELECT d.id AS "deviceId", d.tenant_id AS "tenantId", d.label, d.secret_hash AS "secretHash", d.state,
            s.unit_id AS "unitId", u.callsign, u.team
       FROM devices d
       LEFT JOIN shifts s ON s.device_id = d.id AND s.ended_at IS NULL
       LEFT JOIN units u ON u.id = s.unit_id
      WHERE d.id = $1`,
    [deviceId],
  );
  return rows[0] ?? null;
}
