/**
 * Issue 17, migration 0020: the trigger on `status_events` marks a device for the episode builder
 * only when its new events can change its episodes — a row whose stage or emergency flag differs
 * from the row before it by seq, or its first row — from the lowest such seq. Before, every event
 * marked its device, and the builder re-derived every reporting device on every tick. And the
 * builder derives many devices in one transaction, yet one device that cannot be derived holds up
 * no other. Real PostgreSQL, every migration applied, as the application's role (as the gateway).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDb, provisionDevices } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import { buildPass } from '@lagebild/gateway/episode-builder';
import { ensureAppRole, type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let pg: PostgresHandle;
let owner: Db;
let app: Db;
let tenantId: string;

type Row = [seq: number, stage: 'standby' | 'display' | 'recording', emergency?: boolean];

/** One statement, as the persister writes a batch. */
async function insert(deviceId: string, rows: Row[]): Promise<void> {
  await app.pool.query(
    `INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, battery_pct, signal_bars,
       network, stage, announced, emergency)
     SELECT $1, $2, s, to_timestamp(1_780_000_000 + s), now(), 80, 3, 'lte', st, CASE WHEN st = 'recording' THEN true END, e
       FROM unnest($3::bigint[], $4::"Stage"[], $5::bool[]) AS t(s, st, e)`,
    [tenantId, deviceId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2] ?? false)],
  );
}

async function mark(deviceId: string): Promise<{ fromSeq: number; version: number } | null> {
  const { rows } = await app.pool.query<{ from_seq: string; version: string }>(
    'SELECT from_seq, version FROM episode_dirty WHERE device_id = $1',
    [deviceId],
  );
  return rows[0] ? { fromSeq: Number(rows[0].from_seq), version: Number(rows[0].version) } : null;
}

/** What the builder does once it derived the device. */
const clear = (deviceId: string) =>
  app.pool.query('DELETE FROM episode_dirty WHERE device_id = $1', [deviceId]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-dirty-'));
  await chmod(dir, 0o755);
  pg = await startPostgres({ dataDir: join(dir, 'pg') });
  const appUrl = await ensureAppRole(pg.url);
  await migrate(pg.url);
  owner = openDb(pg.url, { max: 2 });
  app = openDb(appUrl, { max: 2 });
  const { rows } = await owner.pool.query<{ id: string }>(
    `INSERT INTO tenants (slug, name, center_lat, center_lng) VALUES ('markstadt', 'Markstadt', 51.43, 6.76) RETURNING id`,
  );
  tenantId = rows[0]!.id;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await owner?.close();
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('episode_dirty marks (migration 0020)', () => {
  it("marks a device's first events, then only events that change stage or emergency", async () => {
    const [d] = await provisionDevices(owner.pool, tenantId, ['kamera-1']);
    const id = d!.deviceId;
    await insert(id, [
      [1, 'standby'],
      [2, 'standby'],
    ]);
    expect(await mark(id)).toMatchObject({ fromSeq: 1 });
    await clear(id);
    // the same stage and flag again, at 1 Hz: nothing for the builder
    await insert(id, [[3, 'standby']]);
    await insert(id, [
      [4, 'standby'],
      [5, 'standby'],
    ]);
    expect(await mark(id)).toBeNull();
    // a change in the middle of a batch marks from the changing row, not the batch's first
    await insert(id, [
      [6, 'standby'],
      [7, 'display'],
      [8, 'display'],
    ]);
    expect(await mark(id)).toMatchObject({ fromSeq: 7 });
    await clear(id);
    // the emergency flag alone is a change
    await insert(id, [[9, 'display', true]]);
    expect(await mark(id)).toMatchObject({ fromSeq: 9 });
    await clear(id);
    await insert(id, [[10, 'display', true]]);
    expect(await mark(id)).toBeNull();
  });

  it('compares a late event with the event before it by seq, not with the newest', async () => {
    const [d] = await provisionDevices(owner.pool, tenantId, ['kamera-2']);
    const id = d!.deviceId;
    await insert(id, [
      [10, 'standby'],
      [20, 'display'],
      [30, 'display'],
    ]);
    await clear(id);
    // late, and the same as the event before it (10, standby): the change rows stay 10 and 20
    await insert(id, [[15, 'standby']]);
    expect(await mark(id)).toBeNull();
    // late, and different from the event before it (20, display): marks from its seq
    await insert(id, [[25, 'standby']]);
    expect(await mark(id)).toMatchObject({ fromSeq: 25 });
    // a later mark keeps the lowest seq and counts a new version, as 0003's did
    const before = (await mark(id))!;
    await insert(id, [[22, 'recording']]);
    expect(await mark(id)).toEqual({ fromSeq: 22, version: before.version + 1 });
  });
});

describe('episode builder pass', () => {
  const silent = { error: () => {}, warn: () => {} } as unknown as Parameters<typeof buildPass>[0]['log'];
  const pass = () =>
    buildPass({
      pool: app.pool,
      log: silent,
      quietMs: 60_000,
      batch: 500,
      now: Date.now,
      stopped: () => false,
    });
  const episodes = async (deviceId: string) =>
    (
      await app.pool.query<{ start_seq: string; closed: boolean }>(
        'SELECT start_seq, closed FROM episodes WHERE device_id = $1 ORDER BY start_seq',
        [deviceId],
      )
    ).rows.map((r) => [Number(r.start_seq), r.closed]);

  it('derives several devices together, and one that fails is left marked without holding up the rest', async () => {
    await app.pool.query('DELETE FROM episode_dirty');
    const devices = await provisionDevices(owner.pool, tenantId, ['kamera-3', 'kamera-4', 'kamera-5']);
    const [a, b, bad] = devices.map((d) => d.deviceId) as [string, string, string];
    for (const id of [a, b, bad])
      await insert(id, [
        [1, 'standby'],
        [2, 'display'],
        [3, 'recording'],
        [4, 'standby'],
      ]);
    // a mark whose tenant does not exist: its episodes cannot be written (foreign key)
    await app.pool.query('UPDATE episode_dirty SET tenant_id = gen_random_uuid() WHERE device_id = $1', [
      bad,
    ]);
    expect(await pass()).toBe(2);
    // events of 2026-05-28, long past: the episode is closed by the horizon
    expect(await episodes(a)).toEqual([[2, true]]);
    expect(await episodes(b)).toEqual([[2, true]]);
    expect(await episodes(bad)).toEqual([]);
    expect(await mark(a)).toBeNull();
    expect(await mark(bad)).toMatchObject({ fromSeq: 1 });
  });
});
