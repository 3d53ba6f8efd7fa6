/**
 * The ticket between a login's first step (password) and its second (TOTP code, or enrolment when
 * the tenant requires a second factor): a random 256-bit value answered to the client; Redis keeps
 * only its SHA-256 with the user and the purpose for five minutes. A ticket takes at most five
 * wrong codes (each also counted by the login throttle) and is used up by the sign-in.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@lagebild/db';
import type { Redis } from 'ioredis';

export const TICKET_TTL_S = 300;
const MAX_TRIES = 5;

export type TicketPurpose = 'totp' | 'enrol';
export interface Ticket {
  userId: string;
  purpose: TicketPurpose;
}

const keyOf = (ticket: string) => `lb:signin:ticket:${sha256Hex(ticket)}`;

export async function issueTicket(redis: Redis, t: Ticket): Promise<string> {
  const ticket = randomBytes(32).toString('base64url');
  await redis.set(keyOf(ticket), JSON.stringify({ ...t, tries: 0 }), 'EX', TICKET_TTL_S);
  return ticket;
}

/** The ticket's user and purpose while it is valid; counts one try (null once it is spent). */
export async function readTicket(redis: Redis, ticket: string): Promise<Ticket | null> {
  const raw = await redis.get(keyOf(ticket));
  if (!raw) return null;
  const t = JSON.parse(raw) as Ticket & { tries: number };
  if (t.tries >= MAX_TRIES) {
    await redis.del(keyOf(ticket));
    return null;
  }
  await redis.set(keyOf(ticket), JSON.stringify({ ...t, tries: t.tries + 1 }), 'KEEPTTL');
  return { userId: t.userId, purpose: t.purpose };
}

/** Used up: the sign-in it led to is done. False if another request used it first. */
export async function spendTicket(redis: Redis, ticket: string): Promise<boolean> {
  return (await redis.del(keyOf(ticket))) === 1;
}
