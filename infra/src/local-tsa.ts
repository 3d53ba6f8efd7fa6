/**
 * A local RFC 3161 time-stamping authority for `npm start` and the tests (issue 13), made with
 * `openssl ts`: a CA and a TSA certificate (extendedKeyUsage critical, timeStamping) generated once
 * in `dir`, and a loopback HTTP server that answers each `application/timestamp-query` POST with
 * `openssl ts -reply`. Production uses a qualified eIDAS TSA at TSA_URL instead; nothing here is
 * trusted beyond the machine. The CA certificate (`ca.pem`) is what `openssl ts -verify -CAfile`
 * checks a token against.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalTsa {
  /** POST application/timestamp-query here */
  url: string;
  /** the CA that issued the TSA certificate: `openssl ts -verify -CAfile <caFile>` */
  caFile: string;
  /** the TSA's own certificate (tokens carry it too) */
  certFile: string;
  /** stops answering (the tests' outage); `resume()` answers again on the same port */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_QUERY_BYTES = 4096;

/** Creates the CA, the TSA key and certificate and the `openssl ts` configuration once. */
export async function ensureTsaFiles(
  dir: string,
): Promise<{ caFile: string; certFile: string; config: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => join(dir, n);
  const config = f('tsa.cnf');
  if (!existsSync(config)) {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=Lagebild local TSA CA',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=Lagebild local TSA',
      '-keyout',
      f('tsa.key'),
      '-out',
      f('tsa.csr'),
    ]);
    await writeFile(
      f('tsa-ext.cnf'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n',
    );
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      f('tsa.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '3650',
      '-extfile',
      f('tsa-ext.cnf'),
      '-out',
      f('tsa.pem'),
    ]);
    await writeFile(f('serial'), '01\n');
    await writeFile(
      config,
      [
        '[ tsa ]',
        'default_tsa = tsa_config',
        '[ tsa_config ]',
        `dir = ${dir}`,
        'serial = $dir/serial',
        'crypto_device = builtin',
        'signer_cert = $dir/tsa.pem',
        'certs = $dir/ca.pem',
        'signer_key = $dir/tsa.key',
        'signer_digest = sha256',
        'default_policy = 1.3.6.1.4.1.57264.13.1',
        'digests = sha256, sha384, sha512',
        'accuracy = secs:1',
        'ordering = yes',
        'tsa_name = no',
        'ess_cert_id_chain = no',
        'ess_cert_id_alg = sha256',
        '',
      ].join('\n'),
    );
  }
  return { caFile: f('ca.pem'), certFile: f('tsa.pem'), config };
}

/** Starts the local TSA on 127.0.0.1 (port 0 = the kernel picks). */
export async function startLocalTsa(dir: string, port = 0): Promise<LocalTsa> {
  const { caFile, certFile, config } = await ensureTsaFiles(dir);
  const work = await mkdtemp(join(dir, 'q-'));
  let n = 0;
  // one reply at a time: `openssl ts -reply` increments the serial file
  let queue: Promise<unknown> = Promise.resolve();
  const reply = (query: Buffer) => {
    const next = queue.then(async () => {
      const q = join(work, `${++n}.tsq`);
      const r = join(work, `${n}.tsr`);
      await writeFile(q, query);
      try {
        await run('openssl', ['ts', '-reply', '-config', config, '-queryfile', q, '-out', r]);
        return await readFile(r);
      } finally {
        await rm(q, { force: true });
        await rm(r, { force: true });
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
  const handler: Parameters<typeof createServer>[1] = (req, res) => {
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_QUERY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      reply(Buffer.concat(chunks)).then(
        (body) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(body),
        () => res.writeHead(400).end(),
      );
    });
  };
  let server: Server = createServer(handler);
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const bound = await listen(port);
  let paused = false;
  return {
    url: `http://127.0.0.1:${bound}/tsa`,
    caFile,
    certFile,
    async pause() {
      if (paused) return;
      paused = true;
      await close();
    },
    async resume() {
      if (!paused) return;
      server = createServer(handler);
      await listen(bound);
      paused = false;
    },
    async stop() {
      if (!paused) await close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
