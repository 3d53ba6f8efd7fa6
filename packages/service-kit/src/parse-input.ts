/**
 * Untrusted input parsed with a protocol schema, once, where it comes in: a failure is a 400 named
 * "invalid request body" (or what was parsed) with one issue per bad field. Each service binds it to
 * its own catalogue class, so the error is one of the service's own (`instanceof AppError` holds).
 */
import { describeIssues } from '@lagebild/protocol';
import type { z } from 'zod';

type BadRequest = new (code: 'bad_request', message: string, issues?: string[]) => Error;

export function inputParser(
  error: BadRequest,
): <S extends z.ZodType>(schema: S, data: unknown, what?: string) => z.infer<S> {
  return (schema, data, what = 'request body') => {
    const r = schema.safeParse(data);
    if (!r.success) throw new error('bad_request', `invalid ${what}`, describeIssues(r.error));
    return r.data;
  };
}
