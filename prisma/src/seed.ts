/**
 * Demo data: Duisburg and Dortmund, a user per role each, 20 devices each worn by units on an open
 * shift. Idempotent: existing tenants and users are kept (passwords are not reset); device secrets
 * are re-issued on every run because the previous ones were shown once and are gone — the caller
 * hands the fresh credentials to the simulator.
 */
import type { Role } from '@lagebild/protocol';
import type { Db } from './client.ts';
import { type DeviceCredentials, openShifts, provisionDevices } from './devices.ts';
import { hashPassword } from './secrets.ts';

export interface DemoTenant {
  slug: 'duisburg' | 'dortmund';
  name: string;
  center: { lat: number; lng: number };
  zoom: number;
  devicePrefix: string;
  teams: string[];
  districts: string[];
}

export const DEMO_TENANTS: readonly DemoTenant[] = [
  {
    slug: 'duisburg',
    name: 'Stadt Duisburg',
    center: { lat: 51.4318, lng: 6.7626 },
    zoom: 15,
    devicePrefix: 'DU',
    teams: ['KOD Mitte', 'KOD Nord', 'KOD Süd'],
    districts: ['Mitte', 'Hochfeld', 'Marxloh', 'Ruhrort'],
  },
  {
    slug: 'dortmund',
    name: 'Stadt Dortmund',
    center: { lat: 51.5149, lng: 7.4636 },
    zoom: 15,
    devicePrefix: 'DO',
    teams: ['KOD City', 'KOD Nordstadt'],
    districts: ['City', 'Nordstadt', 'Hörde', 'Innenstadt-West'],
  },
];

export const DEMO_ROLES: readonly Role[] = ['admin', 'supervisor', 'operator', 'evaluator'];
const ROLE_NAMES: Record<Role, string> = {
  admin: 'Administration',
  supervisor: 'Dienstgruppenleitung',
  operator: 'Leitstelle',
  evaluator: 'Evaluation',
};

export const demoUsername = (tenantSlug: string, role: Role) => `${tenantSlug}.${role}`;

export interface SeedOptions {
  password: string;
  devicesPerTenant?: number;
}

export interface SeededTenant {
  id: string;
  slug: DemoTenant['slug'];
  name: string;
  devices: DeviceCredentials[];
}

export async function seedDemo(db: Db, opts: SeedOptions): Promise<SeededTenant[]> {
  const perTenant = opts.devicesPerTenant ?? 20;
  const passwordHash = await hashPassword(opts.password);
  const out: SeededTenant[] = [];
  for (const t of DEMO_TENANTS) {
    const tenant = await db.prisma.tenant.upsert({
      where: { slug: t.slug },
      update: {},
      create: { slug: t.slug, name: t.name, centerLat: t.center.lat, centerLng: t.center.lng, zoom: t.zoom },
    });
    for (const role of DEMO_ROLES) {
      await db.prisma.user.upsert({
        where: { username: demoUsername(t.slug, role) },
        update: {},
        create: {
          tenantId: tenant.id,
          username: demoUsername(t.slug, role),
          displayName: `${ROLE_NAMES[role]} ${t.name.replace('Stadt ', '')}`,
          role,
          passwordHash,
        },
      });
    }
    const labels = Array.from(
      { length: perTenant },
      (_, i) => `${t.devicePrefix}-BWC-${String(i + 1).padStart(2, '0')}`,
    );
    const devices = await provisionDevices(db.pool, tenant.id, labels);
    await openShifts(
      db.pool,
      tenant.id,
      devices.map((d, i) => ({
        deviceId: d.deviceId,
        callsign: `${t.teams[i % t.teams.length]} ${Math.floor(i / t.teams.length) + 1}`,
        team: t.teams[i % t.teams.length]!,
      })),
    );
    out.push({ id: tenant.id, slug: t.slug, name: t.name, devices });
  }
  return out;
}
