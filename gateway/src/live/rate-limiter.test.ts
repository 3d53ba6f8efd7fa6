import { describe, expect, it } from 'vitest';
import { tokenBucket } from './rate-limiter.ts';

describe('tokenBucket', () => {
  it('allows a burst, then refuses until tokens refill at the rate', () => {
    const b = tokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true); // one token after 100 ms at 10/s
  });
  it('never stores more than the burst', () => {
    const b = tokenBucket(10, 2, 0);
    const later = 60_000;
    expect([b.take(later), b.take(later), b.take(later)]).toEqual([true, true, false]);
  });
});
