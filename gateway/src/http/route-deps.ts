/**
 * The HTTP plumbing every feature's routes get: the typed route helper and the tenant check on an
 * entity loaded by id. Each feature's `register…Routes` names the stores and services it needs
 * beside these, so nothing is handed around that its routes do not use.
 */
import type { Route } from './route.ts';
import type { TenantCheck } from './tenant-guard.ts';

export interface HttpDeps {
  route: Route;
  /** throws 404 like an unknown id (logged, audited) unless the entity's tenant is the user's */
  sameTenant: TenantCheck;
}
