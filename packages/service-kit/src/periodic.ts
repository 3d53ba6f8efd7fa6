/**
 * A task that runs every `everyMs`, never overlapping itself (a slow run delays the next instead of
 * piling up), and whose failures are reported, never thrown into the event loop. `everyMs` 0 = off.
 */
export interface Periodic {
  /** runs the task now (or waits for the run in progress) */
  runNow(): Promise<void>;
  stop(): void;
}

export function periodic(
  everyMs: number,
  task: () => Promise<void>,
  onError: (err: unknown) => void,
): Periodic {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= task()
      .catch(onError)
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = everyMs > 0 ? setInterval(() => void run(), everyMs) : undefined;
  timer?.unref();
  return {
    runNow: run,
    stop: () => clearInterval(timer),
  };
}
