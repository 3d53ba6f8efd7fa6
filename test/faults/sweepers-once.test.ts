/**
 * [FLT8] Two gateways each run the alert-escalation and dispatch sweeper (every 100 ms here) and the
 * episode builder, while Redis is killed, one gateway is SIGKILLed and replaced, and PostgreSQL
 * restarts (issue 14). Each action still happens exactly once: one incident per stage change, one
 * `alert_escalated` entry per alert and level (levels 1, 2, … without gaps or repeats), one episode
 * per device and start. The second test does the same to the two gateways' retention sweepers: each
 * expired recording is crypto-shredded, marked deleted and audited exactly once, and the audit chain
 * the two gateways wrote through the faults verifies.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoints, readAuditLog, verifyAuditChain } from '@lagebild/audit';
import type { DeviceCredentials } from '@lagebild/db';
import { makeTestVideo, verifierFromPem } from '@lagebild/vault';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, status, type TestDevice } from '../src/clients.ts';
import { figure, within } from '../src/faults/observe.ts';
import { type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

const ESCALATE_S = 5;
const DEVICES = 10;

let stack: Stack | undefined;
let vaultDir: string | undefined;
let vault: TestVault | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  vault?.close();
  vault = undefined;
  if (vaultDir) await rm(vaultDir, { recursive: true, force: true });
  vaultDir = undefined;
});

/** the faults both tests inject while two gateways' timers run: Redis, gateway B replaced, PostgreSQL */
async function injectFaults(s: Stack, afterGatewayReplaced: () => Promise<void> = async () => {}) {
  await s.redis.restart(1500);
  await new Promise((r) => setTimeout(r, 2000));
  const b = s.gateways[1]!;
  b.child.kill('SIGKILL');
  await b.exited;
  await s.startGateway(); // a replacement with its own timers
  await afterGatewayReplaced();
  await s.pg.restart(1500);
}

const RECORDINGS = 24;

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
    await injectFaults(s, async () => {
      await Promise.all(creds.map((_, i) => (i % 2 === 1 ? reconnect(i) : undefined)));
    });
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

  it('[FLT8][RET4] the retention sweepers of two gateways shred, mark and audit each expired recording exactly once through the same faults', async () => {
    vaultDir = await mkdtemp(join(tmpdir(), 'lagebild-fault-sweep-'));
    vault = await testVault(vaultDir);
    stack = await startStack({
      gateways: 2,
      devicesPerTenant: 4,
      gatewayEnv: { ...vault.env, RETENTION_SWEEP_MS: '200' },
    });
    const s = stack;
    const v = vault;
    const tenant = s.tenants[0]!;
    const file = join(vaultDir, 'clip.webm');
    await makeTestVideo(file, { seconds: 2 });
    const ids: string[] = [];
    for (let i = 0; i < RECORDINGS; i++) {
      const deviceId = tenant.devices[i % tenant.devices.length]!.deviceId;
      ids.push(await v.importRecording(s, { tenantId: tenant.id, deviceId, file }));
    }
    const keyFile = (id: string) => join(v.env.VAULT_DIR, tenant.id, id, 'key.json');
    await expect(stat(keyFile(ids[0]!))).resolves.toBeTruthy(); // where a shredded key would be missing
    // they expire one after another while the faults happen: 0 to 11.5 s from now
    await s.db.pool.query(
      `UPDATE recordings SET delete_at = now() + (array_position($1::uuid[], id) - 1) * interval '500 ms'
        WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const t0 = Date.now();
    await injectFaults(s);
    const deleted = async () =>
      Number(
        (
          await s.db.pool.query(
            `SELECT count(*) AS n FROM recordings WHERE id = ANY($1::uuid[]) AND state = 'deleted'`,
            [ids],
          )
        ).rows[0].n,
      );
    await within(async () => (await deleted()) === RECORDINGS, 60_000, 'every expired recording deleted');
    const elapsedMs = Date.now() - t0;

    const audits = await s.db.pool.query<{ target: string; n: string }>(
      `SELECT target, count(*) AS n FROM audit_log WHERE action = 'recording_deleted' AND target = ANY($1) GROUP BY 1`,
      [ids.map((id) => `recording:${id}`)],
    );
    const receipts = await s.db.pool.query<{ id: string; deletion_receipt: string }>(
      'SELECT id, deletion_receipt FROM recordings WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const leftOnDisk = (
      await Promise.all(
        ids.map((id) =>
          stat(keyFile(id)).then(
            () => id,
            () => null,
          ),
        ),
      )
    ).filter(Boolean);
    const chain = await verifyAuditChain(
      readAuditLog(s.db.pool),
      await loadCheckpoints(s.db.pool),
      verifierFromPem(v.signer.publicKeyPem),
    );
    await figure('two-gateway-retention', {
      recordings: RECORDINGS,
      elapsedMs,
      auditedTwice: audits.rows.filter((r) => Number(r.n) > 1).length,
      keysLeftOnDisk: leftOnDisk.length,
      chainOk: chain.ok ? 1 : 0,
    });
    expect(audits.rows.length).toBe(RECORDINGS);
    expect(audits.rows.every((r) => Number(r.n) === 1)).toBe(true);
    for (const r of receipts.rows) expect(JSON.parse(r.deletion_receipt).cause).toBe('retention_expired');
    expect(leftOnDisk).toEqual([]);
    expect(chain.ok).toBe(true);
  }, 180_000);
});
