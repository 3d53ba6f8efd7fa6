/**
 * The PATCH of a WHIP or WHEP resource (RFC 9725 §4.3, RFC 8840 fragments), one place for both
 * ([W8], [E5]): the SFU is ICE-lite, so trickled candidates need nothing (204; it learns the peer's
 * addresses from its checks); new ICE credentials are an ICE restart, answered 200 with the SFU's
 * new credentials and candidates and a new ETag. `If-Match` other than `*` or the ETag → 412.
 */
import type { types } from 'mediasoup';
import { SfuError } from './errors.ts';
import { newEtag } from './publisher.ts';
import { buildRestartFrag, parseSdpFrag, SdpError } from './whip-sdp.ts';

/** What a PATCH reads and updates on a publisher or a WHEP session. */
export interface IceResource {
  etag: string;
  /** the ufrag the client last used: the same one is trickle, a new one a restart */
  remoteIceUfrag: string;
  /** a=mid of the first accepted section, for the restart answer */
  firstMid: string;
}

export type PatchOutcome = { status: 204 } | { status: 200; etag: string; frag: string };

/**
 * Applies a PATCH body to a resource. `whileOpen` wraps the mediasoup call so that a resource
 * closing meanwhile is a 404, not a 500 ([V8]).
 */
export async function patchIce(
  resource: IceResource,
  transport: types.WebRtcTransport,
  body: unknown,
  ifMatch: string | undefined,
  whileOpen: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<PatchOutcome> {
  if (ifMatch && ifMatch !== '*' && ifMatch !== resource.etag) {
    throw new SfuError(
      'precondition_failed',
      'ETag does not match this session (it was restarted or replaced)',
    );
  }
  let frag: ReturnType<typeof parseSdpFrag>;
  try {
    frag = parseSdpFrag(typeof body === 'string' ? body : '');
  } catch (err) {
    if (err instanceof SdpError) throw new SfuError('bad_request', `malformed SDP fragment: ${err.message}`);
    throw err;
  }
  if (frag.iceUfrag === null || frag.iceUfrag === resource.remoteIceUfrag) return { status: 204 };
  if (!frag.icePwd) throw new SfuError('bad_request', 'an ICE restart needs a=ice-ufrag and a=ice-pwd');
  const iceParameters = await whileOpen(() => transport.restartIce());
  resource.remoteIceUfrag = frag.iceUfrag;
  resource.etag = newEtag();
  return {
    status: 200,
    etag: resource.etag,
    frag: buildRestartFrag(
      { iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters },
      resource.firstMid,
    ),
  };
}
