/**
 * One logged-in session on one PKCS#11 token, found by its label: the same code opens SoftHSM2 (the
 * embedded default) and a hardware HSM (Utimaco, Thales Luna, a cloud HSM's PKCS#11 library); only
 * the module path, the token label and the PIN file differ. The PIN is read from a file (0600) so it
 * never appears in the environment or a process listing. pkcs11js calls are synchronous, which keeps
 * the vault's `Keyring` and `Signer` interfaces synchronous too.
 */
import { readFileSync, statSync } from 'node:fs';
// default import: the module spreads its constants into module.exports, which Node's ESM named-export
// detection does not see (only PKCS11 would be found)
import pkcs11js from 'pkcs11js';
import { VaultError } from '../errors.ts';

export interface HsmConfig {
  /** the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so */
  modulePath: string;
  /** the token's label (CKA_LABEL of the token, as set at initialisation) */
  tokenLabel: string;
  /** a file holding the user PIN (0600) */
  pinFile: string;
}

export interface HsmToken {
  readonly pkcs11: pkcs11js.PKCS11;
  readonly session: pkcs11js.Handle;
  readonly tokenLabel: string;
  /** token objects whose CKA_LABEL starts with `prefix` (all if omitted) of the given class */
  find(cls: number, label?: string): pkcs11js.Handle[];
  labelOf(obj: pkcs11js.Handle): string;
  close(): void;
}

// A module is initialised once per process: two tokens of the same library (the gateway's signing
// token and the key token) share it, and C_Finalize runs when the last one closes.
const modules = new Map<string, { p: pkcs11js.PKCS11; refs: number }>();
function acquireModule(path: string): pkcs11js.PKCS11 {
  let m = modules.get(path);
  if (!m) {
    const p = new pkcs11js.PKCS11();
    p.load(path);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    m = { p, refs: 0 };
    modules.set(path, m);
  }
  m.refs++;
  return m.p;
}
function releaseModule(path: string): void {
  const m = modules.get(path);
  if (!m || --m.refs > 0) return;
  modules.delete(path);
  m.p.C_Finalize();
}

const trimmed = (s: string) => s.replace(/[\s\0]+$/, '');

/** Loads the module, finds the token by label, opens one read-write session and logs in. */
export function openHsmToken(c: HsmConfig): HsmToken {
  try {
    statSync(c.modulePath);
  } catch {
    throw new VaultError(
      'not_found',
      `PKCS#11 module ${c.modulePath} is missing (install softhsm2, or set HSM_MODULE to your HSM's PKCS#11 library)`,
    );
  }
  let pin: string;
  try {
    pin = readFileSync(c.pinFile, 'utf8').trim();
  } catch (err) {
    throw new VaultError('not_found', `HSM PIN file ${c.pinFile} cannot be read (HSM_PIN_FILE)`, {
      cause: err,
    });
  }
  const p = acquireModule(c.modulePath);
  const release = () => releaseModule(c.modulePath);
  const slot = p.C_GetSlotList(true).find((s) => trimmed(p.C_GetTokenInfo(s).label) === c.tokenLabel);
  if (!slot) {
    release();
    throw new VaultError(
      'not_found',
      `no PKCS#11 token labelled "${c.tokenLabel}" in ${c.modulePath} (initialise it, or fix HSM_TOKEN_LABEL)`,
    );
  }
  const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    p.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (err) {
    if (!(err instanceof pkcs11js.Pkcs11Error) || err.code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
      p.C_CloseSession(session);
      release();
      throw new VaultError('wrong_key', `login to token "${c.tokenLabel}" failed (wrong PIN?)`, {
        cause: err,
      });
    }
  }
  let closed = false;
  return {
    pkcs11: p,
    session,
    tokenLabel: c.tokenLabel,
    find(cls, label) {
      const template: pkcs11js.Template = [
        { type: pkcs11js.CKA_CLASS, value: cls },
        { type: pkcs11js.CKA_TOKEN, value: true },
      ];
      if (label !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: label });
      p.C_FindObjectsInit(session, template);
      const out: pkcs11js.Handle[] = [];
      for (;;) {
        const batch = p.C_FindObjects(session, 64);
        if (batch.length === 0) break;
        out.push(...batch);
      }
      p.C_FindObjectsFinal(session);
      return out;
    },
    labelOf(obj) {
      const [a] = p.C_GetAttributeValue(session, obj, [{ type: pkcs11js.CKA_LABEL }]);
      return (a?.value as Buffer | undefined)?.toString('utf8') ?? '';
    },
    close() {
      if (closed) return;
      closed = true;
      // no C_Logout: the login is per application and token, so it would log out the other
      // sessions of this process too (an in-process gateway beside a test's own handle); closing
      // the last session ends it
      p.C_CloseSession(session);
      release();
    },
  };
}
