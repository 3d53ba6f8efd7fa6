/**
 * Provisioning of devices: a new device gets a random secret that is returned exactly once; only
 * its SHA-256 is stored. Bulk provisioning (seed, tests, load benchmarks) uses one INSERT.
 */
import type pg from 'pg';
import { newToken, sha256Hex } from './secrets.ts';
import { withTransaction } from './transaction.ts';

export interface DeviceCredentials {
  deviceId: string;
  secret: string;
  label: string;
  tenantId: string;
}

export async function provisionDevices(
  pool: pg.Pool,
  tenantId: string,
  labels: string[],
): Promise<DeviceCredentials[]> {
  if (labels.length === 0) return [];
  const secrets = labels.map(() => newToken());
  const { rows } = await pool.query<{ id: string; label: string }>(
    `INSERT INTO devices (tenant_id, label, secret_hash)
     SELECT $1, l, h FROM unnest($2::text[], $3::text[]) AS t(l, h)
     ON CONFLICT (tenant_id, label) DO UPDATE
       SET secret_hash = EXCLUDED.secret_hash, state = 'active', revoked_at = NULL
     RETURNING id, label`,
    [tenantId, labels, secrets.map(sha256Hex)],
  );
  const byLabel = new Map(rows.map((r) => [r.label, r.id]));
  return labels.map((label, i) => ({ deviceId: byLabel.get(label)!, secret: secrets[i]!, label, tenantId }));
}

/** Opens a shift per device (callsign `${prefix} n`), ending any open shift of those devices. */
export async function openShifts(
  pool: pg.Pool,
  tenantId: string,
  devices: Array<{ deviceId: string; callsign: string; team: string }>,
): Promise<void> {
  if (devices.length === 0) return;
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string; callsign: string }>(
      `INSERT INTO units (tenant_id, callsign, team)
     SELECT $1, c, t FROM unnest($2::text[], $3::text[]) AS x(c, t)
     ON CONFLICT (tenant_id, callsign) DO UPDATE SET team = EXCLUDED.team
     RETURNING id, callsign`,
      [tenantId, devices.map((d) => d.callsign), devices.map((d) => d.team)],
    );
    const unitByCallsign = new Map(rows.map((r) => [r.callsign, r.id]));
    const unitIds = devices.map((d) => unitByCallsign.get(d.callsign)!);
    const deviceIds = devices.map((d) => d.deviceId);
    await client.query(
      `UPDATE shifts SET ended_at = now()
      WHERE ended_at IS NULL AND (device_id = ANY($1::uuid[]) OR unit_id = ANY($2::uuid[]))`,
      [deviceIds, unitIds],
    );
    await client.query(
      `INSERT INTO shifts (tenant_id, unit_id, device_id)
     SELECT $1, u, d FROM unnest($2::uuid[], $3::uuid[]) AS x(u, d)`,
      [tenantId, unitIds, deviceIds],
    );
  });
}
