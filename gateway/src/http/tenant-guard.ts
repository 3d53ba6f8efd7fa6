/**
 * The tenant check every route makes on an entity it loaded by id. Another organisation's id is
 * answered exactly like an id that does not exist (404, same body): a 403 would confirm that the id
 * is real, which lets an operator of one city probe for another city's incidents or recordings
 * (issue 11). The refusal is still counted and logged here, and audited by `auditedTenantCheck`:
 * an operator probing ids is worth knowing about, just not worth telling.
 */
import type { AuditTargetKind } from '@lagebild/audit';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { SessionUser } from './session.ts';

export type TenantCheck = (
  user: SessionUser,
  tenantId: string,
  what: AuditTargetKind,
  id: string,
  req: FastifyRequest,
) => void;

/** The answer to an unknown id of kind `what`; call sites use it for their own not-found, too. */
export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);

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
    throw notFound(what);
  };
}
