/**
 * [FLT4] Network partitions, not kills (issue 14): a TCP proxy the test controls sits between the
 * gateway and PostgreSQL, between the gateway and Redis, and between the devices and the gateway.
 * Each path is blackholed for a while (nothing refused, nothing delivered, then delivered late as
 * TCP would after the partition heals) and slowed by 500 ms each way. Acks stay correct: every
 * acknowledged event is stored exactly once, nothing is lost, the alarm names the cut-off part.
 * Packet loss on the device link (the 20 %) cannot be made with a user-space TCP proxy
 * (TCP retransmits below it): lossy-link.test.ts [FLT9] drops packets in a network namespace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../src/faults/fleet.ts';
import { startGatewayVia } from '../src/faults/gateway-via.ts';
import { degradedGauge, FAULT_GATEWAY_ENV, figure, storedCounts, within } from '../src/faults/observe.ts';
import { startTcpProxy, type TcpProxy } from '../src/faults/tcp-proxy.ts';
import { type Stack, startStack } from '../src/stack.ts';

const CUT_MS = Number(process.env.FAULT_PARTITION_MS ?? 6000);

let stack: Stack | undefined;
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  for (const p of proxies.splice(0)) await p.close();
});

/** the stack's gateway, restarted with its Redis and PostgreSQL connections through proxies */
async function partitionedStack() {
  // start with no gateway of its own, so every gateway here goes through the proxies
  const s = await startStack({ gateways: 1, devicesPerTenant: 10, gatewayEnv: FAULT_GATEWAY_ENV });
  stack = s;
  const pgUrl = new URL(s.appUrl);
  const redisUrl = new URL(s.redis.url);
  const pgProxy = await startTcpProxy({ host: '127.0.0.1', port: Number(pgUrl.port) });
  const redisProxy = await startTcpProxy({ host: '127.0.0.1', port: Number(redisUrl.port) });
  proxies.push(pgProxy, redisProxy);
  await s.gateways[0]!.stop();
  s.gateways.length = 0;
  return { s, pgProxy, redisProxy };
}

describe('faults: network partitions', () => {
  it('[FLT4] PostgreSQL and Redis cut off and slowed to 500 ms: acks stay correct, nothing lost or doubled', async () => {
    const { s, pgProxy, redisProxy } = await partitionedStack();
    // the gateway connects to both through the proxies
    const gw = await startGatewayVia(s, {
      databaseUrl: pgProxy.via(s.appUrl),
      redisUrl: redisProxy.via(s.redis.url),
    });
    const deviceProxy = await startTcpProxy({ host: '127.0.0.1', port: gw.port });
    proxies.push(deviceProxy);
    const devices = s.tenants.flatMap((t) => t.devices);
    const events = Math.ceil((CUT_MS * 4 + 20_000) / 250);
    const fleet = startFleet({
      devices,
      urls: () => [`http://127.0.0.1:${deviceProxy.port}`],
      events,
      intervalMs: 250,
      ackTimeoutMs: 5000,
    });
    await within(() => fleet.ackedTotal() >= devices.length * 8, 30_000, 'acks before the first cut');
    const phases: Record<string, number | string> = {};

    // 1. PostgreSQL blackholed: acks wait (none is given without a commit), the alarm says database
    pgProxy.blackhole();
    phases.databaseCutDetectMs = await within(
      async () => (await degradedGauge(gw.url, 'database')) === 1,
      10_000,
      'database degraded while PostgreSQL is cut off',
    );
    await new Promise((r) => setTimeout(r, CUT_MS));
    const healedAt = Date.now();
    pgProxy.heal();
    phases.databaseRecoverMs = await within(
      async () => (await degradedGauge(gw.url, 'database')) === 0,
      20_000,
      'database healthy after the cut',
    );
    await within(() => fleet.ackTimes.some((t) => t > healedAt), 20_000, 'acks after the heal');
    phases.acksResumeAfterDatabaseHealMs = Math.min(...fleet.ackTimes.filter((t) => t > healedAt)) - healedAt;

    // 2. Redis blackholed: acks go on (PostgreSQL is the record), the alarm says live
    const ackedBeforeRedisCut = fleet.ackedTotal();
    redisProxy.blackhole();
    phases.redisCutDetectMs = await within(
      async () => (await degradedGauge(gw.url, 'live')) === 1,
      10_000,
      'live degraded while Redis is cut off',
    );
    await new Promise((r) => setTimeout(r, CUT_MS));
    phases.ackedWhileRedisCut = fleet.ackedTotal() - ackedBeforeRedisCut;
    redisProxy.heal();
    phases.redisRecoverMs = await within(
      async () => (await degradedGauge(gw.url, 'live')) === 0,
      20_000,
      'live healthy after the cut',
    );

    // 3. 500 ms each way on all three paths
    for (const p of [pgProxy, redisProxy, deviceProxy]) p.latency(500);
    const ackedBeforeSlow = fleet.ackedTotal();
    await new Promise((r) => setTimeout(r, CUT_MS));
    phases.ackedWhileSlow = fleet.ackedTotal() - ackedBeforeSlow;
    for (const p of [pgProxy, redisProxy, deviceProxy]) p.latency(0);

    // 4. the device link blackholed: the devices' acks time out, they resend the same seq
    deviceProxy.blackhole();
    await new Promise((r) => setTimeout(r, CUT_MS / 2));
    deviceProxy.heal();

    await within(() => fleet.done(), 120_000, 'every outbox drained');
    await fleet.stop();
    const stored = await storedCounts(
      s.db.pool,
      devices.map((d) => d.deviceId),
    );
    let lost = 0;
    let duplicated = 0;
    for (const d of devices) {
      const c = stored.get(d.deviceId);
      lost += events - (c?.distinct ?? 0);
      duplicated += (c?.rows ?? 0) - (c?.distinct ?? 0);
    }
    const resent = fleet.devices.reduce((n, d) => n + d.duplicates, 0);
    await figure('partitions', {
      devices: devices.length,
      cutMs: CUT_MS,
      ...phases,
      resentAckedAsDuplicate: resent,
      lost,
      duplicated,
    });
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(fleet.devices.every((d) => d.final === 0)).toBe(true);
    expect(phases.ackedWhileRedisCut).toBeGreaterThan(0);
    expect(phases.ackedWhileSlow).toBeGreaterThan(0);
  });
});
