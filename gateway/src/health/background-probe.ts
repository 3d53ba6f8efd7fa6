/**
 * A check that runs in the background, one at a time, and is read without waiting: a check that has
 * not answered within `timeoutMs` counts as failed at once (a blackholed Redis or PostgreSQL never
 * answers, it does not refuse), and no second check piles up behind a hanging one.
 */
export interface BackgroundProbe {
  /** starts a check unless one is in flight */
  tick(): void;
  /** null until the first check answered or timed out */
  ok(): boolean | null;
}

export function backgroundProbe(
  check: () => Promise<unknown>,
  timeoutMs: number,
  now: () => number = Date.now,
): BackgroundProbe {
  let ok: boolean | null = null;
  let startedAt: number | null = null;
  return {
    tick() {
      if (startedAt !== null) {
        if (now() - startedAt > timeoutMs) ok = false;
        return;
      }
      const started = now();
      startedAt = started;
      check()
        .then(
          () => {
            ok = true;
          },
          () => {
            ok = false;
          },
        )
        .finally(() => {
          if (startedAt === started) startedAt = null;
        });
    },
    ok: () => ok,
  };
}
