/**
 * What the gateway needs of the vault, loaded once from the configuration: the store, the tenants'
 * key-encryption keys and the gateway's signing key. With HSM_TOKEN_LABEL they live in PKCS#11
 * tokens (issue 13: wrap/unwrap and signing happen in the module): the KEKs in the key token the SFU
 * opens too, the signing key (audit checkpoints, deletion receipts, export notes) in the gateway's
 * own signing token (HSM_SIGNING_TOKEN_LABEL), whose PIN the SFU does not have. Production refuses a
 * key token that holds the gateway's signing key. Manifests are checked against every signing key's
 * public half in both tokens: the recorder's (SFU), the gateway's for imports, retired ones.
 * Without a token, for development only, the keyring and PEM files. Missing keyring = recordings
 * unavailable (503); no key at all = an ephemeral signing key (audit checkpoints then only verify
 * within this run; production refuses it).
 */
import { mkdir } from 'node:fs/promises';
import {
  generateSigningPem,
  type HsmKeyring,
  hsmConfigOf,
  hsmSigningConfigOf,
  isSigningKeyOf,
  type Keyring,
  type KeySource,
  localFolderStore,
  openKeySource,
  type Signer,
  signerFromPem,
  type VaultStore,
  type Verifier,
  verifierFromPem,
} from '@lagebild/vault';
import type { GatewayConfig } from '../config.ts';
import type { Logger } from '../logger.ts';

export interface VaultContext {
  /** the gateway's own key: audit checkpoints, deletion receipts, export notes, imported manifests */
  signer: Signer;
  /** the manifest keys the gateway trusts (re-read from the tokens when a manifest names another) */
  verifier: Verifier;
  /** null when no keyring/store is configured: recording routes answer 503 */
  store: VaultStore | null;
  /** the keyring (the development file is re-read when it changes: a rotation needs no restart) */
  keyring(): Promise<Keyring | null>;
  /** the token's keyring: per-day keys, destroy, re-wrap; null with the development files */
  hsm: HsmKeyring | null;
  /**
   * what seals secrets only the gateway may read (TOTP secrets, auth/totp-sealer.ts): a key of the
   * tenant named `kekId` in the gateway's own token (the SFU has no PIN for it), or the development
   * keyring's current key (no `kekId`); null without keys
   */
  secretKeys(): Promise<{ keyring: Keyring; kekId?: string } | null>;
  close(): void;
}

export async function loadVaultContext(config: GatewayConfig, log: Logger): Promise<VaultContext> {
  const hsm = hsmConfigOf(config);
  let keys: KeySource | null = null;
  if (hsm || config.VAULT_SIGNING_KEY_FILE) {
    keys = await openKeySource({
      hsm,
      signingHsm: hsmSigningConfigOf(config),
      signerName: config.HSM_SIGNING_KEY,
      keyringFile: config.VAULT_KEYRING_FILE,
      signingKeyFile: config.VAULT_SIGNING_KEY_FILE,
    });
    const exposed = exposedSigningKeys(config, keys);
    if (exposed.length > 0) {
      const what = `the key token ${config.HSM_TOKEN_LABEL}, which the SFU opens too, holds the gateway's signing key (${exposed.join(', ')})`;
      if (config.LAGEBILD_ENV === 'production') {
        keys.close();
        throw new Error(
          `${what}: keep it in a token of its own (HSM_SIGNING_TOKEN_LABEL, HSM_SIGNING_PIN_FILE) and destroy it here`,
        );
      }
      log.warn({ exposed }, `${what} (development only; production refuses it)`);
    }
    log.info({ keys: keys.kind, signingKey: keys.signer.fingerprint.slice(0, 16) }, 'keys opened');
  } else {
    log.warn(
      'neither HSM_TOKEN_LABEL nor VAULT_SIGNING_KEY_FILE set: audit checkpoints, manifests, deletion receipts and export notes are signed with a throw-away key',
    );
  }
  const signer = keys?.signer ?? signerFromPem(generateSigningPem());
  const store =
    config.VAULT_DIR && (hsm || config.VAULT_KEYRING_FILE) ? localFolderStore(config.VAULT_DIR) : null;
  if (!store) log.warn('VAULT_DIR or the keys (HSM_TOKEN_LABEL) not set: recordings are unavailable');
  else {
    // a fresh installation has no recordings folder until the first recording; without it the
    // health monitor cannot read the disk and reported recordings as degraded from the start
    await mkdir(config.VAULT_DIR, { recursive: true, mode: 0o700 }).catch((err: Error) =>
      log.warn({ err, dir: config.VAULT_DIR }, 'recordings folder could not be created'),
    );
  }
  const source = keys;
  return {
    signer,
    verifier: source
      ? refreshingVerifier(() => source.trustedSigners())
      : verifierFromPem(signer.publicKeyPem),
    store,
    keyring: async () => (store && keys ? keys.keyring() : null),
    hsm: keys?.hsm ?? null,
    async secretKeys() {
      if (keys?.ownKeyring) return { keyring: keys.ownKeyring, kekId: 'secrets' };
      const ring = await keys?.keyring();
      return ring ? { keyring: ring } : null;
    },
    close: () => keys?.close(),
  };
}

/** private halves of the gateway's signing key in the key token (which the SFU can open) */
function exposedSigningKeys(config: GatewayConfig, keys: KeySource): string[] {
  if (keys.kind !== 'hsm') return [];
  return keys
    .usableSigningKeys()
    .filter((k) => k.token === config.HSM_TOKEN_LABEL && isSigningKeyOf(k.label, config.HSM_SIGNING_KEY))
    .map((k) => k.label);
}

/**
 * The trusted manifest keys, read once and again when a manifest names a key not among them: the
 * recorder may have made its key after this gateway started (the SFU creates it on first start).
 */
function refreshingVerifier(load: () => Verifier): Verifier {
  let v = load();
  const retry = <T>(f: (v: Verifier) => T, ok: (r: T) => boolean): T => {
    const r = f(v);
    if (ok(r)) return r;
    v = load();
    return f(v);
  };
  return {
    get fingerprint() {
      return v.fingerprint;
    },
    get fingerprints() {
      return v.fingerprints;
    },
    get publicKeyPem() {
      return v.publicKeyPem;
    },
    publicKeyPemOf: (fingerprint) =>
      retry(
        (x) => x.publicKeyPemOf(fingerprint),
        (r) => r !== null,
      ),
    verify: (data, signature) =>
      retry(
        (x) => x.verify(data, signature),
        (r) => r,
      ),
  };
}
