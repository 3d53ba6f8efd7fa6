/**
 * `/device`: body cameras. The handshake carries the device id and its secret; each `status` is
 * validated, rate-limited, applied to the live view (only if newer), handed to the coalescer for
 * dashboards at once, and acknowledged when PostgreSQL has committed it.
 */

import { secretMatches } from '@lagebild/db';
import {
  type DeviceClientToServer,
  DeviceHandshake,
  type DeviceServerToClient,
  DeviceStatus,
  type DispatchAnswerAck,
  describeIssues,
  MAX_STATUS_BYTES,
  PROTOCOL_VERSION,
  type StageChange,
  type StatusAck,
  type UnitLive,
} from '@lagebild/protocol';
import type pg from 'pg';
import type { Namespace, Server, Socket } from 'socket.io';
import { AppError, socketError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { countRejected, type Metrics } from '../metrics.ts';
import type { Coalescer } from './coalescer.ts';
import { type DeviceIdentity, findDevice } from './device-directory.ts';
import type { LiveStore } from './live-store.ts';
import { bucketMap } from './rate-limiter.ts';
import type { StatusPersister } from './status-persister.ts';
import { isStageChange, ordering } from './transition.ts';

export type DeviceSocket = Socket<
  DeviceClientToServer,
  DeviceServerToClient,
  Record<string, never>,
  DeviceIdentity
>;
export type DeviceNamespace = Namespace<
  DeviceClientToServer,
  DeviceServerToClient,
  Record<string, never>,
  DeviceIdentity
>;

export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/** rate buckets kept per gateway: far more devices than one gateway serves (a few hundred bytes each) */
const BUCKETS_MAX = 50_000;

/** What the dispatch module needs to hear from devices connected to this gateway. */
export interface DeviceDispatchHooks {
  onDeviceConnected(deviceId: string, tenantId: string): Promise<void>;
  onDeviceDisconnected(deviceId: string): void;
  answer(deviceId: string, tenantId: string, raw: unknown): Promise<DispatchAnswerAck>;
  onLive(unit: UnitLive): void;
}

export interface DeviceNamespaceDeps {
  io: Server;
  pool: pg.Pool;
  live: LiveStore;
  persister: StatusPersister;
  coalescer: Coalescer;
  metrics: Metrics;
  log: Logger;
  ratePerS: number;
  rateBurst: number;
  dispatch: DeviceDispatchHooks;
}

export function attachDeviceNamespace(deps: DeviceNamespaceDeps): DeviceNamespace {
  const { io, pool, live, persister, coalescer, metrics, log } = deps;
  const nsp = io.of('/device') as unknown as DeviceNamespace;
  // per device, not per connection: reconnecting must not refill the bucket (issue 11); bounded so
  // a gateway's memory does not grow with every device it has ever seen
  const buckets = bucketMap(deps.ratePerS, deps.rateBurst, BUCKETS_MAX);

  nsp.use(async (socket, next) => {
    const ip = socket.handshake.address;
    const hs = DeviceHandshake.safeParse(socket.handshake.auth);
    if (!hs.success) {
      metrics.deviceAuthFailed++;
      log.warn({ ip, issues: describeIssues(hs.error) }, 'device handshake malformed');
      return next(
        socketError(
          'bad_request',
          `handshake needs { deviceId, secret }: ${describeIssues(hs.error).join('; ')}`,
        ),
      );
    }
    if (hs.data.protocol < PROTOCOL_VERSION)
      return next(socketError('protocol_too_old', 'device protocol too old; update the firmware'));
    if (hs.data.protocol > PROTOCOL_VERSION)
      return next(socketError('protocol_too_new', 'gateway protocol older than the device'));
    try {
      const device = await findDevice(pool, hs.data.deviceId);
      if (!device || !secretMatches(hs.data.secret, device.secretHash)) {
        metrics.deviceAuthFailed++;
        log.warn({ ip, deviceId: hs.data.deviceId }, 'device auth rejected');
        return next(socketError('unauthenticated', 'unknown device or wrong secret'));
      }
      if (device.state !== 'active') {
        metrics.deviceAuthFailed++;
        log.warn({ ip, deviceId: device.deviceId }, 'revoked device refused');
        return next(socketError('forbidden', 'this device has been revoked'));
      }
      socket.data = device;
      next();
    } catch (err) {
      log.error({ err }, 'device auth lookup failed');
      next(socketError('unavailable', 'authentication is unavailable; retry'));
    }
  });

  nsp.on('connection', async (socket) => {
    const dev = socket.data;
    const dlog = log.child({ deviceId: dev.deviceId, tenantId: dev.tenantId });
    metrics.deviceConnections++;
    // One connection per device: a newer connection (after a network change) replaces the old one
    // on whichever gateway it lives.
    nsp.in(deviceRoom(dev.deviceId)).except(socket.id).disconnectSockets(true);
    socket.join(deviceRoom(dev.deviceId));
    persister.forgetDevice(dev.deviceId);
    const bucket = buckets.get(dev.deviceId);

    // Until the current view is known, events queue so the first one is ordered correctly.
    let current: UnitLive | null = null;
    const ready = (async () => {
      try {
        current = await live.get(dev.tenantId, dev.deviceId);
        await live.markOnline(dev.tenantId, dev.deviceId, socket.id);
        await pool.query('UPDATE devices SET last_seen_at = now() WHERE id = $1', [dev.deviceId]);
        if (current) {
          current = { ...current, online: true, callsign: dev.callsign, unitId: dev.unitId, team: dev.team };
          coalescer.add(dev.tenantId, current);
        }
      } catch (err) {
        dlog.warn({ err }, 'live state unavailable at connect');
      }
      deps.dispatch
        .onDeviceConnected(dev.deviceId, dev.tenantId)
        .catch((err) => dlog.warn({ err }, 'pending dispatch requests not delivered'));
    })();

    socket.on('dispatch_answer', (raw: unknown, ack: (a: DispatchAnswerAck) => void) => {
      if (typeof ack !== 'function') return;
      deps.dispatch.answer(dev.deviceId, dev.tenantId, raw).then(ack, (err) => {
        dlog.error({ err }, 'dispatch answer failed');
        ack({ ok: false, code: 'unavailable', message: 'could not record the answer; send it again' });
      });
    });

    socket.on('disconnect', (reason) => {
      metrics.deviceConnections--;
      deps.dispatch.onDeviceDisconnected(dev.deviceId);
      dlog.debug({ reason }, 'device disconnected');
      void ready.then(async () => {
        try {
          await live.markOffline(dev.tenantId, dev.deviceId, socket.id);
          if (current) coalescer.add(dev.tenantId, { ...current, online: false });
          await pool.query('UPDATE devices SET last_seen_at = now() WHERE id = $1', [dev.deviceId]);
        } catch (err) {
          dlog.warn({ err }, 'could not mark device offline');
        }
      });
    });

    socket.on('status', (raw: unknown, ack: (a: StatusAck) => void) => {
      if (typeof ack !== 'function') {
        countRejected(metrics, 'no_ack');
        return;
      }
      const reject = (code: AppError['code'], message: string, retry: boolean) => {
        countRejected(metrics, code);
        const seq = typeof (raw as { seq?: unknown })?.seq === 'number' ? (raw as { seq: number }).seq : null;
        ack({ ok: false, seq: Number.isSafeInteger(seq) ? seq : null, code, message, retry });
      };
      if (JSON.stringify(raw ?? null).length > MAX_STATUS_BYTES) {
        return reject('too_large', `status event larger than ${MAX_STATUS_BYTES} bytes`, false);
      }
      const parsed = DeviceStatus.safeParse(raw);
      if (!parsed.success) return reject('bad_request', describeIssues(parsed.error).join('; '), false);
      if (!bucket.take())
        return reject('rate_limited', `more than ${deps.ratePerS} status events per second`, true);
      const status = parsed.data;
      const receivedAt = Date.now();
      void ready.then(() => {
        if (ordering(current, status.seq) === 'newer') applyLive(status, receivedAt);
        else metrics.statusLate++;
        persister
          .enqueue({ tenantId: dev.tenantId, deviceId: dev.deviceId, unitId: dev.unitId, status, receivedAt })
          .then(
            (o) => {
              if (o.duplicate) metrics.statusDuplicate++;
              else metrics.statusAccepted++;
              ack({ ok: true, seq: status.seq, duplicate: o.duplicate });
            },
            (err: unknown) => {
              const e = err instanceof AppError ? err : new AppError('unavailable', 'storage unavailable');
              reject(e.code, e.message, true);
            },
          );
      });
    });

    function applyLive(status: DeviceStatus, receivedAt: number) {
      const prev = current;
      const changed = isStageChange(prev, status);
      const next: UnitLive = {
        deviceId: dev.deviceId,
        deviceLabel: dev.label,
        unitId: dev.unitId,
        callsign: dev.callsign,
        team: dev.team,
        seq: status.seq,
        at: status.at,
        receivedAt,
        position: status.position,
        headingDeg: status.headingDeg,
        speedMps: status.speedMps,
        batteryPct: status.batteryPct,
        signalBars: status.signalBars,
        network: status.network,
        stage: status.stage,
        announced: status.announced,
        emergency: status.emergency,
        stageSince: !prev || prev.stage !== status.stage ? status.at : prev.stageSince,
        online: true,
      };
      current = next;
      let change: StageChange | undefined;
      if (changed) {
        change = {
          deviceId: dev.deviceId,
          unitId: dev.unitId,
          seq: status.seq,
          from: prev?.stage ?? null,
          to: status.stage,
          at: status.at,
          receivedAt,
          announced: status.announced,
          unannouncedReason: status.unannouncedReason,
          emergency: status.emergency,
        };
      }
      coalescer.add(dev.tenantId, next, change);
      live.put(dev.tenantId, next).catch((err) => dlog.warn({ err }, 'live cache write failed'));
      deps.dispatch.onLive(next);
    }
  });

  return nsp;
}
