/**
 * The tenant's sign-in settings (issue 15), for its admins: roles that must pass a second factor,
 * whether local passwords are on, and the OpenID Connect provider (issuer, client id, the path of
 * the client secret's file, the groups claim and its mapping to roles). A change names a reason and
 * commits with its audit entry (`sign_in_settings_changed`). Switching passwords off needs an
 * enabled provider; admins keep their password as the break-glass way in.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import { SignInSettings, SignInSettingsRequest } from '@lagebild/protocol';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { Route } from '../http/route.ts';
import { loadProvider } from './oidc-routes.ts';
import { signInPolicy } from './totp-store.ts';

export function registerSignInSettingsRoutes({
  route,
  db,
  audit,
}: {
  route: Route;
  db: Db;
  audit: AuditLog;
}): void {
  async function current(tenantId: string): Promise<SignInSettings> {
    const policy = await signInPolicy(db.pool, tenantId);
    const p = await loadProvider(db, { tenantId });
    return {
      totpRequiredRoles: policy.totpRequiredRoles as SignInSettings['totpRequiredRoles'],
      passwordLogin: policy.passwordLogin,
      oidc: p
        ? {
            displayName: p.displayName,
            issuer: p.issuer,
            clientId: p.clientId,
            clientSecretFile: p.clientSecretFile,
            groupsClaim: p.groupsClaim,
            roleMap: p.roleMap,
            enabled: p.enabled,
          }
        : null,
    };
  }

  route(
    {
      method: 'GET',
      url: '/api/admin/sign-in',
      access: ['admin'],
      summary: 'The tenant’s sign-in settings: second factor per role, local passwords, identity provider',
      response: SignInSettings,
    },
    async ({ user }) => current(user.tenant.id),
  );

  route(
    {
      method: 'PUT',
      url: '/api/admin/sign-in',
      access: ['admin'],
      summary: 'Changes the tenant’s sign-in settings (audited with the reason)',
      body: SignInSettingsRequest,
      response: SignInSettings,
    },
    async ({ user, body }) => {
      const tenantId = user.tenant.id;
      if (!body.passwordLogin && !body.oidc?.enabled)
        throw new AppError(
          'bad_request',
          'passwords can be switched off only with an enabled identity provider',
          ['passwordLogin: needs oidc.enabled'],
        );
      const before = await current(tenantId);
      await withTransaction(db.pool, async (c) => {
        await c.query(
          'UPDATE tenants SET totp_required_roles = $2::"Role"[], password_login = $3 WHERE id = $1',
          [tenantId, [...new Set(body.totpRequiredRoles)], body.passwordLogin],
        );
        if (body.oidc) {
          const o = body.oidc;
          await c.query(
            `INSERT INTO oidc_providers (tenant_id, display_name, issuer, client_id, client_secret_file,
                                         groups_claim, role_map, enabled, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
             ON CONFLICT (tenant_id) DO UPDATE SET display_name = $2, issuer = $3, client_id = $4,
               client_secret_file = $5, groups_claim = $6, role_map = $7, enabled = $8, updated_at = now()`,
            [
              tenantId,
              o.displayName,
              o.issuer,
              o.clientId,
              o.clientSecretFile,
              o.groupsClaim,
              o.roleMap,
              o.enabled,
            ],
          );
        } else await c.query('DELETE FROM oidc_providers WHERE tenant_id = $1', [tenantId]);
        await audit.appendIn(c, [
          {
            tenantId,
            actor: actorOf(user),
            action: 'sign_in_settings_changed',
            target: auditTarget('tenant', tenantId),
            reason: body.reason,
            payload: { before, after: { ...body, reason: undefined } },
          },
        ]);
      });
      return current(tenantId);
    },
  );
}
