import { describe, expect, it } from 'vitest';
import { cookieFrom } from './session.ts';

describe('cookieFrom', () => {
  it('reads the named cookie, decoded', () => {
    expect(cookieFrom('a=1; lb_session=x%2By; b=2', 'lb_session')).toBe('x+y');
    expect(cookieFrom('a=1', 'lb_session')).toBeUndefined();
    expect(cookieFrom(undefined, 'lb_session')).toBeUndefined();
  });

  it('takes a malformed percent-encoding as no cookie rather than throwing (GET /metrics answered 500)', () => {
    expect(cookieFrom('lb_session=%', 'lb_session')).toBeUndefined();
    expect(cookieFrom('lb_session=%E0%A4%A', 'lb_session')).toBeUndefined();
  });
});
