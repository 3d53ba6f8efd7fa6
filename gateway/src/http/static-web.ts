/**
 * Serves the control room's static export (web/out) at the same origin as the API and Socket.IO,
 * so the session cookie stays HttpOnly + SameSite=strict and no CORS is needed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';

export async function registerStaticWeb(app: FastifyInstance, webDir: string): Promise<void> {
  const hasWeb = webDir !== '' && existsSync(join(webDir, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, {
      root: webDir,
      redirect: true,
      index: ['index.html'],
      cacheControl: false,
      setHeaders(res, path) {
        // hashed build assets never change; pages must revalidate so a deploy shows at once
        res.header(
          'cache-control',
          path.includes('/_next/static/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  const notFoundPage = hasWeb ? await readFile(join(webDir, '404.html'), 'utf8').catch(() => null) : null;
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || !notFoundPage) {
      const e = new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
      return reply.code(404).send(e.toBody());
    }
    return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage);
  });
}
