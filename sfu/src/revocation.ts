/**
 * Revocations reach video at once (issue 11). Two halves, both against the gateway's Redis:
 *
 * - Checks on every request: a device token issued at or before its device's revocation
 *   (`revokedDeviceKey`) and a viewer token of an ended operator session (`endedSessionKey`) are
 *   refused. Tokens are stateless and live minutes; these keys are what makes them revocable.
 *   If Redis cannot answer in time the request is refused with 503: fail closed, because an SFU
 *   that cannot tell whether a device was revoked must not let it publish (media never waits for
 *   Redis, but starting a stream may).
 * - A subscriber on REVOCATION_CHANNEL ends what is already live: the revoked device's publishers,
 *   the ended session's viewers. Messages are validated with the protocol schema; a malformed one is
 *   dropped with a warning. After the subscriber reconnects, `onResync` re-checks everything live,
 *   since pub/sub does not replay what was published while it was away.
 */
import {
  type DeviceTokenClaims,
  endedSessionKey,
  REVOCATION_CHANNEL,
  Revocation,
  revokedDeviceKey,
  type ViewerTokenClaims,
} from '@lagebild/protocol';
import { Redis } from 'ioredis';
import { SfuError } from './errors.ts';
import type { Logger } from './logger.ts';

export interface RevocationChecks {
  /** throws SfuError `revoked` (403) if the device was revoked at or after the token was issued */
  device(claims: Pick<DeviceTokenClaims, 'deviceId' | 'iat'>): Promise<void>;
  /** throws SfuError `session_ended` (401) if the token's operator session has ended */
  session(claims: Pick<ViewerTokenClaims, 'sid'>): Promise<void>;
  /** the revocation time of a device, or null (for re-checking live publishers) */
  deviceRevokedAt(deviceId: string): Promise<number | null>;
  /** whether an operator session has ended (for re-checking live viewers) */
  sessionEnded(sid: string): Promise<boolean>;
}

/** A Redis read that fails closed: no answer within timeoutMs is a 503. */
async function readKey(redis: Redis, key: string, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([redis.get(key), timeout]);
  } catch (err) {
    throw new SfuError(
      'unavailable',
      `revocation list unreachable, refusing to be safe; retry shortly (${(err as Error).message})`,
    );
  } finally {
    clearTimeout(timer);
  }
}

export function revocationChecks(redis: Redis, timeoutMs: number): RevocationChecks {
  const deviceRevokedAt = async (deviceId: string) => {
    const v = await readKey(redis, revokedDeviceKey(deviceId), timeoutMs);
    if (v === null) return null;
    const at = Number(v);
    // an unreadable value still means "revoked": refuse rather than guess
    return Number.isFinite(at) ? at : Number.MAX_SAFE_INTEGER;
  };
  const sessionEnded = async (sid: string) =>
    (await readKey(redis, endedSessionKey(sid), timeoutMs)) !== null;
  return {
    deviceRevokedAt,
    sessionEnded,
    async device(claims) {
      const at = await deviceRevokedAt(claims.deviceId);
      if (at !== null && claims.iat <= at)
        throw new SfuError('revoked', 'this device was revoked; its tokens issued before then are refused');
    },
    async session(claims) {
      if (await sessionEnded(claims.sid))
        throw new SfuError(
          'session_ended',
          'the operator session of this viewer token has ended; sign in again',
        );
    },
  };
}

export interface RevocationHandlers {
  onRevocation(r: Revocation): void;
  /** the subscriber (re)connected: re-check what is live against the keys */
  onResync(): void;
}

export interface RevocationSubscriber {
  /** resolves once subscribed (revocations published after this reach the handlers) */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Subscribes on its own connection (a subscribed ioredis client can do nothing else). */
export function subscribeRevocations(
  redisUrl: string,
  handlers: RevocationHandlers,
  log: Logger,
): RevocationSubscriber {
  const sub = new Redis(redisUrl, { maxRetriesPerRequest: null, autoResubscribe: true });
  sub.on('error', (err) => log.warn({ err: err.message }, 'revocation subscriber: redis error'));
  let subscribedOnce = false;
  sub.on('ready', () => {
    if (subscribedOnce) {
      log.info('revocation subscriber reconnected: re-checking live sessions');
      handlers.onResync();
    }
  });
  sub.on('message', (channel: string, raw: string) => {
    if (channel !== REVOCATION_CHANNEL) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const r = Revocation.safeParse(json);
    if (!r.success) {
      log.warn({ msg: { raw: raw.slice(0, 200) } }, 'malformed revocation dropped');
      return;
    }
    try {
      handlers.onRevocation(r.data);
    } catch (err) {
      log.error({ err, revocation: r.data }, 'revocation handler failed');
    }
  });
  const ready = sub.subscribe(REVOCATION_CHANNEL).then(() => {
    subscribedOnce = true;
  });
  ready.catch((err) => log.error({ err: (err as Error).message }, 'revocation subscribe failed'));
  return {
    ready,
    async close() {
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}
