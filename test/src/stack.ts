/**
 * A whole Lagebild stack for tests and benchmarks, on loopback ports the kernel picks: embedded
 * PostgreSQL, a real redis-server, migrations, demo seed, and N gateway processes. Everything is
 * stopped (and its data removed) by `stop()`. Migrations and seed run as the database owner (`db`,
 * also for tests that inspect or seed directly); gateways and SFU connect as the application role
 * (`appUrl`), as under `npm start` (issue 13).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDb } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import { type SeededTenant, seedDemo } from '@lagebild/db/seed';
import { type LocalTsa, startLocalTsa } from '@lagebild/infra/local-tsa';
import { GATEWAY_ENTRY, SFU_ENTRY, WEB_OUT } from '@lagebild/infra/paths';
import { freePort } from '@lagebild/infra/ports';
import { ensureAppRole, type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
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
  /** also start the SFU (live video; needs MEDIASOUP_WORKER_BIN, which setup.sh exports) */
  sfu?: boolean;
  sfuEnv?: Record<string, string>;
  /** every line the SFU writes (its pino log), e.g. to assert that no error was logged */
  onSfuLine?: (line: string) => void;
}

/** The media token secret of test stacks (gateway and SFU share it). */
export const TEST_MEDIA_SECRET = 'test-media-token-secret-0123456789abcdef';
/** The SFU's internal-endpoint secret in test stacks (`sfuStats` in ./sfu.ts sends it). */
export const TEST_INTERNAL_SECRET = 'test-sfu-internal-secret-0123456789abcdef';

export interface Stack {
  pg: PostgresHandle;
  redis: RedisHandle;
  /** the owner's connection (migrations, seed, direct inspection) */
  db: Db;
  /** what gateway and SFU connect with: the application role `lagebild_app` */
  appUrl: string;
  tenants: SeededTenant[];
  gateways: GatewayProcess[];
  url: string;
  /** the SFU (with `sfu: true`): base URL, e.g. http://127.0.0.1:41234 */
  sfu: SfuProcess | null;
  /** the local RFC 3161 TSA the gateways anchor audit checkpoints with (TSA_URL, issue 13) */
  tsa: LocalTsa;
  /** the gateways' append-only export target (AUDIT_ANCHOR_DIR) */
  anchorDir: string;
  startGateway(): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

export interface GatewayProcess extends ServiceHandle {
  url: string;
  port: number;
}

export interface SfuProcess extends ServiceHandle {
  /** the vault and key settings it was started with (VAULT_*, the key token's HSM_*) */
  env: Record<string, string>;
  url: string;
  /** pids of the mediasoup workers at start (the fault test kills one) */
  workerPids: number[];
}

/** of the gateway's settings, what the SFU gets: the vault and the key token, no signing token */
export const sfuKeyEnv = (gatewayEnv: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(gatewayEnv).filter(([k]) =>
      /^(VAULT_.*|HSM_MODULE|HSM_TOKEN_LABEL|HSM_PIN_FILE|SOFTHSM2_CONF)$/.test(k),
    ),
  );

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-test-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
  // A start that fails (startPostgres and startRedis reject at once, saying why) stops what already
  // runs, so the suite's hook fails with that reason instead of leaving servers behind.
  const started: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const undo = async (err: unknown): Promise<never> => {
    for (const stop of started.reverse()) await stop().catch(() => {});
    throw err;
  };
  const pg = await startPostgres({ dataDir: join(dir, 'pg') }).catch(undo);
  started.push(() => pg.stop());
  const redis = await startRedis({ dir: join(dir, 'redis') }).catch(undo);
  started.push(() => redis.stop());
  const tsa = await startLocalTsa(join(dir, 'tsa')).catch(undo);
  started.push(() => tsa.stop());
  const anchorDir = join(dir, 'anchors');
  const appUrl = await ensureAppRole(pg.url).catch(undo);
  await migrate(pg.url).catch(undo);
  const db = openDb(pg.url, { max: 4 });
  started.push(() => db.close());
  const tenants = await seedDemo(db, {
    password: DEMO_PASSWORD,
    devicesPerTenant: opts.devicesPerTenant ?? 20,
  }).catch(undo);
  const gateways: GatewayProcess[] = [];
  let sfu: SfuProcess | null = null;

  async function startGateway(): Promise<GatewayProcess> {
    const port = await freePort();
    const svc = await spawnService({
      name: `gateway-${gateways.length + 1}`,
      entry: GATEWAY_ENTRY,
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: appUrl,
        REDIS_URL: redis.url,
        WEB_DIR: opts.serveWeb ? WEB_OUT : '',
        LOG_LEVEL: opts.logLevel ?? 'warn',
        INSTANCE_ID: `gw${gateways.length + 1}`,
        TSA_URL: tsa.url,
        AUDIT_ANCHOR_DIR: anchorDir,
        TSA_CA_FILE: tsa.caFile,
        ...(sfu
          ? { MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET, SFU_URL: sfu.url, SFU_WHIP_URL: `${sfu.url}/whip` }
          : {}),
        ...opts.gatewayEnv,
      },
      onLine: opts.verbose ? (l) => console.log(`[gw${gateways.length + 1}] ${l}`) : undefined,
    });
    const gw: GatewayProcess = Object.assign(svc, { port, url: `http://127.0.0.1:${port}` });
    gateways.push(gw);
    return gw;
  }

  try {
    if (opts.sfu) {
      const port = await freePort();
      const svc = await spawnService({
        name: 'sfu',
        entry: SFU_ENTRY,
        env: {
          HOST: '127.0.0.1',
          PORT: String(port),
          REDIS_URL: redis.url,
          MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET,
          SFU_INTERNAL_SECRET: TEST_INTERNAL_SECRET,
          SFU_WORKERS: '2',
          LOG_LEVEL: opts.logLevel ?? 'warn',
          // the recorder writes into the gateway's vault (issue 6): same store, database and key token
          // (issue 13), but never the gateway's signing token: HSM_SIGNING_* stay with the gateway,
          // and the SFU signs manifests with its own key (sign/recorder, its default)
          DATABASE_URL: appUrl,
          ...sfuKeyEnv(opts.gatewayEnv ?? {}),
          ...opts.sfuEnv,
        },
        onLine:
          opts.verbose || opts.onSfuLine
            ? (l) => {
                if (opts.verbose) console.log(`[sfu] ${l}`);
                opts.onSfuLine?.(l);
              }
            : undefined,
      });
      sfu = Object.assign(svc, {
        env: { ...sfuKeyEnv(opts.gatewayEnv ?? {}), ...opts.sfuEnv },
        url: `http://127.0.0.1:${port}`,
        workerPids: svc.ready.workerPids as number[],
      });
    }
    for (let i = 0; i < (opts.gateways ?? 1); i++) await startGateway();
  } catch (err) {
    await sfu?.stop();
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await db.close();
    await redis.stop();
    await pg.stop();
    await tsa.stop();
    throw err;
  }

  return {
    pg,
    redis,
    db,
    appUrl,
    tenants,
    gateways,
    url: gateways[0]!.url,
    sfu,
    tsa,
    anchorDir,
    startGateway,
    async stop() {
      await Promise.allSettled(gateways.map((g) => g.stop()));
      await sfu?.stop();
      await db.close();
      await redis.stop();
      await pg.stop();
      await tsa.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
