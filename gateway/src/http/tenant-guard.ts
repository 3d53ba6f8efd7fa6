/**
 * The tenant check every route makes on an entity it loaded by id: another organisation's id is
 * refused with 403, counted and logged (an operator probing ids is worth knowing about).
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { SessionUser } from './session.ts';

export type TenantCheck = (
  user: SessionUser,
  tenantId: string,
  what: string,
  id: string,
  req: FastifyRequest,
) => void;

export function tenantCheck(metrics: Metrics, log: Logger): TenantCheck {
  return (user, tenantId, what, id, req) => {
    if (tenantId === user.tenant.id) return;
    metrics.forbidden++;
    log.warn(
      {
        audit: 'cross_tenant_refused',
        userId: user.id,
        tenantId: user.tenant.id,
        target: what,
        targetId: id,
        url: req.url,
      },
      'cross-tenant request refused',
    );
    throw new AppError('forbidden', `this ${what} belongs to another organisation`);
  };
}
