/**
 * Revocation checks fail closed (SPEC W11, V7; issue 11): when Redis cannot say whether a device was
 * revoked or an operator session ended, the request is refused with 503 instead of let through.
 * The happy paths (keys set by the gateway, messages on REVOCATION_CHANNEL) run against a real
 * Redis in test/integration/sfu-hardening.test.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SfuError } from './errors.ts';
import { revocationChecks } from './revocation.ts';

const DEVICE = '00000000-0000-4000-8000-000000000002';
const SID = '0123456789abcdef0123456789abcdef';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
async function silentServer(): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as { port: number }).port;
}

async function freeClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const status = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return err instanceof SfuError ? `${err.status} ${err.code}` : String(err);
  }
};

describe('revocation checks', () => {
  it('[W11][V7] refuse with 503 when Redis does not answer in time (fail closed)', async () => {
    const redis = new Redis(await silentServer(), '127.0.0.1', { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    cleanup.push(() => redis.disconnect());
    const checks = revocationChecks(redis, 200);
    const t0 = Date.now();
    expect(await status(checks.device({ deviceId: DEVICE, iat: Date.now() }))).toBe('503 unavailable');
    expect(await status(checks.session({ sid: SID }))).toBe('503 unavailable');
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('[W11][V7] refuse with 503 when Redis is down', async () => {
    const redis = new Redis(await freeClosedPort(), '127.0.0.1', {
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    redis.on('error', () => {});
    cleanup.push(() => redis.disconnect());
    const checks = revocationChecks(redis, 1000);
    expect(await status(checks.device({ deviceId: DEVICE, iat: Date.now() }))).toBe('503 unavailable');
    expect(await status(checks.session({ sid: SID }))).toBe('503 unavailable');
  });
});
