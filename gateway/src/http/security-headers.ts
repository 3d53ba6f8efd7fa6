/**
 * Response headers that make the browser enforce what the server means (issue 11): a CSP whose
 * `script-src` allows our own files plus exactly the inline scripts of the page being served (their
 * SHA-256, read from the static export when the gateway starts, so no `'unsafe-inline'` for
 * scripts), HSTS when cookies are secure (TLS in front), a Permissions-Policy that switches off what
 * the control room never uses (the microphone is its own, for talkback), and the usual nosniff /
 * frame / referrer headers.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** Inline `<script>` bodies (no `src`) of an HTML page, as CSP hash sources. */
export function inlineScriptHashes(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? '')) continue;
    out.add(
      `'sha256-${createHash('sha256')
        .update(m[2] ?? '', 'utf8')
        .digest('base64')}'`,
    );
  }
  return [...out];
}

/**
 * Every page of the static export, by the URL path it is served at (`/login/` for login/index.html,
 * `/` for index.html), with its inline scripts' hashes; the 404 page under the key `404`.
 */
export async function pageScriptHashes(webDir: string): Promise<Map<string, string[]>> {
  const pages = new Map<string, string[]>();
  if (!webDir || !existsSync(webDir)) return pages;
  for (const entry of await readdir(webDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.html')) continue;
    const file = join(entry.parentPath, entry.name);
    const rel = relative(webDir, file).split(sep).join('/');
    const key =
      rel === '404.html'
        ? '404'
        : rel === 'index.html'
          ? '/'
          : rel.endsWith('/index.html')
            ? `/${rel.slice(0, -'index.html'.length)}`
            : `/${rel}`;
    pages.set(key, inlineScriptHashes(await readFile(file, 'utf8')));
  }
  return pages;
}

export interface SecurityHeaderOptions {
  webDir: string;
  tileUrl: string;
  /** HSTS goes with secure cookies: both mean a TLS terminator is in front */
  hsts: boolean;
}

const PERMISSIONS_POLICY = [
  'camera=()',
  // talkback: an operator's "Sprechen" on a live tile (issue 16); still only this origin, never a frame
  'microphone=(self)',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'fullscreen=(self)',
].join(', ');

export async function registerSecurityHeaders(
  app: FastifyInstance,
  opts: SecurityHeaderOptions,
): Promise<void> {
  const pages = await pageScriptHashes(opts.webDir);
  const tiles = opts.tileUrl ? ` ${new URL(opts.tileUrl.replace(/\{[a-z]\}/g, 'a')).origin}` : '';
  const csp = (scriptHashes: readonly string[]) =>
    [
      "default-src 'self'",
      `script-src 'self'${scriptHashes.map((h) => ` ${h}`).join('')}`,
      // React and Leaflet set style attributes; styles cannot run code
      "style-src 'self' 'unsafe-inline'",
      `img-src 'self' data: blob:${tiles}`,
      "media-src 'self' blob:",
      "connect-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join('; ');
  const apiCsp = csp([]);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header('permissions-policy', PERMISSIONS_POLICY);
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (opts.hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // By path first: a 304 revalidation has no content type, and the browser stores the 304's
    // headers with its cached page, so a page's CSP must not depend on the body being sent.
    const page = pages.get(req.url.split('?')[0]!);
    if (page) {
      reply.header('content-security-policy', csp(page));
      return;
    }
    const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    reply.header('content-security-policy', html ? csp(pages.get('404') ?? []) : apiCsp);
  });
}
