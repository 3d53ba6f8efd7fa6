/**
 * Issue 11, "one role × action × tenant matrix generated from the route table, every cell asserted".
 *
 * ACCESS below is the reviewed answer to "who may call this route": one line per HTTP route of the
 * gateway. The matrix is generated from the routes the built gateway reports (`buildGateway().routes`),
 * so a route that is not in ACCESS fails the first test: a new route cannot ship unreviewed.
 *
 * For every route × principal (admin, supervisor, operator, evaluator, no session, a device's media
 * token) × tenant (the row addressed belongs to the caller's tenant or to the other one):
 *   - no session / device token: 401 (public routes: anything but 401/403 and never a 5xx);
 *   - a role not in the table: 403;
 *   - an allowed role, own tenant: neither 401, 403 nor 404, never a 5xx;
 *   - an allowed role, another tenant's id (in the path or the body): 404, exactly like an unknown id
 *     (issue 11: a 403 would reveal that the id exists); a route without an id answers from the
 *     session's tenant and must name nothing of the other tenant.
 * Own-tenant calls send a body that fails validation where a valid one would change something (the
 * 400 proves authorisation passed); cross-tenant calls send a valid body, so a missing tenant check
 * would show as a success.
 *
 * The socket events of /control and /device are cells too (bottom of the file).
 */

import type { Role } from '@lagebild/protocol';
import type { InjectOptions } from 'fastify';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, status } from '../src/clients.ts';
import {
  CITIES,
  type City,
  otherCity,
  ROLES,
  seededRowIds,
  startWorld,
  type TenantRows,
  type World,
} from '../src/fuzz/world.ts';

type Access = 'public' | readonly Role[];
const ALL: readonly Role[] = ['admin', 'supervisor', 'operator', 'evaluator'];
const LIVE: readonly Role[] = ['admin', 'supervisor', 'operator'];
const DISPATCH: readonly Role[] = ['admin', 'supervisor'];
const STATS: readonly Role[] = ['admin', 'supervisor', 'evaluator'];
const BASELINE: readonly Role[] = ['admin', 'evaluator'];
const REPORT: readonly Role[] = ['admin', 'supervisor', 'operator'];
const RECORDING: readonly Role[] = ['admin', 'supervisor', 'operator'];
const RETENTION: readonly Role[] = ['admin', 'supervisor'];
const DUTY: readonly Role[] = ['admin', 'supervisor'];
const TALKBACK: readonly Role[] = ['supervisor', 'operator'];

/** Who may call each route. `*` as method: every method of a catch-all route. */
const ACCESS: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /api/metrics': ['admin'],
  // degraded components as Prometheus gauges (issue 14)
  'GET /metrics': ['admin'],
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'public',
  'GET /api/me': ALL,
  // the OpenAPI document of these routes, for anyone signed in (issue 12)
  'GET /api/openapi.json': ALL,
  'GET /api/units': LIVE,
  'GET /api/units/:id': LIVE,
  'GET /api/devices': ['admin'],
  'POST /api/devices': ['admin'],
  'POST /api/devices/:id/revoke': ['admin'],
  // a device proves itself with its secret in the body, not with a session
  'POST /api/device/token': 'public',
  // status over HTTP: the device's token or secret, never a session (docs/device-protocol.md D4)
  'POST /api/device/v1/status': 'public',
  'GET /api/device/v1/osmand': 'public',
  'POST /api/device/v1/osmand': 'public',
  'POST /api/video/viewer-token': LIVE,
  'GET /api/video/live': LIVE,
  // viewer signalling is for the roles that can hold a viewer token, and only with a session (issue 11)
  '* /sfu/v1/*': LIVE,
  // talkback (issue 16): operators and supervisors speak, with their own viewer token for the unit
  'POST /sfu/v1/talkback/:id': TALKBACK,
  'DELETE /sfu/v1/talkback/:id/:talkId': TALKBACK,
  'GET /api/incidents': LIVE,
  'POST /api/incidents': LIVE,
  'GET /api/incidents/:id': LIVE,
  'POST /api/incidents/:id/notes': LIVE,
  'POST /api/incidents/:id/close': DISPATCH,
  'POST /api/incidents/:id/priority': DISPATCH,
  'GET /api/incidents/:id/candidates': DISPATCH,
  'POST /api/incidents/:id/dispatch': DISPATCH,
  'POST /api/alerts/:id/ack': LIVE,
  'POST /api/dispatch/:id/cancel': DISPATCH,
  'GET /api/admin/policies': ['admin'],
  'PUT /api/admin/policies': ['admin'],
  'GET /api/stats/summary': STATS,
  'GET /api/stats/series': STATS,
  'GET /api/stats/heatmap': STATS,
  'GET /api/stats/breakdown': STATS,
  'GET /api/stats/teams': STATS,
  'GET /api/stats/export.csv': STATS,
  'GET /api/stats/report': STATS,
  'GET /api/baselines': STATS,
  'POST /api/baselines': BASELINE,
  'DELETE /api/baselines/:id': BASELINE,
  'GET /api/reports/pending': REPORT,
  'POST /api/reports': REPORT,
  'GET /api/recordings': RECORDING,
  'GET /api/recordings/:id': RECORDING,
  'POST /api/recordings/:id/playback': RECORDING,
  'GET /api/recordings/:id/stream': RECORDING,
  'POST /api/recordings/:id/export': RETENTION,
  'POST /api/recordings/:id/evidence': RETENTION,
  'POST /api/recordings/:id/release': RETENTION,
  'POST /api/recordings/:id/approvals': RECORDING,
  'GET /api/recording-approvals': RETENTION,
  'POST /api/recording-approvals/:id/decision': RETENTION,
  'GET /api/audit': ['admin'],
  // users of the own tenant (issue 15): admins only; setting one's own password is a login
  'POST /api/auth/password': 'public',
  'GET /api/admin/users': ['admin'],
  'POST /api/admin/users': ['admin'],
  'POST /api/admin/users/:id/role': ['admin'],
  'POST /api/admin/users/:id/disable': ['admin'],
  'POST /api/admin/users/:id/enable': ['admin'],
  'POST /api/admin/users/:id/password-reset': ['admin'],
  'GET /api/admin/users/:id/sessions': ['admin'],
  'POST /api/admin/users/:id/sessions/end': ['admin'],
  // sign-in (issue 15): the second factor at login (with the login's ticket), one's own enrolment,
  // the admin's reset, the tenant's sign-in settings, OpenID Connect
  'POST /api/auth/totp': 'public',
  'POST /api/auth/totp/enrol': 'public',
  'POST /api/auth/totp/confirm': 'public',
  'GET /api/me/totp': ALL,
  'POST /api/me/totp/enrol': ALL,
  'POST /api/me/totp/confirm': ALL,
  'POST /api/admin/users/:id/totp-reset': ['admin'],
  'GET /api/admin/sign-in': ['admin'],
  'PUT /api/admin/sign-in': ['admin'],
  'GET /api/auth/oidc/providers': 'public',
  'GET /api/auth/oidc/:tenant/start': 'public',
  'GET /api/auth/oidc/callback': 'public',
  'POST /api/auth/oidc/logout': 'public',
  // the Dienst page (issue 15): teams, units, shifts and camera hand-out, supervisors and admins
  'GET /api/duty': DUTY,
  'POST /api/duty/teams': DUTY,
  'POST /api/duty/teams/:id': DUTY,
  'POST /api/duty/units': DUTY,
  'POST /api/duty/units/:id': DUTY,
  'POST /api/duty/shifts': DUTY,
  'POST /api/duty/shifts/:id/end': DUTY,
};

/** How a cell calls a route: the URL and body for the addressed tenant's rows. */
interface Call {
  url: string;
  /** own tenant: a body that gets past authorisation without changing anything (or none) */
  body?: unknown;
  /** other tenant: a valid body, so only the tenant check stands between the caller and the row */
  crossBody?: unknown;
  /** the row addressed by id (path or body) belongs to a tenant: the cross-tenant cell expects 404 */
  scoped?: boolean;
  /** what an allowed role gets instead of the usual "anything but 401/403/404" */
  allowedAnswer?: number;
  /** the body's media type when it is not JSON (a string body is sent as it is) */
  contentType?: string;
}
const REASON = { reason: 'Prüfung des Einsatzverlaufs' };
/** public routes a device calls with its own credentials: without them, 401 is the right answer */
const DEVICE_CREDENTIAL_ROUTES = new Set([
  'POST /api/device/token',
  'POST /api/device/v1/status',
  'GET /api/device/v1/osmand',
  'POST /api/device/v1/osmand',
]);
const NOT_A_BODY = { unexpected: ['wrong', 'shape'] };
const CALLS: Record<string, (r: TenantRows, method: string) => Call> = {
  'POST /api/auth/login': () => ({ url: '/api/auth/login', body: NOT_A_BODY }),
  'POST /api/devices': () => ({ url: '/api/devices', body: { label: '' } }),
  'POST /api/devices/:id/revoke': (r) => ({ url: `/api/devices/${r.deviceIds.at(-1)}/revoke`, scoped: true }),
  'GET /api/units/:id': (r) => ({ url: `/api/units/${r.unitIds[0]}`, scoped: true }),
  'POST /api/device/token': () => ({ url: '/api/device/token', body: NOT_A_BODY }),
  'POST /api/device/v1/status': () => ({ url: '/api/device/v1/status', body: NOT_A_BODY }),
  'GET /api/device/v1/osmand': () => ({ url: '/api/device/v1/osmand?lat=91&lon=1' }),
  'POST /api/device/v1/osmand': () => ({ url: '/api/device/v1/osmand?lat=91&lon=1' }),
  'POST /api/video/viewer-token': (r) => ({
    url: '/api/video/viewer-token',
    body: { deviceId: r.deviceIds[0], reason: { kind: 'not-a-kind' } },
    crossBody: { deviceId: r.deviceIds[0], reason: { kind: 'incident', incidentId: r.incidentId } },
    scoped: true,
  }),
  // only the documented signalling routes are forwarded (sfu/SPEC.md V1–V4); the SFU is not running
  // here, so a forwarded call answers 503 and anything else the gateway's own 404
  '* /sfu/v1/*': (_r, method) =>
    method === 'POST'
      ? { url: '/sfu/v1/sessions', body: {} }
      : method === 'DELETE'
        ? { url: '/sfu/v1/sessions/3f0c2a8e-8a0b-4c1e-9d2f-0a1b2c3d4e5f' }
        : // QUERY carries a body by definition: Fastify wants its Content-Type before any handler
          { url: '/sfu/v1/sessions', allowedAnswer: 404, ...(method === 'QUERY' ? { body: {} } : {}) },
  // the session and the tenant pass; without the tile's viewer token the gateway answers 401 and
  // forwards nothing (talkback-gateway.test.ts speaks with one)
  'POST /sfu/v1/talkback/:id': (r) => ({
    url: `/sfu/v1/talkback/${r.deviceIds[0]}`,
    body: 'v=0\r\n',
    contentType: 'application/sdp',
    scoped: true,
    allowedAnswer: 401,
  }),
  'DELETE /sfu/v1/talkback/:id/:talkId': (r) => ({
    url: `/sfu/v1/talkback/${r.deviceIds[0]}/AAAAAAAAAAAAAAAA`,
    scoped: true,
    allowedAnswer: 401,
  }),
  'POST /api/incidents': (r) => ({
    url: '/api/incidents',
    body: { unitId: r.unitIds[0], priority: 'high' },
    crossBody: { unitId: r.unitIds[0], priority: 2, summary: 'Matrix' },
    scoped: true,
  }),
  'GET /api/incidents/:id': (r) => ({ url: `/api/incidents/${r.incidentId}`, scoped: true }),
  'POST /api/incidents/:id/notes': (r) => ({
    url: `/api/incidents/${r.incidentId}/notes`,
    body: { text: '' },
    crossBody: { text: 'Notiz' },
    scoped: true,
  }),
  'POST /api/incidents/:id/close': (r) => ({
    url: `/api/incidents/${r.incidentId}/close`,
    body: { outcome: 'not-an-outcome' },
    crossBody: { outcome: 'resolved' },
    scoped: true,
  }),
  'POST /api/incidents/:id/priority': (r) => ({
    url: `/api/incidents/${r.incidentId}/priority`,
    body: { priority: 'urgent' },
    crossBody: { priority: 3 },
    scoped: true,
  }),
  'GET /api/incidents/:id/candidates': (r) => ({
    url: `/api/incidents/${r.incidentId}/candidates`,
    scoped: true,
  }),
  'POST /api/incidents/:id/dispatch': (r) => ({
    url: `/api/incidents/${r.incidentId}/dispatch`,
    body: { unitIds: [] },
    crossBody: { unitIds: [r.unitIds[2]] },
    scoped: true,
  }),
  'POST /api/alerts/:id/ack': (r) => ({ url: `/api/alerts/${r.alertId}/ack`, scoped: true }),
  'POST /api/dispatch/:id/cancel': (r) => ({ url: `/api/dispatch/${r.requestId}/cancel`, scoped: true }),
  'PUT /api/admin/policies': () => ({ url: '/api/admin/policies', body: { retentionDays: -1 } }),
  'GET /api/stats/summary': () => ({ url: '/api/stats/summary?from=2026-01-01&to=2026-01-31' }),
  'GET /api/stats/series': () => ({ url: '/api/stats/series?from=2026-01-01&to=2026-01-31' }),
  'GET /api/stats/heatmap': () => ({ url: '/api/stats/heatmap?from=2026-01-01&to=2026-01-31' }),
  'GET /api/stats/breakdown': () => ({ url: '/api/stats/breakdown?from=2026-01-01&to=2026-01-31&by=team' }),
  'GET /api/stats/export.csv': () => ({ url: '/api/stats/export.csv?from=2026-01-01&to=2026-01-31' }),
  'GET /api/stats/report': () => ({ url: '/api/stats/report?from=2026-01-01&to=2026-01-31' }),
  'POST /api/baselines': () => ({ url: '/api/baselines', body: { label: '' } }),
  // a fresh baseline per own-tenant cell (see freshBaseline): deleting one is the allowed action
  'DELETE /api/baselines/:id': (r) => ({ url: `/api/baselines/${r.baselineId}`, scoped: true }),
  'POST /api/reports': (r) => ({
    url: '/api/reports',
    body: { deviceId: r.deviceIds[0] },
    crossBody: {
      deviceId: r.deviceIds[0],
      reportId: '7f3c1e2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b',
      episodeAt: Date.now() - 60_000,
      assault: 'none',
      context: 'traffic_control',
      announcementGiven: true,
    },
    scoped: true,
  }),
  'GET /api/recordings/:id': (r) => ({ url: `/api/recordings/${r.recordingId}`, scoped: true }),
  'POST /api/recordings/:id/playback': (r) => ({
    url: `/api/recordings/${r.recordingId}/playback`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  // the ticket comes from the cell itself (see ticketFor)
  'GET /api/recordings/:id/stream': (r) => ({ url: `/api/recordings/${r.recordingId}/stream`, scoped: true }),
  'POST /api/recordings/:id/export': (r) => ({
    url: `/api/recordings/${r.recordingId}/export`,
    body: { reason: '' },
    crossBody: { ...REASON, recipient: 'StA Duisburg 1 Js 2/26' },
    scoped: true,
  }),
  'POST /api/recordings/:id/evidence': (r) => ({
    url: `/api/recordings/${r.recordingId}/evidence`,
    body: { reason: '' },
    crossBody: { ...REASON, caseReference: 'Az. 123/26' },
    scoped: true,
  }),
  'POST /api/recordings/:id/release': (r) => ({
    url: `/api/recordings/${r.recordingId}/release`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'POST /api/recordings/:id/approvals': (r) => ({
    url: `/api/recordings/${r.recordingId}/approvals`,
    body: { action: 'shred' },
    crossBody: { action: 'early_deletion', ...REASON },
    scoped: true,
  }),
  'POST /api/recording-approvals/:id/decision': (r) => ({
    url: `/api/recording-approvals/${r.approvalId}/decision`,
    body: { approve: 'yes' },
    crossBody: { approve: false, ...REASON },
    scoped: true,
  }),
  'GET /api/audit': () => ({ url: '/api/audit?limit=5' }),
  'POST /api/auth/password': () => ({ url: '/api/auth/password', body: NOT_A_BODY }),
  'POST /api/admin/users': () => ({ url: '/api/admin/users', body: { username: '', role: 'chief' } }),
  // the tenant's operator is the user addressed; cross-tenant calls send a valid change
  'POST /api/admin/users/:id/role': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/role`,
    body: { role: 'chief', reason: '' },
    crossBody: { role: 'evaluator', ...REASON },
    scoped: true,
  }),
  'POST /api/admin/users/:id/disable': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/disable`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'POST /api/admin/users/:id/enable': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/enable`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'POST /api/admin/users/:id/password-reset': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/password-reset`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'GET /api/admin/users/:id/sessions': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/sessions`,
    scoped: true,
  }),
  'POST /api/admin/users/:id/sessions/end': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/sessions/end`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'POST /api/auth/totp': () => ({ url: '/api/auth/totp', body: NOT_A_BODY }),
  'POST /api/auth/totp/enrol': () => ({ url: '/api/auth/totp/enrol', body: NOT_A_BODY }),
  'POST /api/auth/totp/confirm': () => ({ url: '/api/auth/totp/confirm', body: NOT_A_BODY }),
  'POST /api/me/totp/confirm': () => ({ url: '/api/me/totp/confirm', body: NOT_A_BODY }),
  'POST /api/admin/users/:id/totp-reset': (r) => ({
    url: `/api/admin/users/${operatorOf(r)}/totp-reset`,
    body: { reason: '' },
    crossBody: REASON,
    scoped: true,
  }),
  'PUT /api/admin/sign-in': () => ({ url: '/api/admin/sign-in', body: NOT_A_BODY }),
  'GET /api/auth/oidc/:tenant/start': () => ({ url: '/api/auth/oidc/duisburg/start' }),
  'POST /api/duty/teams': () => ({ url: '/api/duty/teams', body: { name: '' } }),
  'POST /api/duty/teams/:id': (r) => ({
    url: `/api/duty/teams/${dutyRows.get(r.tenantId)?.teamId}`,
    body: {},
    crossBody: { name: 'Übernommen' },
    scoped: true,
  }),
  'POST /api/duty/units': (r) => ({
    url: '/api/duty/units',
    body: { callsign: '', teamId: dutyRows.get(r.tenantId)?.teamId },
    crossBody: { callsign: 'Fremd 1', teamId: dutyRows.get(r.tenantId)?.teamId },
    scoped: true,
  }),
  'POST /api/duty/units/:id': (r) => ({
    url: `/api/duty/units/${r.unitIds[0]}`,
    body: {},
    crossBody: { callsign: 'Übernommen 1' },
    scoped: true,
  }),
  'POST /api/duty/shifts': (r) => ({
    url: '/api/duty/shifts',
    body: { unitId: r.unitIds[0] },
    crossBody: { unitId: r.unitIds[0], deviceId: r.deviceIds[0], personnelNumber: 'P-1' },
    scoped: true,
  }),
  // an ended shift: the own tenant's allowed roles get 409 (already ended), nothing changes
  'POST /api/duty/shifts/:id/end': (r) => ({
    url: `/api/duty/shifts/${dutyRows.get(r.tenantId)?.endedShiftId}/end`,
    scoped: true,
  }),
};

/** Each tenant's team and an ended shift, by tenant id (written once the world is seeded). */
const dutyRows = new Map<string, { teamId: string; endedShiftId: string }>();

/** The id of each tenant's operator account, by tenant id (read once the world is seeded). */
const operatorIds = new Map<string, string>();
const operatorOf = (r: TenantRows): string => operatorIds.get(r.tenantId) ?? 'unknown';

/** The ACCESS key of a registered route (catch-all routes are listed once, for every method). */
const keyOf = (method: string, url: string) =>
  !ACCESS[`${method} ${url}`] && ACCESS[`* ${url}`] ? `* ${url}` : `${method} ${url}`;

type Principal = Role | 'anonymous' | 'device';
const PRINCIPALS: readonly Principal[] = [...ROLES, 'anonymous', 'device'];

let w: World;
beforeAll(async () => {
  w = await startWorld();
  for (const city of CITIES) {
    const u = await w.stack.db.prisma.user.findUniqueOrThrow({ where: { username: `${city}.operator` } });
    operatorIds.set(u.tenantId, u.id);
    const r = w.rows[city];
    const { rows: teams } = await w.stack.db.pool.query<{ id: string }>(
      'SELECT id FROM teams WHERE tenant_id = $1 ORDER BY name LIMIT 1',
      [r.tenantId],
    );
    const { rows: shifts } = await w.stack.db.pool.query<{ id: string }>(
      `INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at)
       VALUES ($1, $2, $3, now() - interval '2 hours', now() - interval '1 hour') RETURNING id`,
      [r.tenantId, r.unitIds[0], r.deviceIds[0]],
    );
    dutyRows.set(r.tenantId, { teamId: teams[0]!.id, endedShiftId: shifts[0]!.id });
  }
}, 180_000);
afterAll(async () => {
  await w?.stop();
});

describe('the route table', () => {
  it('names every route the gateway registers, and nothing it does not', () => {
    const registered = w.gw.routes.map((r) => keyOf(r.method, r.url));
    const unreviewed = registered.filter((k) => !ACCESS[k]);
    expect(unreviewed, 'routes missing from ACCESS: review who may call them and add them').toEqual([]);
    const gone = Object.keys(ACCESS).filter((k) => !registered.includes(k));
    expect(gone, 'ACCESS lists routes the gateway no longer has').toEqual([]);
  });
});

describe.each(CITIES)('caller of %s', (city) => {
  const cells = () =>
    w.gw.routes.map((r) => ({ ...r, key: keyOf(r.method, r.url) })).filter((r) => ACCESS[r.key]);

  async function call(
    principal: Principal,
    method: string,
    key: string,
    target: City,
  ): Promise<{ status: number; body: string }> {
    const rows = w.rows[target];
    const c = (CALLS[key] ?? ((): Call => ({ url: key.split(' ')[1]! })))(rows, method);
    const cross = target !== city;
    if (key === 'DELETE /api/baselines/:id' && !cross) c.url = `/api/baselines/${await freshBaseline()}`;
    const headers: Record<string, string> = {};
    if (principal === 'device') headers.authorization = `Bearer ${w.rows[city].deviceToken}`;
    else if (principal !== 'anonymous') {
      // logout ends the session: a fresh one per cell keeps the shared sessions alive
      headers.cookie =
        key === 'POST /api/auth/logout' || key === 'POST /api/auth/oidc/logout'
          ? await w.freshCookie(city, principal)
          : w.cookies[city][principal];
    }
    let url = c.url;
    if (key === 'GET /api/recordings/:id/stream') url += `?ticket=${await ticketFor(principal, rows)}`;
    const body = cross && c.crossBody !== undefined ? c.crossBody : c.body;
    const opts: InjectOptions = { method: method as InjectOptions['method'], url, headers };
    if (c.contentType) headers['content-type'] = c.contentType;
    if (body !== undefined && method !== 'GET' && method !== 'HEAD') opts.payload = body as object;
    const res = await w.gw.app.inject(opts);
    return { status: res.statusCode, body: res.body };
  }

  async function freshBaseline(): Promise<string> {
    const res = await w.gw.app.inject({
      method: 'POST',
      url: '/api/baselines',
      headers: { cookie: w.cookies[city].evaluator },
      payload: {
        label: 'Matrix',
        startsOn: '2024-01-01',
        endsOn: '2024-01-31',
        officerHours: 1,
        assaults: 0,
      },
    });
    return res.json().id;
  }

  /** A playback ticket the principal got for the row (a refused principal gets none). */
  async function ticketFor(principal: Principal, rows: TenantRows): Promise<string> {
    if (principal === 'anonymous' || principal === 'device') return 'none';
    const res = await w.gw.app.inject({
      method: 'POST',
      url: `/api/recordings/${rows.recordingId}/playback`,
      headers: { cookie: w.cookies[city][principal] },
      payload: REASON,
    });
    return res.statusCode === 200 ? new URL(res.json().url, 'http://x').searchParams.get('ticket')! : 'none';
  }

  const otherTenantIds = (): string[] => {
    const r = w.rows[otherCity(city)];
    return [...seededRowIds(r), operatorOf(r)];
  };

  it.each(PRINCIPALS)(
    'as %s: every route, own and other tenant, answers as ACCESS says',
    async (principal) => {
      const failures: string[] = [];
      for (const { method, key } of cells()) {
        const access = ACCESS[key]!;
        for (const target of [city, otherCity(city)] as City[]) {
          const cross = target !== city;
          const c = CALLS[key]?.(w.rows[target], method);
          const scoped = c?.scoped === true;
          const { status, body } = await call(principal, method, key, target);
          const cell = `${method} ${key.split(' ')[1]} as ${principal} of ${city} on ${cross ? 'other' : 'own'} tenant`;
          const fail = (want: string) =>
            failures.push(`${cell}: want ${want}, got ${status} ${body.slice(0, 160)}`);
          if (status >= 500 && !(key === '* /sfu/v1/*' && status === 503)) {
            fail('no 5xx');
            continue;
          }
          if (access === 'public') {
            if (status === 401 && !DEVICE_CREDENTIAL_ROUTES.has(key)) fail('a public route: not 401');
            if (status === 403) fail('a public route: not 403');
            continue;
          }
          if (principal === 'anonymous' || principal === 'device') {
            if (status !== 401) fail('401 (no session)');
            continue;
          }
          if (!access.includes(principal)) {
            if (status !== 403) fail(`403 (role ${principal} not in ${access.join(', ')})`);
            continue;
          }
          if (cross && scoped) {
            if (status !== 404) fail('404 (another tenant’s id answers like an unknown one)');
            continue;
          }
          if (c?.allowedAnswer !== undefined) {
            if (status !== c.allowedAnswer) fail(`${c.allowedAnswer} (not a documented route)`);
            continue;
          }
          if (status === 401 || status === 403 || status === 404) fail('allowed: not 401/403/404');
          // (the audit log rightly names the other tenant's ids its own users tried: refusals)
          if (
            cross &&
            status < 300 &&
            key !== 'GET /api/audit' &&
            otherTenantIds().some((id) => body.includes(id))
          )
            fail('an answer that names nothing of the other tenant');
        }
      }
      expect(failures).toEqual([]);
    },
  );
});

describe('/control handshake and events', () => {
  const connect = (cookie: string | undefined, extra: Record<string, string> = {}) =>
    new Promise<{ ok: boolean; code?: string; units?: string[] }>((resolve) => {
      const s = io(`${w.stack.url}/control`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        extraHeaders: { ...(cookie ? { cookie } : {}), ...extra },
      });
      s.once('snapshot', (snap: { units: { deviceId: string }[] }) => {
        s.close();
        resolve({ ok: true, units: snap.units.map((u) => u.deviceId) });
      });
      s.once('connect_error', (err: Error & { data?: { code?: string } }) => {
        s.close();
        resolve({ ok: false, code: err.data?.code });
      });
    });

  it.each(CITIES)(
    'lets live roles of %s in with their own tenant only, refuses evaluators and strangers',
    async (city) => {
      for (const role of ROLES) {
        const r = await connect(w.cookies[city][role]);
        if (LIVE.includes(role)) {
          expect(r, `${role} of ${city}`).toMatchObject({ ok: true });
          const others = new Set(w.rows[otherCity(city)].deviceIds);
          expect(
            r.units!.filter((d) => others.has(d)),
            `${role} of ${city} sees the other tenant`,
          ).toEqual([]);
        } else {
          expect(r, `${role} of ${city}`).toEqual({ ok: false, code: 'forbidden' });
        }
      }
      expect(await connect(undefined)).toEqual({ ok: false, code: 'unauthenticated' });
      expect(await connect(undefined, { authorization: `Bearer ${w.rows[city].deviceToken}` })).toEqual({
        ok: false,
        code: 'unauthenticated',
      });
    },
  );

  it('refuses a live role from a foreign origin', async () => {
    const r = await connect(w.cookies.duisburg.admin, { origin: 'http://evil.example' });
    expect(r).toEqual({ ok: false, code: 'forbidden' });
  });
});

describe('/device handshake and events', () => {
  it('admits a device with its own secret only; a user session or another device’s secret is refused', async () => {
    const [a, b] = [w.rows.duisburg.devices[2]!, w.rows.dortmund.devices[2]!];
    const dev = await connectDevice(w.stack.url, a);
    dev.close();
    await expect(
      connectDevice(w.stack.url, { deviceId: a.deviceId, secret: b.secret }),
    ).rejects.toMatchObject({
      data: { code: 'unauthenticated' },
    });
    const s = io(`${w.stack.url}/device`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { cookie: w.cookies.duisburg.admin },
    });
    const err = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      s.once('connect_error', resolve),
    );
    s.close();
    expect(err.data?.code).toBe('bad_request');
  });

  it('[DSP8] a device cannot answer another tenant’s dispatch request, nor one addressed to another device', async () => {
    // dortmund's request went to dortmund's second device (which accepted it); duisburg's devices and
    // dortmund's third try to decline it
    const target = w.rows.dortmund.requestId;
    const stateOf = async () =>
      (await w.stack.db.pool.query('SELECT state FROM dispatch_requests WHERE id = $1', [target])).rows[0]
        .state;
    const before = await stateOf();
    for (const creds of [
      w.rows.duisburg.devices[1]!,
      w.rows.duisburg.devices[2]!,
      w.rows.dortmund.devices[2]!,
    ]) {
      const dev = await connectDevice(w.stack.url, creds);
      try {
        const ack = await dev.socket
          .timeout(5000)
          .emitWithAck('dispatch_answer', { requestId: target, answer: 'decline' });
        expect(ack, `device ${creds.deviceId}`).toMatchObject({ ok: false });
      } finally {
        dev.close();
      }
    }
    expect(await stateOf()).toBe(before);
  });

  it('a device’s status and report land in its own tenant only', async () => {
    const creds = w.rows.duisburg.devices[2]!; // [3] is the one the matrix revokes
    const dev = await connectDevice(w.stack.url, creds);
    try {
      expect(await dev.send(status(1, { at: Date.now() }))).toMatchObject({ ok: true });
    } finally {
      dev.close();
    }
    const { rows } = await w.stack.db.pool.query(
      'SELECT DISTINCT tenant_id FROM status_events WHERE device_id = $1',
      [creds.deviceId],
    );
    expect(rows.map((r) => r.tenant_id)).toEqual([w.rows.duisburg.tenantId]);
  });
});
