/**
 * The live cache's compare-and-set against a real redis-server (issue 17): the writes of one
 * event-loop turn go to Redis in one script call per tenant, and each still answers for itself —
 * a state never replaces a newer one, in the same call or across calls and tenants.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLiveStore, type LiveStore } from '@lagebild/gateway/live-store';
import { type RedisHandle, startRedis } from '@lagebild/infra/redis';
import type { UnitLive } from '@lagebild/protocol';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let server: RedisHandle;
let redis: Redis;
let live: LiveStore;

const unit = (deviceId: string, seq: number): UnitLive => ({
  deviceId,
  deviceLabel: `KOD-${deviceId}`,
  unitId: null,
  callsign: null,
  team: null,
  seq,
  at: 1_700_000_000_000 + seq,
  receivedAt: 1_700_000_000_000 + seq,
  position: null,
  headingDeg: null,
  speedMps: null,
  batteryPct: 80,
  signalBars: 3,
  network: 'lte',
  stage: 'standby',
  announced: null,
  emergency: false,
  stageSince: 1_700_000_000_000,
  online: false,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-live-store-'));
  server = await startRedis({ dir });
  redis = new Redis(server.url);
  // snapshot() (which rebuilds from PostgreSQL) is not used here
  live = createLiveStore(redis, null as unknown as pg.Pool);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('live cache writes', () => {
  it('answers each write of one turn for itself: an older state never replaces a newer one', async () => {
    const results = await Promise.all([
      live.put('t1', unit('a', 5)),
      live.put('t1', unit('a', 3)),
      live.put('t1', unit('b', 1)),
      live.put('t1', unit('a', 7)),
      live.put('t1', unit('a', 7)),
      live.put('t2', unit('a', 2)),
    ]);
    expect(results).toEqual([true, false, true, true, false, true]);
    expect((await live.get('t1', 'a'))?.seq).toBe(7);
    expect((await live.get('t1', 'b'))?.seq).toBe(1);
    // tenants are separate hashes: t2's device "a" is its own
    expect((await live.get('t2', 'a'))?.seq).toBe(2);
    expect(await live.put('t1', unit('a', 6))).toBe(false);
    expect((await live.get('t1', 'a'))?.seq).toBe(7);
  });

  it('takes more writes in one turn than one script call carries, in order', async () => {
    const puts = Array.from({ length: 1_234 }, (_, i) => live.put('t3', unit(`d${i % 100}`, i)));
    const results = await Promise.all(puts);
    expect(results.every(Boolean)).toBe(true);
    // the newest state of each device is the last one written for it
    const newest = new Map<string, number>();
    for (let i = 0; i < 1_234; i++) newest.set(`d${i % 100}`, i);
    for (const [d, seq] of newest) expect((await live.get('t3', d))?.seq).toBe(seq);
  });

  it('rejects every write of a call when Redis cannot take it, and writes again when it can', async () => {
    const broken = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const store = createLiveStore(broken, null as unknown as pg.Pool);
    await expect(store.put('t4', unit('x', 1))).rejects.toThrow();
    if (broken.status !== 'ready') await new Promise((r) => broken.once('ready', r));
    expect(await store.put('t4', unit('x', 1))).toBe(true);
    broken.disconnect();
  });
});
