/**
 * The one way in for a device's status events, whichever transport carried them (Socket.IO
 * `/device`, the HTTP batch, OsmAnd over HTTP; docs/device-protocol.md): size and schema check, the
 * device's rate bucket, the live view (only if newer), the dashboards' coalescer, then the persister;
 * the answer is the StatusAck a device keeps or resends its event by. Transports differ only in how
 * they authenticate and how they know the device's current live state (a connection keeps it; an
 * HTTP request reads it from Redis), so the rules cannot drift apart between them.
 */
import {
  DeviceStatus,
  describeIssues,
  MAX_STATUS_BYTES,
  type StageChange,
  type StatusAck,
  type UnitLive,
} from '@lagebild/protocol';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { countRejected, type Metrics } from '../metrics.ts';
import type { Coalescer } from './coalescer.ts';
import type { DeviceIdentity } from './device-directory.ts';
import type { LiveStore } from './live-store.ts';
import { type BucketMap, bucketMap } from './rate-limiter.ts';
import type { StatusPersister } from './status-persister.ts';
import { isStageChange, ordering } from './transition.ts';

/** rate buckets kept per gateway: far more devices than one gateway serves (a few hundred bytes each) */
const BUCKETS_MAX = 50_000;

/** A device's latest live state as its caller knows it; `take` moves it forward. */
export interface LiveView {
  current: UnitLive | null;
  /**
   * Whether the device holds a `/device` connection (the dashboards' `online`): true on its socket;
   * over HTTP, whatever Redis says, since a device without a socket cannot get dispatch requests.
   */
  connected: boolean;
}

export interface StatusIntake {
  /**
   * Checks `raw` at once (so events are ordered as they arrived), then, once `ready` has settled
   * (the caller's view is loaded), applies it to the live view if newer and queues it for
   * PostgreSQL. Resolves to the ack: `ok` only once the event is committed. Never rejects.
   */
  take(dev: DeviceIdentity, view: LiveView, raw: unknown, ready: Promise<unknown>): Promise<StatusAck>;
}

export interface StatusIntakeDeps {
  live: LiveStore;
  persister: StatusPersister;
  coalescer: Coalescer;
  metrics: Metrics;
  log: Logger;
  ratePerS: number;
  rateBurst: number;
  /** the dispatcher watches positions for arrival on scene */
  onLive(unit: UnitLive): void;
}

/** The `seq` of an event not yet validated, for its error ack (null when it has none). */
export const seqOf = (raw: unknown): number | null => {
  const seq = (raw as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null;
};

export function createStatusIntake(deps: StatusIntakeDeps): StatusIntake {
  const { live, persister, coalescer, metrics, log } = deps;
  // per device, not per connection or request: reconnecting must not refill the bucket (issue 11),
  // and a device sending over both Socket.IO and HTTP shares one; bounded so a gateway's memory does
  // not grow with every device it has ever seen
  const buckets: BucketMap = bucketMap(deps.ratePerS, deps.rateBurst, BUCKETS_MAX);

  function applyLive(dev: DeviceIdentity, view: LiveView, status: DeviceStatus, receivedAt: number) {
    const prev = view.current;
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
      online: view.connected,
    };
    view.current = next;
    let change: StageChange | undefined;
    if (isStageChange(prev, status)) {
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
    live
      .put(dev.tenantId, next)
      .catch((err) => log.warn({ err, deviceId: dev.deviceId }, 'live cache write failed'));
    deps.onLive(next);
  }

  return {
    take(dev, view, raw, ready) {
      const reject = (code: AppError['code'], message: string, retry: boolean): StatusAck => {
        countRejected(metrics, code);
        return { ok: false, seq: seqOf(raw), code, message, retry };
      };
      // Every event the schema accepts serializes within MAX_STATUS_BYTES (its strings and numbers
      // are bounded; device.test.ts holds the largest one to that), so only a refused event is
      // measured, to tell `too_large` from `bad_request`: no serialization per accepted status.
      const parsed = DeviceStatus.safeParse(raw);
      if (!parsed.success)
        return Promise.resolve(
          JSON.stringify(raw ?? null).length > MAX_STATUS_BYTES
            ? reject('too_large', `status event larger than ${MAX_STATUS_BYTES} bytes`, false)
            : reject('bad_request', describeIssues(parsed.error).join('; '), false),
        );
      if (!buckets.get(dev.deviceId).take())
        return Promise.resolve(
          reject('rate_limited', `more than ${deps.ratePerS} status events per second`, true),
        );
      const status = parsed.data;
      const receivedAt = Date.now();
      return ready.then(
        () => {
          if (ordering(view.current, status.seq) === 'newer') applyLive(dev, view, status, receivedAt);
          else metrics.statusLate++;
          return persister
            .enqueue({
              tenantId: dev.tenantId,
              deviceId: dev.deviceId,
              unitId: dev.unitId,
              status,
              receivedAt,
            })
            .then(
              (o): StatusAck => {
                if (o.duplicate) metrics.statusDuplicate++;
                else metrics.statusAccepted++;
                return { ok: true, seq: status.seq, duplicate: o.duplicate };
              },
              (err: unknown) => {
                const e = err instanceof AppError ? err : new AppError('unavailable', 'storage unavailable');
                return reject(e.code, e.message, true);
              },
            );
        },
        () => reject('unavailable', 'live state unavailable; resend later', true),
      );
    },
  };
}
