/**
 * Token bucket per key. A device may burst (replaying a buffer after signal loss) but not sustain
 * more than `ratePerS`; beyond that its events are refused with a retryable error.
 */
export interface TokenBucket {
  take(nowMs?: number): boolean;
}

export function tokenBucket(ratePerS: number, burst: number, startMs = Date.now()): TokenBucket {
  let tokens = burst;
  let last = startMs;
  return {
    take(nowMs = Date.now()) {
      tokens = Math.min(burst, tokens + ((nowMs - last) / 1000) * ratePerS);
      last = nowMs;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
