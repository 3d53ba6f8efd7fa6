/**
 * A real redis-server (Debian package) on a loopback port. Tests use an in-memory instance in a
 * temporary folder; npm start keeps an append-only file under .data/redis.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { freePort } from './ports.ts';

export interface RedisHandle {
  url: string;
  port: number;
  readonly pid: number;
  /** kills the server (what it held in memory is lost unless persistent) and starts it again */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  dir: string;
  port?: number;
  persistent?: boolean;
  log?: (line: string) => void;
}

export async function startRedis(opts: RedisOptions): Promise<RedisHandle> {
  const port = opts.port ?? (await freePort());
  await mkdir(opts.dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', opts.dir, '--save', ''];
  args.push('--appendonly', opts.persistent ? 'yes' : 'no', '--protected-mode', 'yes', '--daemonize', 'no');
  const log = opts.log ?? (() => {});
  let server = await launch(args, port, log);
  let stopped = false;
  return {
    port,
    get pid() {
      return server.child.pid!;
    },
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 0) {
      server.child.kill('SIGKILL');
      await server.exited;
      await new Promise((r) => setTimeout(r, downMs));
      server = await launch(args, port, log);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.child.kill('SIGTERM');
      await server.exited;
      if (!opts.persistent) await rm(opts.dir, { recursive: true, force: true });
    },
  };
}

async function launch(args: string[], port: number, log: (line: string) => void) {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (b: Buffer) => log(b.toString().trimEnd()));
  child.stderr.on('data', (b: Buffer) => log(b.toString().trimEnd()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        new Error(`cannot start redis-server (${err.message}); install it: apt-get install redis-server`),
      ),
    ),
  );
  await Promise.race([
    waitForPing(port),
    spawnError,
    exited.then((c) => Promise.reject(new Error(`redis-server exited with ${c}`))),
  ]);
  return { child, exited };
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(500, () => done(false));
      s.on('data', (d) => done(d.toString().startsWith('+PONG')));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms`);
}
