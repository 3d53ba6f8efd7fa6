/** The audit log over HTTP: the admin's /audit/ view pages through its own tenant's entries. */
import type { Db } from '@lagebild/db';
import { AUDIT_ROLES, AuditQuery, AuditResponse } from '@lagebild/protocol';
import type { Route } from '../http/route.ts';
import { auditPage } from './audit-query.ts';

export function registerAuditRoutes({ route, db }: { route: Route; db: Db }): void {
  route(
    {
      method: 'GET',
      url: '/api/audit',
      access: AUDIT_ROLES,
      summary: "A page of the tenant's audit log, newest first, with readable names",
      query: AuditQuery,
      response: AuditResponse,
    },
    async ({ user, query }) => ({ entries: await auditPage(db.pool, user.tenant.id, query) }),
  );
}
