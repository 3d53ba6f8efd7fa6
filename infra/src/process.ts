/**
 * Child services for the local runner, tests and benchmarks: spawn a Node entry point, wait for
 * the JSON `ready` line it prints on stdout, stop it with SIGTERM (SIGKILL after a grace period).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceHandle {
  name: string;
  child: ChildProcess;
  /** the `ready` message the service printed, e.g. { address } */
  ready: Record<string, unknown>;
  stop(graceMs?: number): Promise<void>;
  /** resolves with the exit code when the process ends */
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  entry: string;
  args?: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** every line the service writes (stdout and stderr), e.g. to a log file or a prefixing printer */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * a command the service runs under, e.g. `['ip', 'netns', 'exec', ns]` (a fault test's network
   * namespace); it must exec Node in place, so the handle's pid and signals are Node's
   */
  prefix?: string[];
}

export async function spawnService(opts: SpawnOptions): Promise<ServiceHandle> {
  const [command, ...prefixArgs] = [...(opts.prefix ?? []), process.execPath];
  const child = spawn(command!, [...prefixArgs, opts.entry, ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // a spawn that fails (e.g. EACCES, ENOENT) emits 'error' and never 'exit'
  const spawnFailed = new Promise<Error>((resolve) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(new Error(`${opts.name} could not be started (${err.code ?? err.message}: ${command})`)),
    ),
  );
  const onLine = opts.onLine ?? (() => {});
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    onLine(line);
  };
  createInterface({ input: child.stderr! }).on('line', remember);
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${opts.name} not ready after ${opts.readyTimeoutMs ?? 30_000} ms:\n${tail.join('\n')}`),
      );
    }, opts.readyTimeoutMs ?? 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      if (line.startsWith('{"msg":"ready"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const how = child.signalCode ? `signal ${child.signalCode}` : `code ${code}`;
      reject(new Error(`${opts.name} exited (${how}) before it was ready:\n${tail.join('\n')}`));
    });
    void spawnFailed.then((err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return {
    name: opts.name,
    child,
    ready,
    exited,
    async stop(graceMs = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
