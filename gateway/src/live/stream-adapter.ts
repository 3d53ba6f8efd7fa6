/**
 * The Socket.IO adapter between gateways: Redis streams (connection-state recovery replays a
 * dashboard's missed batches from the stream), with one change: a gateway does not decode its own
 * messages. Every gateway reads the whole stream, and the adapter JSON-parsed each entry before
 * noticing it came from itself and dropping it, so every dashboard batch a gateway sent cost it a
 * second parse (1.4 % of a gateway's CPU at 3,000 devices, issue 17). Nothing of its own is used:
 * ClusterAdapter.onMessage drops a message whose uid is its own first thing.
 */
import { createAdapter, type RedisStreamsAdapterOptions } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';

type RawMessage = { uid?: string };
type OwnMessages = { uid: string; onRawMessage(raw: RawMessage, offset: string): unknown };

export function createStreamAdapter(
  redis: Redis,
  opts: Partial<RedisStreamsAdapterOptions>,
): (nsp: Namespace) => Adapter {
  const create = createAdapter(redis, opts);
  // Socket.IO calls it with `new`: a function whose returned object replaces `this`, not an arrow
  return function streamAdapter(nsp: Namespace): Adapter {
    const adapter = create(nsp);
    const own = adapter as unknown as OwnMessages;
    const decodeAndHandle = own.onRawMessage.bind(adapter);
    own.onRawMessage = (raw, offset) => (raw.uid === own.uid ? undefined : decodeAndHandle(raw, offset));
    return adapter;
  };
}
