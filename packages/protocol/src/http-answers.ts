/**
 * HTTP answers that had no schema of their own: the gateway declares them on its routes (and in
 * its OpenAPI document), the web client parses them with the same schemas.
 */
import { z } from 'zod';
import { Id } from './common.ts';
import { FourEyesView, RecordingView } from './recording.ts';

export const RecordingDetailResponse = z.object({
  recording: RecordingView,
  approvals: z.array(FourEyesView),
});
export type RecordingDetailResponse = z.infer<typeof RecordingDetailResponse>;

export const RecordingResponse = z.object({ recording: RecordingView });
export type RecordingResponse = z.infer<typeof RecordingResponse>;

/** a four-eyes request was filed: its id */
export const CreatedIdResponse = z.object({ id: Id });
export type CreatedIdResponse = z.infer<typeof CreatedIdResponse>;

export const OkResponse = z.object({ ok: z.literal(true) });
export type OkResponse = z.infer<typeof OkResponse>;
