/**
 * `npm start`'s runner (infra/src/run-local.ts) as a child process for tests: its own data dir and
 * free ports, without simulator, pilot data or SFU unless asked, its console output collected so a
 * test can wait for a line, and its process tree readable from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { REPO_ROOT, RUN_LOCAL_ENTRY } from '@lagebild/infra/paths';
import { freePort } from '@lagebild/infra/ports';

export interface LocalRunner {
  child: ChildProcess;
  dataDir: string;
  port: number;
  url: string;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  /** resolves with the output once `pattern` appears in it; rejects after `timeoutMs` or on exit */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  /** removes its data dir (after it has exited) */
  cleanup(): Promise<void>;
}

export async function startLocalRunner(env: Record<string, string> = {}): Promise<LocalRunner> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lagebild-runner-'));
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const child = spawn(process.execPath, [RUN_LOCAL_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LB_DATA_DIR: dataDir,
      PORT: String(port),
      SFU_PORT: String(await freePort()),
      SIM: 'off',
      PILOT: 'off',
      MEDIASOUP_WORKER_BIN: '',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const take = (b: Buffer) => {
    // the runner colours its prefix; tests match the words
    text += stripVTControlCharacters(b.toString());
    for (const w of waiters) w();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const w of waiters) w();
  });
  return {
    child,
    dataDir,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) done(() => resolve(text));
          else if (ended) done(() => reject(new Error(`runner exited before ${pattern}:\n${text}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The pids of `pid`'s children, with their command lines. */
export async function childProcesses(pid: number): Promise<Array<{ pid: number; cmd: string }>> {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const pids = list.split(' ').filter(Boolean).map(Number);
  return Promise.all(
    pids.map(async (p) => ({
      pid: p,
      cmd: (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim(),
    })),
  );
}

/** Every process below `pid` (children, their children, …). */
export async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const c of await childProcesses(pid)) out.push(c.pid, ...(await descendants(c.pid)));
  return out;
}

/** Whether a process with this pid still exists (and is no zombie). */
export async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}
