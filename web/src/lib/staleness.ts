/**
 * How fresh a unit's position is. A unit nobody has heard from for a while must not look as
 * trustworthy as one that reported a second ago: after 30 s it fades, after 120 s (or when its socket is
 * gone) it is shown as "signal lost". Ages are measured on the gateway clock (`receivedAt`), corrected by
 * the offset between the browser and the gateway, so a device or browser with a wrong clock cannot make
 * a unit look fresh.
 */
import type { UnitLive } from '@lagebild/protocol';

export const STALE_AFTER_MS = 30_000;
export const LOST_AFTER_MS = 120_000;

export type Freshness = 'fresh' | 'stale' | 'lost';

export function freshnessOf(unit: Pick<UnitLive, 'receivedAt' | 'online'>, serverNowMs: number): Freshness {
  if (!unit.online) return 'lost';
  const ageMs = serverNowMs - unit.receivedAt;
  if (ageMs > LOST_AFTER_MS) return 'lost';
  if (ageMs > STALE_AFTER_MS) return 'stale';
  return 'fresh';
}

/**
 * Keeps the difference between the gateway clock and the browser clock. Each message carries
 * `serverTime`; network delay only makes the estimate lag by a few ms, which is far below the
 * 30 s threshold. The newest sample wins so a corrected browser clock is picked up.
 */
export function createServerClock(now: () => number = Date.now) {
  let offsetMs = 0;
  return {
    observe(serverTimeMs: number): void {
      offsetMs = serverTimeMs - now();
    },
    now(): number {
      return now() + offsetMs;
    },
    get offsetMs(): number {
      return offsetMs;
    },
  };
}
export type ServerClock = ReturnType<typeof createServerClock>;
