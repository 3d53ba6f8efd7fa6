/**
 * [FLT7] Device clocks off by ±3 hours, and a device offline for an hour that replays its 3,600
 * buffered events while it already sends live ones (issue 14). Four devices follow the same script
 * (one status a second of device time: display, then an announced recording, then standby, every two
 * minutes): P punctual, A with its clock 3 h ahead, B 3 h behind, R offline for the hour. R sends its
 * live events (seq 3601…) first and replays 1…3600 meanwhile, so those arrive late. Asserted: R's unit
 * on the dashboard never moves backwards (seq and device time never decrease from batch to batch),
 * and every device's episodes equal P's (shifted by its clock offset): late or skewed delivery gives
 * the same statistics as punctual delivery.
 */
import type { ControlBatch, DeviceStatusInput, StatusAck } from '@lagebild/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, connectOperator, login, status, type TestDevice } from '../src/clients.ts';
import { figure, within } from '../src/faults/observe.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

const BUFFERED = 3600;
const LIVE = 120;
const HOUR_MS = 3_600_000;
const SKEW_MS = 3 * HOUR_MS;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** the script's event i (1-based) at device time base + i s */
function scripted(i: number, base: number): DeviceStatusInput {
  const phase = i % 120;
  const stage = phase >= 10 && phase < 20 ? 'display' : phase >= 20 && phase < 30 ? 'recording' : 'standby';
  return status(i, { at: base + i * 1000, stage, announced: stage === 'recording' ? true : null });
}

/** sends each event until it is acknowledged ok, in the order given, `inFlight` at a time */
async function deliver(dev: TestDevice, events: DeviceStatusInput[], inFlight = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const e = events[next++]!;
      for (;;) {
        const ack: StatusAck | null = await dev.send(e, 5000).catch(() => null);
        if (ack?.ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

interface EpisodeShape {
  startedAt: number;
  endedAt: number | null;
  maxStage: string;
  displayAt: number | null;
  recordingAt: number | null;
  displayFirst: boolean;
  announced: boolean | null;
  closed: boolean;
}

async function episodesOf(s: Stack, deviceId: string, offsetMs: number): Promise<EpisodeShape[]> {
  const ms = (d: Date | null) => (d ? d.getTime() - offsetMs : null);
  const { rows } = await s.db.pool.query(
    `SELECT started_at, ended_at, max_stage, display_at, recording_at, display_first, announced, closed
       FROM episodes WHERE device_id = $1 ORDER BY start_seq`,
    [deviceId],
  );
  return rows.map((r) => ({
    startedAt: ms(r.started_at)!,
    endedAt: ms(r.ended_at),
    maxStage: r.max_stage,
    displayAt: ms(r.display_at),
    recordingAt: ms(r.recording_at),
    displayFirst: r.display_first,
    announced: r.announced,
    closed: r.closed,
  }));
}

describe('faults: device clocks and an hour offline', () => {
  it('[FLT7] ±3 h clocks and 3,600 replayed events: the map never moves back, episodes equal punctual delivery', async () => {
    stack = await startStack({ gateways: 1, devicesPerTenant: 4, gatewayEnv: { EPISODE_BUILD_MS: '500' } });
    const [p, a, b, r] = stack.tenants[0]!.devices as [
      (typeof stack.tenants)[0]['devices'][0],
      (typeof stack.tenants)[0]['devices'][0],
      (typeof stack.tenants)[0]['devices'][0],
      (typeof stack.tenants)[0]['devices'][0],
    ];
    const op = await connectOperator(stack.url, await login(stack.url, 'duisburg.operator', DEMO_PASSWORD));
    const base = Date.now() - BUFFERED * 1000; // the hour R was offline
    const total = BUFFERED + LIVE;
    const script = (offsetMs: number) =>
      Array.from({ length: total }, (_, k) => scripted(k + 1, base + offsetMs));
    const devs = await Promise.all([p, a, b, r].map((d) => connectDevice(stack!.url, d)));
    const [dp, da, db, dr] = devs as [TestDevice, TestDevice, TestDevice, TestDevice];

    const started = Date.now();
    const rEvents = script(0);
    await Promise.all([
      deliver(dp, script(0), 1),
      deliver(da, script(SKEW_MS), 1),
      deliver(db, script(-SKEW_MS), 1),
      // R: live first (seq 3601…), its buffered hour replayed at the same time, on one connection
      deliver(dr, rEvents.slice(BUFFERED), 1),
      deliver(dr, rEvents.slice(0, BUFFERED), 8),
    ]);
    const deliveredMs = Date.now() - started;

    // R on the dashboard: seq and device time never decrease from one batch to the next
    await within(() => op.units.get(r.deviceId)?.seq === total, 10_000, "R's last live event on the map");
    const seen = op.batches
      .flatMap((bt: ControlBatch) => bt.units)
      .filter((u) => u.deviceId === r.deviceId)
      .map((u) => ({ seq: u.seq, at: u.at }));
    let backwards = 0;
    for (let i = 1; i < seen.length; i++)
      if (seen[i]!.seq < seen[i - 1]!.seq || seen[i]!.at < seen[i - 1]!.at) backwards++;

    const late = await stack.db.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM status_events WHERE device_id = $1 AND late',
      [r.deviceId],
    );
    // episodes settle: nothing dirty, and P's count stable
    await within(
      async () =>
        Number((await stack!.db.pool.query('SELECT count(*) AS n FROM episode_dirty')).rows[0].n) === 0,
      60_000,
      'every device derived into episodes',
    );
    const want = await episodesOf(stack, p.deviceId, 0);
    const got = {
      ahead: await episodesOf(stack, a.deviceId, SKEW_MS),
      behind: await episodesOf(stack, b.deviceId, -SKEW_MS),
      replayed: await episodesOf(stack, r.deviceId, 0),
    };
    await figure('clock-skew-and-replay', {
      events: total * 4,
      deliveredMs,
      replayedLateStored: Number(late.rows[0]!.n),
      dashboardUpdatesOfR: seen.length,
      backwards,
      episodesPunctual: want.length,
      episodesAhead: got.ahead.length,
      episodesBehind: got.behind.length,
      episodesReplayed: got.replayed.length,
    });
    expect(backwards).toBe(0);
    expect(want.length).toBeGreaterThanOrEqual(30);
    expect(got.ahead).toEqual(want);
    expect(got.behind).toEqual(want);
    expect(got.replayed).toEqual(want);
    expect(Number(late.rows[0]!.n)).toBeGreaterThan(0); // the replay really arrived late
    for (const d of devs) d.close();
    op.close();
  });
});
