/**
 * Lets a `ws` connection drop the socket read its last frame came in.
 *
 * `ws` (8.x) keeps a frame's masking key as a 4-byte view into the chunk the socket read it from, and
 * holds it until the next frame arrives: an idle device connection kept its whole last read alive
 * (a few KB each; measured with a heap snapshot at 2,000 cameras: one ArrayBuffer per connection,
 * 4.1 KB on average, issue 17). The key is only needed while that frame is unmasked, which is over
 * when its `message` or `pong` event fires, so it is dropped then.
 */
import type { WebSocket } from 'ws';

type WithReceiver = { _receiver?: { _mask?: unknown } };

export function releaseReadChunk(ws: WebSocket): void {
  const receiver = (ws as unknown as WithReceiver)._receiver;
  if (receiver) receiver._mask = undefined;
}
