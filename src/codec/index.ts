// The codec's public surface: packet types, wire constants, Decoder, encode and topic checks.

export * from './types.js';
export * from './constants.js';
export { Decoder, DecodeError, type DecoderOptions } from './decoder.js';
export { encode, encodePublishHeader, encodedPublishLength } from './encoder.js';
export { isValidTopicFilter, isValidTopicName, topicLevelCount } from './validate.js';
