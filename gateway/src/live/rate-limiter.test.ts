import { describe, expect, it } from 'vitest';
import { bucketMap, tokenBucket } from './rate-limiter.ts';

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

describe('bucketMap', () => {
  it('gives a key the same bucket each time, so taking it again does not refill it (issue 11)', () => {
    const m = bucketMap(0.001, 2, 10);
    expect([m.get('dev-1').take(), m.get('dev-1').take(), m.get('dev-1').take()]).toEqual([
      true,
      true,
      false,
    ]);
    expect(m.get('dev-2').take()).toBe(true);
  });
  it('keeps at most maxKeys buckets, evicting the least recently used', () => {
    const m = bucketMap(0.001, 1, 2);
    m.get('a').take();
    m.get('b').take();
    m.get('a'); // a is now more recent than b
    m.get('c'); // evicts b
    expect(m.size()).toBe(2);
    expect(m.get('a').take()).toBe(false);
    expect(m.get('b').take()).toBe(true); // a fresh bucket
  });
});
