/**
 * Announces producers, consumers and router resets on Redis (MEDIA_CHANNEL) and keeps the per-tenant
 * hash of live streams, so a gateway can tell dashboards now and tell late-comers on request.
 * Media never waits for Redis: a failed publish is logged and dropped (the stream still flows;
 * dashboards catch up from the hash on their next fetch).
 */
import { type LiveStreamEntry, liveStreamsKey, MEDIA_CHANNEL, MediaEvent } from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface Announcer {
  announce(event: MediaEvent): void;
  /** remove this SFU's entries from the live hashes (startup after a crash, shutdown) */
  clearOwn(): Promise<void>;
}

export function createAnnouncer(redis: Redis, sfuId: string, log: Logger): Announcer {
  const fail = (err: unknown, what: string) =>
    log.warn({ err: (err as Error).message, what }, 'redis announce failed');
  return {
    announce(event) {
      // The schema is the contract: never publish what peers would refuse. Announcements are made
      // from event handlers (a publisher closing, a peer timing out); a throw there would end the
      // process, so a refused event is logged (a bug) instead.
      const parsed = MediaEvent.safeParse(event);
      if (!parsed.success) {
        log.error({ issues: parsed.error.issues, type: event.type }, 'announcement refused by its schema');
        return;
      }
      const msg = parsed.data;
      const multi = redis.multi().publish(MEDIA_CHANNEL, JSON.stringify(msg));
      if (msg.type === 'producer_up') {
        const entry: LiveStreamEntry = { sfuId, stream: msg.stream };
        multi.hset(liveStreamsKey(msg.tenantId), msg.deviceId, JSON.stringify(entry));
      } else if (msg.type === 'producer_down') {
        multi.hdel(liveStreamsKey(msg.tenantId), msg.deviceId);
      }
      multi.exec().catch((err) => fail(err, msg.type));
    },
    async clearOwn() {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', liveStreamsKey('*'), 'COUNT', 200);
          cursor = next;
          for (const key of keys) {
            const all = await redis.hgetall(key);
            const mine = Object.entries(all)
              .filter(([, v]) => {
                try {
                  return (JSON.parse(v) as LiveStreamEntry).sfuId === sfuId;
                } catch {
                  return true;
                }
              })
              .map(([k]) => k);
            if (mine.length > 0) await redis.hdel(key, ...mine);
          }
        } while (cursor !== '0');
      } catch (err) {
        fail(err, 'clear');
      }
    },
  };
}
