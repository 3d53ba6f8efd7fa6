/**
 * Where a service's keys come from, chosen once at startup: PKCS#11 tokens (production, and the
 * embedded SoftHSM2 of `npm start` and the tests), or, for development only, the JSON keyring and
 * PEM signing key files (re-read when the keyring file changes). Production mode refuses the files in
 * each service's config; this module only opens what it is given.
 *
 * With tokens, a service opens the key token (the tenants' KEKs) and, if it has one, a signing token
 * of its own for its signing key: the gateway's audit checkpoint key lives there, out of reach of the
 * SFU, which holds only the key token's PIN and signs manifests with its `sign/recorder` key there
 * (issue 13). `usableSigningKeys` says what a service's PINs let it sign with, so a service can
 * refuse to run with a key that is not its own.
 */
import { stat } from 'node:fs/promises';
import { VaultError } from './errors.ts';
import { createHsmKeyring, type HsmKeyring } from './hsm/hsm-keyring.ts';
import {
  hsmSigner,
  isSigningKeyOf,
  listHsmPrivateSigningKeys,
  listHsmSigningKeys,
} from './hsm/hsm-signer.ts';
import { type HsmConfig, type HsmToken, openHsmToken } from './hsm/pkcs11-token.ts';
import { createKeyring, type Keyring, loadKeyringFile } from './keyring.ts';
import { loadSigningKeyFile, type Signer, type Verifier, verifierFromPem } from './signing.ts';

export interface KeySource {
  kind: 'hsm' | 'file';
  signer: Signer;
  /** the tenants' KEKs; null while the development keyring file does not exist yet */
  keyring(): Promise<Keyring | null>;
  /** the token's keyring (day keys, destroy, inventory); null for the file keyring */
  hsm: HsmKeyring | null;
  /**
   * keys for secrets only this service may read (the gateway's users' TOTP secrets): the keyring of
   * its own signing token, whose PIN the SFU does not have, or of the key token when it has none;
   * null for the development files
   */
  ownKeyring: HsmKeyring | null;
  /**
   * every signing key's public half in this service's tokens (current and retired; its own first),
   * read from the tokens now: the manifest keys it trusts (the recorder's, its own for imports)
   */
  trustedSigners(): Verifier;
  /** every private signing key this service's PINs open, by token: what it could sign with */
  usableSigningKeys(): { token: string; label: string }[];
  close(): void;
}

export interface KeySourceOptions {
  /** the key token: the tenants' KEKs */
  hsm?: HsmConfig | null;
  /** the token of this service's own signing key, whose PIN only it has; default the key token */
  signingHsm?: HsmConfig | null;
  /** the name of this service's signing key in the token (`sign/<name>`) */
  signerName?: string;
  keyringFile?: string;
  signingKeyFile?: string;
  /**
   * stop, before anything is made in a token, when the tokens hold a signing key that is not
   * `sign/<signerName>` (or one of its retired ones): the SFU in production (issue 13)
   */
  refuseForeignSigningKeys?: boolean;
}

export async function openKeySource(o: KeySourceOptions): Promise<KeySource> {
  if (o.hsm) {
    const token: HsmToken = openHsmToken(o.hsm);
    let signingToken: HsmToken | null = null;
    try {
      if (o.signingHsm) signingToken = openHsmToken(o.signingHsm);
      const name = o.signerName ?? 'gateway';
      const tokens = signingToken ? [signingToken, token] : [token];
      const usableSigningKeys = () =>
        tokens.flatMap((t) => listHsmPrivateSigningKeys(t).map((label) => ({ token: t.tokenLabel, label })));
      const foreign = usableSigningKeys().filter((k) => !isSigningKeyOf(k.label, name));
      if (o.refuseForeignSigningKeys && foreign.length > 0)
        throw new VaultError(
          'wrong_key',
          `signing keys that are not this service's own sign/${name} are reachable (${foreign.map((k) => `${k.token}: ${k.label}`).join(', ')})`,
        );
      const hsm = createHsmKeyring(token);
      const signer = hsmSigner(signingToken ?? token, name);
      return {
        kind: 'hsm',
        signer,
        hsm,
        ownKeyring: signingToken ? createHsmKeyring(signingToken) : hsm,
        keyring: async () => hsm,
        trustedSigners: () =>
          verifierFromPem(
            signer.publicKeyPem,
            ...tokens.flatMap((t) => listHsmSigningKeys(t).map((k) => k.publicKeyPem)),
          ),
        usableSigningKeys,
        close: () => {
          signingToken?.close();
          token.close();
        },
      };
    } catch (err) {
      signingToken?.close();
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
    ownKeyring: null,
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
    trustedSigners: () => verifierFromPem(signer.publicKeyPem),
    usableSigningKeys: () => [{ token: 'file', label: o.signingKeyFile! }],
    close() {},
  };
}
