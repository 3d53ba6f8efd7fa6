/**
 * Issue 11, property-based fuzzing of every HTTP route of the gateway (fast-check).
 *
 * The gateway is built in-process (`buildGateway`) against a seeded stack and driven with
 * `app.inject()`. The route list comes from the gateway itself, so a new route is fuzzed without
 * anyone adding it here. Properties:
 *   1. without a valid session (no cookie, a broken one, a real one with a character changed, random
 *      bearer tokens), any request to any route is refused with a 4xx;
 *   2. with a valid session of a role the route allows, malformed input (wrong types, huge strings,
 *      deep nesting, unicode, broken headers; ids of the other tenant, unknown or garbage) is refused
 *      with a 4xx, and a read answers without a 5xx;
 * and for both: the gateway still serves, nothing in the database changed (refusals may be audited),
 * memory stays bounded. Seed and budget: test/src/fuzz/settings.ts (FUZZ_SEED, FUZZ_RUNS).
 */
import { ProvisionDeviceRequest, type Role, TenantPoliciesUpdate } from '@lagebild/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditChangesSince,
  auditMark,
  changedTables,
  dbFingerprint,
  heapAfterGcMiB,
} from '../src/fuzz/fingerprint.ts';
import { describeRequest, type FuzzRequest, requestArb } from '../src/fuzz/requests.ts';
import { fuzzParams, fuzzTimeoutMs } from '../src/fuzz/settings.ts';
import { CITIES, otherCity, ROLES, startWorld, type World } from '../src/fuzz/world.ts';

let w: World;
let before: Record<string, string>;
let heapBefore: number;
beforeAll(async () => {
  w = await startWorld();
  before = await dbFingerprint(w.stack.db.pool);
  heapBefore = heapAfterGcMiB();
}, 180_000);
afterAll(async () => {
  await w?.stop();
});

/** Answers that are not refusals but right for anyone: liveness, and logout without a session. */
const publicSuccess = (r: FuzzRequest, status: number) =>
  (r.route.url === '/healthz' && status === 200) ||
  (r.route.url === '/api/auth/logout' && status === 204) ||
  // signing out without a session has nothing to end; the login page's provider buttons are public
  (r.route.url === '/api/auth/oidc/logout' && status === 200) ||
  (r.route.url === '/api/auth/oidc/providers' && r.route.method === 'GET' && status === 200);

/** routes a bare probe must not call: they end or change the caller's own sign-in */
const OWN_SIGN_IN = new Set(['/api/auth/logout', '/api/auth/oidc/logout', '/api/me/totp/enrol']);

/** The SFU is not running in this suite: a call the proxy forwards fails as 503 "unreachable". */
const proxiedUnavailable = (r: FuzzRequest, status: number, body: string) =>
  r.route.url === '/sfu/v1/*' && status === 503 && body.includes('unreachable');

async function stillServes(): Promise<void> {
  const res = await w.gw.app.inject({ method: 'GET', url: '/healthz' });
  expect(res.statusCode, 'healthz after the request').toBe(200);
}

async function send(r: FuzzRequest): Promise<{ status: number; body: string }> {
  const res = await w.gw.app.inject(r.inject);
  return { status: res.statusCode, body: res.body.slice(0, 300) };
}

describe('every HTTP route under fuzzed input', () => {
  it(
    'refuses every request without a valid session with a 4xx, and changes nothing',
    async () => {
      const sessions = CITIES.flatMap((c) => ROLES.map((r) => w.cookies[c][r]));
      const tokens = CITIES.map((c) => w.rows[c].deviceToken);
      const mark = await auditMark(w.stack.db.pool);
      await fc.assert(
        fc.asyncProperty(requestArb(w.gw.routes, w.knownIds, { sessions, tokens }), async (r) => {
          const { status, body } = await send(r);
          const ok = publicSuccess(r, status) || (status >= 400 && status < 500);
          expect(ok, `${status} ${body} ← ${describeRequest(r)}`).toBe(true);
          await stillServes();
          expect(changedTables(before, await dbFingerprint(w.stack.db.pool)), describeRequest(r)).toEqual([]);
        }),
        fuzzParams('http: no valid session', 400),
      );
      expect(await auditChangesSince(w.stack.db.pool, mark), 'audit entries other than refusals').toEqual([]);
    },
    fuzzTimeoutMs(120_000, 30),
  );

  it(
    'refuses malformed input from an allowed role with a 4xx (reads: no 5xx), and changes nothing',
    async () => {
      const mark = await auditMark(w.stack.db.pool);
      // a role the route allows (from a quick probe: anything but 401/403 on the bare route)
      const allowed = new Map<string, { city: (typeof CITIES)[number]; role: Role }[]>();
      for (const route of w.gw.routes) {
        if (OWN_SIGN_IN.has(route.url)) continue; // would end or change the session it fuzzes with
        const ok: { city: (typeof CITIES)[number]; role: Role }[] = [];
        for (const city of CITIES)
          for (const role of ROLES) {
            const res = await w.gw.app.inject({
              method: route.method as 'GET',
              url: route.url
                .replaceAll(':id', '00000000-0000-4000-8000-000000000000')
                .replace('*', 'sessions'),
              headers: { cookie: w.cookies[city][role] },
              ...(route.method === 'QUERY' ? { payload: {} } : {}),
            });
            if (res.statusCode !== 401 && res.statusCode !== 403) ok.push({ city, role });
          }
        if (ok.length > 0) allowed.set(`${route.method} ${route.url}`, ok);
      }
      const routes = w.gw.routes.filter((r) => allowed.has(`${r.method} ${r.url}`));
      // ids a caller may not act on: the other tenant's, unknown, garbage (own ids would let a
      // body-less action such as "acknowledge" succeed, which is not a malformed request)
      const arb = fc
        .constantFrom(...CITIES)
        .chain((city) => {
          const other = w.rows[otherCity(city)];
          const foreignIds = [
            ...other.deviceIds,
            ...other.unitIds,
            other.incidentId,
            other.alertId,
            other.requestId,
            other.recordingId,
            other.approvalId,
            other.baselineId,
          ];
          return requestArb(routes, foreignIds, { sessions: [], tokens: [] }, fc.constant(undefined)).chain(
            (r) =>
              fc
                .constantFrom(
                  ...allowed.get(`${r.route.method} ${r.route.url}`)!.filter((a) => a.city === city),
                )
                .map((a) => {
                  r.inject.headers = { ...(r.inject.headers as object), cookie: w.cookies[a.city][a.role] };
                  delete (r.inject.headers as Record<string, string>).origin; // the origin check is property 1's
                  return r;
                }),
          );
        })
        // malformed by construction: drop the rare random body a schema accepts
        .filter((r) => !acceptedBody(r));
      await fc.assert(
        fc.asyncProperty(arb, async (r) => {
          const { status, body } = await send(r);
          const read = r.route.method === 'GET';
          const ok =
            proxiedUnavailable(r, status, body) ||
            (status >= 400 && status < 500) ||
            (read && status >= 200 && status < 300);
          expect(ok, `${status} ${body} ← ${describeRequest(r)}`).toBe(true);
          await stillServes();
          expect(changedTables(before, await dbFingerprint(w.stack.db.pool)), describeRequest(r)).toEqual([]);
        }),
        fuzzParams('http: allowed role, malformed input', 400),
      );
      // reads the law wants audited (§ 76 BDSG: statistics exports, a unit's stage history) may succeed
      const audited = new Set(['stats_exported', 'unit_history_read']);
      const changes = await auditChangesSince(w.stack.db.pool, mark);
      expect(
        changes.filter((a) => !audited.has(a)),
        'audit entries other than refusals and audited reads',
      ).toEqual([]);
    },
    fuzzTimeoutMs(150_000, 40),
  );

  it('keeps the heap bounded over the fuzzing runs', () => {
    // the gateway runs in this process: its heap after a full collection is what it kept
    const grownMiB = heapAfterGcMiB() - heapBefore;
    console.log(`[fuzz] http: heap after GC grew ${grownMiB.toFixed(1)} MiB over the runs`);
    expect(grownMiB).toBeLessThan(64);
  });
});

function acceptedBody(r: FuzzRequest): boolean {
  if (typeof r.inject.payload !== 'string') return false;
  let json: unknown;
  try {
    json = JSON.parse(r.inject.payload);
  } catch {
    return false;
  }
  const key = `${r.route.method} ${r.route.url}`;
  if (key === 'POST /api/devices') return ProvisionDeviceRequest.safeParse(json).success;
  if (key === 'PUT /api/admin/policies') return TenantPoliciesUpdate.safeParse(json).success;
  return false;
}
