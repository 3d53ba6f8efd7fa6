/**
 * A bare Engine.IO v4 long-polling client: the handshake, packets posted as raw text, and what the
 * server answers. The fuzzers use it to send exactly the bytes and headers a browser or an attacker
 * could, which socket.io-client would never produce (issue 11: `Origin: null` + `40/control,`).
 */
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  body: string;
}

export function raw(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
  timeoutMs = 3000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const EIO = '/socket.io/?EIO=4&transport=polling';

/** Opens an Engine.IO session over polling; null when the server refuses the handshake itself. */
export async function openPolling(baseUrl: string, headers: Record<string, string>): Promise<string | null> {
  const res = await raw(baseUrl, 'GET', EIO, headers);
  if (res.status !== 200 || !res.body.startsWith('0')) return null;
  return (JSON.parse(res.body.slice(1)) as { sid: string }).sid;
}

/** Posts Engine.IO packets (e.g. `40/control,`) and reads what the server sends back (up to a short wait). */
export async function exchange(
  baseUrl: string,
  sid: string,
  headers: Record<string, string>,
  packets: string,
  readMs = 1500,
): Promise<{ posted: RawAnswer; answer: RawAnswer | null }> {
  const posted = await raw(
    baseUrl,
    'POST',
    `${EIO}&sid=${sid}`,
    { ...headers, 'content-type': 'text/plain;charset=UTF-8' },
    packets,
  );
  const answer = await raw(baseUrl, 'GET', `${EIO}&sid=${sid}`, headers, undefined, readMs).catch(() => null);
  return { posted, answer };
}
