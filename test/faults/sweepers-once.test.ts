/**
 * [FLT8] Two gateways each run the alert-escalation and dispatch sweeper (every 100 ms here) and the
 * episode builder, while Redis is killed, one gateway is SIGKILLed and replaced, and PostgreSQL
 * restarts (issue 14). Each action still happens exactly once: one incident per stage change, one
 * `alert_escalated` entry per alert and level (levels 1, 2, … without gaps or repeats), one episode
 * per device and start.
 */
import type { DeviceCredentials } from '@lagebild/db';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, status, type TestDevice } from '../src/clients.ts';
import { figure, within } from '../src/faults/observe.ts';
import { type Stack, startStack } from '../src/stack.ts';

const ESCALATE_S = 5;
const DEVICES = 10;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function sendOk(dev: () => TestDevice | null, s: ReturnType<typeof status>): Promise<void> {
  for (;;) {
    const d = dev();
    const ack = d ? await d.send(s, 3000).catch(() => null) : null;
    if (ack?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('faults: timers on two gateways', () => {
  it('[FLT8] escalations, incidents and episodes happen exactly once through Redis, gateway and PostgreSQL faults', async () => {
    stack = await startStack({
      gateways: 2,
      devicesPerTenant: DEVICES,
      gatewayEnv: { SWEEP_INTERVAL_MS: '100', EPISODE_BUILD_MS: '200' },
    });
    const s = stack;
    await s.db.pool.query('UPDATE tenants SET alert_escalate_after_s = $1', [ESCALATE_S]);
    const creds = s.tenants[0]!.devices as DeviceCredentials[];
    // devices reconnect to the surviving gateway A (index 0) after B is gone
    const devs: Array<TestDevice | null> = await Promise.all(
      creds.map((c, i) => connectDevice(s.gateways[i % 2]!.url, c)),
    );
    const reconnect = async (i: number) => {
      devs[i]?.close();
      devs[i] = await connectDevice(s.gateways[0]!.url, creds[i]!).catch(() => null);
    };
    await Promise.all(creds.map((_, i) => sendOk(() => devs[i]!, status(1))));
    await Promise.all(
      creds.map((_, i) => sendOk(() => devs[i]!, status(2, { stage: 'recording', announced: true }))),
    );
    const t0 = Date.now();

    // faults while the timers run
    await s.redis.restart(1500);
    await new Promise((r) => setTimeout(r, 2000));
    const b = s.gateways[1]!;
    b.child.kill('SIGKILL');
    await b.exited;
    await s.startGateway(); // a replacement with its own timers
    await Promise.all(creds.map((_, i) => (i % 2 === 1 ? reconnect(i) : undefined)));
    await s.pg.restart(1500);
    // the recordings end: back to standby, so every device has one closed-or-open episode
    await Promise.all(
      creds.map(async (_, i) => {
        if (!devs[i]?.socket.connected) await reconnect(i);
        await sendOk(() => devs[i] ?? null, status(3));
      }),
    );
    // wait until every alert reached level 2 (two escalation periods after it was raised)
    await within(
      async () =>
        Number(
          (
            await s.db.pool.query(
              'SELECT count(*) AS n FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.escalation_level >= 2',
            )
          ).rows[0].n,
        ) >= DEVICES,
      ESCALATE_S * 4000,
      'every alert escalated twice',
    );
    const elapsedMs = Date.now() - t0;

    const incidents = await s.db.pool.query<{ device_id: string; n: string }>(
      `SELECT device_id, count(*) AS n FROM incidents WHERE device_id = ANY($1::uuid[]) GROUP BY device_id`,
      [creds.map((c) => c.deviceId)],
    );
    const repeats = await s.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT incident_id, params->>'level' FROM incident_events
         WHERE kind = 'alert_escalated' GROUP BY 1, 2 HAVING count(*) > 1) x`,
    );
    const levels = await s.db.pool.query<{ incident_id: string; levels: number[] }>(
      `SELECT incident_id, array_agg((params->>'level')::int ORDER BY id) AS levels FROM incident_events
         WHERE kind = 'alert_escalated' GROUP BY 1`,
    );
    const episodeRepeats = await s.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT device_id, start_seq FROM episodes GROUP BY 1, 2 HAVING count(*) > 1) x`,
    );
    await within(
      async () =>
        Number(
          (
            await s.db.pool.query('SELECT count(*) AS n FROM episodes WHERE device_id = ANY($1::uuid[])', [
              creds.map((c) => c.deviceId),
            ])
          ).rows[0].n,
        ) === DEVICES,
      10_000,
      'one episode per device',
    );
    await figure('two-gateway-timers', {
      devices: DEVICES,
      elapsedMs,
      incidents: incidents.rows.reduce((n, r) => n + Number(r.n), 0),
      repeatedEscalations: Number(repeats.rows[0]!.n),
      repeatedEpisodes: Number(episodeRepeats.rows[0]!.n),
    });
    expect(incidents.rows.map((r) => Number(r.n))).toEqual(Array(DEVICES).fill(1));
    expect(Number(repeats.rows[0]!.n)).toBe(0);
    for (const l of levels.rows) expect(l.levels).toEqual(l.levels.map((_, k) => k + 1));
    expect(levels.rows.length).toBe(DEVICES);
    expect(Number(episodeRepeats.rows[0]!.n)).toBe(0);
    for (const d of devs) d?.close();
  });
});
