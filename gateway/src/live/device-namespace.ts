/**
 * `/device` over Socket.IO: body cameras. The handshake carries the device id and its secret; the
 * device's events go to its session (device-sessions.ts), which every device transport shares:
 * each `status` is validated, rate-limited, applied to the live view (only if newer), handed to the
 * coalescer for dashboards at once, and acknowledged when PostgreSQL has committed it.
 */

import { secretMatches } from '@lagebild/db';
import {
  type DeviceClientToServer,
  DeviceHandshake,
  type DeviceServerToClient,
  type DispatchAnswerAck,
  describeIssues,
  PROTOCOL_VERSION,
  type ReportAck,
  type StatusAck,
} from '@lagebild/protocol';
import type pg from 'pg';
import type { Namespace, Server, Socket } from 'socket.io';
import { socketError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { countRejected, type Metrics } from '../metrics.ts';
import { type DeviceIdentity, findDevice } from './device-directory.ts';
import type { DeviceLink, DeviceSessions } from './device-sessions.ts';

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

export interface DeviceNamespaceDeps {
  nsp: DeviceNamespace;
  pool: pg.Pool;
  metrics: Metrics;
  log: Logger;
  sessions: DeviceSessions;
}

/** The `/device` namespace, whose server-side events the device sessions use between gateways. */
export const deviceNamespace = (io: Server) => io.of('/device') as unknown as DeviceNamespace;

export function attachDeviceNamespace(deps: DeviceNamespaceDeps): void {
  const { nsp, pool, metrics, log, sessions } = deps;

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

  nsp.on('connection', (socket) => {
    // the HTTP request it began with is let go once the handshake (headers, address) has been read
    // from it (and Engine.IO's own hold on it is cut at connection: http/upgrade-responses.ts)
    (socket.conn as { request: unknown }).request = null;
    const session = sessions.open(socket.data, socketLink(nsp, socket));

    socket.on('status', (raw: unknown, ack: (a: StatusAck) => void) => {
      if (typeof ack !== 'function') {
        countRejected(metrics, 'no_ack');
        return;
      }
      void session.status(raw).then(ack);
    });
    socket.on('dispatch_answer', (raw: unknown, ack: (a: DispatchAnswerAck) => void) => {
      if (typeof ack === 'function') void session.dispatchAnswer(raw).then(ack);
    });
    socket.on('report', (raw: unknown, ack: (a: ReportAck) => void) => {
      if (typeof ack === 'function') void session.report(raw).then(ack);
    });
    socket.on('disconnect', (reason) => session.closed(reason));
  });
}

/**
 * A device's socket as the sessions see it. `bye` and `dispatch_cancel` go to it on this gateway at
 * once (`local`): with connection-state recovery on, a plain `socket.emit` is first published to the
 * Redis stream and written after the round trip, so a `bye` would arrive after the close that
 * follows it; a device needs neither replayed after a reconnect.
 */
function socketLink(nsp: DeviceNamespace, socket: DeviceSocket): DeviceLink {
  const only = () => nsp.local.to(socket.id);
  return {
    id: socket.id,
    bye: (msg) => only().emit('bye', msg),
    // (a local broadcast with an ack would wait for every gateway's count: the socket's own emit)
    dispatchRequest: (msg, timeoutMs) =>
      socket
        .timeout(timeoutMs)
        .emitWithAck('dispatch_request', msg)
        .then(
          () => true,
          () => false, // no confirmation in time; the device gets the request again on reconnect
        ),
    dispatchCancel: (requestId) => only().emit('dispatch_cancel', { requestId }),
    close: () => socket.disconnect(true),
  };
}
