/**
 * A real OpenID Connect provider for the sign-in tests (issue 15): the certified `oidc-provider`
 * package on a loopback port the OS picks, with one confidential client for Lagebild and a few
 * accounts with groups. Its development login form (any password, the login names the account)
 * stands in for the town hall's directory; consent is granted for the one client as a municipality
 * configures its own first-party application. `misbehave()` makes the provider issue a faulty ID
 * token on purpose (another audience, already expired, another nonce), so the tests can show that
 * Lagebild refuses it; everything else about the token stays genuine and signed.
 */
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export interface OidcAccount {
  name: string;
  email?: string;
  groups: string[];
}

export type IdTokenFault = 'wrong_audience' | 'expired' | 'wrong_nonce' | null;

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** the next ID tokens carry this fault, until set back to null */
  misbehave(fault: IdTokenFault): void;
  stop(): Promise<void>;
}

export async function startOidcProvider(opts: {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  accounts: Record<string, OidcAccount>;
  clientId?: string;
}): Promise<TestOidcProvider> {
  const clientId = opts.clientId ?? 'lagebild';
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  let fault: IdTokenFault = null;

  // the port first, since the issuer URL names it
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        post_logout_redirect_uris: opts.postLogoutRedirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, sub: string) {
      const a = opts.accounts[sub];
      if (!a) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: a.name,
          preferred_username: sub,
          email: a.email,
          groups: a.groups,
        }),
      };
    },
    // the municipality's own application: consent is implied
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const oidcCtx = ctx.oidc;
      const grantId =
        oidcCtx.result?.consent?.grantId ?? oidcCtx.session!.grantIdFor(oidcCtx.client!.clientId);
      if (grantId) return oidcCtx.provider.Grant.find(grantId);
      const grant = new oidcCtx.provider.Grant({
        clientId: oidcCtx.client!.clientId,
        accountId: oidcCtx.session!.accountId,
      });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) =>
    console.error('oidc-provider server_error', err),
  );

  // a faulty ID token on demand: the real one, issued with another audience, expiry or nonce
  const IdToken = provider.IdToken as unknown as {
    prototype: { issue(o?: { use?: string; expiresAt?: number }): Promise<string> };
  };
  const issue = IdToken.prototype.issue;
  IdToken.prototype.issue = function (this: { client: object; set(k: string, v: unknown): void }, o) {
    if (o?.use !== 'idtoken' || !fault) return issue.call(this, o);
    if (fault === 'expired')
      return issue.call(this, { ...o, expiresAt: Math.floor(Date.now() / 1000) - 3600 });
    if (fault === 'wrong_nonce') {
      this.set('nonce', 'not-the-nonce-lagebild-sent');
      return issue.call(this, o);
    }
    const other = Object.create(this.client, { clientId: { value: 'another-application' } });
    return issue.call(Object.create(this, { client: { value: other } }), o);
  };

  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    misbehave(f) {
      fault = f;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
