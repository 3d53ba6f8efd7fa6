/**
 * Loads the deterministic pilot data set (@lagebild/stats `generatePilot`) into a tenant: retired
 * pilot cameras (revoked, so nobody can connect with them), their units, ended shifts, the status
 * events of every stage change, officers' reports, and the baseline year before the pilot. The
 * gateway's episode builder derives the episodes from the events like from live ones. The pilot's
 * recordings arrive as metadata only (kept as evidence, or deleted by retention or early on
 * request, as rows look after crypto-shredding); `npm start` then gives the kept ones a demo video
 * (infra/src/demo-recordings.ts), so the library never offers one it cannot play. Idempotent: a tenant that has the pilot cameras
 * already is left alone, except that pilot data loaded before recordings existed gets them added.
 */
import { addDays, generatePilot, PILOT_BASELINE, type PilotData, type PilotOptions } from '@lagebild/stats';
import type pg from 'pg';
import type { Db } from './client.ts';
import { newToken, sha256Hex } from './secrets.ts';

export interface PilotSeedResult {
  loaded: boolean;
  cameras: number;
  events: number;
  reports: number;
  recordings: number;
  startDay: string;
  endDay: string;
}

export async function seedPilot(db: Db, tenantId: string, opts: PilotOptions = {}): Promise<PilotSeedResult> {
  const pilot = generatePilot(opts);
  const out = {
    cameras: pilot.cameras.length,
    events: pilot.cameras.reduce((s, c) => s + c.events.length, 0),
    reports: pilot.cameras.reduce((s, c) => s + c.reports.length, 0),
    recordings: pilot.cameras.reduce((s, c) => s + c.recordings.length, 0),
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
      const added = await backfillRecordings(client, tenantId, pilot);
      await client.query('COMMIT');
      return { loaded: false, ...out, recordings: added };
    }
    const devices = new Map<string, string>();
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
      devices.set(cam.label, deviceId);
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
    await insertRecordings(client, tenantId, pilot, devices);
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

/** Pilot data from before recordings existed: adds the pilot's recordings once; 0 if it has them. */
async function backfillRecordings(
  client: pg.PoolClient,
  tenantId: string,
  pilot: PilotData,
): Promise<number> {
  const { rows } = await client.query<{ id: string; label: string; has: boolean }>(
    `SELECT d.id, d.label, EXISTS (SELECT 1 FROM recordings r WHERE r.device_id = d.id) AS has
       FROM devices d WHERE d.tenant_id = $1 AND d.label = ANY($2)`,
    [tenantId, pilot.cameras.map((c) => c.label)],
  );
  if (rows.some((r) => r.has)) return 0;
  return insertRecordings(client, tenantId, pilot, new Map(rows.map((r) => [r.label, r.id])));
}

/**
 * The pilot's recordings as rows look once their fate is settled: evidence and legal hold complete
 * and held (case reference, no deletion time); the others deleted, by the sweeper at the end of the
 * tenant's period or two days after the start on a four-eyes request a supervisor consented to.
 * Deleted rows carry no deletion receipt, as no video was ever encrypted for them.
 */
async function insertRecordings(
  client: pg.PoolClient,
  tenantId: string,
  pilot: PilotData,
  devices: Map<string, string>,
): Promise<number> {
  const users = await client.query<{ id: string; role: string }>(
    `SELECT id, role FROM users WHERE tenant_id = $1 AND role IN ('operator', 'supervisor', 'admin')
      ORDER BY role, username`,
    [tenantId],
  );
  // as the four-eyes rule wants it: a superior consents, never to their own request nor above their rank
  const rank = (role: string) => ['operator', 'supervisor', 'admin'].indexOf(role);
  const decider =
    users.rows.find((u) => u.role === 'supervisor') ?? users.rows.find((u) => u.role === 'admin');
  const requester = users.rows
    .filter((u) => decider && u.id !== decider.id && rank(u.role) <= rank(decider.role))
    .sort((a, b) => rank(a.role) - rank(b.role))[0];
  const { rows: t } = await client.query<{ retention_days: number }>(
    'SELECT retention_days FROM tenants WHERE id = $1',
    [tenantId],
  );
  const retentionMs = (t[0]?.retention_days ?? 14) * 86_400_000;
  let n = 0;
  for (const cam of pilot.cameras) {
    const deviceId = devices.get(cam.label);
    if (!deviceId) continue;
    for (const r of cam.recordings) {
      n++;
      // early deletion needs two people; a tenant without them shows the recording deleted by retention
      const early = r.outcome === 'deleted_early' && requester !== undefined && decider !== undefined;
      const held = r.outcome === 'evidence' || r.outcome === 'legal_hold';
      const deletedAt = held ? null : new Date(r.startedAt + (early ? 2 * 86_400_000 : retentionMs));
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO recordings (id, tenant_id, device_id, unit_id, started_at, stopped_at, bytes, state, retention,
           retention_reason, case_reference, retention_at, delete_at, deleted_at, created_at)
         SELECT gen_random_uuid(), $1, $2,
                (SELECT unit_id FROM shifts WHERE device_id = $2 AND started_at <= $3 AND ended_at > $3 LIMIT 1),
                $3, $4, $5, $6::"RecordingState", $7::"RetentionClass", $8, $9, $10, NULL, $11, $3
         RETURNING id`,
        [
          tenantId,
          deviceId,
          new Date(r.startedAt),
          new Date(r.stoppedAt),
          // about 2 Mbit/s of video
          Math.round((r.stoppedAt - r.startedAt) * 250),
          held ? 'complete' : 'deleted',
          held ? r.outcome : 'standard',
          held
            ? r.outcome === 'legal_hold'
              ? 'Demo: Anordnung der Staatsanwaltschaft'
              : 'Demo: Strafanzeige nach Übergriff'
            : null,
          held ? `Demo ${n}/26` : null,
          held ? new Date(r.startedAt + 86_400_000) : null,
          deletedAt,
        ],
      );
      if (early) {
        await client.query(
          `INSERT INTO recording_approvals (tenant_id, recording_id, action, reason, requested_by, requested_at,
             state, decided_by, decided_at, decision_reason)
           VALUES ($1, $2, 'early_deletion', 'Demo: Aufnahme versehentlich ausgelöst', $3, $4, 'approved', $5, $6,
                   'Demo: kein Bezug zu einem Vorfall')`,
          [tenantId, rows[0]!.id, requester!.id, new Date(r.startedAt + 86_400_000), decider!.id, deletedAt],
        );
      }
    }
  }
  return n;
}
