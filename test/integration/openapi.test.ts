/**
 * Issue 12: the gateway's OpenAPI document is generated from its route table. Built in-process on a
 * seeded stack (test/src/fuzz/world.ts) and driven with `app.inject()`: the document is OpenAPI
 * 3.1, names every registered route with its roles, and real answers match the schemas the routes
 * declare.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../src/fuzz/world.ts';

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const pathOf = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');

type Operation = {
  summary: string;
  'x-roles': unknown;
  security: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, { type: string; in: string; name: string }> };
  paths: Record<string, Record<string, Operation>>;
};

let w: World;
let doc: Doc;
beforeAll(async () => {
  w = await startWorld();
  const res = await w.gw.app.inject({
    method: 'GET',
    url: '/api/openapi.json',
    headers: { cookie: w.cookies.duisburg.operator },
  });
  expect(res.statusCode).toBe(200);
  doc = res.json();
}, 180_000);
afterAll(async () => w?.stop());

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document with the session cookie as its security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();
    expect(doc.components.securitySchemes.session).toEqual({
      type: 'apiKey',
      in: 'cookie',
      name: 'lb_session',
    });
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries(item)) {
        if (method === 'x-other-methods') continue;
        expect(METHODS.has(method), `${method} ${path}`).toBe(true);
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
  });

  it('names every route the gateway registered, each with its roles', () => {
    for (const r of w.gw.routes) {
      const item = doc.paths[pathOf(r.url)];
      expect(item, `${r.method} ${r.url}`).toBeDefined();
      const m = r.method.toLowerCase();
      if (METHODS.has(m)) {
        expect(item![m]?.['x-roles'], `${r.method} ${r.url}`).toEqual(r.contract?.access);
      } else {
        expect(item!['x-other-methods']).toContain(r.method);
      }
    }
    expect(doc.paths['/api/devices']!.get!['x-roles']).toEqual(['admin']);
    expect(doc.paths['/api/auth/login']!.post!.security).toEqual([]);
    expect(doc.paths['/api/units/{id}']!.get!.responses['404']).toBeDefined();
  });

  it('answers of real requests match the schemas their routes declare', async () => {
    const calls = [
      ['GET', '/api/me', 'operator'],
      ['GET', '/api/units', 'operator'],
      ['GET', '/api/incidents', 'supervisor'],
      ['GET', '/api/devices', 'admin'],
      ['GET', '/api/admin/policies', 'admin'],
      ['GET', '/api/recordings', 'operator'],
      ['GET', '/api/audit?limit=20', 'admin'],
    ] as const;
    for (const [method, url, role] of calls) {
      const res = await w.gw.app.inject({ method, url, headers: { cookie: w.cookies.duisburg[role] } });
      expect(res.statusCode, `${method} ${url}`).toBe(200);
      const route = w.gw.routes.find((r) => r.method === method && r.url === url.split('?')[0]);
      const schema = route?.contract?.response;
      expect(schema, `${method} ${url} declares its answer`).toBeDefined();
      const parsed = schema!.safeParse(res.json());
      expect(parsed.success, `${method} ${url}: ${parsed.error?.message}`).toBe(true);
      expect(doc.paths[pathOf(route!.url)]![method.toLowerCase()]!.responses['200']!.content).toHaveProperty(
        'application/json.schema',
      );
    }
  });
});
