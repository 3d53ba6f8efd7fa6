/**
 * What the gateway needs of the vault, loaded once from the configuration: the store, the tenants'
 * key-encryption keys and the service's signing key. With HSM_TOKEN_LABEL both live in a PKCS#11
 * token (issue 13: wrap/unwrap and signing happen in the module); without it, for development only,
 * in the keyring and PEM files. Missing keyring = recordings unavailable (503); no key at all = an
 * ephemeral signing key (audit checkpoints then only verify within this run; production refuses it).
 */
import {
  generateSigningPem,
  type HsmKeyring,
  hsmConfigOf,
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
  signer: Signer;
  verifier: Verifier;
  /** null when no keyring/store is configured: recording routes answer 503 */
  store: VaultStore | null;
  /** the keyring (the development file is re-read when it changes: a rotation needs no restart) */
  keyring(): Promise<Keyring | null>;
  /** the token's keyring: per-day keys, destroy, re-wrap; null with the development files */
  hsm: HsmKeyring | null;
  close(): void;
}

export async function loadVaultContext(config: GatewayConfig, log: Logger): Promise<VaultContext> {
  const hsm = hsmConfigOf(config);
  let keys: KeySource | null = null;
  if (hsm || config.VAULT_SIGNING_KEY_FILE) {
    keys = await openKeySource({
      hsm,
      signerName: config.HSM_SIGNING_KEY,
      keyringFile: config.VAULT_KEYRING_FILE,
      signingKeyFile: config.VAULT_SIGNING_KEY_FILE,
    });
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
  return {
    signer,
    verifier: verifierFromPem(signer.publicKeyPem),
    store,
    keyring: async () => (store && keys ? keys.keyring() : null),
    hsm: keys?.hsm ?? null,
    close: () => keys?.close(),
  };
}
