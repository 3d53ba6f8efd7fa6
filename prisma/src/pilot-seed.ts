/**
 * Loads the deterministic pilot data set (@lagebild/stats `generatePilot`) into a tenant: retired
 * pilot cameras (revoked, so nobody can connect with them), their units, ended shifts, the status
 * events of every stage change, officers' reports, and the baseline year before the pilot. The
 * gateway's episode builder derives the episodes from the events like from live ones. Idempotent:
 * a tenant that has the pilot cameras already is left alone.
 */
import { addDays, generatePilot, PILOT_BASELINE, type PilotOptions } from '@lagebild/stats';
import type { Db } from './client.ts';
import { newToken, sha256Hex } from './secrets.ts';

export interface PilotSeedResult {
  loaded: boolean;
  cameras: number;
  events: number;
  reports: number;
  startDay: string;
  endDay: string;
}

export async function seedPilot(db: Db, tenantId: string, opts: PilotOptions = {}): Promise<PilotSeedResult> {
  const pilot = generatePilot(opts);
  const out = {
    cameras: pilot.cameras.length,
    events: pilot.cameras.reduce((s, c) => s + c.events.length, 0),
    reports: pilot.cameras.reduce((s, c) => s + c.reports.length, 0),
    startDay: pilot.startDay,
    endDay: pilot.endDay,
  };
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(727274009)');
    const exists = await client.query('SELECT 1 FROM devices WHERE tenant_id = $1 AND label = $2', [
      tenantId,
      pilot.cameras[0]!.label,
    ]);
    if (exists.rowCount) {
      await client.query('ROLLBACK');
      return { loaded: false, ...out };
    }
    for (const cam of pilot.cameras) {
      const dev = await client.query<{ id: string }>(
        `INSERT INTO devices (tenant_id, label, secret_hash, state, revoked_at, created_at)
         VALUES ($1, $2, $3, 'revoked', $4, $5) RETURNING id`,
        [
          tenantId,
          cam.label,
          sha256Hex(newToken()),
          new Date(`${pilot.endDay}T23:00:00Z`),
          new Date(cam.shifts[0]?.startedAt ?? Date.now()),
        ],
      );
      const deviceId = dev.rows[0]!.id;
      const unit = await client.query<{ id: string }>(
        `INSERT INTO units (tenant_id, callsign, team) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, callsign) DO UPDATE SET team = EXCLUDED.team RETURNING id`,
        [tenantId, cam.callsign, cam.team],
      );
      await client.query(
        `INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at)
         SELECT $1, $2, $3, s, e FROM unnest($4::timestamptz[], $5::timestamptz[]) AS x(s, e)`,
        [
          tenantId,
          unit.rows[0]!.id,
          deviceId,
          cam.shifts.map((s) => new Date(s.startedAt)),
          cam.shifts.map((s) => new Date(s.endedAt)),
        ],
      );
      const ev = cam.events;
      await client.query(
        `INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, lat, lng, accuracy_m,
           heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced, unannounced_reason, emergency)
         SELECT $1, $2, seq, t, t, lat, lng, 5, NULL, 0, 80, 3, 'lte', stage, announced, reason, emergency
           FROM unnest($3::bigint[], $4::timestamptz[], $5::float8[], $6::float8[], $7::"Stage"[], $8::bool[],
                       $9::text[], $10::bool[]) AS x(seq, t, lat, lng, stage, announced, reason, emergency)`,
        [
          tenantId,
          deviceId,
          ev.map((e) => e.seq),
          ev.map((e) => new Date(e.at)),
          ev.map((e) => e.lat),
          ev.map((e) => e.lng),
          ev.map((e) => e.stage),
          ev.map((e) => e.announced),
          ev.map((e) => e.unannouncedReason),
          ev.map((e) => e.emergency),
        ],
      );
      const rp = cam.reports;
      await client.query(
        `INSERT INTO episode_reports (id, tenant_id, device_id, episode_at, assault, context, announcement_given, note, source)
         SELECT gen_random_uuid(), $1, $2, at, assault, context, given, note, 'import'
           FROM unnest($3::timestamptz[], $4::"Assault"[], $5::"IncidentContext"[], $6::bool[], $7::text[])
                AS x(at, assault, context, given, note)`,
        [
          tenantId,
          deviceId,
          rp.map((r) => new Date(r.episodeAt)),
          rp.map((r) => r.assault),
          rp.map((r) => r.context),
          rp.map((r) => r.announcementGiven),
          rp.map((r) => r.note),
        ],
      );
    }
    await client.query(
      `INSERT INTO baseline_periods (tenant_id, label, starts_on, ends_on, officer_hours, assaults, note)
       VALUES ($1, $2, $3, $4, $5, $6, 'Demo: Zahl aus dem Duisburger Pilotbericht')`,
      [
        tenantId,
        PILOT_BASELINE.label,
        addDays(pilot.startDay, -365),
        addDays(pilot.startDay, -1),
        PILOT_BASELINE.officerHours,
        PILOT_BASELINE.assaults,
      ],
    );
    await client.query('COMMIT');
    return { loaded: true, ...out };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
