/**
 * One Fastify error handler for every service: a catalogue error answers with its own status and
 * body; a body over the limit is a 413 (read to its end when it is not huge, so the client reads the
 * 413); Fastify's other 4xx refusals pass through as bad_request;
 * anything else is logged and answered with a generic 500 that never carries its message.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from './service-error.ts';

export interface ErrorHandlerOptions {
  /** the service's catalogue class, so its codes map to the wire as everywhere else */
  error: new (
    code: 'bad_request' | 'too_large' | 'internal',
    message: string,
  ) => ServiceError;
  /** the 413's message, naming the limit, e.g. "request body too large (max 16 KiB)" */
  tooLargeMessage: string;
  /**
   * The answer to a Content-Type no parser accepts. Without it Fastify's own 415 passes through as
   * bad_request with Fastify's message.
   */
  unsupportedMediaType?: (contentType: string | undefined) => ServiceError;
}

type HttpError = Error & { statusCode?: number; code?: string };

/**
 * A body over the limit whose declared length is at most this is read to its end and thrown away
 * after the 413, so the client gets to read the answer. Fastify closes the connection instead, and a
 * socket closed with the client's bytes still arriving is reset (RFC 9112 § 9.6): the client sees
 * "connection reset", not the 413. Larger or chunked bodies are still cut off with the connection.
 */
export const DRAIN_TOO_LARGE_BYTES = 1024 * 1024;

export function serviceErrorHandler(
  opts: ErrorHandlerOptions,
): (err: HttpError, req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const send = (reply: FastifyReply, status: number, e: ServiceError) => reply.code(status).send(e.toBody());
  return (err, req, reply) => {
    if (err instanceof ServiceError) return send(reply, err.status, err);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const declared = Number(req.headers['content-length']);
      if (declared <= DRAIN_TOO_LARGE_BYTES) reply.removeHeader('connection'); // Node drains the rest
      return send(reply, 413, new opts.error('too_large', opts.tooLargeMessage));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && opts.unsupportedMediaType) {
      const e = opts.unsupportedMediaType(req.headers['content-type']);
      return send(reply, e.status, e);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return send(reply, err.statusCode, new opts.error('bad_request', err.message));
    req.log.error({ err }, 'request failed');
    return send(reply, 500, new opts.error('internal', 'internal error; it has been logged'));
  };
}
