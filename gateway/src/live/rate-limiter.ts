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

export interface BucketMap {
  /** the key's bucket, the same one every time while the key is among the `maxKeys` last used */
  get(key: string): TokenBucket;
  size(): number;
}

/**
 * One bucket per device that outlives its connection: a bucket made per connection was full again
 * after every reconnect, so a device could reconnect to reset its limit (issue 11). The map keeps
 * the `maxKeys` most recently used buckets (a Map iterates in insertion order, so re-inserting on
 * use makes the first entry the least recently used); a bucket evicted after that long has long
 * refilled anyway, unless more than `maxKeys` devices are sending at once.
 */
export function bucketMap(ratePerS: number, burst: number, maxKeys: number): BucketMap {
  const buckets = new Map<string, TokenBucket>();
  return {
    get(key) {
      let b = buckets.get(key);
      if (b) buckets.delete(key);
      else b = tokenBucket(ratePerS, burst);
      buckets.set(key, b);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      return b;
    },
    size: () => buckets.size,
  };
}
