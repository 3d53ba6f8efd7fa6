/**
 * Requests against one registered route: its `:params` filled with ids of real rows (both tenants),
 * unknown UUIDs and garbage, a catch-all `*` with documented paths and traversal tricks, a random
 * query string, a malformed body and broken headers.
 */
import type { RouteEntry } from '@lagebild/gateway';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import {
  authorizationArb,
  contentTypeArb,
  cookieArb,
  jsonish,
  originArb,
  pathIdArb,
  queryArb,
  rawBody,
  wrongTypedBody,
} from './arbitraries.ts';

export interface FuzzRequest {
  route: RouteEntry;
  inject: InjectOptions;
}

const tailArb = (ids: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant('sessions'),
    ids.map((id) => `sessions/${id}`),
    fc
      .tuple(ids, fc.constantFrom('connect', 'consume', 'restart-ice'))
      .map(([id, op]) => `sessions/${id}/${op}`),
    fc
      .tuple(ids, ids, fc.constantFrom('resume', 'layers'))
      .map(([s, c, op]) => `sessions/${s}/consumers/${c}/${op}`),
    // issue 11, reproduction 2: the proxy must not let dots escape /sfu/v1
    fc.constantFrom(
      '%2e%2e/%2e%2e/internal/stats',
      '..%2f..%2finternal/stats',
      '../../internal/stats',
      '%2E%2E/%2E%2E/whip/x',
      'sessions/..%252f..%252finternal%252fstats',
      '%5c..%5c..%5cinternal/stats',
      '',
    ),
    ids,
  );

export function urlArb(route: RouteEntry, knownIds: readonly string[]): fc.Arbitrary<string> {
  const ids = pathIdArb(knownIds);
  const parts = route.url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? ids : seg === '*' ? tailArb(ids) : fc.constant(seg)));
  return fc.tuple(fc.tuple(...parts), queryArb).map(([segs, q]) => `${segs.join('/')}${q}`);
}

export const bodyArb: fc.Arbitrary<{ payload?: string; json?: unknown }> = fc.oneof(
  fc.constant({}),
  jsonish.map((json) => ({ json })),
  wrongTypedBody.map((json) => ({ json })),
  rawBody.map((payload) => ({ payload })),
);

export interface HeaderPools {
  /** valid session cookies (`lb_session=…`), sent one character off by the anonymous fuzzer */
  sessions: readonly string[];
  /** valid media tokens, sent as is and with a changed character */
  tokens: readonly string[];
}

export function headersArb(pools: HeaderPools, cookie?: fc.Arbitrary<string | undefined>) {
  return fc
    .record({
      'content-type': contentTypeArb,
      origin: originArb,
      cookie: cookie ?? cookieArb(pools.sessions),
      authorization: authorizationArb(pools.tokens),
      'content-length': fc.option(fc.constantFrom('0', '-1', '99999999', 'abc'), {
        nil: undefined,
        freq: 10,
      }),
    })
    .map(
      (h) =>
        Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>,
    );
}

export function requestArb(
  routes: readonly RouteEntry[],
  knownIds: readonly string[],
  pools: HeaderPools,
  cookie?: fc.Arbitrary<string | undefined>,
): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({ url: urlArb(route, knownIds), body: bodyArb, headers: headersArb(pools, cookie) })
      .map(({ url, body, headers }): FuzzRequest => {
        const inject: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
        const bodyless = route.method === 'GET' || route.method === 'HEAD';
        if (!bodyless && body.payload !== undefined) inject.payload = body.payload;
        else if (!bodyless && body.json !== undefined) {
          inject.payload = JSON.stringify(body.json);
          headers['content-type'] ??= 'application/json';
        }
        return { route, inject };
      }),
  );
}

/** One line naming a request, for failure reports (bodies cut short). */
export function describeRequest(r: FuzzRequest): string {
  const body = typeof r.inject.payload === 'string' ? r.inject.payload : '';
  return `${r.inject.method} ${String(r.inject.url).slice(0, 200)} headers=${JSON.stringify(r.inject.headers).slice(0, 300)} body(${body.length})=${body.slice(0, 200)}`;
}
