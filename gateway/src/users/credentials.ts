/**
 * What a login proves: the password, or — for a new or reset user — the one-time setup code while
 * it is valid. Always one argon2 verification (a decoy for unknown names and users without a
 * password), so the answer time tells nothing about which names exist or wait for a first login.
 */
import { type Db, decoyPasswordHash, verifyPassword } from '@lagebild/db';
import { setupCodeMatches } from './setup-code.ts';

type UserRecord = NonNullable<Awaited<ReturnType<Db['prisma']['user']['findUnique']>>>;

export type CredentialCheck =
  | { ok: false; user: UserRecord | null }
  | { ok: true; user: UserRecord; via: 'password' | 'setup_code' };

export async function checkCredentials(db: Db, username: string, secret: string): Promise<CredentialCheck> {
  const user = await db.prisma.user.findUnique({ where: { username } });
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), secret);
  if (!user || user.disabledAt) return { ok: false, user };
  if (user.passwordHash && passwordOk) return { ok: true, user, via: 'password' };
  const codeValid =
    user.setupCodeHash !== null &&
    user.setupCodeExpiresAt !== null &&
    user.setupCodeExpiresAt.getTime() > Date.now() &&
    setupCodeMatches(secret, user.setupCodeHash);
  return codeValid ? { ok: true, user, via: 'setup_code' } : { ok: false, user };
}
