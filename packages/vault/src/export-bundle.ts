/**
 * Export bundle for a recipient (e.g. the public prosecutor): a tar holding the decrypted video as
 * recorded (the bytes the signed manifest hashes), a playable copy remuxed with a duration and an
 * index (issue 13), the signed manifest, its signature, the service's public key, a signed note of
 * who exported it to whom and why, the recording's chain of custody (every audit entry about it
 * with the hash chain to a signed checkpoint), and a README and `verify.sh` saying how to check all
 * of it with openssl, sha256sum and ffprobe. `verifyExportBundle` performs the same checks in code
 * (`npm run verify -- export <file>`).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { RecordingManifest } from '@lagebild/protocol';
import { z } from 'zod';
import { pipeDirectly, pipeRecording } from './pipe-recording.ts';
import type { OpenedRecording } from './reader.ts';
import { canonicalJson, type Signer, sha256, signJson, verifierFromPem } from './signing.ts';
import { listTar, tarEnd, tarHeader, tarPadding } from './tar.ts';

export const ExportInfo = z.object({
  /** 2: with a playable copy and the chain of custody */
  format: z.enum(['lagebild-export/1', 'lagebild-export/2']),
  recordingId: z.string().uuid(),
  tenantId: z.string().uuid(),
  exportedAt: z.number().int(),
  exportedBy: z.string(),
  recipient: z.string(),
  reason: z.string(),
  videoSha256: z.string(),
  signingKey: z.string(),
  /** the remuxed copy with a duration: same packets as the signed original, new container */
  playable: z
    .object({ name: z.string(), sha256: z.string(), bytes: z.number().int(), command: z.string() })
    .optional(),
  /** the audit entries shipped in custody/: from the first about the recording to a checkpoint */
  custody: z
    .object({ firstSeq: z.number().int(), checkpointSeq: z.number().int(), checkpointHash: z.string() })
    .optional(),
});
export type ExportInfo = z.infer<typeof ExportInfo>;

const extOf = (mediaType: string) =>
  mediaType.includes('mp4') ? 'mp4' : mediaType.includes('matroska') ? 'mkv' : 'webm';

/** An audit entry as the chain hashes it: `hashInput` is the exact bytes, sha256 of them its hash. */
export interface CustodyEntry {
  seq: number;
  hashInput: string;
  /** canonical JSON of the payload, for entries about the recording whose payload is not pruned */
  payload: string | null;
}

/** Every audit entry from the first about the recording up to a signed checkpoint, in seq order. */
export interface CustodyChain {
  entries: CustodyEntry[];
  /**
   * canonical JSON of the checkpoint statement, its raw Ed25519 signature and (issue 13) its RFC 3161
   * time-stamp reply (DER) with the certificate of the TSA's CA, when the TSA answered
   */
  checkpoint: { statement: string; signature: Buffer; timestamp?: { reply: Buffer; tsaCaPem: string } };
}

const pad = (seq: number) => String(seq).padStart(12, '0');
const entryFile = (seq: number) => `custody/${pad(seq)}.json`;
const payloadFile = (seq: number) => `custody/${pad(seq)}.payload.json`;

/** the per-stream packet hashes of a video; equal for the original and its `-c copy` remux */
const packetsCommand = (file: string) =>
  `ffprobe -v error -show_packets -show_data_hash sha256 -show_entries packet=stream_index,data_hash -of csv=p=0 ${file} | sort -s -t, -k1,1 | sha256sum`;

/** The same checks as the README, as a script that uses only sh, grep, sha256sum, openssl, ffprobe. */
export function bundleScript(o: {
  original: string;
  playable: string | null;
  custody: boolean;
  timestamped?: boolean;
}): string {
  const lines = [
    '#!/bin/sh',
    '# Checks this bundle with standard tools; every line prints OK or FAIL. Run it in the unpacked folder.',
    'ok() { if [ "$1" = 0 ]; then echo "OK   $2"; else echo "FAIL $2"; fi; }',
    'field() { grep -o "\\"$1\\":[^,}]*" "$2" | head -1 | cut -d: -f2- | tr -d \'"\'; }',
    'openssl pkeyutl -verify -pubin -inkey manifest-public.pem -rawin -in manifest.json -sigfile manifest.sig >/dev/null; ok $? "manifest signature"',
    'openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in export.json -sigfile export.sig >/dev/null; ok $? "export note signature"',
    '[ "$(openssl pkey -pubin -in manifest-public.pem -outform DER | sha256sum | cut -d" " -f1)" = "$(field signingKey manifest.json)" ]; ok $? "manifest key = manifest signingKey"',
    `[ "$(sha256sum < ${o.original} | cut -d" " -f1)" = "$(field plaintextSha256 manifest.json)" ]; ok $? "original video = manifest plaintextSha256"`,
  ];
  if (o.playable)
    lines.push(
      `[ "$(sha256sum < ${o.playable} | cut -d" " -f1)" = "$(grep -o '"playable":{[^}]*' export.json | grep -o '"sha256":"[0-9a-f]*' | cut -d'"' -f4)" ]; ok $? "playable copy = export note playable.sha256"`,
      `[ "$(${packetsCommand(o.original)})" = "$(${packetsCommand(o.playable)})" ]; ok $? "playable copy holds the original's packets, bit for bit"`,
      `d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 ${o.playable}); case "$d" in [0-9]*) true;; *) false;; esac; ok $? "playable copy has a duration: $d s"`,
    );
  if (o.custody)
    lines.push(
      'openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in custody/checkpoint.json -sigfile custody/checkpoint.sig >/dev/null; ok $? "audit checkpoint signature"',
      'prev=; broken=0',
      'for f in $(ls custody/ | grep -E "^[0-9]{12}\\.json$" | sort); do',
      '  [ -z "$prev" ] || [ "$(field prev custody/$f)" = "$prev" ] || { broken=1; echo "     chain broken before $f"; }',
      '  prev=$(sha256sum < custody/$f | cut -d" " -f1)',
      'done',
      'ok $broken "every audit entry links to the one before"',
      '[ "$prev" = "$(field hash custody/checkpoint.json)" ]; ok $? "the last entry is the signed checkpoint\'s hash"',
      'bad=0',
      'for p in $(ls custody/ | grep "\\.payload\\.json$"); do',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      '  [ "$(sha256sum < custody/$p | cut -d" " -f1)" = "$(field payload custody/${p%.payload.json}.json)" ] || { bad=1; echo "     payload differs: $p"; }',
      'done',
      'ok $bad "payloads hash to their entries"',
    );
  if (o.custody && o.timestamped)
    lines.push(
      'openssl ts -verify -data custody/checkpoint.json -in custody/checkpoint.tsr -CAfile custody/tsa-ca.pem >/dev/null 2>&1; ok $? "RFC 3161 time stamp of the checkpoint (TSA CA custody/tsa-ca.pem)"',
      'echo "     stamped $(openssl ts -reply -in custody/checkpoint.tsr -text 2>/dev/null | grep "^Time stamp:" | cut -d: -f2-); TSA CA $(openssl x509 -in custody/tsa-ca.pem -noout -fingerprint -sha256)"',
    );
  return `${lines.join('\n')}\n`;
}

export function bundleReadme(
  videoName: string,
  playableName: string | null = null,
  custody = false,
  timestamped = false,
): string {
  return `Lagebild export bundle
======================

${videoName}          the recording as recorded, decrypted: the bytes manifest.json hashes
${
  playableName
    ? `${playableName}   the same packets in a container with a duration and an index (a live
                      recording is written to a pipe, which cannot hold either); made with
                      the command in export.json "playable.command", no transcoding
`
    : ''
}manifest.json         the recording's manifest as signed when the recording stopped
manifest.sig          raw Ed25519 signature over manifest.json (64 bytes)
manifest-public.pem   the public key that signed the manifest: the recorder's (SFU) for a live
                      recording, the service's for an imported one (sha256 of the DER key =
                      "signingKey" in manifest.json); compare it with the one the authority published
export.json/.sig      who exported it, when, to whom and why (signed the same way, by the service)
service-public.pem    the service's (gateway's) public key: export note and audit checkpoints;
                      compare its fingerprint with the one the authority published
${
  custody
    ? `custody/              the chain of custody: custody/<seq>.json are audit entries exactly as their
                      hash is taken (sha256sum of the file = the entry's hash; "prev" = the hash
                      of the entry before), from the first entry about this recording up to
                      custody/checkpoint.json, a checkpoint of the audit log signed by the
                      service (custody/checkpoint.sig). Every entry in that span is included, so
                      none about this recording can be left out: those whose "target" is
                      "recording:<id>" (recorded, sealed, played, exported, kept, released,
                      four-eyes) or, with action "live_watch", this device during the recording.
                      Other entries of the span are there only to link the chain; their
                      payloads are left out (the entry holds the payload's hash). The payloads of
                      the entries about this recording are custody/<seq>.payload.json.
${
  timestamped
    ? `custody/checkpoint.tsr  an RFC 3161 time stamp of custody/checkpoint.json from an independent
                      time-stamping authority: the checkpoint, and every entry chained to it,
                      existed in this form at the stamped time. custody/tsa-ca.pem is the
                      certificate of the authority's CA; compare its fingerprint with the one
                      the authority publishes (for a qualified TSA: the EU trusted list).
`
    : ''
}`
    : ''
}
Verify with standard tools (sh verify.sh runs all of these):

  openssl pkeyutl -verify -pubin -inkey manifest-public.pem -rawin -in manifest.json -sigfile manifest.sig
  openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in export.json -sigfile export.sig
  openssl pkey -pubin -in manifest-public.pem -outform DER | sha256sum     # = manifest "signingKey"
  sha256sum ${videoName}                                                 # = manifest "plaintextSha256"
${
  playableName
    ? `  sha256sum ${playableName}                                      # = export.json "playable.sha256"
  ffprobe -v error -show_entries format=duration:stream=codec_name ${playableName}
  ${packetsCommand(videoName)}
  ${packetsCommand(playableName)}   # the same line
`
    : `  ffprobe -v error -show_entries format=duration:stream=codec_name ${videoName}
`
}${
  custody
    ? `  openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in custody/checkpoint.json -sigfile custody/checkpoint.sig
  sha256sum custody/<seq>.json          # = "prev" in custody/<seq+1>.json; the last = checkpoint "hash"
  sha256sum custody/<seq>.payload.json  # = "payload" in custody/<seq>.json
${
  timestamped
    ? `  openssl ts -verify -data custody/checkpoint.json -in custody/checkpoint.tsr -CAfile custody/tsa-ca.pem
  openssl ts -reply -in custody/checkpoint.tsr -text       # "Time stamp:" the time it was stamped
  openssl x509 -in custody/tsa-ca.pem -noout -fingerprint -sha256
`
    : ''
}`
    : ''
}
Or with the Lagebild tooling: npm run verify -- export <this file>.tar
`;
}

export interface ExportBundleInput {
  recording: OpenedRecording;
  manifestJson: string;
  signature: Buffer;
  /** the public key (PEM) that signed the manifest: the recorder's, or the service's for an import */
  manifestPublicKeyPem: string;
  signer: Signer;
  exportedBy: string;
  recipient: string;
  reason: string;
  now: number;
  /** the remuxed copy with a duration (`remuxForExport`); read from its temp file while streaming */
  playable?: { path: string; size: number; sha256: string; command: string };
  custody?: CustodyChain;
}

/** The bundle as a stream (plaintext only passes through memory) and its exact size for Content-Length. */
export function createExportBundle(input: ExportBundleInput): {
  stream: Readable;
  size: number;
  fileName: string;
} {
  const m = RecordingManifest.parse(JSON.parse(input.manifestJson));
  const ext = extOf(m.mediaType);
  const video = `recording-${m.recordingId}.${ext}`;
  const playableName = input.playable ? `recording-${m.recordingId}.playable.${ext}` : null;
  const custody = input.custody;
  const info: ExportInfo = {
    format: input.playable || custody ? 'lagebild-export/2' : 'lagebild-export/1',
    recordingId: m.recordingId,
    tenantId: m.tenantId,
    exportedAt: input.now,
    exportedBy: input.exportedBy,
    recipient: input.recipient,
    reason: input.reason,
    videoSha256: m.plaintextSha256,
    signingKey: input.signer.fingerprint,
    ...(input.playable && playableName
      ? {
          playable: {
            name: playableName,
            sha256: input.playable.sha256,
            bytes: input.playable.size,
            command: input.playable.command,
          },
        }
      : {}),
    ...(custody && custody.entries.length > 0
      ? {
          custody: {
            firstSeq: custody.entries[0]!.seq,
            checkpointSeq: custody.entries.at(-1)!.seq,
            checkpointHash: sha256(custody.entries.at(-1)!.hashInput),
          },
        }
      : {}),
  };
  const signedInfo = signJson(input.signer, info);
  const small: [string, Buffer][] = [
    ['manifest.json', Buffer.from(input.manifestJson)],
    ['manifest.sig', input.signature],
    ['export.json', Buffer.from(signedInfo.json)],
    ['export.sig', signedInfo.signature],
    ['manifest-public.pem', Buffer.from(input.manifestPublicKeyPem)],
    ['service-public.pem', Buffer.from(input.signer.publicKeyPem)],
    [
      'README.txt',
      Buffer.from(bundleReadme(video, playableName, !!custody, !!custody?.checkpoint.timestamp)),
    ],
    [
      'verify.sh',
      Buffer.from(
        bundleScript({
          original: video,
          playable: playableName,
          custody: !!custody,
          timestamped: !!custody?.checkpoint.timestamp,
        }),
      ),
    ],
  ];
  if (custody) {
    for (const e of custody.entries) {
      small.push([entryFile(e.seq), Buffer.from(e.hashInput)]);
      if (e.payload !== null) small.push([payloadFile(e.seq), Buffer.from(e.payload)]);
    }
    small.push(['custody/checkpoint.json', Buffer.from(custody.checkpoint.statement)]);
    small.push(['custody/checkpoint.sig', custody.checkpoint.signature]);
    const stamp = custody.checkpoint.timestamp;
    if (stamp) {
      small.push(['custody/checkpoint.tsr', stamp.reply]);
      small.push(['custody/tsa-ca.pem', Buffer.from(stamp.tsaCaPem)]);
    }
  }
  const big = (bytes: number) => 512 + bytes + tarPadding(bytes).length;
  const videoBytes = input.recording.size;
  let size = big(videoBytes) + 1024;
  if (input.playable) size += big(input.playable.size);
  for (const [, b] of small) size += big(b.length);
  const playable = input.playable;
  const recording = input.recording;
  const stream = Readable.from(
    (async function* () {
      for (const [name, b] of small) {
        yield tarHeader(name, b.length, input.now);
        yield b;
        yield tarPadding(b.length);
      }
      if (playable && playableName) {
        yield tarHeader(playableName, playable.size, input.now);
        yield* createReadStream(playable.path);
        yield tarPadding(playable.size);
      }
      yield tarHeader(video, videoBytes, input.now);
      yield* input.recording.readAll();
      yield tarPadding(videoBytes);
      yield tarEnd();
    })(),
    { objectMode: false },
  );
  // piped into the HTTP response: the same parts written directly, the video through the reader's
  // two reused buffers (`pipeRecording`, issue 17) instead of a new buffer per megabyte
  pipeDirectly(
    stream,
    () =>
      stream.readableDidRead ||
      stream.readableFlowing !== null ||
      stream.readableLength > 0 ||
      stream.readableEnded,
    async (dest) => {
      const put = (b: Buffer) =>
        stream.destroyed || b.length === 0
          ? Promise.resolve(!stream.destroyed)
          : new Promise<boolean>((resolve) => dest.write(b, (err) => resolve(!err)));
      for (const [name, b] of small) {
        if (!(await put(tarHeader(name, b.length, input.now)))) return 'closed';
        if (!(await put(b)) || !(await put(tarPadding(b.length)))) return 'closed';
      }
      if (playable && playableName) {
        if (!(await put(tarHeader(playableName, playable.size, input.now)))) return 'closed';
        for await (const b of createReadStream(playable.path)) if (!(await put(b as Buffer))) return 'closed';
        if (!(await put(tarPadding(playable.size)))) return 'closed';
      }
      if (!(await put(tarHeader(video, videoBytes, input.now)))) return 'closed';
      if (videoBytes > 0) {
        const how = await pipeRecording(
          recording.cursor(0, videoBytes - 1),
          dest,
          videoBytes,
          () => stream.destroyed,
        );
        if (how === 'closed') return how;
      }
      if (!(await put(tarPadding(videoBytes))) || !(await put(tarEnd()))) return 'closed';
      return 'done';
    },
  );
  return { stream, size, fileName: `lagebild-${m.recordingId}.tar` };
}

export interface ExportCheck {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  manifest: RecordingManifest | null;
  videoName: string | null;
}

/**
 * Checks a bundle; `trustedPublicKeyPem` pins the service key (export note, checkpoint) and
 * `trustedManifestKeyPem` the manifest's (the recorder's) instead of trusting the ones inside.
 */
export async function verifyExportBundle(
  path: string,
  opts: {
    trustedPublicKeyPem?: string;
    /** the key(s) the manifest may be signed with; default the pinned service key, else the bundle's */
    trustedManifestKeyPem?: string;
    /** compare the videos' packets with ffprobe (default on) */
    probe?: boolean;
  } = {},
): Promise<ExportCheck> {
  const checks: ExportCheck['checks'] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const entries = await listTar(path);
  const fh = await open(path, 'r');
  const readEntry = async (name: string): Promise<Buffer | null> => {
    const e = entries.find((x) => x.name === name);
    if (!e) return null;
    const b = Buffer.alloc(e.size);
    await fh.read(b, 0, e.size, e.offset);
    return b;
  };
  try {
    const manifestJson = await readEntry('manifest.json');
    const sig = await readEntry('manifest.sig');
    const pem = opts.trustedPublicKeyPem ?? (await readEntry('service-public.pem'))?.toString('utf8');
    // the key that signed the manifest (the recorder's); bundles from before it had one: the service's
    const manifestPem =
      opts.trustedManifestKeyPem ??
      opts.trustedPublicKeyPem ??
      (await readEntry('manifest-public.pem'))?.toString('utf8') ??
      pem;
    if (!manifestJson || !sig || !pem || !manifestPem) {
      add('bundle', false, 'manifest.json, manifest.sig or service-public.pem is missing');
      return { ok: false, checks, manifest: null, videoName: null };
    }
    const verifier = verifierFromPem(pem);
    const manifestVerifier = verifierFromPem(manifestPem);
    const parsed = RecordingManifest.safeParse(JSON.parse(manifestJson.toString('utf8')));
    const manifest = parsed.success ? parsed.data : null;
    add(
      'manifest schema',
      parsed.success,
      parsed.success ? 'valid' : 'manifest.json does not match the format',
    );
    add(
      'manifest signature',
      manifestVerifier.verify(manifestJson, sig),
      `Ed25519, key ${manifestVerifier.fingerprint.slice(0, 16)}…`,
    );
    add(
      'signing key',
      !!manifest && manifestVerifier.publicKeyPemOf(manifest.signingKey) !== null,
      opts.trustedManifestKeyPem || opts.trustedPublicKeyPem
        ? 'pinned by the caller'
        : 'key inside the bundle (compare the fingerprint out of band)',
    );
    if (manifest) {
      add(
        'canonical form',
        canonicalJson(manifest) === manifestJson.toString('utf8'),
        'manifest bytes are canonical JSON',
      );
    }
    const exportJson = await readEntry('export.json');
    const exportSig = await readEntry('export.sig');
    let note: ExportInfo | null = null;
    if (exportJson && exportSig) {
      const info = ExportInfo.safeParse(JSON.parse(exportJson.toString('utf8')));
      if (info.success && verifier.verify(exportJson, exportSig)) note = info.data;
      add(
        'export note',
        info.success &&
          verifier.verify(exportJson, exportSig) &&
          info.data.recordingId === manifest?.recordingId,
        info.success ? `to ${info.data.recipient}: ${info.data.reason}` : 'export.json is malformed',
      );
    }
    const hashEntry = async (e: { offset: number; size: number }) => {
      const h = createHash('sha256');
      const buf = Buffer.alloc(1024 * 1024);
      for (let off = 0; off < e.size; ) {
        const n = Math.min(buf.length, e.size - off);
        await fh.read(buf, 0, n, e.offset + off);
        h.update(buf.subarray(0, n));
        off += n;
      }
      return h.digest('hex');
    };
    const video = entries.find(
      (e) => /^recording-.*\.(webm|mkv|mp4)$/.test(e.name) && !e.name.includes('.playable.'),
    );
    if (!video || !manifest) {
      add('video', false, 'no video in the bundle');
    } else {
      const digest = await hashEntry(video);
      add(
        'video hash',
        digest === manifest.plaintextSha256 && video.size === manifest.plaintextBytes,
        `sha256 ${digest.slice(0, 16)}…, ${video.size} bytes`,
      );
    }
    if (note?.playable) {
      const p = note.playable;
      const e = entries.find((x) => x.name === p.name);
      const digest = e ? await hashEntry(e) : null;
      add(
        'playable copy',
        !!e && digest === p.sha256 && e.size === p.bytes,
        e
          ? `sha256 ${digest!.slice(0, 16)}…, ${e.size} bytes, as signed in export.json`
          : `${p.name} missing`,
      );
      if (e && video && opts.probe !== false) {
        const [orig, copy] = await Promise.all([probePackets(path, video), probePackets(path, e)]);
        add(
          'playable packets',
          orig.packets !== '' && orig.packets === copy.packets,
          `${orig.count} packets; the copy holds the original's, bit for bit`,
        );
        add(
          'playable duration',
          Number.isFinite(copy.durationS) && copy.durationS > 0,
          `ffprobe format=duration ${copy.durationS} s`,
        );
      }
    }
    if (note?.custody || entries.some((e) => e.name.startsWith('custody/'))) {
      for (const c of await checkCustody(entries, readEntry, verifier, manifest?.recordingId ?? '', note))
        add(c.name, c.ok, c.detail);
    }
    return { ok: checks.every((c) => c.ok), checks, manifest, videoName: video?.name ?? null };
  } finally {
    await fh.close();
  }
}

/** ffprobe on a tar member (read through a pipe: nothing is unpacked) */
async function probePackets(
  tarPath: string,
  e: { offset: number; size: number },
): Promise<{ packets: string; count: number; durationS: number }> {
  const probe = async (args: string[]) => {
    const child = execFile('ffprobe', [...args, '-i', 'pipe:0'], { maxBuffer: 256 * 1024 * 1024 });
    const out = new Promise<string>((resolve, reject) => {
      let s = '';
      child.stdout!.on('data', (d) => {
        s += d;
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`ffprobe exited ${code}`))));
    });
    createReadStream(tarPath, { start: e.offset, end: e.offset + e.size - 1 })
      .pipe(child.stdin!)
      .on('error', () => {});
    return out;
  };
  try {
    const lines = (
      await probe([
        ...['-v', 'error', '-show_packets', '-show_data_hash', 'sha256'],
        ...['-show_entries', 'packet=stream_index,data_hash', '-of', 'csv=p=0'],
      ])
    )
      .split('\n')
      .filter(Boolean);
    // per stream, in order (a remux may interleave the streams differently)
    const byStream = [...lines].sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]));
    const d = await probe(['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0']);
    return { packets: sha256(byStream.join('\n')), count: lines.length, durationS: Number(d.trim()) };
  } catch {
    return { packets: '', count: 0, durationS: Number.NaN };
  }
}

/** The chain of custody in custody/: entries link, reach the signed checkpoint, payloads match. */
async function checkCustody(
  entries: { name: string; size: number; offset: number }[],
  read: (name: string) => Promise<Buffer | null>,
  verifier: { verify(data: Buffer, sig: Buffer): boolean; fingerprint: string },
  recordingId: string,
  note: ExportInfo | null,
): Promise<{ name: string; ok: boolean; detail: string }[]> {
  const out: { name: string; ok: boolean; detail: string }[] = [];
  const files = entries
    .map((e) => /^custody\/(\d{12})\.json$/.exec(e.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[0], seq: Number(m[1]) }))
    .sort((a, b) => a.seq - b.seq);
  const statement = await read('custody/checkpoint.json');
  const sig = await read('custody/checkpoint.sig');
  if (files.length === 0 || !statement || !sig) {
    return [{ name: 'custody', ok: false, detail: 'custody entries or the checkpoint are missing' }];
  }
  const cp = JSON.parse(statement.toString('utf8')) as { format?: string; seq?: number; hash?: string };
  out.push({
    name: 'custody checkpoint',
    ok: cp.format === 'lagebild-audit-checkpoint/1' && verifier.verify(statement, sig),
    detail: `seq ${cp.seq}, signed by the service key`,
  });
  let prev: string | null = null;
  let linked = true;
  let contiguous = true;
  let payloadsOk = true;
  const about: string[] = [];
  let exportEntry = false;
  for (const [i, f] of files.entries()) {
    const bytes = (await read(f.name))!;
    const e = JSON.parse(bytes.toString('utf8')) as {
      seq: number;
      prev: string;
      payload: string;
      action: string;
      target: string | null;
      recipient: string | null;
    };
    if (e.seq !== f.seq || (i > 0 && f.seq !== files[i - 1]!.seq + 1)) contiguous = false;
    if (prev !== null && e.prev !== prev) linked = false;
    prev = sha256(bytes);
    const payload = await read(`custody/${f.name.slice(8, 20)}.payload.json`);
    if (payload && sha256(payload) !== e.payload) payloadsOk = false;
    if (e.target === `recording:${recordingId}`) {
      about.push(e.action);
      if (e.action === 'export' && e.recipient === note?.recipient) exportEntry = true;
    } else if (e.action === 'live_watch' && payload) about.push(e.action);
  }
  out.push({
    name: 'custody chain',
    ok: linked && contiguous && prev === cp.hash && files.at(-1)!.seq === cp.seq,
    detail: `${files.length} entries, seq ${files[0]!.seq}–${files.at(-1)!.seq}, each linked to the one before, the last = the checkpoint`,
  });
  out.push({ name: 'custody payloads', ok: payloadsOk, detail: 'payloads hash to their entries' });
  out.push({
    name: 'custody of this recording',
    ok: about.length > 0 && (!note || exportEntry),
    detail: `${about.join(', ') || 'no entry about this recording'}${note ? (exportEntry ? '; this export is among them' : '; this export is NOT among them') : ''}`,
  });
  if (note?.custody)
    out.push({
      name: 'custody as signed',
      ok:
        note.custody.firstSeq === files[0]!.seq &&
        note.custody.checkpointSeq === cp.seq &&
        note.custody.checkpointHash === cp.hash,
      detail: 'the span and checkpoint named in export.json',
    });
  return out;
}
