/**
 * A helper process that reports by printing one JSON object per line on stdout — the GStreamer
 * helpers (gst-whip.py, gst-fleet.py), run with Debian's python3 because a pyenv or venv python has
 * no `gi`. Collects the events as they come, waits for one, and says why the process exited (its exit
 * code or signal and stderr's last lines).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Debian's interpreter: a pyenv or venv python on PATH has no `gi` */
export const GST_PYTHON = process.env.GST_PYTHON ?? '/usr/bin/python3';

export interface JsonLinesProcess<E> {
  child: ChildProcess;
  events: E[];
  /** why it exited, or null while it runs */
  exited(): string | null;
  /**
   * resolves with `check()`'s first result other than undefined, checked now, on every event and at
   * exit; rejects when `check` throws, when the process has exited, or after `timeoutMs`
   */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T>;
}

export function startJsonLines<E>(name: string, args: string[]): JsonLinesProcess<E> {
  const child: ChildProcess = spawn(GST_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: E[] = [];
  const waiters = new Set<() => void>();
  let exited: string | null = null;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    events.push(JSON.parse(line) as E);
    for (const w of waiters) w();
  });
  child.once('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
    for (const w of waiters) w();
  });
  return {
    child,
    events,
    exited: () => exited,
    waitFor: <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
      new Promise<T>((resolve, reject) => {
        const done = (f: () => void) => {
          waiters.delete(test);
          clearTimeout(timer);
          f();
        };
        const test = () => {
          try {
            const v = check();
            if (v !== undefined) done(() => resolve(v));
            else if (exited) done(() => reject(new Error(exited!)));
          } catch (err) {
            done(() => reject(err));
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${name}: no ${what} within ${timeoutMs} ms`))),
          timeoutMs,
        );
        waiters.add(test);
        test();
      }),
  };
}
