/**
 * JSON request bodies with a nesting bound (issue 11): 16 KiB of `[` is 16,000 levels, which parses
 * but overflows the stack of anything that walks it recursively later (JSON.stringify in the SFU
 * proxy did, answering 500). Fastify's own parser (prototype poisoning refused) runs first; the depth
 * is measured without recursion.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';

/** No request of the API nests deeper than this; mediasoup's RTP parameters reach about 6. */
export const MAX_JSON_DEPTH = 32;

/** The nesting depth of a parsed JSON value, or `limit + 1` as soon as it passes `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return limit + 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export function registerJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parse(req, body as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err);
      if (jsonDepth(value) > MAX_JSON_DEPTH)
        return done(
          new AppError('bad_request', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`),
          undefined,
        );
      done(null, value);
    });
  });
}
