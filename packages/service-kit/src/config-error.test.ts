import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatConfigError } from './config-error.ts';

describe('formatConfigError()', () => {
  it('names the service and each bad variable on its own line', () => {
    const r = z.object({ PORT: z.coerce.number().int(), REDIS_URL: z.url() }).safeParse({ PORT: 'x' });
    expect(r.success).toBe(false);
    const err = formatConfigError('gateway', r.error!);
    const [first, ...rest] = err.message.split('\n');
    expect(first).toBe('invalid gateway configuration:');
    expect(rest).toHaveLength(2);
    expect(rest[0]).toMatch(/^ {2}PORT: /);
    expect(rest[1]).toMatch(/^ {2}REDIS_URL: /);
  });
});
