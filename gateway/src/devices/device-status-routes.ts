/**
 * Status over plain HTTP, for devices and apps that cannot keep a socket (docs/device-protocol.md):
 *   POST     /api/device/v1/status   a JSON batch of DeviceStatus events, one ack per event
 *   GET|POST /api/device/v1/osmand   one position in the OsmAnd protocol (Traccar Client, trackers)
 * Both hand every event to the same status intake as Socket.IO `/device` (validation, the device's
 * rate bucket, the forward-only live view, the group-committing persister), so an HTTP ack means
 * exactly what a socket ack means: `ok` only once PostgreSQL has committed the event.
 */
import {
  MAX_STATUS_BATCH,
  MAX_STATUS_BYTES,
  OsmAndParams,
  type StatusAck,
  StatusBatchRequest,
  StatusBatchResponse,
  TraccarJsonReport,
  type UnitLive,
} from '@lagebild/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { AppError, parseInput } from '../errors.ts';
import { createRouter, type Route } from '../http/route.ts';
import type { DeviceIdentity } from '../live/device-directory.ts';
import type { LiveStore } from '../live/live-store.ts';
import { type LiveView, type StatusIntake, seqOf } from '../live/status-intake.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { authenticateDevice, credentialsOf, type DeviceCredentials } from './device-credentials.ts';
import type { LastSeen } from './last-seen.ts';
import { osmAndDeviceId, osmAndStatus, traccarJsonParams } from './osmand.ts';

export const STATUS_BATCH_PATH = '/api/device/v1/status';
export const OSMAND_PATH = '/api/device/v1/osmand';
/** a full batch: MAX_STATUS_BATCH events of at most MAX_STATUS_BYTES each, and the JSON around them */
export const STATUS_BATCH_BODY_LIMIT = MAX_STATUS_BATCH * MAX_STATUS_BYTES + 4096;

/**
 * How long a request waits for its events' commits. PostgreSQL being down keeps acks back (the
 * persister retries); an HTTP client cannot wait for ever, so what is not committed by then is
 * answered `unavailable`, retry: true. The event may still commit later: resent, it is a duplicate.
 */
export const ACK_WAIT_MS = 10_000;

export interface DeviceStatusRouteDeps {
  app: FastifyInstance;
  route: Route;
  pool: pg.Pool;
  /** devices.last_seen_at, written in batches */
  lastSeen: LastSeen;
  live: LiveStore;
  intake: StatusIntake;
  metrics: Metrics;
  log: Logger;
  /** the gateway's MEDIA_TOKEN_SECRET: device tokens verify with these */
  tokenSecrets: readonly string[];
}

const notCommitted = (seq: number | null): StatusAck => ({
  ok: false,
  seq,
  code: 'unavailable',
  message: `not committed within ${ACK_WAIT_MS / 1000} s; resend the event`,
  retry: true,
});

/** The ack, or `unavailable` once ACK_WAIT_MS has passed. */
function withinAckWait(ack: Promise<StatusAck>, seq: number | null): Promise<StatusAck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<StatusAck>((resolve) => {
    timer = setTimeout(() => resolve(notCommitted(seq)), ACK_WAIT_MS);
  });
  return Promise.race([ack, late]).finally(() => clearTimeout(timer));
}

/**
 * The positions of one OsmAnd request: Traccar Client 9's JSON body (`{ location, device_id }`, one
 * or a batch), or the classic parameters from the query string and a form body together (the query
 * string wins where both name a parameter; the server URL often carries `secret`).
 */
export function osmAndReports(query: Record<string, unknown>, body: unknown): OsmAndParams[] {
  if (body && typeof body === 'object' && 'location' in body) {
    const r = parseInput(TraccarJsonReport, body, 'Traccar Client JSON body');
    const extra = parseInput(OsmAndParams, query, 'query');
    const id = r.device_id ?? osmAndDeviceId(extra);
    return [r.location].flat().map((loc) => ({ ...traccarJsonParams(loc, id), secret: extra.secret }));
  }
  const form = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  return [parseInput(OsmAndParams, { ...form, ...query }, 'OsmAnd parameters')];
}

export async function registerDeviceStatusRoutes(deps: DeviceStatusRouteDeps): Promise<void> {
  const { app, route, pool, live, intake, metrics, log } = deps;

  async function authenticate(req: FastifyRequest, creds: DeviceCredentials | null): Promise<DeviceIdentity> {
    try {
      return await authenticateDevice(pool, deps.tokenSecrets, creds);
    } catch (err) {
      if (!(err instanceof AppError)) {
        // PostgreSQL unreachable: the device keeps its events and resends them (D12), as on a socket
        log.error({ err }, 'device lookup failed');
        throw new AppError('unavailable', 'device authentication is unavailable; resend later');
      }
      metrics.deviceAuthFailed++;
      log.warn({ ip: req.ip, code: err.code }, 'device status refused');
      throw err;
    }
  }

  /**
   * The device's latest live state from Redis; unknown (null) if Redis cannot say, as on a socket.
   * `online` stays what its socket makes it: an HTTP report does not make a device reachable.
   */
  async function loadView(dev: DeviceIdentity): Promise<LiveView> {
    const view: LiveView = { current: null, connected: false };
    try {
      view.current = await live.get(dev.tenantId, dev.deviceId);
      view.connected = view.current?.online ?? false;
    } catch (err) {
      log.warn({ err, deviceId: dev.deviceId }, 'live state unavailable for an HTTP status');
    }
    return view;
  }

  const touch = (dev: DeviceIdentity) => deps.lastSeen.mark(dev.deviceId);

  route(
    {
      method: 'POST',
      url: STATUS_BATCH_PATH,
      access: 'public',
      summary: 'A device reports a batch of status events; one ack per event',
      description:
        'Authorization: Bearer <device token> or Basic base64(<deviceId>:<secret>). Each event is a ' +
        'DeviceStatus checked on its own; an ok ack means the event is committed to PostgreSQL. ' +
        'See docs/device-protocol.md.',
      body: StatusBatchRequest,
      response: StatusBatchResponse,
      bodyLimit: STATUS_BATCH_BODY_LIMIT,
    },
    async ({ req, body: { events } }) => {
      const dev = await authenticate(req, credentialsOf(req.headers.authorization));
      const view = await loadView(dev);
      const ready = Promise.resolve();
      // taken in the body's order, each checked at once, exactly like events arriving on a socket
      const acks = await Promise.all(
        events.map((raw) => withinAckWait(intake.take(dev, view, raw, ready), seqOf(raw))),
      );
      touch(dev);
      return { acks };
    },
  );

  // OsmAnd trackers send a form body as often as a query string; only this route reads forms, so
  // every other route keeps answering 415 to one (a plugin scope keeps the parser here)
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const scoped = createRouter(scope, async () => {
      throw new AppError('internal', 'the OsmAnd scope has no session routes');
    });
    scoped(
      {
        method: ['GET', 'POST'],
        url: OSMAND_PATH,
        access: 'public',
        summary: 'A tracker reports one position in the OsmAnd protocol (Traccar Client)',
        description:
          'Query or form parameters id, lat, lon, timestamp, speed (knots), bearing, altitude, accuracy, ' +
          'batt, plus secret (or an Authorization header). 200 only once the position is committed. ' +
          'See docs/device-protocol.md.',
        query: OsmAndParams,
        response: StatusBatchResponse,
      },
      async ({ req }) => {
        const reports = osmAndReports(req.query as Record<string, unknown>, req.body);
        const id = osmAndDeviceId(reports[0]!);
        // as in Traccar: a report names its device, whatever else authenticates it
        if (!id) throw new AppError('bad_request', 'id (the Lagebild device id) is required');
        const secret = reports[0]!.secret;
        const header = credentialsOf(req.headers.authorization);
        const creds: DeviceCredentials | null =
          header ?? (secret ? { kind: 'secret', deviceId: id, secret } : null);
        const dev = await authenticate(req, creds);
        if (id.toLowerCase() !== dev.deviceId)
          throw new AppError('forbidden', `id ${id} is not the device these credentials belong to`);
        const view = await loadView(dev);
        // all mapped before any is taken: a bad position refuses the request and stores nothing;
        // what a position does not carry comes from the newest one before it
        let carry = view.current;
        const events = reports.map((p) => {
          const mapped = osmAndStatus(p, carry, Date.now());
          if (!mapped.ok) throw new AppError('bad_request', mapped.message);
          const s = mapped.status;
          if (!carry || s.seq > carry.seq) carry = { ...(carry ?? ({} as UnitLive)), ...(s as UnitLive) };
          return s;
        });
        const acks = await Promise.all(
          events.map((e) => withinAckWait(intake.take(dev, view, e, Promise.resolve()), e.seq)),
        );
        touch(dev);
        // a tracker knows nothing but the status code: anything not stored is an error it retries
        const failed = acks.find((a) => !a.ok);
        if (failed && !failed.ok) throw new AppError(failed.code, failed.message);
        return { acks };
      },
    );
  });
}
