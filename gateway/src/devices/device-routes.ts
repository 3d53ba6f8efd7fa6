/** Administration of devices: list, provision (the secret is shown once), revoke (disconnects at once). */
import { type Db, newToken, Prisma, sha256Hex, withTransaction } from '@lagebild/db';
import {
  type Device,
  DevicesResponse,
  ProvisionDeviceRequest,
  ProvisionDeviceResponse,
  RevokeDeviceResponse,
} from '@lagebild/protocol';
import type { AuditLog } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import type { Revoker } from '../live/revocations.ts';
import type { Logger } from '../logger.ts';

type DeviceRow = {
  id: string;
  label: string;
  state: Device['state'];
  createdAt: Date;
  revokedAt: Date | null;
  lastSeenAt: Date | null;
};
const toDevice = (d: DeviceRow): Device => ({
  id: d.id,
  label: d.label,
  state: d.state,
  createdAt: d.createdAt.getTime(),
  revokedAt: d.revokedAt?.getTime() ?? null,
  lastSeenAt: d.lastSeenAt?.getTime() ?? null,
});

export interface DeviceRouteDeps extends HttpDeps {
  db: Db;
  audit: AuditLog;
  log: Logger;
  /** revocations the SFU enforces at once (device tokens and streams) */
  revoker: Revoker;
  /** ends a device's sockets on this gateway's cluster */
  disconnectDevice(deviceId: string, reason: string): void;
}

export function registerDeviceRoutes({
  route,
  db,
  sameTenant,
  log,
  disconnectDevice,
  audit,
  revoker,
}: DeviceRouteDeps): void {
  const list = {
    method: 'GET',
    url: '/api/devices',
    access: ['admin'],
    summary: "The tenant's devices",
    response: DevicesResponse,
  } as const;
  route(list, async ({ user }) => {
    const rows = await db.prisma.device.findMany({
      where: { tenantId: user.tenant.id },
      orderBy: { label: 'asc' },
    });
    return { devices: rows.map(toDevice) };
  });

  const provision = {
    method: 'POST',
    url: '/api/devices',
    access: ['admin'],
    summary: 'Provisions a device; its secret is in this answer only',
    body: ProvisionDeviceRequest,
    response: ProvisionDeviceResponse,
    status: 201,
  } as const;
  route(provision, async ({ user, body: { label } }) => {
    const secret = newToken();
    try {
      const d = await db.prisma.device.create({
        data: { tenantId: user.tenant.id, label, secretHash: sha256Hex(secret) },
      });
      log.info(
        { audit: 'device_provisioned', userId: user.id, tenantId: user.tenant.id, deviceId: d.id },
        'device provisioned',
      );
      await audit.append({
        tenantId: user.tenant.id,
        actor: user.username,
        action: 'device_provisioned',
        target: `device:${d.id}`,
        payload: { label },
      });
      return { device: toDevice(d), secret };
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new AppError('conflict', `a device labelled "${label}" already exists`);
      }
      throw err;
    }
  });

  route(
    {
      method: 'POST',
      url: '/api/devices/:id/revoke',
      access: ['admin'],
      summary: 'Revokes a device: its sockets, media tokens and stream end at once',
      params: idParams('device'),
      response: RevokeDeviceResponse,
    },
    async ({ req, user, params: { id } }) => {
      const d = await db.prisma.device.findUnique({ where: { id } });
      if (!d) throw new AppError('not_found', 'device not found');
      sameTenant(user, d.tenantId, 'device', id, req);
      // the state change, the shift's end and the audit entry commit together
      const updated = await withTransaction(db.pool, async (client) => {
        const { rows } = await client.query<DeviceRow>(
          `UPDATE devices SET state = 'revoked', revoked_at = COALESCE(revoked_at, now())
            WHERE id = $1
            RETURNING id, label, state, created_at AS "createdAt", revoked_at AS "revokedAt",
                      last_seen_at AS "lastSeenAt"`,
          [id],
        );
        await client.query('UPDATE shifts SET ended_at = now() WHERE device_id = $1 AND ended_at IS NULL', [
          id,
        ]);
        await audit.appendIn(client, [
          {
            tenantId: user.tenant.id,
            actor: user.username,
            action: 'device_revoked',
            target: `device:${id}`,
          },
        ]);
        return rows[0]!;
      });
      // then everywhere at once: its sockets, its outstanding media tokens and its live stream (issue 11)
      disconnectDevice(id, 'this device has been revoked');
      await revoker.deviceRevoked(d.tenantId, id, updated.revokedAt?.getTime());
      return { device: toDevice(updated) };
    },
  );
}
