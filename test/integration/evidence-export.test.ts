/**
 * Issue 13, exports a court can check: a recording made by the SFU from a camera publishing over
 * WHIP (libwebrtc), watched, played, kept as evidence and exported through the gateway. The bundle
 * is checked the way a recipient would: `sh verify.sh` (openssl, sha256sum, ffprobe only),
 * `npm run verify -- export`, and ffprobe's format=duration on the exported video against the
 * signed manifest. Real PostgreSQL, Redis, gateway, SFU, mediasoup, ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { liveWatchTarget } from '@lagebild/audit';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { publishCamera, sfuStats, until } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack } from '../src/stack.ts';

const run = promisify(execFile);
let rs: RecordingStack;
let stack: Stack;
let cookie: string;

const paths = () => rs.paths;

const api = (path: string, body?: unknown) =>
  fetch(`${stack.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

const ffprobeDuration = async (file: string) =>
  (
    await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])
  ).stdout.trim();

beforeAll(async () => {
  rs = await startRecordingStack('evidence', { devicesPerTenant: 1, gatewayTmp: true });
  stack = rs.stack;
  cookie = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD);
}, 120_000);

afterAll(async () => {
  await rs?.stop();
});

describe('an exported live recording (issue 13)', () => {
  it('has a duration, holds the recorded packets, and carries its chain of custody; verify.sh and npm run verify accept it', async () => {
    const tenant = stack.tenants.find((t) => t.slug === 'duisburg')!;
    const device = tenant.devices[0]!;
    const pub = await publishCamera(stack, tenant.id, device);
    await pub.connected(10_000);
    await until(
      async () =>
        (await sfuStats(stack)).recordings.some(
          (r) => r.deviceId === device.deviceId && r.plaintextBytes > 0,
        ),
      15_000,
      'recording',
    );
    const recordingId = (await sfuStats(stack)).recordings.find(
      (r) => r.deviceId === device.deviceId,
    )!.recordingId;
    // watched live while it records: part of its custody
    const watch = await api('/api/video/viewer-token', {
      deviceId: device.deviceId,
      reason: { kind: 'officer_safety' },
    });
    expect(watch.status).toBe(200);
    await new Promise((r) => setTimeout(r, 5000));
    await pub.close();
    await until(
      async () =>
        (await stack.db.pool.query('SELECT state FROM recordings WHERE id = $1', [recordingId])).rows[0]
          ?.state === 'complete',
      25_000,
      'sealed',
    );

    // a custody history: played with a reason, kept as evidence, then exported
    expect(
      (await api(`/api/recordings/${recordingId}/playback`, { reason: 'Sichtung für Anzeige' })).status,
    ).toBe(200);
    expect(
      (
        await api(`/api/recordings/${recordingId}/evidence`, {
          reason: 'Beweismittel Körperverletzung',
          caseReference: 'KV-2026-0815',
          legalHold: false,
        })
      ).status,
    ).toBe(200);
    const res = await api(`/api/recordings/${recordingId}/export`, {
      reason: 'Strafanzeige',
      recipient: 'StA Duisburg 123 Js 456/26',
    });
    expect(res.status).toBe(200);
    const tar = join(rs.dir, 'bundle.tar');
    await writeFile(tar, Buffer.from(await res.arrayBuffer()));
    const x = join(rs.dir, 'unpacked');
    await mkdir(x);
    await run('tar', ['-xf', tar, '-C', x]);

    // the checks a recipient runs with standard tools only
    const script = await run('sh', ['verify.sh'], { cwd: x });
    console.log(`[evidence] verify.sh\n${script.stdout}`);
    expect(script.stdout).not.toContain('FAIL');
    expect(script.stdout.match(/^OK /gm)?.length).toBe(12);
    // the custody checkpoint carries its RFC 3161 time stamp (issue 13)
    expect(script.stdout).toContain('OK   RFC 3161 time stamp of the checkpoint');

    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    const exportNote = JSON.parse(await readFile(join(x, 'export.json'), 'utf8'));
    const original = `recording-${recordingId}.webm`;
    const playable = exportNote.playable.name as string;
    // the live WebM has no duration (written to a pipe); the exported copy has one, and it is the
    // manifest's span within 0.5 s
    expect(await ffprobeDuration(join(x, original))).toBe('N/A');
    const durationS = Number(await ffprobeDuration(join(x, playable)));
    const manifestS = (manifest.stoppedAt - manifest.startedAt) / 1000;
    console.log(
      `[evidence] ffprobe format=duration ${durationS} s, manifest ${manifestS} s, prerecordS ${manifest.prerecordS}`,
    );
    expect(durationS).toBeGreaterThan(4);
    expect(Math.abs(durationS - manifestS)).toBeLessThan(0.5);
    expect(manifest.prerecordS).toBe(0);

    // the custody entries: the recording's whole history, and the chain reaches the checkpoint
    const files = (await readdir(join(x, 'custody'))).filter((f) => /^\d{12}\.json$/.test(f)).sort();
    const entries = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(x, 'custody', f), 'utf8'))),
    );
    const actions = entries.filter((e) => e.target === `recording:${recordingId}`).map((e) => e.action);
    expect(actions).toEqual([
      'recording_started',
      'recording_sealed',
      'playback',
      'evidence_marked',
      // kept: its data key moved from its deletion day's key to the evidence key (key custody)
      'recording_rewrapped',
      'export',
    ]);
    const watched = entries.filter(
      (e) => e.action === 'live_watch' && e.target === liveWatchTarget(device.deviceId),
    );
    expect(watched.length).toBeGreaterThanOrEqual(1);
    // its payload ships beside it (the entries in between that are about other things do not)
    const watchPayload = JSON.parse(
      await readFile(join(x, 'custody', `${String(watched[0].seq).padStart(12, '0')}.payload.json`), 'utf8'),
    );
    expect(watchPayload).toMatchObject({ phase: 'authorised' });
    const checkpoint = JSON.parse(await readFile(join(x, 'custody', 'checkpoint.json'), 'utf8'));
    expect(checkpoint.seq).toBe(entries.at(-1).seq);
    // the README's time-stamp command, by hand: the token covers exactly the checkpoint's bytes
    const ts = await run(
      'openssl',
      [
        'ts',
        '-verify',
        '-data',
        'custody/checkpoint.json',
        '-in',
        'custody/checkpoint.tsr',
        '-CAfile',
        'custody/tsa-ca.pem',
      ],
      { cwd: x },
    );
    expect(ts.stdout).toContain('Verification: OK');
    // and the same checkpoint was anchored in the export target
    const anchored = (await readFile(join(rs.stack.anchorDir, 'audit-anchors.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).checkpoint.seq);
    expect(anchored).toContain(checkpoint.seq);

    const out = await run(process.execPath, [
      join(REPO_ROOT, 'packages/audit/src/cli.ts'),
      ...['export', tar, '--pubkey', paths().pub, '--manifest-pubkey', paths().recorderPub],
    ]);
    console.log(`[evidence] npm run verify -- export\n${out.stdout}`);
    expect(out.stdout).toContain('export verified');
    expect(out.stdout).toContain('ok   custody chain');
    expect(out.stdout).toContain('ok   playable packets');

    // a changed entry in the custody chain is caught by both
    const first = join(x, 'custody', files[0]!);
    await writeFile(first, (await readFile(first, 'utf8')).replace('recording_started', 'recording_startet'));
    expect((await run('sh', ['verify.sh'], { cwd: x })).stdout).toContain('FAIL every audit entry links');
    // no plaintext copy is left behind by the export's remux
    expect(await readdir(paths().gatewayTmp)).toEqual([]);
  }, 120_000);
});
