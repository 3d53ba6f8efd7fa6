import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger()', () => {
  it('puts the bindings on every line, children add their own', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', { svc: 'sfu', sfuId: 'sfu-1' }, stream);
    log.child({ mod: 'whip' }).info({ deviceId: 'd' }, 'published');
    expect(lines[0]).toMatchObject({
      svc: 'sfu',
      sfuId: 'sfu-1',
      mod: 'whip',
      deviceId: 'd',
      msg: 'published',
    });
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    const log = createLogger('warn', {}, stream);
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });

  it('redacts tokens, cookies, passwords, secrets and Authorization headers, top level and one down', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', {}, stream);
    const credentials = { token: 't', secret: 's', password: 'p', cookie: 'c', authorization: 'Bearer a' };
    const redacted = Object.fromEntries(Object.keys(credentials).map((k) => [k, '[redacted]']));
    log.info(
      {
        ...credentials,
        headers: { authorization: 'Bearer b', cookie: 'sid=1', host: 'x' },
        opts: credentials,
      },
      'credentials',
    );
    expect(lines[0]).toMatchObject({
      ...redacted,
      headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'x' },
      opts: redacted,
    });
  });
});
