import { describe, expect, it } from 'vitest';
import { sfuProxyPath } from './sfu-proxy-path.ts';

const S = 'qT0x-9_aB3cDe4fG';
const C = '9b2c1f7e-1111-4222-8333-944455556666';

describe('the SFU proxy forwards only documented viewer routes (issue 11)', () => {
  it('forwards each viewer signalling route with its method', () => {
    expect(sfuProxyPath('POST', '/sfu/v1/sessions')).toBe('/sfu/v1/sessions');
    for (const op of ['connect', 'consume', 'restart-ice'])
      expect(sfuProxyPath('POST', `/sfu/v1/sessions/${S}/${op}`)).toBe(`/sfu/v1/sessions/${S}/${op}`);
    for (const op of ['resume', 'layers'])
      expect(sfuProxyPath('POST', `/sfu/v1/sessions/${S}/consumers/${C}/${op}`)).not.toBeNull();
    expect(sfuProxyPath('DELETE', `/sfu/v1/sessions/${S}`)).toBe(`/sfu/v1/sessions/${S}`);
    expect(sfuProxyPath('POST', '/sfu/v1/sessions?x=1')).toBe('/sfu/v1/sessions');
  });

  it('refuses dot segments, encoded dots and slashes, other methods and unknown paths', () => {
    for (const url of [
      '/sfu/v1/%2e%2e/%2e%2e/internal/stats',
      '/sfu/v1/../../internal/stats',
      '/sfu/v1/%2E%2E/internal/stats',
      '/sfu/v1/sessions/..%2f..%2finternal%2fstats/connect',
      `/sfu/v1/sessions/${S}/../../../internal/stats`,
      '/sfu/v1//sessions',
      '/sfu/v1/sessions/',
      '/sfu/v1/internal/stats',
      `/sfu/v1/sessions/${S}%2fconnect`,
    ]) {
      expect(sfuProxyPath('POST', url), url).toBeNull();
      expect(sfuProxyPath('GET', url), url).toBeNull();
    }
    expect(sfuProxyPath('GET', '/sfu/v1/sessions')).toBeNull();
    expect(sfuProxyPath('PUT', `/sfu/v1/sessions/${S}`)).toBeNull();
  });
});
