import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorHandlerOptions, serviceErrorHandler } from './error-handler.ts';
import { TestError } from './test-errors.ts';

let app: FastifyInstance;
afterEach(() => app?.close());

async function build(opts: Partial<ErrorHandlerOptions> = {}) {
  app = Fastify({ bodyLimit: 64 });
  app.setErrorHandler(
    serviceErrorHandler({
      error: TestError,
      tooLargeMessage: 'request body too large (max 64 bytes)',
      ...opts,
    }),
  );
  app.post('/echo', async (req) => req.body);
  app.get('/teapot', async () => {
    throw new TestError('teapot', 'short and stout');
  });
  app.get('/bug', async () => {
    throw new Error('connection string postgres://secret@db');
  });
  app.get('/forbidden', async () => {
    throw Object.assign(new Error('no entry'), { statusCode: 403 });
  });
  await app.ready();
  return app;
}

/** A raw body with the given content type, posted to /echo. */
const post = (server: FastifyInstance, contentType: string, payload: string) =>
  server.inject({ method: 'POST', url: '/echo', headers: { 'content-type': contentType }, payload });

describe('serviceErrorHandler()', () => {
  it('answers a catalogue error with its own status and body', async () => {
    const res = await (await build()).inject({ method: 'GET', url: '/teapot' });
    expect(res.statusCode).toBe(418);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: 'short and stout' } });
  });

  it('answers a body over the limit with 413 too_large naming the limit', async () => {
    const res = await (await build()).inject({
      method: 'POST',
      url: '/echo',
      payload: { x: 'y'.repeat(100) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: { code: 'too_large', message: 'request body too large (max 64 bytes)' },
    });
  });

  it('reads a body over the limit to its end after the 413, so the client reads the answer and the connection lives on', async () => {
    const server = await build();
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const body = JSON.stringify({ x: 'y'.repeat(70_000) }); // as the fuzzers send it, >1,000× the limit
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      received += d;
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 1000));
    // the server has answered from the declared length by now; the rest of the body comes after
    await new Promise((r) => setTimeout(r, 200));
    socket.write(body.slice(1000));
    await new Promise((r) => setTimeout(r, 200));
    // the same connection takes the next request: nothing was cut off
    socket.write('GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain('"too_large"');
    expect(received).toMatch(/HTTP\/1\.1 418 /);
  });

  it("passes Fastify's 415 through as bad_request when the service maps no 415", async () => {
    const res = await post(await build(), 'text/x-nothing', 'hi');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('bad_request');
  });

  it("answers an unsupported content type with the service's 415 when it maps one", async () => {
    const server = await build({
      unsupportedMediaType: (ct) => new TestError('unsupported_media_type', `unsupported content type ${ct}`),
    });
    const res = await post(server, 'text/x-nothing', 'hi');
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: { code: 'bad_request', message: 'unsupported content type text/x-nothing' },
    });
  });

  it('passes other 4xx through as bad_request with their message', async () => {
    const res = await (await build()).inject({ method: 'GET', url: '/forbidden' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: 'no entry' } });
    const bad = await post(app, 'application/json', '{"x":');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad_request');
  });

  it('answers anything else with a 500 that does not carry its message', async () => {
    const res = await (await build()).inject({ method: 'GET', url: '/bug' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'internal', message: 'internal error; it has been logged' },
    });
    expect(res.body).not.toMatch(/secret/);
  });
});
