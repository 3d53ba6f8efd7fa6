/**
 * One typed route shape for the whole gateway. A route declares its method, URL, who may call it
 * and the protocol schemas of what it takes and answers; `route()` checks the session and role
 * first (401/403, the refusal audited by the guard), then validates params, query and body (400
 * naming each bad field; a malformed id in the path is a 404 like an unknown one), and hands the
 * handler typed values. The declaration rides on the Fastify route's `config`, so the gateway's
 * route table (and the OpenAPI document built from it) lists exactly what was registered.
 */
import { describeIssues, type Role } from '@lagebild/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Guard, SessionUser } from './session.ts';

/**
 * Who may call a route: the listed roles, any signed-in user (`session`), or anyone (`public`:
 * login, a device proving itself with its secret, health).
 */
export type Access = readonly Role[] | 'session' | 'public';

/** The route's declaration: what the table and the OpenAPI document show. */
export interface RouteContract {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  access: Access;
  summary: string;
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** the success answer's schema; none for answers that are not JSON (files, streams, 204) */
  response?: z.ZodType;
  /** the success status (default 200) */
  status?: number;
  /** the success answer's media type when it is not JSON */
  produces?: string;
  /** the request body's media type when it is not JSON (its parser is the route's scope's) */
  consumes?: string;
  /** a larger request body than the server's 16 KiB, in bytes (a device's batch of status events) */
  bodyLimit?: number;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<P, Q, B, A extends Access> {
  req: FastifyRequest;
  reply: FastifyReply;
  /** the caller's session; a public route has none */
  user: A extends 'public' ? undefined : SessionUser;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface TypedRouteSpec<P, Q, B, R, A extends Access> extends RouteContract {
  access: A;
  params?: P & z.ZodType;
  query?: Q & z.ZodType;
  body?: B & z.ZodType;
  response?: R & z.ZodType;
}

type Answer<R> = R extends z.ZodType ? z.output<R> : unknown;

export type Route = <P = undefined, Q = undefined, B = undefined, R = undefined, A extends Access = Access>(
  spec: TypedRouteSpec<P, Q, B, R, A>,
  handler: (ctx: RouteContext<P, Q, B, A>) => Promise<Answer<R> | FastifyReply | undefined>,
) => void;

/** A path's id that cannot exist is simply not found: `params: idParams('incident')`. */
export function idParams(what: string) {
  const schema = z.object({ id: z.uuid().transform((s) => s.toLowerCase()) });
  NOT_FOUND_AS.set(schema, what);
  return schema;
}
const NOT_FOUND_AS = new WeakMap<z.ZodType, string>();

function parsePart<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const entity = NOT_FOUND_AS.get(schema);
  if (entity) throw new AppError('not_found', `${entity} not found`);
  throw new AppError('bad_request', `invalid ${what}`, describeIssues(r.error));
}

/** Reads a route's declaration back from what Fastify registered (the gateway's onRoute hook). */
export function contractOf(routeConfig: unknown): RouteContract | undefined {
  return (routeConfig as { contract?: RouteContract } | undefined)?.contract;
}

/** `route(spec, handler)` for one Fastify instance and its session guard. */
export function createRouter(app: FastifyInstance, guard: Guard): Route {
  return (spec, handler) => {
    const { access } = spec;
    const roles = Array.isArray(access) ? (access as readonly Role[]) : undefined;
    app.route({
      method: spec.method,
      url: spec.url,
      config: { contract: spec as RouteContract },
      ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
      handler: async (req, reply) => {
        const user = access === 'public' ? undefined : await guard(req, roles);
        const ctx = {
          req,
          reply,
          user,
          params: spec.params ? parsePart(spec.params, req.params, 'path') : undefined,
          query: spec.query ? parsePart(spec.query, req.query, 'query') : undefined,
          body: spec.body ? parsePart(spec.body, req.body, 'request body') : undefined,
        };
        if (spec.status) reply.code(spec.status);
        return handler(ctx as Parameters<typeof handler>[0]);
      },
    });
  };
}
