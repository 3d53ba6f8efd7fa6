-- Sign-in (issue 15): an optional second factor (TOTP, RFC 6238) per user, the tenant's sign-in
-- policy (TOTP required per role, local passwords on or off) and its OpenID Connect provider.
--
-- The TOTP secret is never answered by any route after enrolment (the user sees it once); the
-- last accepted time step makes every code single-use (replay), also by two requests at once
-- (the gateway moves it with a conditional UPDATE). A pending secret waits for its first code.
ALTER TABLE "users" ADD COLUMN "totp_secret" TEXT;
ALTER TABLE "users" ADD COLUMN "totp_pending_secret" TEXT;
ALTER TABLE "users" ADD COLUMN "totp_enabled_at" TIMESTAMPTZ(3);
ALTER TABLE "users" ADD COLUMN "totp_last_step" BIGINT;
ALTER TABLE "users" ADD CONSTRAINT "users_totp_enabled"
  CHECK (("totp_secret" IS NULL) = ("totp_enabled_at" IS NULL));
-- a user signed in through the municipality's identity provider is linked by issuer and subject
ALTER TABLE "users" ADD COLUMN "oidc_issuer" TEXT;
ALTER TABLE "users" ADD COLUMN "oidc_subject" TEXT;
CREATE UNIQUE INDEX "users_oidc_identity_key" ON "users"("oidc_issuer", "oidc_subject");

-- how the session was opened: 'pwd', 'otp' (second factor passed), 'oidc'
ALTER TABLE "sessions" ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT ARRAY['pwd']::TEXT[];

ALTER TABLE "tenants" ADD COLUMN "totp_required_roles" "Role"[] NOT NULL DEFAULT ARRAY[]::"Role"[];
-- false: only the tenant's admins may still sign in with a password (break-glass), everyone else
-- through the identity provider
ALTER TABLE "tenants" ADD COLUMN "password_login" BOOLEAN NOT NULL DEFAULT true;

-- One OpenID Connect provider per tenant. The client secret is not in the database: only the path
-- of a file the gateway reads (kept with the deployment's other secrets).
CREATE TABLE "oidc_providers" (
    "tenant_id" UUID NOT NULL,
    "display_name" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret_file" TEXT NOT NULL,
    "groups_claim" TEXT NOT NULL DEFAULT 'groups',
    -- { "<group or role in the claim>": "<Lagebild role>" }
    "role_map" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "oidc_providers_pkey" PRIMARY KEY ("tenant_id")
);
ALTER TABLE "oidc_providers" ADD CONSTRAINT "oidc_providers_tenant_id_fkey" FOREIGN KEY ("tenant_id")
  REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- the sign-in settings page writes it; the login reads it
GRANT SELECT, INSERT, UPDATE, DELETE ON "oidc_providers" TO "lagebild_app";
