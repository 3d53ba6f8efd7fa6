/**
 * What the gateway needs of the vault, loaded once from the configured files: the store, the
 * tenants' keyring and the service's signing key. Missing keyring = recordings unavailable (503);
 * missing signing key = an ephemeral one (audit checkpoints then only verify within this run).
 */
import { stat } from 'node:fs/promises';
import {
  createKeyring,
  generateSigningPem,
  type Keyring,
  loadKeyringFile,
  loadSigningKeyFile,
  localFolderStore,
  type Signer,
  signerFromPem,
  type VaultStore,
  type Verifier,
  verifierFromPem,
} from '@lagebild/vault';
import type { GatewayConfig } from '../config.ts';
import type { Logger } from '../logger.ts';

export interface VaultContext {
  signer: Signer;
  verifier: Verifier;
  /** null when no keyring/store is configured: recording routes answer 503 */
  store: VaultStore | null;
  /** the keyring, re-read when its file changes (a key rotation needs no restart) */
  keyring(): Promise<Keyring | null>;
}

export async function loadVaultContext(config: GatewayConfig, log: Logger): Promise<VaultContext> {
  let signer: Signer;
  if (config.VAULT_SIGNING_KEY_FILE) {
    signer = await loadSigningKeyFile(config.VAULT_SIGNING_KEY_FILE);
  } else {
    log.warn(
      'VAULT_SIGNING_KEY_FILE not set: audit checkpoints, manifests, deletion receipts and export notes are signed with a throw-away key',
    );
    signer = signerFromPem(generateSigningPem());
  }
  const file = config.VAULT_KEYRING_FILE;
  const store = config.VAULT_DIR && file ? localFolderStore(config.VAULT_DIR) : null;
  if (!store) log.warn('VAULT_DIR or VAULT_KEYRING_FILE not set: recordings are unavailable');
  let cached: { mtimeMs: number; keyring: Keyring } | null = null;
  async function keyring(): Promise<Keyring | null> {
    if (!store) return null;
    const mtimeMs = await stat(file).then(
      (s) => s.mtimeMs,
      () => -1,
    );
    if (mtimeMs < 0) return null;
    if (cached?.mtimeMs !== mtimeMs) {
      cached = { mtimeMs, keyring: createKeyring(await loadKeyringFile(file)) };
      log.info({ tenants: cached.keyring.tenants().length }, 'keyring loaded');
    }
    return cached.keyring;
  }
  return { signer, verifier: verifierFromPem(signer.publicKeyPem), store, keyring };
}
