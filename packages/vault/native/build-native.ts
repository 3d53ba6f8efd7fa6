/**
 * Builds the optional AES-256-GCM binding (`native/src/lagebild_gcm.c`, issue 17) with node-gyp,
 * from source, against the headers of the Node that runs this script (they include Node's OpenSSL
 * headers; the binding's OpenSSL symbols resolve to the ones inside that Node at load time). Run by
 * `npm run build` in this package, i.e. by setup's `turbo run build`.
 *
 * Nothing is downloaded: node-gyp is the one npm bundles (`npm_config_node_gyp`, set by npm for
 * every script), and `--nodedir` points at headers on this machine; without them, or without a C
 * compiler, the build is skipped with one line and the vault uses node:crypto (same bytes, slower).
 * It never fails the build: the binding is an optimisation with a tested fallback.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const here = import.meta.dirname;
const say = (m: string) => process.stderr.write(`[vault native] ${m}\n`);

/** the running Node's headers first (they match it), then npm's configured `nodedir` */
function nodeDir(): string | null {
  const candidates = [dirname(dirname(process.execPath)), process.env.npm_config_nodedir];
  for (const dir of candidates) {
    if (
      dir &&
      existsSync(join(dir, 'include', 'node', 'node_api.h')) &&
      existsSync(join(dir, 'include', 'node', 'openssl', 'evp.h'))
    )
      return dir;
  }
  return null;
}

function main(): number {
  if (process.env.LAGEBILD_VAULT_NATIVE === '0') {
    say('LAGEBILD_VAULT_NATIVE=0: not built; node:crypto is used');
    return 0;
  }
  const gyp = process.env.npm_config_node_gyp;
  const dir = nodeDir();
  if (!gyp || !existsSync(gyp)) {
    say("npm's node-gyp not found (run through npm); not built, node:crypto is used");
    return 0;
  }
  if (!dir) {
    say('no Node headers with OpenSSL on this machine; not built, node:crypto is used');
    return 0;
  }
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`, '--loglevel=warn'], {
    cwd: here,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    say(
      `node-gyp failed (status ${r.status}); node:crypto is used. Last lines:\n${(r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`,
    );
    return 0;
  }
  say(`built build/Release/lagebild_gcm.node against ${dir}/include/node`);
  return 0;
}

process.exit(main());
