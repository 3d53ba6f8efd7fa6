/**
 * Sign-in beyond the password (issue 15): the second factor (TOTP, RFC 6238), the tenant's sign-in
 * policy and its OpenID Connect provider. A login that needs a second factor answers with a
 * short-lived ticket instead of a session; the client sends the ticket with a code (or enrols
 * first when the tenant requires TOTP for the user's role and none is set up).
 */
import { z } from 'zod';
import { Role } from './common.ts';
import { AuditReason, SignInTicket } from './users.ts';

/** Six digits, spaces allowed in between (as authenticator apps show them). */
export const TotpCode = z
  .string()
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'code: six digits'));

export const TotpLoginRequest = z.strictObject({ ticket: SignInTicket, code: TotpCode });
export type TotpLoginRequest = z.infer<typeof TotpLoginRequest>;

/** Enrolment during login (with the ticket) or by a signed-in user (no ticket). */
export const TotpEnrolRequest = z.strictObject({ ticket: SignInTicket.optional() });
export type TotpEnrolRequest = z.infer<typeof TotpEnrolRequest>;

/** Shown once: the secret as text (base32) and as an otpauth:// URI for authenticator apps. */
export const TotpEnrolResponse = z.object({ secret: z.string(), uri: z.string() });
export type TotpEnrolResponse = z.infer<typeof TotpEnrolResponse>;

export const TotpConfirmRequest = z.strictObject({ ticket: SignInTicket.optional(), code: TotpCode });
export type TotpConfirmRequest = z.infer<typeof TotpConfirmRequest>;

export const TotpStatusResponse = z.object({ enabled: z.boolean(), required: z.boolean() });
export type TotpStatusResponse = z.infer<typeof TotpStatusResponse>;

export const TotpResetRequest = z.strictObject({ reason: AuditReason });
export type TotpResetRequest = z.infer<typeof TotpResetRequest>;

/** A group (or role) name in the identity provider's claim → a Lagebild role. */
export const OidcRoleMap = z.record(z.string().trim().min(1).max(200), Role);

export const OidcProviderSettings = z.strictObject({
  /** shown on the login page: "Anmelden mit <displayName>" */
  displayName: z.string().trim().min(1).max(100),
  issuer: z.url().max(500),
  clientId: z.string().trim().min(1).max(200),
  /** absolute path of a file holding the client secret (read by the gateway at sign-in) */
  clientSecretFile: z.string().trim().regex(/^\//, 'clientSecretFile: an absolute path').max(500),
  /** the ID token's claim that lists the user's groups or roles */
  groupsClaim: z.string().trim().min(1).max(100).default('groups'),
  roleMap: OidcRoleMap,
  enabled: z.boolean().default(true),
});
export type OidcProviderSettings = z.infer<typeof OidcProviderSettings>;

export const SignInSettings = z.object({
  /** roles that must pass a second factor (TOTP) */
  totpRequiredRoles: z.array(Role),
  /** false: only admins may still sign in with a password (break-glass); everyone else through the provider */
  passwordLogin: z.boolean(),
  oidc: OidcProviderSettings.nullable(),
});
export type SignInSettings = z.infer<typeof SignInSettings>;

export const SignInSettingsRequest = z.strictObject({
  totpRequiredRoles: z.array(Role).max(4),
  passwordLogin: z.boolean(),
  oidc: OidcProviderSettings.nullable(),
  reason: AuditReason,
});
export type SignInSettingsRequest = z.infer<typeof SignInSettingsRequest>;

/** The login page's buttons: one per tenant with an enabled provider. */
export const OidcProvidersResponse = z.object({
  providers: z.array(z.object({ tenant: z.string(), tenantName: z.string(), displayName: z.string() })),
});
export type OidcProvidersResponse = z.infer<typeof OidcProvidersResponse>;

export const OidcStartParams = z.object({ tenant: z.string().regex(/^[a-z0-9-]{1,64}$/) });

/** Why a sign-in through the provider was refused; the login page words it (`/login?error=<code>`). */
export const OidcRefusal = z.enum(['oidc_failed', 'oidc_no_role', 'oidc_disabled', 'oidc_user_disabled']);
export type OidcRefusal = z.infer<typeof OidcRefusal>;

/** Sign-out's answer: the provider's end-session URL (RP-initiated logout) after an OpenID sign-in, else null. */
export const OidcLogoutResponse = z.object({ endSessionUrl: z.string().nullable() });
export type OidcLogoutResponse = z.infer<typeof OidcLogoutResponse>;
