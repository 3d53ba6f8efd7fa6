/**
 * `/device`: body cameras. The handshake carries the device id and its secret; each `status` goes
 * through the status intake shared with the HTTP endpoints (status-intake.ts): validated,
 * rate-limited, applied to the live view (only if newer), handed to the coalescer for dashboards at
 * once, and acknowledged when PostgreSQL has committed it.
 */

import { secretMatches } from '@lagebild/db';
import {
  type DeviceClientToServer,
  DeviceHandshake,
  type DeviceServerToClient,
  type DispatchAnswerAck,
  describeIssues,
  PROTOCOL_VERSION,
  type StatusAck,
  type UnitLive,
} from '@lagebild/protocol';
import type pg from 'pg';
import type { Namespace, Server, Socket } from 'socket.io';
import type { LastSeen } from '../devices/last-seen.ts';
import { socketError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { countRejected, type Metrics } from '../metrics.ts';
import type { Coalescer } from './coalescer.ts';
import { type DeviceIdentity, findDevice } from './device-directory.ts';
import type { LiveStore } from './live-store.ts';
import type { LiveView, StatusIntake } from './status-intake.ts';
import type { StatusPersister } from './status-persister.ts';

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

/** the server-side event that tells every gateway a device's shift changed (issue 15) */
const SHIFT_CHANGED = 'lb:shift_changed';
const identityRefreshers = new WeakMap<DeviceNamespace, (deviceId: string) => Promise<void>>();

/**
 * A shift started or ended: the gateway holding the device's socket re-reads which unit wears it,
 * so its next statuses and stage changes name the new unit (or none) without a reconnect.
 */
export async function deviceShiftChanged(nsp: DeviceNamespace, deviceId: string): Promise<void> {
  (nsp as unknown as { serverSideEmit(ev: string, id: string): void }).serverSideEmit(
    SHIFT_CHANGED,
    deviceId,
  );
  await identityRefreshers.get(nsp)?.(deviceId);
}

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
  /** validation, rate limit, live view and persistence, shared with the HTTP status endpoints */
  intake: StatusIntake;
  /** devices.last_seen_at, marked at connect and disconnect, written in batches */
  lastSeen: LastSeen;
  dispatch: DeviceDispatchHooks;
}

export function attachDeviceNamespace(deps: DeviceNamespaceDeps): DeviceNamespace {
  const { io, pool, live, persister, coalescer, metrics, log, intake } = deps;
  const nsp = io.of('/device') as unknown as DeviceNamespace;
  // the identity and live view of each device connected to this gateway, for shift changes
  const connected = new Map<string, { socketId: string; dev: DeviceIdentity; view: LiveView }>();
  const refreshIdentity = async (deviceId: string) => {
    const c = connected.get(deviceId);
    if (!c) return;
    const fresh = await findDevice(pool, deviceId);
    if (!fresh) return;
    const { unitId, callsign, team } = fresh;
    Object.assign(c.dev, { unitId, callsign, team });
    if (c.view.current) c.view.current = { ...c.view.current, unitId, callsign, team };
  };
  identityRefreshers.set(nsp, refreshIdentity);
  (nsp as unknown as { on(ev: string, fn: (id: string) => void): void }).on(SHIFT_CHANGED, (deviceId) => {
    refreshIdentity(deviceId).catch((err) => log.warn({ err, deviceId }, 'device identity not refreshed'));
  });

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
    // A connection lives for hours and a gateway holds 10,000 of them (issue 17): it keeps no more
    // than it needs. Its logger is made when something is logged; the HTTP request it began with
    // is let go once the handshake (headers, address) has been read from it (and Engine.IO's own
    // hold on it is cut at connection: http/upgrade-responses.ts).
    const dlog = () => log.child({ deviceId: dev.deviceId, tenantId: dev.tenantId });
    (socket.conn as { request: unknown }).request = null;
    metrics.deviceConnections++;
    // One connection per device: a newer connection (after a network change) replaces the old one
    // on whichever gateway it lives.
    nsp.in(deviceRoom(dev.deviceId)).except(socket.id).disconnectSockets(true);
    socket.join(deviceRoom(dev.deviceId));
    persister.forgetDevice(dev.deviceId);

    // Until the current view is known, events queue so the first one is ordered correctly.
    const view: LiveView = { current: null, connected: true };
    connected.set(dev.deviceId, { socketId: socket.id, dev, view });
    const ready = (async () => {
      try {
        view.current = await live.get(dev.tenantId, dev.deviceId);
        await live.markOnline(dev.tenantId, dev.deviceId, socket.id);
        deps.lastSeen.mark(dev.deviceId);
        const c = view.current;
        if (c) {
          view.current = { ...c, online: true, callsign: dev.callsign, unitId: dev.unitId, team: dev.team };
          coalescer.add(dev.tenantId, view.current);
        }
      } catch (err) {
        dlog().warn({ err }, 'live state unavailable at connect');
      }
      deps.dispatch
        .onDeviceConnected(dev.deviceId, dev.tenantId)
        .catch((err) => dlog().warn({ err }, 'pending dispatch requests not delivered'));
    })();

    socket.on('dispatch_answer', (raw: unknown, ack: (a: DispatchAnswerAck) => void) => {
      if (typeof ack !== 'function') return;
      deps.dispatch.answer(dev.deviceId, dev.tenantId, raw).then(ack, (err) => {
        dlog().error({ err }, 'dispatch answer failed');
        ack({ ok: false, code: 'unavailable', message: 'could not record the answer; send it again' });
      });
    });

    socket.on('disconnect', (reason) => {
      metrics.deviceConnections--;
      if (connected.get(dev.deviceId)?.socketId === socket.id) connected.delete(dev.deviceId);
      deps.dispatch.onDeviceDisconnected(dev.deviceId);
      if (log.isLevelEnabled('debug')) dlog().debug({ reason }, 'device disconnected');
      void ready.then(async () => {
        try {
          await live.markOffline(dev.tenantId, dev.deviceId, socket.id);
          if (view.current) coalescer.add(dev.tenantId, { ...view.current, online: false });
          deps.lastSeen.mark(dev.deviceId);
        } catch (err) {
          dlog().warn({ err }, 'could not mark device offline');
        }
      });
    });

    socket.on('status', (raw: unknown, ack: (a: StatusAck) => void) => {
      if (typeof ack !== 'function') {
        countRejected(metrics, 'no_ack');
        return;
      }
      void intake.take(dev, view, raw, ready).then(ack);
    });
  });

  return nsp;
}
