/**
 * Login throttling shared by every gateway through Redis (issue 11). Three counters of failed
 * logins, each with its own progressive delay instead of a hard lock:
 *
 * - per account: anyone guessing one password from anywhere. Capped low (60 s), so a stranger can
 *   slow the owner down by at most a minute, never lock them out for 15.
 * - per account and address: the stranger's own guesses. Capped high (15 min): whoever keeps
 *   failing on an account waits longer and longer, while the owner at another address only waits
 *   out the account delay above.
 * - per address, over all usernames: password spraying (one password tried on every user).
 *
 * A counter allows `free` failures; from then on every attempt must wait 2^k seconds (k = 1, 2, …
 * per further failure, up to the cap) after the previous one, answered 429 with Retry-After. A
 * counter forgets 15 minutes after the last attempt it saw.
 *
 * The check is one Lua script, increment first, then decide: parallel guesses each get their own
 * count and the delay is set by the attempt that reaches the limit, so no burst gets past it. The
 * attempt is counted as failed until the password is known to be right; then `succeeded` resets
 * the account (and the owner's pair) and gives the address its count back. A refused attempt
 * counts nothing (the password was not tried).
 *
 * Failed logins of unknown usernames are not one audit entry each (a script could fill the log,
 * and the text typed is sometimes a password): per address and window (LOGIN_UNKNOWN_WINDOW_S, 10
 * minutes), the first one is audited at once and, if more followed, one closing entry carries the count.
 */
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Logger } from '../logger.ts';

export interface ThrottleLimit {
  /** failures allowed before the delay starts */
  free: number;
  /** the longest delay, in seconds */
  capS: number;
}

export interface ThrottleLimits {
  account: ThrottleLimit;
  pair: ThrottleLimit;
  address: ThrottleLimit;
  /** a counter forgets after this long without attempts */
  windowMs: number;
}

/**
 * 5 free guesses per account, then 2, 4, 8, … s, at most 60 s: ~20 guesses in the first five
 * minutes, then one a minute from all addresses together. One address on one account: the same 5,
 * then up to 15 min apart. One address over all accounts: 20 free, then up to 15 min apart.
 */
export const LOGIN_LIMITS: ThrottleLimits = {
  account: { free: 5, capS: 60 },
  pair: { free: 5, capS: 15 * 60 },
  address: { free: 20, capS: 15 * 60 },
  windowMs: 15 * 60_000,
};

// KEYS: account, pair, address. ARGV: window ms, then free and cap s per key.
// Returns {0, previous address nb} if the attempt may go ahead, {wait ms, 0} if not.
const ATTEMPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local counts = {}
local wait = 0
for i = 1, 3 do
  counts[i] = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local nb = tonumber(redis.call('HGET', KEYS[i], 'nb') or '0')
  if nb - now > wait then wait = nb - now end
end
if wait > 0 then
  for i = 1, 3 do
    redis.call('HINCRBY', KEYS[i], 'n', -1)
    redis.call('PEXPIRE', KEYS[i], window)
  end
  return {wait, 0}
end
local prevAddressNb = tonumber(redis.call('HGET', KEYS[3], 'nb') or '0')
for i = 1, 3 do
  local free = tonumber(ARGV[2 * i])
  local cap = tonumber(ARGV[2 * i + 1])
  if counts[i] >= free then
    local delayS = math.min(2 ^ (counts[i] - free + 1), cap)
    redis.call('HSET', KEYS[i], 'nb', now + delayS * 1000)
  end
  redis.call('PEXPIRE', KEYS[i], window)
end
return {0, prevAddressNb}
`;

// KEYS: account, pair, address. ARGV: the address nb before the attempt.
const SUCCEEDED = `
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then
  if tonumber(redis.call('HINCRBY', KEYS[3], 'n', -1)) < 0 then redis.call('HSET', KEYS[3], 'n', 0) end
  redis.call('HSET', KEYS[3], 'nb', ARGV[1])
end
return 0
`;

/**
 * The address a limit applies to: IPv4 as is (also IPv4-mapped IPv6), IPv6 by its /64, since one
 * client usually holds a whole /64 and could otherwise step through addresses.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type Attempt = { allowed: true; ticket: string } | { allowed: false; retryAfterS: number };

export interface LoginThrottle {
  /** counts the attempt as failed in advance and says whether it may go ahead */
  attempt(username: string, ip: string): Promise<Attempt>;
  /** the password was right: the account starts afresh, the address gets its count back */
  succeeded(username: string, ip: string, ticket: string): Promise<void>;
  /** a failed login of a username nobody has: aggregated per address and window */
  unknownUser(ip: string): Promise<void>;
}

export function createLoginThrottle(opts: {
  redis: Redis;
  audit: AuditLog;
  log: Logger;
  limits?: ThrottleLimits;
  /** a window of unknown-username failures per address: one entry at its start, one with the count at its end */
  unknownWindowMs: number;
}): LoginThrottle {
  const { redis, audit, log, unknownWindowMs } = opts;
  const limits = opts.limits ?? LOGIN_LIMITS;
  const keys = (username: string, ip: string) => {
    const user = username.toLowerCase();
    const addr = addressKey(ip);
    return [`lb:login:acct:${user}`, `lb:login:pair:${user}|${addr}`, `lb:login:addr:${addr}`];
  };

  /** writes the closing entry of a window, if more than its first failure happened */
  async function closeUnknownWindow(addr: string, key: string, startedAt: number): Promise<void> {
    const count = Number(await redis.getdel(key));
    if (count > 1)
      await audit.append({
        tenantId: null,
        actor: null,
        action: 'login_failures',
        payload: { ip: addr, count, windowStartedAt: startedAt, windowMs: unknownWindowMs, phase: 'closed' },
      });
  }

  return {
    async attempt(username, ip) {
      const { account, pair, address, windowMs } = limits;
      const [waitMs, prevNb] = (await redis.eval(
        ATTEMPT,
        3,
        ...keys(username, ip),
        windowMs,
        account.free,
        account.capS,
        pair.free,
        pair.capS,
        address.free,
        address.capS,
      )) as [number, number];
      if (waitMs > 0) return { allowed: false, retryAfterS: Math.ceil(waitMs / 1000) };
      return { allowed: true, ticket: String(prevNb) };
    },

    async succeeded(username, ip, ticket) {
      await redis.eval(SUCCEEDED, 3, ...keys(username, ip), ticket);
    },

    async unknownUser(ip) {
      const addr = addressKey(ip);
      const key = `lb:login:unknown:${addr}`;
      const n = await redis.incr(key);
      if (n !== 1) return;
      // this gateway opened the window, so it closes it; the key outlives the window in case it
      // dies first (the count is then lost, the opening entry and the log lines stay)
      await redis.pexpire(key, unknownWindowMs * 3);
      const startedAt = Date.now();
      await audit.append({
        tenantId: null,
        actor: null,
        action: 'login_failures',
        payload: {
          ip: addr,
          count: 1,
          windowStartedAt: startedAt,
          windowMs: unknownWindowMs,
          phase: 'opened',
        },
      });
      setTimeout(() => {
        closeUnknownWindow(addr, key, startedAt).catch((err) =>
          log.error({ err, ip: addr }, 'unknown-username failures not audited'),
        );
      }, unknownWindowMs).unref();
    },
  };
}
