import { describe, expect, it } from 'vitest';
import { createServerClock, freshnessOf, LOST_AFTER_MS, STALE_AFTER_MS } from './staleness.ts';

describe('freshnessOf()', () => {
  const now = 1_000_000;
  it('is fresh up to 30 s after the last status', () => {
    expect(freshnessOf({ receivedAt: now - STALE_AFTER_MS, online: true }, now)).toBe('fresh');
  });
  it('is stale after 30 s', () => {
    expect(freshnessOf({ receivedAt: now - STALE_AFTER_MS - 1, online: true }, now)).toBe('stale');
  });
  it('is lost after 120 s', () => {
    expect(freshnessOf({ receivedAt: now - LOST_AFTER_MS - 1, online: true }, now)).toBe('lost');
  });
  it('is lost at once when the device socket is gone, however recent its last status', () => {
    expect(freshnessOf({ receivedAt: now, online: false }, now)).toBe('lost');
  });
  it('treats a status from the future (clock skew) as fresh', () => {
    expect(freshnessOf({ receivedAt: now + 5000, online: true }, now)).toBe('fresh');
  });
});

describe('createServerClock()', () => {
  it('translates browser time to gateway time', () => {
    let browser = 10_000;
    const clock = createServerClock(() => browser);
    expect(clock.now()).toBe(10_000);
    clock.observe(15_000);
    expect(clock.offsetMs).toBe(5_000);
    browser = 11_000;
    expect(clock.now()).toBe(16_000);
  });
});
