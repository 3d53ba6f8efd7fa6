/**
 * Keeps a service of `npm start` running (issue 11, crash-proof services): when the gateway, the SFU
 * or the simulator dies from a bug, it is started again after a pause that doubles with each crash
 * in a row (0.5 s, 1 s, 2 s … capped at 30 s) and falls back to 0.5 s once a run has lasted a
 * minute. A crash then costs seconds of one service instead of the whole stack, and a service that
 * cannot start at all does not spin the CPU. Each restart is said on the console.
 */
import type { ServiceHandle } from './process.ts';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** a run at least this long counts as healthy: the next crash waits `initialMs` again */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, stableMs: 60_000 };

/** The pause before the restart that follows `crashesInARow` earlier ones (0 for the first). */
export function restartDelayMs(crashesInARow: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(crashesInARow, 30));
}

/** How many crashes in a row there have been, counting this one, after a run of `ranMs`. */
export function crashesInARow(
  before: number,
  ranMs: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return ranMs >= policy.stableMs ? 0 : before + 1;
}

/** `500` → "0.5 s", `2000` → "2 s" */
export function formatDelay(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** How a process ended, for a person: "code 1", "signal SIGKILL". */
export function describeExit(child: ServiceHandle['child'], code: number | null): string {
  return child.signalCode ? `signal ${child.signalCode}` : `code ${code}`;
}

export interface SuperviseOptions {
  name: string;
  /** starts a fresh process and resolves once it is ready (spawnService) */
  start: () => Promise<ServiceHandle>;
  say: (msg: string) => void;
  policy?: BackoffPolicy;
  /**
   * false once the whole stack is stopping: Ctrl+C signals every process of the terminal's group,
   * so the service may exit on its own before its turn in the ordered shutdown; that is no crash
   */
  active?: () => boolean;
}

export interface Supervised {
  /** the running process, or null while it waits to be restarted */
  readonly current: ServiceHandle | null;
  readonly restarts: number;
  /** stops the process for good (no restart follows) */
  stop(): Promise<void>;
}

/** Watches `first` (already started) and every process that replaces it. */
export function supervise(first: ServiceHandle, opts: SuperviseOptions): Supervised {
  const policy = opts.policy ?? DEFAULT_BACKOFF;
  let current: ServiceHandle | null = first;
  let starting: Promise<ServiceHandle> | null = null;
  let startedAt = Date.now();
  let crashes = -1;
  let restarts = 0;
  let stopped = false;
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function watch(): Promise<void> {
    while (!stopped && current) {
      const code = await current.exited;
      if (stopped || opts.active?.() === false) return;
      crashes = crashesInARow(crashes, Date.now() - startedAt, policy);
      let delayMs = restartDelayMs(crashes, policy);
      opts.say(
        `${opts.name} exited (${describeExit(current.child, code)}); restarting in ${formatDelay(delayMs)}`,
      );
      current = null;
      while (!stopped && !current) {
        await pause(delayMs);
        if (stopped) return;
        starting = opts.start();
        try {
          current = await starting;
          startedAt = Date.now();
          restarts++;
          opts.say(`${opts.name} is running again (restart ${restarts})`);
        } catch (err) {
          delayMs = restartDelayMs(++crashes, policy);
          const why = (err as Error).message.split('\n')[0];
          opts.say(`${opts.name} did not start (${why}); trying again in ${formatDelay(delayMs)}`);
        } finally {
          starting = null;
        }
      }
    }
  }
  void watch();

  return {
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopped = true;
      wake();
      const inFlight = starting ? await starting.catch(() => null) : null;
      await Promise.all([current?.stop(), inFlight?.stop()]);
    },
  };
}
