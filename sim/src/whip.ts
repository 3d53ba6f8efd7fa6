/**
 * @lagebild/sim/whip: live video of simulated cameras. A device in `recording` publishes real WebRTC
 * to the SFU over WHIP; the test picture carries a machine-readable wall-clock stamp.
 */
export {
  publishWhip,
  WhipError,
  type WhipPublisher,
  type WhipPublisherOptions,
  whipOffer,
} from './whip-publisher.ts';
export {
  createTestPicture,
  PICTURE_HEIGHT,
  PICTURE_WIDTH,
  readFrameStamp,
  STAMP_BITS,
} from './whip-test-picture.ts';
export { createWhipVideo, type WhipVideo, type WhipVideoOptions } from './whip-video.ts';
