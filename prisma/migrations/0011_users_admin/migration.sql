-- Users administered on the users page (issue 15): an optional e-mail, a password that a new or
-- reset user sets at first login, and the one-time setup code that lets them. The code is a
-- random 80-bit value shown once to the admin; like device secrets it is stored as SHA-256 (a
-- guess costs a throttled login, and the code expires). Until the user sets a password there is
-- none: password_hash is NULL, so the login checks only the code.
ALTER TABLE "users" ADD COLUMN "email" TEXT;
ALTER TABLE "users" ADD COLUMN "must_change_password" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "users" ADD COLUMN "setup_code_hash" TEXT;
ALTER TABLE "users" ADD COLUMN "setup_code_expires_at" TIMESTAMPTZ(3);
ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL;
-- a code without an expiry would be valid for ever
ALTER TABLE "users" ADD CONSTRAINT "users_setup_code_expiry"
  CHECK (("setup_code_hash" IS NULL) = ("setup_code_expires_at" IS NULL));
