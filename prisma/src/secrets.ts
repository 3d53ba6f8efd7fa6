/**
 * Credentials at rest. Passwords are guessable, so they get argon2id (memory-hard, OWASP
 * parameters). Device secrets and session tokens are 256-bit random values: brute force is
 * hopeless anyway, so SHA-256 suffices and keeps mass reconnects of thousands of cameras cheap.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A fresh random token, URL-safe, 256 bits. */
export const newToken = (): string => randomBytes(32).toString('base64url');

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export function secretMatches(secret: string, storedHashHex: string): boolean {
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(storedHashHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A password hash of a random value, used to spend the same time on unknown usernames as on known
 * ones so the login response time does not reveal which usernames exist.
 */
let decoyHash: Promise<string> | undefined;
export const decoyPasswordHash = (): Promise<string> => {
  decoyHash ??= hashPassword(newToken());
  return decoyHash;
};
