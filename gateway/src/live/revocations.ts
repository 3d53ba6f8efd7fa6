/**
 * Revocations reach every process at once (issue 11): a revoked device's tokens and WHIP sessions,
 * an ended operator session's sockets and SFU viewer sessions. The gateway writes a key the SFU checks
 * on every token it verifies (so a token minted before the revocation is refused even by an SFU that
 * missed the message) and publishes a message on which every SFU ends what is live. Message shapes:
 * packages/protocol/src/media.ts (`Revocation`).
 */
import {
  DEVICE_TOKEN_TTL_MS,
  endedSessionKey,
  REVOCATION_CHANNEL,
  REVOCATION_GRACE_MS,
  type Revocation,
  revokedDeviceKey,
  VIEWER_TOKEN_TTL_MS,
} from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type { SessionEndReason } from '../http/session.ts';

export interface Revoker {
  /** the device's outstanding tokens are refused and its live WHIP session ends (recording sealed) */
  deviceRevoked(tenantId: string, deviceId: string, at?: number): Promise<void>;
  /** viewer tokens minted for this session are refused and its SFU viewer sessions end */
  sessionEnded(tenantId: string, sessionRef: string, reason: SessionEndReason, at?: number): Promise<void>;
}

export function createRevoker(redis: Redis): Revoker {
  const announce = async (key: string, ttlMs: number, msg: Revocation) => {
    await redis
      .multi()
      .set(key, String(msg.at), 'PX', ttlMs + REVOCATION_GRACE_MS)
      .publish(REVOCATION_CHANNEL, JSON.stringify(msg))
      .exec();
  };
  return {
    deviceRevoked: (tenantId, deviceId, at = Date.now()) =>
      announce(revokedDeviceKey(deviceId), DEVICE_TOKEN_TTL_MS, {
        type: 'device_revoked',
        tenantId,
        deviceId,
        at,
      }),
    sessionEnded: (tenantId, sid, reason, at = Date.now()) =>
      announce(endedSessionKey(sid), VIEWER_TOKEN_TTL_MS, {
        type: 'session_ended',
        tenantId,
        sid,
        reason,
        at,
      }),
  };
}
