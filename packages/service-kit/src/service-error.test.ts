import { describe, expect, it } from 'vitest';
import { ServiceError } from './service-error.ts';
import { TestError } from './test-errors.ts';

describe('ServiceError', () => {
  it('takes its status from the subclass catalogue and keeps the subclass name', () => {
    const e = new TestError('teapot', 'short and stout');
    expect(e).toBeInstanceOf(ServiceError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('TestError');
    expect(e.status).toBe(418);
    expect(e.code).toBe('teapot');
  });

  it('toBody() sends the wire code and the message, issues only when there are some', () => {
    expect(new TestError('teapot', 'short and stout').toBody()).toEqual({
      error: { code: 'bad_request', message: 'short and stout' },
    });
    expect(new TestError('bad_request', 'invalid request body', ['a: Required']).toBody()).toEqual({
      error: { code: 'bad_request', message: 'invalid request body', issues: ['a: Required'] },
    });
  });
});
