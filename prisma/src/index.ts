/** @lagebild/db: the Prisma client on a shared pg pool, credentials at rest, provisioning. */
export type * from '../generated/client.ts';
export { Prisma } from '../generated/client.ts';
export { type Db, openDb } from './client.ts';
export { type DeviceCredentials, openShifts, provisionDevices } from './devices.ts';
export { type PgArrayElement, pgArray } from './pg-array.ts';
export {
  decoyPasswordHash,
  hashPassword,
  newToken,
  secretMatches,
  sha256Hex,
  verifyPassword,
} from './secrets.ts';
export { withTransaction } from './transaction.ts';
