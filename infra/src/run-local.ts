/**
 * `npm start`: the whole system on one machine with embedded defaults. Embedded PostgreSQL and a
 * local redis-server keep their data under .data/ (kept across restarts); migrations and the demo
 * seed run; the gateway serves the control room; the simulator drives the demo cameras.
 * Configuration (all optional): PORT (3000), HOST (127.0.0.1), LB_DATA_DIR (.data),
 * DEMO_PASSWORD (lagebild-demo), SIM_TIME_SCALE (4), SIM=off, TILE_URL, LOG_LEVEL, SFU_PORT (3100; the
 * SFU runs when setup.sh has exported MEDIASOUP_WORKER_BIN), PILOT=off (no pilot data, no demo videos:
 * a quicker start, used by the supervision test).
 * Migrations and seed run as the database owner (.data/database.url, also for `npm run verify`);
 * gateway and SFU connect as the application role `lagebild_app` with a password fresh per start
 * (.data/app-db.url, 0600), which owns nothing and cannot disable the audit log's triggers (issue 13).
 * A service that cannot start stops the start with its reason; one that dies later (a bug) is
 * started again with backoff (supervise.ts) while the rest keeps running.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { openDb } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import { seedPilot } from '@lagebild/db/pilot';
import { DEMO_ROLES, demoUsername, seedDemo } from '@lagebild/db/seed';
import { ensureSoftHsmToken, openKeySource } from '@lagebild/vault';
import { z } from 'zod';
import { ensureDemoVideos } from './demo-recordings.ts';
import { importOldKeyring, importOldSigningKey } from './import-old-keyring.ts';
import { startLocalTsa } from './local-tsa.ts';
import { GATEWAY_ENTRY, REPO_ROOT, SFU_ENTRY, SIM_ENTRY, WEB_OUT } from './paths.ts';
import { ensureAppRole, startPostgres } from './postgres.ts';
import { type SpawnOptions, spawnService } from './process.ts';
import { startRedis } from './redis.ts';
import { ensureServiceTokens, GATEWAY_SIGNING_KEY, KEY_TOKEN } from './service-tokens.ts';
import { supervise } from './supervise.ts';

const Env = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  LB_DATA_DIR: z.string().default(join(REPO_ROOT, '.data')),
  DEMO_PASSWORD: z.string().min(8).default('lagebild-demo'),
  SIM: z.enum(['on', 'off']).default('on'),
  PILOT: z.enum(['on', 'off']).default('on'),
  SIM_TIME_SCALE: z.coerce.number().min(0.1).max(100).default(4),
  TILE_URL: z.string().default(''),
  LOG_LEVEL: z.string().default('info'),
  SFU_PORT: z.coerce.number().int().min(1).max(65535).default(3100),
  MEDIASOUP_WORKER_BIN: z.string().default(''),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  console.error(
    `invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
  );
  process.exit(2);
}
const env = parsed.data;
const dataDir = resolve(env.LB_DATA_DIR);
await mkdir(join(dataDir, 'logs'), { recursive: true });
const logFile = (name: string) => {
  const s = createWriteStream(join(dataDir, 'logs', `${name}.log`), { flags: 'a' });
  return (line: string) => s.write(`${line}\n`);
};
const say = (msg: string) => console.log(`\x1b[1m[lagebild]\x1b[0m ${msg}`);

const stops: Array<() => Promise<void>> = [];
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const stop of stops.reverse()) await stop().catch((err) => console.error(err));
  process.exit(code);
}
// This process stops its children itself, in order; no other signal handler (a dependency's exit
// hook once stopped PostgreSQL and exited at once, leaving the gateway, the SFU and Redis running)
// may end it first. `on`, not `once`: a second Ctrl+C while stopping must not end this process
// before its children either.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void shutdown(0));
}

/** Fails at once, naming the variable, if something else already listens where a service will. */
async function ensurePortFree(name: string, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${name}) on ${host} is in use: stop what holds it (another Lagebild?) or set ${name}`
            : `cannot listen on ${host}:${port} (${name}): ${err.code ?? err.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** Starts a service; once it runs, restarts it with backoff whenever it dies (supervise.ts). */
async function startSupervised(opts: SpawnOptions): Promise<void> {
  const first = await spawnService(opts);
  const supervised = supervise(first, {
    name: opts.name,
    start: () => spawnService(opts),
    say,
    active: () => !stopping,
  });
  stops.push(() => supervised.stop());
}

try {
  const t0 = Date.now();
  await ensurePortFree('PORT', env.HOST, env.PORT);
  if (env.MEDIASOUP_WORKER_BIN) await ensurePortFree('SFU_PORT', env.HOST, env.SFU_PORT);
  const pg = await startPostgres({
    dataDir: join(dataDir, 'postgres'),
    persistent: true,
    log: logFile('postgres'),
  });
  stops.push(() => pg.stop());
  if (pg.dataDir !== join(dataDir, 'postgres')) {
    say(
      `PostgreSQL data in ${pg.dataDir} (its user cannot reach ${dataDir}; ${join(dataDir, 'postgres')} links there)`,
    );
  }
  const redis = await startRedis({ dir: join(dataDir, 'redis'), persistent: true, log: logFile('redis') });
  stops.push(() => redis.stop());
  const appDbUrl = await ensureAppRole(pg.url);
  const m = await migrate(pg.url);
  if (m.applied.length) say(`migrations applied: ${m.applied.join(', ')}`);
  const db = openDb(pg.url, { max: 2 });
  const tenants = await seedDemo(db, { password: env.DEMO_PASSWORD });
  // 3.5 months of a 20-camera pilot in Duisburg for the evaluation pages (issue #8); loaded once
  if (env.PILOT === 'on') {
    const pilot = await seedPilot(db, tenants.find((t) => t.slug === 'duisburg')!.id);
    if (pilot.loaded)
      say(`pilot data loaded: ${pilot.startDay} – ${pilot.endDay}, ${pilot.events} status events`);
  }
  // Recordings (issue #6): encrypted store under .data/vault; the keys inside SoftHSM2 tokens under
  // .data/hsm (issue 13; PINs generated once, 0600): the tenants' KEKs and the recorder's manifest key
  // in the key token (gateway and SFU), the gateway's checkpoint key in a token only the gateway gets;
  // two demo recordings from ffmpeg's test picture on first start.
  const hsmDir = join(dataDir, 'hsm');
  // a key from before issue 13 goes into the key token first (and is then withdrawn from use there)
  await importOldSigningKey(
    join(dataDir, 'keys', 'signing.pem'),
    await ensureSoftHsmToken(hsmDir, KEY_TOKEN),
    say,
  );
  const tokens = await ensureServiceTokens(hsmDir);
  for (const note of tokens.notes) say(note);
  const vaultDir = join(dataDir, 'vault');
  const keys = await openKeySource({
    hsm: tokens.keyToken,
    signingHsm: tokens.gatewayToken,
    signerName: GATEWAY_SIGNING_KEY,
  });
  stops.push(async () => keys.close());
  const keyring = keys.hsm!;
  const signer = keys.signer;
  // the public halves where `npm run verify` looks by default (the private halves stay in the tokens):
  // the keys that sign audit checkpoints (the gateway's, and retired ones), and the recorder's
  await mkdir(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(dataDir, 'keys', 'signing.pub.pem'), tokens.checkpointKeysPem, { mode: 0o644 });
  await writeFile(join(dataDir, 'keys', 'recorder.pub.pem'), tokens.recorderKeyPem, { mode: 0o644 });
  await importOldKeyring(join(dataDir, 'keys', 'keyring.json'), keyring, say);
  await writeFile(join(dataDir, 'database.url'), `${pg.url}\n`, { mode: 0o600 });
  const appDbUrlFile = join(dataDir, 'app-db.url');
  await writeFile(appDbUrlFile, `${appDbUrl}\n`, { mode: 0o600 });
  await chmod(appDbUrlFile, 0o600); // writeFile's mode applies only to a new file
  if (env.PILOT === 'on') {
    try {
      for (const line of await ensureDemoVideos(db, { dir: vaultDir, keyring, signer }, tenants, dataDir))
        say(line);
    } catch (err) {
      say(`no demo recordings: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await db.close();
  const credentials = tenants.flatMap((t) =>
    t.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret, label: d.label, city: t.slug })),
  );
  const credentialsFile = join(dataDir, 'demo-devices.json');
  await writeFile(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });

  // Live video: the SFU and the gateway share a fresh token secret per start (tokens live minutes).
  const mediaSecret = randomBytes(32).toString('base64url');
  // The SFU's /internal endpoints answer only with this secret (issue 11); fresh per start, in a
  // 0600 file so an operator can read the stats: curl -H "authorization: Bearer $(cat …)"
  const internalSecret = randomBytes(32).toString('base64url');
  const internalSecretFile = join(dataDir, 'sfu-internal.secret');
  const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
  let sfuUrl = '';
  if (env.MEDIASOUP_WORKER_BIN) {
    await writeFile(internalSecretFile, `${internalSecret}\n`, { mode: 0o600 });
    await chmod(internalSecretFile, 0o600); // writeFile's mode applies only to a new file
    await startSupervised({
      name: 'sfu',
      entry: SFU_ENTRY,
      env: {
        HOST: env.HOST,
        PORT: String(env.SFU_PORT),
        REDIS_URL: redis.url,
        MEDIA_TOKEN_SECRET: mediaSecret,
        SFU_INTERNAL_SECRET: internalSecret,
        MEDIASOUP_WORKER_BIN: env.MEDIASOUP_WORKER_BIN,
        SFU_LISTEN_IP: host,
        LOG_LEVEL: env.LOG_LEVEL,
        // the recorder encrypts every published stream into the same vault (issue #6)
        DATABASE_URL: appDbUrl,
        VAULT_DIR: vaultDir,
        // the key token only: the SFU never gets the gateway's signing token or its PIN
        ...tokens.sfuEnv,
      },
      onLine: logFile('sfu'),
    });
    sfuUrl = `http://${host}:${env.SFU_PORT}`;
  } else {
    say('live video off: MEDIASOUP_WORKER_BIN is not set (run via `npm start`, which builds the worker)');
  }

  // Audit checkpoints anchored outside the database (issue 13): a local RFC 3161 TSA made with
  // `openssl ts` (CA and TSA certificate kept in .data/tsa; it lives in this process, on a loopback
  // port), and the export target .data/audit-anchors (`npm run verify -- audit` reads both).
  const tsa = await startLocalTsa(join(dataDir, 'tsa'));
  stops.push(() => tsa.stop());
  await startSupervised({
    name: 'gateway',
    entry: GATEWAY_ENTRY,
    env: {
      HOST: env.HOST,
      PORT: String(env.PORT),
      DATABASE_URL: appDbUrl,
      REDIS_URL: redis.url,
      WEB_DIR: existsSync(WEB_OUT) ? WEB_OUT : '',
      TILE_URL: env.TILE_URL,
      LOG_LEVEL: env.LOG_LEVEL,
      VAULT_DIR: vaultDir,
      ...tokens.gatewayEnv,
      TSA_URL: tsa.url,
      AUDIT_ANCHOR_DIR: join(dataDir, 'audit-anchors'),
      TSA_CA_FILE: tsa.caFile,
      ...(sfuUrl ? { MEDIA_TOKEN_SECRET: mediaSecret, SFU_URL: sfuUrl, SFU_WHIP_URL: `${sfuUrl}/whip` } : {}),
    },
    onLine: logFile('gateway'),
  });
  const url = `http://${host}:${env.PORT}`;

  if (env.SIM === 'on' && existsSync(SIM_ENTRY)) {
    // stops run in reverse: the simulator goes first
    await startSupervised({
      name: 'simulator',
      entry: SIM_ENTRY,
      args: [
        '--url',
        url,
        '--credentials',
        credentialsFile,
        '--time-scale',
        String(env.SIM_TIME_SCALE),
        // cameras that record publish live video when the SFU runs
        ...(sfuUrl ? ['--video', 'on'] : []),
        // a shift change per city every 30 simulated minutes, on the Dienst API as <city>.supervisor
        '--shift-every',
        '1800',
      ],
      env: { SIM_SUPERVISOR_PASSWORD: env.DEMO_PASSWORD },
      onLine: logFile('sim'),
      readyTimeoutMs: 30_000,
    }).catch((err: Error) => console.error(`simulator did not start: ${err.message}`));
  }

  const logins = tenants
    .flatMap((t) => DEMO_ROLES.map((r) => `    ${demoUsername(t.slug, r).padEnd(24)} ${r}`))
    .join('\n');
  console.log(`
  Lagebild is running (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)

    Control room:  ${url}
    Password for every demo user:  ${env.DEMO_PASSWORD}
${logins}

    ${credentials.length} simulated cameras · data in ${dataDir} · logs in ${join(dataDir, 'logs')}${sfuUrl ? `\n    SFU internal secret (stats): ${internalSecretFile}` : ''}
    A service that crashes is restarted. Stop with Ctrl+C.
`);
} catch (err) {
  console.error(`\x1b[31m[lagebild] could not start:\x1b[0m ${(err as Error).message}`);
  await shutdown(1);
}
