/** Administration of devices: list, provision (the secret is shown once), revoke (disconnects at once). */
import { newToken, Prisma, sha256Hex, withTransaction } from '@lagebild/db';
import {
  type Device,
  type DevicesResponse,
  ProvisionDeviceRequest,
  type ProvisionDeviceResponse,
  type RevokeDeviceResponse,
} from '@lagebild/protocol';
import { AppError } from '../errors.ts';
import type { RouteDeps } from '../http/route-deps.ts';
import { parseInput, pathId } from '../http/validate.ts';

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

export function registerDeviceRoutes({
  app,
  db,
  guard,
  sameTenant,
  log,
  disconnectDevice,
  audit,
  revoker,
}: RouteDeps): void {
  app.get('/api/devices', async (req): Promise<DevicesResponse> => {
    const user = await guard(req, ['admin']);
    const rows = await db.prisma.device.findMany({
      where: { tenantId: user.tenant.id },
      orderBy: { label: 'asc' },
    });
    return { devices: rows.map(toDevice) };
  });

  app.post('/api/devices', async (req, reply): Promise<ProvisionDeviceResponse> => {
    const user = await guard(req, ['admin']);
    const { label } = parseInput(ProvisionDeviceRequest, req.body);
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
      reply.code(201);
      return { device: toDevice(d), secret };
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new AppError('conflict', `a device labelled "${label}" already exists`);
      }
      throw err;
    }
  });

  app.post<{ Params: { id: string } }>(
    '/api/devices/:id/revoke',
    async (req): Promise<RevokeDeviceResponse> => {
      const user = await guard(req, ['admin']);
      const id = pathId(req.params.id, 'device');
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
