/**
 * The gateway's OpenAPI 3.1 document, generated from the route table: each route's declaration
 * (`route()` in route.ts) gives its roles, parameters, body and answer, written as JSON Schema by
 * zod's own `z.toJSONSchema` from the protocol schemas both sides use. Served at /api/openapi.json.
 */
import { ErrorBody, type Role } from '@lagebild/protocol';
import { z } from 'zod';
import type { Access, RouteContract } from './route.ts';
import { SESSION_COOKIE } from './session.ts';

/** What the gateway's route table holds (app.ts `RouteEntry`). */
interface TableEntry {
  method: string;
  url: string;
  contract?: RouteContract;
}

type JsonSchema = Record<string, unknown>;

/** The operations OpenAPI 3.1 can name; a catch-all's other methods are listed as `x-other-methods`. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `/api/units/:id` → `/api/units/{id}`; a wildcard becomes `{path}`. */
export const openApiPath = (url: string): string =>
  url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(c: RouteContract): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', c.params],
    ['query', c.query],
  ] as const) {
    if (!schema) continue;
    const s = schemaOf(schema, 'input');
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required ?? []) as string[]);
    for (const [name, p] of Object.entries(props))
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: p });
  }
  if (c.url.endsWith('*')) out.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
  return out;
}

const rolesOf = (a: Access): readonly Role[] | 'session' | 'public' => a;
const describeAccess = (a: Access): string =>
  a === 'public'
    ? 'Public: no session needed.'
    : a === 'session'
      ? 'Any signed-in user.'
      : `Roles: ${a.join(', ')}. Another role is answered 403 (and audited).`;

function operation(c: RouteContract | undefined, method: string, url: string): JsonSchema {
  if (!c) return { summary: `${method} ${url}`, responses: { default: { description: 'undeclared' } } };
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
  });
  const status = String(c.status ?? 200);
  const success: JsonSchema =
    c.response !== undefined
      ? {
          description: 'success',
          content: { 'application/json': { schema: schemaOf(c.response, 'output') } },
        }
      : c.produces
        ? { description: 'success', content: { [c.produces]: {} } }
        : { description: 'success' };
  const responses: Record<string, unknown> = {
    [status]: success,
    '400': error('invalid input, each bad field named'),
  };
  if (c.access !== 'public') {
    responses['401'] = error('not signed in, or the session expired');
    if (c.access !== 'session') responses['403'] = error('the role may not call this route');
  }
  if (c.params) responses['404'] = error('unknown id, or an id of another tenant (answered alike)');
  responses.default = error('another error of the catalogue (409, 413, 429, 503, 500)');
  return {
    summary: c.summary,
    description: [c.description, describeAccess(c.access)].filter(Boolean).join('\n\n'),
    'x-roles': rolesOf(c.access),
    security: c.access === 'public' ? [] : [{ session: [] }],
    parameters: parameters(c),
    ...(c.body
      ? {
          requestBody: {
            required: true,
            content: { [c.consumes ?? 'application/json']: { schema: schemaOf(c.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly TableEntry[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openApiPath(r.url);
    const item = paths[path] ?? {};
    paths[path] = item;
    const m = r.method.toLowerCase();
    if ((OPENAPI_METHODS as readonly string[]).includes(m)) item[m] = operation(r.contract, r.method, r.url);
    else item['x-other-methods'] = [...((item['x-other-methods'] as string[] | undefined) ?? []), r.method];
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lagebild gateway',
      version: '1',
      description:
        'The HTTP API of the Lagebild gateway. Errors are always ErrorBody with the status of its code.',
    },
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } },
      schemas: { ErrorBody: schemaOf(ErrorBody, 'output') },
    },
    paths,
  };
}
