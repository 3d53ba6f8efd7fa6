import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, loadCredentials, parseCliArgs } from './cli-args.ts';

const DEV = '00000000-0000-4000-8000-00000000000a';

describe('CLI arguments', () => {
  it('parses all flags with defaults', () => {
    expect(parseCliArgs(['--url', 'http://127.0.0.1:3000', '--credentials', 'c.json'])).toEqual({
      url: 'http://127.0.0.1:3000',
      credentials: 'c.json',
      rate: 1,
      timeScale: 1,
      behaviour: 'realistic',
      transport: 'socket.io',
      video: false,
    });
    expect(
      parseCliArgs([
        '--url=http://gw:3000',
        '--credentials=c.json',
        '--rate=2',
        '--seed=7',
        '--time-scale=4',
        '--behaviour=steady',
        '--transport=websocket',
        '--video=on',
      ]),
    ).toMatchObject({
      rate: 2,
      seed: 7,
      timeScale: 4,
      behaviour: 'steady',
      transport: 'websocket',
      video: true,
    });
    expect(parseCliArgs(['--help'])).toBe('help');
  });

  it('explains what is wrong', () => {
    expect(() => parseCliArgs(['--credentials', 'c.json'])).toThrow(/--url must be an http\(s\) URL/);
    expect(() => parseCliArgs(['--url', 'http://x'])).toThrow(/--credentials <file.json> is required/);
    expect(() => parseCliArgs(['--url', 'http://x', '--credentials', 'c', '--rate', 'fast'])).toThrow(
      /--rate/,
    );
    expect(() => parseCliArgs(['--url', 'http://x', '--credentials', 'c', '--transport', 'mqtt'])).toThrow(
      /socket.io or websocket/,
    );
    expect(() => parseCliArgs(['--url', 'http://x', '--credentials', 'c', '--behaviour', 'wild'])).toThrow(
      /realistic or steady/,
    );
    expect(() => parseCliArgs(['--url', 'http://x', '--credentials', 'c', '--video', 'yes'])).toThrow(
      /--video must be on or off/,
    );
    expect(() => parseCliArgs(['--nope'])).toThrow(CliError);
  });

  it('loads and validates the credentials file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const good = join(dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify([{ deviceId: DEV, secret: 'x'.repeat(20), city: 'dortmund', label: 'DO-1' }]),
    );
    expect(await loadCredentials(good)).toEqual([
      { deviceId: DEV, secret: 'x'.repeat(20), city: 'dortmund', label: 'DO-1' },
    ]);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify([{ deviceId: DEV, secret: 'short', city: 'berlin' }]));
    await expect(loadCredentials(bad)).rejects.toThrow(/0\.secret[\s\S]*0\.city/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '[{');
    await expect(loadCredentials(broken)).rejects.toThrow(/not valid JSON/);
    await expect(loadCredentials(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
  });
});
