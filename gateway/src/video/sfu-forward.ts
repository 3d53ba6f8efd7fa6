/**
 * One request from the gateway to the SFU on a browser's behalf: the viewer signalling of /sfu/v1
 * (JSON) and talkback (SDP) both go through here, so both pass the same headers and fail the same
 * way. Only the bearer token goes on, never the cookie; the body's type is the gateway's to say (a
 * caller's `charset=utf-16` made the SFU refuse mid-upload, answered as 503: issue 11 fuzzing).
 */
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface SfuRequest {
  method: string;
  /** a path the gateway matched against sfu/SPEC.md, never the caller's raw one */
  path: string;
  authorization: string | undefined;
  body?: { type: 'application/json' | 'application/sdp'; text: string };
}

export async function forwardToSfu(sfuUrl: string, log: Logger, r: SfuRequest): Promise<Response> {
  if (!sfuUrl) throw new AppError('unavailable', 'live video is not configured (SFU_URL unset)');
  const headers: Record<string, string> = {};
  if (typeof r.authorization === 'string') headers.authorization = r.authorization;
  if (r.body) headers['content-type'] = r.body.type;
  try {
    return await fetch(`${sfuUrl.replace(/\/$/, '')}${r.path}`, {
      method: r.method,
      headers,
      ...(r.body ? { body: r.body.text } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    // undici says `fetch failed` for the network; any other TypeError is a header it will not send
    if (err instanceof TypeError && err.message !== 'fetch failed')
      throw new AppError('bad_request', `request not forwarded: ${err.message}`);
    log.warn({ err: (err as Error).message }, 'sfu unreachable');
    throw new AppError('unavailable', 'the video server is unreachable; retry');
  }
}
