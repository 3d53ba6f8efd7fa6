/** Parses untrusted input with a protocol schema; failures become a 400 naming each bad field. */
import { describeIssues } from '@lagebild/protocol';
import type { z } from 'zod';
import { AppError } from '../errors.ts';

export function parseInput<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new AppError('bad_request', `invalid ${what}`, describeIssues(r.error));
  return r.data;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id in a path that cannot exist is simply not found. */
export function pathId(value: string, what: string): string {
  if (!UUID.test(value)) throw new AppError('not_found', `${what} not found`);
  return value.toLowerCase();
}
