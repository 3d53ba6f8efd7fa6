/**
 * The benchmarks' fleet (bench:status, bench:map): `count` devices provisioned in a tenant, each on
 * a shift of its own unit, and their credentials written to a file for status-driver.ts.
 */
import { writeFile } from 'node:fs/promises';
import { openShifts, provisionDevices } from '@lagebild/db';
import type { Stack } from '../src/stack.ts';

export async function provisionFleet(
  stack: Stack,
  tenant: { id: string; slug: string },
  o: { count: number; labelPrefix: string; callsign: string; teams: number; credentialsFile: string },
): Promise<void> {
  const labels = Array.from(
    { length: o.count },
    (_, i) => `${o.labelPrefix}-${String(i + 1).padStart(5, '0')}`,
  );
  const creds = await provisionDevices(stack.db.pool, tenant.id, labels);
  await openShifts(
    stack.db.pool,
    tenant.id,
    creds.map((c, i) => ({
      deviceId: c.deviceId,
      callsign: `${o.callsign} ${i + 1}`,
      team: `Team ${(i % o.teams) + 1}`,
    })),
  );
  await writeFile(
    o.credentialsFile,
    JSON.stringify(
      creds.map((c) => ({ deviceId: c.deviceId, secret: c.secret, label: c.label, city: tenant.slug })),
    ),
  );
}
