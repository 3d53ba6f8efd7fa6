/**
 * Who a device is on the HTTP status endpoints (docs/device-protocol.md D1–D4): its short-lived
 * device token (`Authorization: Bearer`, from POST /api/device/token), or its id and secret
 * (`Authorization: Basic base64(id:secret)`, or OsmAnd's `id` with Lagebild's `secret` parameter).
 * The device row is read on every request, so a revocation refuses the very next one, even with a
 * token minted before it.
 */
import { secretMatches } from '@lagebild/db';
import { TokenError, verifyDeviceToken } from '@lagebild/tokens';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import { type DeviceIdentity, findDevice } from '../live/device-directory.ts';

export type DeviceCredentials =
  | { kind: 'token'; token: string }
  | { kind: 'secret'; deviceId: string; secret: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The credentials in an Authorization header, or null when there is none; malformed ones throw. */
export function credentialsOf(authorization: string | undefined): DeviceCredentials | null {
  if (!authorization) return null;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return { kind: 'token', token: value };
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0)
      return { kind: 'secret', deviceId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  throw new AppError(
    'unauthenticated',
    'Authorization must be "Bearer <device token>" or "Basic base64(<deviceId>:<secret>)"',
  );
}

/**
 * The active device the credentials prove, or a 401 (missing, unknown, wrong, expired) or a 403
 * (revoked). `tokenSecrets` are the gateway's MEDIA_TOKEN_SECRET (empty: tokens are not accepted).
 */
export async function authenticateDevice(
  pool: pg.Pool,
  tokenSecrets: readonly string[],
  creds: DeviceCredentials | null,
): Promise<DeviceIdentity> {
  if (!creds)
    throw new AppError(
      'unauthenticated',
      'device credentials required: Authorization: Bearer <device token> or Basic <deviceId:secret>',
    );
  let device: DeviceIdentity | null;
  if (creds.kind === 'token') {
    if (tokenSecrets.length === 0)
      throw new AppError(
        'unauthenticated',
        'device tokens are not enabled here; use Basic <deviceId:secret>',
      );
    let claims: { deviceId: string; tenantId: string };
    try {
      claims = verifyDeviceToken(tokenSecrets, creds.token);
    } catch (err) {
      if (err instanceof TokenError) throw new AppError('unauthenticated', err.message);
      throw err;
    }
    device = await findDevice(pool, claims.deviceId);
    if (device && device.tenantId !== claims.tenantId) device = null;
  } else {
    if (!UUID.test(creds.deviceId)) throw new AppError('unauthenticated', 'unknown device or wrong secret');
    device = await findDevice(pool, creds.deviceId);
    if (device && !secretMatches(creds.secret, device.secretHash)) device = null;
  }
  if (!device) throw new AppError('unauthenticated', 'unknown device or wrong secret');
  if (device.state !== 'active') throw new AppError('forbidden', 'this device has been revoked');
  return device;
}
