/**
 * A whole Lagebild stack for tests and benchmarks, on loopback ports the kernel picks: embedded
 * PostgreSQL, a real redis-server, migrations, demo seed, and N gateway processes. Everything is
 * stopped (and its data removed) by `stop()`.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDb } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import { type SeededTenant, seedDemo } from '@lagebild/db/seed';
import { GATEWAY_ENTRY, WEB_OUT } from '@lagebild/infra/paths';
import { freePort } from '@lagebild/infra/ports';
import { type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import { type ServiceHandle, spawnService } from '@lagebild/infra/process';
import { type RedisHandle, startRedis } from '@lagebild/infra/redis';

export const DEMO_PASSWORD = 'test-password-1';

export interface StackOptions {
  gateways?: number;
  devicesPerTenant?: number;
  serveWeb?: boolean;
  gatewayEnv?: Record<string, string>;
  logLevel?: string;
  /** print service logs (for debugging a test) */
  verbose?: boolean;
}

export interface Stack {
  pg: PostgresHandle;
  redis: RedisHandle;
  db: Db;
  tenants: SeededTenant[];
  gateways: GatewayProcess[];
  url: string;
  startGateway(): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

export interface GatewayProcess extends ServiceHandle {
  url: string;
  port: number;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-test-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
  const pg = await startPostgres({ dataDir: join(dir, 'pg') });
  const redis = await startRedis({ dir: join(dir, 'redis') });
  await migrate(pg.url);
  const db = openDb(pg.url, { max: 4 });
  const tenants = await seedDemo(db, {
    password: DEMO_PASSWORD,
    devicesPerTenant: opts.devicesPerTenant ?? 20,
  });
  const gateways: GatewayProcess[] = [];

  async function startGateway(): Promise<GatewayProcess> {
    const port = await freePort();
    const svc = await spawnService({
      name: `gateway-${gateways.length + 1}`,
      entry: GATEWAY_ENTRY,
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
        WEB_DIR: opts.serveWeb ? WEB_OUT : '',
        LOG_LEVEL: opts.logLevel ?? 'warn',
        INSTANCE_ID: `gw${gateways.length + 1}`,
        ...opts.gatewayEnv,
      },
      onLine: opts.verbose ? (l) => console.log(`[gw${gateways.length + 1}] ${l}`) : undefined,
    });
    const gw: GatewayProcess = Object.assign(svc, { port, url: `http://127.0.0.1:${port}` });
    gateways.push(gw);
    return gw;
  }

  try {
    for (let i = 0; i < (opts.gateways ?? 1); i++) await startGateway();
  } catch (err) {
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await db.close();
    await redis.stop();
    await pg.stop();
    throw err;
  }

  return {
    pg,
    redis,
    db,
    tenants,
    gateways,
    url: gateways[0]!.url,
    startGateway,
    async stop() {
      await Promise.allSettled(gateways.map((g) => g.stop()));
      await db.close();
      await redis.stop();
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
