import { describe, expect, it } from 'vitest';
import { proxiedLocation } from './talkback-proxy.ts';

describe('proxiedLocation', () => {
  const device = '3f0c2a8e-8a0b-4c1e-9d2f-0a1b2c3d4e5f';

  it("puts the SFU's talkback resource onto the gateway's path", () => {
    expect(proxiedLocation(`/talkback/${device}/AbCd_-0123456789`)).toBe(
      `/sfu/v1/talkback/${device}/AbCd_-0123456789`,
    );
  });

  it('passes on nothing that is not a talkback resource of the SFU', () => {
    expect(proxiedLocation(null)).toBeNull();
    expect(proxiedLocation(`/talkback/${device}/listen/AbCd_-0123456789`)).toBeNull();
    expect(proxiedLocation(`http://sfu.internal/talkback/${device}/AbCd_-0123456789`)).toBeNull();
    expect(proxiedLocation(`/talkback/${device}/../../internal/stats`)).toBeNull();
  });
});
