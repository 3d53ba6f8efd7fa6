/**
 * The body cameras connected to this gateway, whichever transport carries them (Socket.IO `/device`:
 * device-namespace.ts; a plain WebSocket: device-ws.ts), and what can be done to a device wherever
 * it is connected: end its other connections, send it a dispatch request, cancel one, disconnect it
 * (revoked), re-read its unit after a shift change. A transport authenticates the device, wraps its
 * connection as a DeviceLink and hands the device's messages to the session `open` returns; the rest
 * (one connection per device, the live view, online/offline, the intake) is here, once.
 *
 * Gateways reach each other's devices through Socket.IO's server-side events on `/device` (the Redis
 * streams adapter): a message to a device goes to the gateway that holds it, whichever transport.
 */
import type {
  DeviceDispatchRequest,
  DispatchAnswerAck,
  ErrorCode,
  ReportAck,
  StatusAck,
} from '@lagebild/protocol';
import type pg from 'pg';
import type { Namespace } from 'socket.io';
import type { LastSeen } from '../devices/last-seen.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Coalescer } from './coalescer.ts';
import { type DeviceIdentity, findDevice } from './device-directory.ts';
import type { LiveStore } from './live-store.ts';
import type { LiveView, StatusIntake } from './status-intake.ts';
import type { StatusPersister } from './status-persister.ts';

/** Why a gateway ends a device's connection (the transport tells the device in its own way). */
export type LinkCloseReason = 'revoked' | 'replaced';

/** One device connection, as its transport offers it to the sessions. */
export interface DeviceLink {
  /** unique per connection across all gateways (it is stored as the device's online marker) */
  readonly id: string;
  /** the gateway is about to close the connection */
  bye(msg: { code: ErrorCode; message: string }): void;
  /** resolves true once the device confirmed receipt within timeoutMs, false otherwise */
  dispatchRequest(msg: DeviceDispatchRequest, timeoutMs: number): Promise<boolean>;
  dispatchCancel(requestId: string): void;
  close(reason: LinkCloseReason): void;
}

/** What a connected device can send; each resolves to its ack and never rejects. */
export interface DeviceSession {
  status(raw: unknown): Promise<StatusAck>;
  dispatchAnswer(raw: unknown): Promise<DispatchAnswerAck>;
  report(raw: unknown): Promise<ReportAck>;
  /** the connection is gone (whoever closed it) */
  closed(reason: string): void;
}

/** What the dispatch module needs to hear from devices connected to this gateway. */
export interface DeviceDispatchHooks {
  onDeviceConnected(deviceId: string, tenantId: string): Promise<void>;
  onDeviceDisconnected(deviceId: string): void;
  answer(deviceId: string, tenantId: string, raw: unknown): Promise<DispatchAnswerAck>;
}

export interface DeviceSessions {
  open(dev: DeviceIdentity, link: DeviceLink): DeviceSession;
  /** a dispatch request to the device on whichever gateway holds it: true once it confirmed receipt */
  sendDispatch(deviceId: string, msg: DeviceDispatchRequest): Promise<boolean>;
  cancelDispatch(deviceId: string, requestId: string): void;
  /** the device was revoked: it is told why and disconnected, on every gateway */
  disconnect(deviceId: string, message: string): void;
  /** a shift started or ended: the gateway holding the device re-reads which unit wears it */
  shiftChanged(deviceId: string): Promise<void>;
}

export interface DeviceSessionsDeps {
  /** `/device`, whose server-side events reach the other gateways */
  nsp: Namespace;
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
  /** an officer's report after an episode (stats/device-reports.ts) */
  report(dev: DeviceIdentity, raw: unknown): Promise<ReportAck>;
}

/** how long a dispatch request waits for the device's receipt */
const DISPATCH_RECEIPT_MS = 5000;
/** on another gateway: its answer must reach the asking one within the adapter's 5 s */
const REMOTE_RECEIPT_MS = 4500;

/** server-side events between gateways (not device events: devices never see them) */
const EV = {
  claimed: 'lb:device_claimed',
  disconnect: 'lb:device_disconnect',
  dispatch: 'lb:dispatch_request',
  cancel: 'lb:dispatch_cancel',
  shift: 'lb:shift_changed',
} as const;

interface Connected {
  link: DeviceLink;
  dev: DeviceIdentity;
  view: LiveView;
}

type ServerSide = {
  serverSideEmit(ev: string, ...args: unknown[]): boolean;
  on(ev: string, fn: (...args: never[]) => void): unknown;
};

export function createDeviceSessions(deps: DeviceSessionsDeps): DeviceSessions {
  const { pool, live, persister, coalescer, metrics, log, intake } = deps;
  const nsp = deps.nsp as unknown as ServerSide;
  // one entry per device: a newer connection replaces the older one on whichever gateway it lives
  const connected = new Map<string, Connected>();

  const local = {
    claimed(deviceId: string, linkId: string) {
      const c = connected.get(deviceId);
      if (c && c.link.id !== linkId) c.link.close('replaced');
    },
    disconnect(deviceId: string, message: string) {
      const c = connected.get(deviceId);
      if (!c) return;
      c.link.bye({ code: 'forbidden', message });
      c.link.close('revoked');
    },
    dispatch(deviceId: string, msg: DeviceDispatchRequest, timeoutMs: number): Promise<boolean> {
      const c = connected.get(deviceId);
      return c ? c.link.dispatchRequest(msg, timeoutMs) : Promise.resolve(false);
    },
    cancel(deviceId: string, requestId: string) {
      connected.get(deviceId)?.link.dispatchCancel(requestId);
    },
    async shift(deviceId: string) {
      const c = connected.get(deviceId);
      if (!c) return;
      const fresh = await findDevice(pool, deviceId);
      if (!fresh) return;
      const { unitId, callsign, team } = fresh;
      Object.assign(c.dev, { unitId, callsign, team });
      if (c.view.current) c.view.current = { ...c.view.current, unitId, callsign, team };
    },
  };

  // what another gateway asks of the devices connected here
  nsp.on(EV.claimed, (deviceId: string, linkId: string) => local.claimed(deviceId, linkId));
  nsp.on(EV.disconnect, (deviceId: string, message: string) => local.disconnect(deviceId, message));
  nsp.on(EV.cancel, (deviceId: string, requestId: string) => local.cancel(deviceId, requestId));
  nsp.on(EV.dispatch, (deviceId: string, msg: DeviceDispatchRequest, ack: (ok: boolean) => void) => {
    if (typeof ack === 'function') void local.dispatch(deviceId, msg, REMOTE_RECEIPT_MS).then(ack);
  });
  nsp.on(EV.shift, (deviceId: string) => {
    local.shift(deviceId).catch((err) => log.warn({ err, deviceId }, 'device identity not refreshed'));
  });

  function open(dev: DeviceIdentity, link: DeviceLink): DeviceSession {
    // A connection lives for hours and a gateway holds 10,000 of them (issue 17): it keeps no more
    // than it needs; its logger is made when something is logged.
    const dlog = () => log.child({ deviceId: dev.deviceId, tenantId: dev.tenantId });
    metrics.deviceConnections++;
    local.claimed(dev.deviceId, link.id);
    nsp.serverSideEmit(EV.claimed, dev.deviceId, link.id);
    persister.forgetDevice(dev.deviceId);

    // Until the current view is known, events queue so the first one is ordered correctly.
    const view: LiveView = { current: null, connected: true };
    connected.set(dev.deviceId, { link, dev, view });
    const ready = (async () => {
      try {
        view.current = await live.get(dev.tenantId, dev.deviceId);
        await live.markOnline(dev.tenantId, dev.deviceId, link.id);
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

    let isOpen = true;
    return {
      status: (raw) => intake.take(dev, view, raw, ready),
      dispatchAnswer: (raw) =>
        deps.dispatch.answer(dev.deviceId, dev.tenantId, raw).catch((err) => {
          dlog().error({ err }, 'dispatch answer failed');
          return { ok: false, code: 'unavailable', message: 'could not record the answer; send it again' };
        }),
      report: (raw) => deps.report(dev, raw),
      closed(reason) {
        if (!isOpen) return;
        isOpen = false;
        metrics.deviceConnections--;
        if (connected.get(dev.deviceId)?.link === link) connected.delete(dev.deviceId);
        deps.dispatch.onDeviceDisconnected(dev.deviceId);
        if (log.isLevelEnabled('debug')) dlog().debug({ reason }, 'device disconnected');
        void ready.then(async () => {
          try {
            await live.markOffline(dev.tenantId, dev.deviceId, link.id);
            if (view.current) coalescer.add(dev.tenantId, { ...view.current, online: false });
            deps.lastSeen.mark(dev.deviceId);
          } catch (err) {
            dlog().warn({ err }, 'could not mark device offline');
          }
        });
      },
    };
  }

  return {
    open,
    async sendDispatch(deviceId, msg) {
      if (connected.has(deviceId)) return local.dispatch(deviceId, msg, DISPATCH_RECEIPT_MS);
      return new Promise<boolean>((resolve) => {
        // the adapter waits 5 s for every other gateway; each gives its device a little less
        nsp.serverSideEmit(EV.dispatch, deviceId, msg, (_timedOut: Error | null, answers: unknown[] = []) =>
          // after a timeout `answers` holds those that came in time
          resolve(answers.some((a) => a === true)),
        );
      });
    },
    cancelDispatch(deviceId, requestId) {
      local.cancel(deviceId, requestId);
      nsp.serverSideEmit(EV.cancel, deviceId, requestId);
    },
    disconnect(deviceId, message) {
      local.disconnect(deviceId, message);
      nsp.serverSideEmit(EV.disconnect, deviceId, message);
    },
    async shiftChanged(deviceId) {
      nsp.serverSideEmit(EV.shift, deviceId);
      await local.shift(deviceId);
    },
  };
}
