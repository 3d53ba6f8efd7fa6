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
  const tail: string[] = [];
  const take = (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line.trim()) continue;
      log(line);
      tail.push(`  ${line}`);
      if (tail.length > 8) tail.shift();
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `cannot start redis-server (${err.code ?? err.message}); install it: apt-get install redis-server`,
        ),
      ),
    ),
  );
  const settled = { done: false };
  try {
    await Promise.race([
      waitForPing(port, child.pid ?? -1, settled),
      spawnError,
      exited.then((c) =>
        Promise.reject(
          new Error(`redis-server exited (code ${c}) before it was ready, port ${port}:\n${tail.join('\n')}`),
        ),
      ),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    settled.done = true;
  }
  return { child, exited };
}

/**
 * Polls until redis-server answers on `port`, and checks that the one answering is ours (INFO's
 * process_id): another server already on that port would otherwise pass for it.
 */
async function waitForPing(
  port: number,
  pid: number,
  settled: { done: boolean },
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !settled.done) {
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('INFO server\r\n'));
      const done = () => {
        s.destroy();
        resolve(text);
      };
      s.setTimeout(500, done);
      s.on('data', (d) => {
        text += d.toString();
        if (/process_id:\d+/.test(text) || text.startsWith('-')) done();
      });
      s.on('error', done);
    });
    const owner = /process_id:(\d+)/.exec(answer)?.[1];
    if (owner && Number(owner) === pid) return;
    if (owner) throw new Error(`port ${port} is held by another redis-server (pid ${owner})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (settled.done) return;
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}
