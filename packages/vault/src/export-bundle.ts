/**
 * Export bundle for a recipient (e.g. the public prosecutor): a tar holding the decrypted video, the
 * signed manifest, its signature, the service's public key, a signed note of who exported it to
 * whom and why, and a README saying how to check all of it with openssl, sha256sum and ffprobe.
 * `verifyExportBundle` performs the same checks in code (`npm run verify -- export <file>`).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { RecordingManifest } from '@lagebild/protocol';
import { z } from 'zod';
import type { OpenedRecording } from './reader.ts';
import { canonicalJson, type Signer, signJson, verifierFromPem } from './signing.ts';
import { listTar, tarEnd, tarHeader, tarPadding } from './tar.ts';

export const ExportInfo = z.object({
  format: z.literal('lagebild-export/1'),
  recordingId: z.string().uuid(),
  tenantId: z.string().uuid(),
  exportedAt: z.number().int(),
  exportedBy: z.string(),
  recipient: z.string(),
  reason: z.string(),
  videoSha256: z.string(),
  signingKey: z.string(),
});
export type ExportInfo = z.infer<typeof ExportInfo>;

const extOf = (mediaType: string) =>
  mediaType.includes('mp4') ? 'mp4' : mediaType.includes('matroska') ? 'mkv' : 'webm';

export function bundleReadme(videoName: string): string {
  return `Lagebild export bundle
======================

${videoName}          the recording, decrypted
manifest.json         the recording's manifest as signed when the recording stopped
manifest.sig          raw Ed25519 signature over manifest.json (64 bytes)
export.json/.sig      who exported it, when, to whom and why (signed the same way)
service-public.pem    the signing service's public key; compare its fingerprint with the one the
                      authority published (sha256 of the DER key = "signingKey" in manifest.json)

Verify with standard tools:

  openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in manifest.json -sigfile manifest.sig
  openssl pkeyutl -verify -pubin -inkey service-public.pem -rawin -in export.json -sigfile export.sig
  openssl pkey -pubin -in service-public.pem -outform DER | sha256sum      # = manifest "signingKey"
  sha256sum ${videoName}                                                 # = manifest "plaintextSha256"
  ffprobe -v error -show_entries format=duration:stream=codec_name ${videoName}

Or with the Lagebild tooling: npm run verify -- export <this file>.tar
`;
}

export interface ExportBundleInput {
  recording: OpenedRecording;
  manifestJson: string;
  signature: Buffer;
  signer: Signer;
  exportedBy: string;
  recipient: string;
  reason: string;
  now: number;
}

/** The bundle as a stream (plaintext only passes through memory) and its exact size for Content-Length. */
export function createExportBundle(input: ExportBundleInput): {
  stream: Readable;
  size: number;
  fileName: string;
} {
  const m = RecordingManifest.parse(JSON.parse(input.manifestJson));
  const video = `recording-${m.recordingId}.${extOf(m.mediaType)}`;
  const info: ExportInfo = {
    format: 'lagebild-export/1',
    recordingId: m.recordingId,
    tenantId: m.tenantId,
    exportedAt: input.now,
    exportedBy: input.exportedBy,
    recipient: input.recipient,
    reason: input.reason,
    videoSha256: m.plaintextSha256,
    signingKey: input.signer.fingerprint,
  };
  const signedInfo = signJson(input.signer, info);
  const small: [string, Buffer][] = [
    ['manifest.json', Buffer.from(input.manifestJson)],
    ['manifest.sig', input.signature],
    ['export.json', Buffer.from(signedInfo.json)],
    ['export.sig', signedInfo.signature],
    ['service-public.pem', Buffer.from(input.signer.publicKeyPem)],
    ['README.txt', Buffer.from(bundleReadme(video))],
  ];
  const videoBytes = input.recording.size;
  let size = 512 + videoBytes + tarPadding(videoBytes).length + 1024;
  for (const [, b] of small) size += 512 + b.length + tarPadding(b.length).length;
  const stream = Readable.from(
    (async function* () {
      for (const [name, b] of small) {
        yield tarHeader(name, b.length, input.now);
        yield b;
        yield tarPadding(b.length);
      }
      yield tarHeader(video, videoBytes, input.now);
      yield* input.recording.readAll();
      yield tarPadding(videoBytes);
      yield tarEnd();
    })(),
    { objectMode: false },
  );
  return { stream, size, fileName: `lagebild-${m.recordingId}.tar` };
}

export interface ExportCheck {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  manifest: RecordingManifest | null;
  videoName: string | null;
}

/** Checks a bundle; `trustedPublicKeyPem` pins the service key instead of trusting the one inside. */
export async function verifyExportBundle(
  path: string,
  opts: { trustedPublicKeyPem?: string } = {},
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
    if (!manifestJson || !sig || !pem) {
      add('bundle', false, 'manifest.json, manifest.sig or service-public.pem is missing');
      return { ok: false, checks, manifest: null, videoName: null };
    }
    const verifier = verifierFromPem(pem);
    const parsed = RecordingManifest.safeParse(JSON.parse(manifestJson.toString('utf8')));
    const manifest = parsed.success ? parsed.data : null;
    add(
      'manifest schema',
      parsed.success,
      parsed.success ? 'valid' : 'manifest.json does not match the format',
    );
    add(
      'manifest signature',
      verifier.verify(manifestJson, sig),
      `Ed25519, key ${verifier.fingerprint.slice(0, 16)}…`,
    );
    add(
      'signing key',
      manifest?.signingKey === verifier.fingerprint,
      opts.trustedPublicKeyPem
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
    if (exportJson && exportSig) {
      const info = ExportInfo.safeParse(JSON.parse(exportJson.toString('utf8')));
      add(
        'export note',
        info.success &&
          verifier.verify(exportJson, exportSig) &&
          info.data.recordingId === manifest?.recordingId,
        info.success ? `to ${info.data.recipient}: ${info.data.reason}` : 'export.json is malformed',
      );
    }
    const video = entries.find((e) => /^recording-.*\.(webm|mkv|mp4)$/.test(e.name));
    if (!video || !manifest) {
      add('video', false, 'no video in the bundle');
    } else {
      const h = createHash('sha256');
      const buf = Buffer.alloc(1024 * 1024);
      for (let off = 0; off < video.size; ) {
        const n = Math.min(buf.length, video.size - off);
        await fh.read(buf, 0, n, video.offset + off);
        h.update(buf.subarray(0, n));
        off += n;
      }
      const digest = h.digest('hex');
      add(
        'video hash',
        digest === manifest.plaintextSha256 && video.size === manifest.plaintextBytes,
        `sha256 ${digest.slice(0, 16)}…, ${video.size} bytes`,
      );
    }
    return { ok: checks.every((c) => c.ok), checks, manifest, videoName: video?.name ?? null };
  } finally {
    await fh.close();
  }
}
