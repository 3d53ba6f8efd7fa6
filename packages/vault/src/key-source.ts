/**
 * Where a service's keys come from, chosen once at startup: a PKCS#11 token (production, and the
 * embedded SoftHSM2 of `npm start` and the tests), or, for development only, the JSON keyring and
 * PEM signing key files (re-read when the keyring file changes). Production mode refuses the files in
 * each service's config; this module only opens what it is given.
 */
import { stat } from 'node:fs/promises';
import { createHsmKeyring, type HsmKeyring } from './hsm/hsm-keyring.ts';
import { hsmSigner } from './hsm/hsm-signer.ts';
import { type HsmConfig, type HsmToken, openHsmToken } from './hsm/pkcs11-token.ts';
import { createKeyring, type Keyring, loadKeyringFile } from './keyring.ts';
import { loadSigningKeyFile, type Signer } from './signing.ts';

export interface KeySource {
  kind: 'hsm' | 'file';
  signer: Signer;
  /** the tenants' KEKs; null while the development keyring file does not exist yet */
  keyring(): Promise<Keyring | null>;
  /** the token's keyring (day keys, destroy, inventory); null for the file keyring */
  hsm: HsmKeyring | null;
  close(): void;
}

export interface KeySourceOptions {
  hsm?: HsmConfig | null;
  /** the name of this service's signing key in the token (`sign/<name>`) */
  signerName?: string;
  keyringFile?: string;
  signingKeyFile?: string;
}

export async function openKeySource(o: KeySourceOptions): Promise<KeySource> {
  if (o.hsm) {
    const token: HsmToken = openHsmToken(o.hsm);
    try {
      const hsm = createHsmKeyring(token);
      const signer = hsmSigner(token, o.signerName ?? 'service');
      return { kind: 'hsm', signer, hsm, keyring: async () => hsm, close: () => token.close() };
    } catch (err) {
      token.close();
      throw err;
    }
  }
  if (!o.signingKeyFile) throw new Error('openKeySource: give an HSM or a signing key file');
  const signer = await loadSigningKeyFile(o.signingKeyFile);
  const file = o.keyringFile;
  let cached: { mtimeMs: number; keyring: Keyring } | null = null;
  return {
    kind: 'file',
    signer,
    hsm: null,
    async keyring() {
      if (!file) return null;
      const mtimeMs = await stat(file).then(
        (s) => s.mtimeMs,
        () => -1,
      );
      if (mtimeMs < 0) return null;
      if (cached?.mtimeMs !== mtimeMs)
        cached = { mtimeMs, keyring: createKeyring(await loadKeyringFile(file)) };
      return cached.keyring;
    },
    close() {},
  };
}
