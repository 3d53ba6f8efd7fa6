/**
 * `/control`: operators' browsers. The handshake is authenticated by the session cookie (again on
 * every connection-state recovery), the Origin must be our own, and only live roles of the tenant
 * join its room. A new connection gets a snapshot; batches come from the coalescer.
 */

import type { Db } from '@lagebild/db';
import type {
  ControlBatch,
  ControlClientToServer,
  ControlServerToClient,
  IncidentsResponse,
} from '@lagebild/protocol';
import { LIVE_ROLES } from '@lagebild/protocol';
import type { Namespace, Server } from 'socket.io';
import { socketError } from '../errors.ts';
import { checkOrigin } from '../http/origin.ts';
import type { SessionEndReason, SessionUser } from '../http/session.ts';
import { cookieFrom, resolveSession, SESSION_COOKIE } from '../http/session.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { LiveStore } from './live-store.ts';

export type ControlNamespace = Namespace<
  ControlClientToServer,
  ControlServerToClient,
  Record<string, never>,
  SessionUser
>;

const BYE_MESSAGE: Record<SessionEndReason, string> = {
  logout: 'logged out',
  expired: 'session expired; log in again',
  user_disabled: 'this account has been disabled',
  ended_by_admin: 'your session was ended by an administrator',
};

export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;
export const sessionRoom = (sessionHash: string) => `session:${sessionHash}`;

export function attachControlNamespace(deps: {
  io: Server;
  db: Db;
  live: LiveStore;
  metrics: Metrics;
  log: Logger;
  incidents: (tenantId: string) => Promise<IncidentsResponse>;
  originOptions?: Parameters<typeof checkOrigin>[1];
}) {
  const { io, db, live, metrics, log } = deps;
  const nsp = io.of('/control') as unknown as ControlNamespace;

  // Every path of this middleware ends in `next`, also when something throws: a rejection escaping
  // an async Socket.IO middleware is unhandled and ended the process (issue 11, reproduction 1).
  nsp.use(async (socket, next) => {
    const { headers } = socket.handshake;
    const origin = checkOrigin(headers, deps.originOptions);
    if (origin === 'foreign' || origin === 'invalid') {
      log.warn(
        { origin: String(headers.origin).slice(0, 200), host: headers.host },
        'control connection from foreign origin refused',
      );
      return next(socketError('forbidden', 'cross-origin connection refused'));
    }
    try {
      const user = await resolveSession(db, cookieFrom(headers.cookie, SESSION_COOKIE));
      if (!user) return next(socketError('unauthenticated', 'not logged in or session expired'));
      if (!LIVE_ROLES.includes(user.role)) {
        metrics.forbidden++;
        log.warn({ userId: user.id, role: user.role }, 'live feed refused for role');
        return next(socketError('forbidden', 'your role has no access to live data'));
      }
      socket.data = user;
      next();
    } catch (err) {
      log.error({ err }, 'control auth lookup failed');
      next(socketError('unavailable', 'authentication is unavailable; retry'));
    }
  });

  nsp.on('connection', async (socket) => {
    const user = socket.data;
    metrics.controlConnections++;
    // the socket ends with its session, not only when someone logs out (issue 11)
    const expiry = setTimeout(
      () => {
        socket.emit('bye', { code: 'unauthenticated', message: BYE_MESSAGE.expired });
        socket.disconnect(true);
      },
      Math.max(0, Math.min(user.sessionExpiresAt - Date.now(), 2 ** 31 - 1)),
    );
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      metrics.controlConnections--;
    });
    socket.join([tenantRoom(user.tenant.id), sessionRoom(user.sessionHash)]);
    if (socket.recovered) return; // missed batches were replayed from the Redis stream
    try {
      socket.emit('snapshot', { serverTime: Date.now(), units: await live.snapshot(user.tenant.id) });
      socket.emit('incidents', await deps.incidents(user.tenant.id));
    } catch (err) {
      log.error({ err, userId: user.id }, 'snapshot failed');
      socket.disconnect(true);
    }
  });

  return {
    nsp,
    emitBatch(tenantId: string, batch: ControlBatch) {
      nsp.to(tenantRoom(tenantId)).emit('batch', batch);
    },
    /** incident / alert / dispatch upserts for every dashboard of the tenant */
    emit(tenantId: string, event: 'incident' | 'alert' | 'dispatch', msg: never) {
      nsp.to(tenantRoom(tenantId)).emit(event, msg);
    },
    /** closes the session's sockets on every gateway (through the adapter) */
    endSession(sessionHash: string, reason: SessionEndReason) {
      nsp.to(sessionRoom(sessionHash)).emit('bye', { code: 'unauthenticated', message: BYE_MESSAGE[reason] });
      nsp.in(sessionRoom(sessionHash)).disconnectSockets(true);
    },
  };
}
