// The value a decode failure becomes: a reason code the channel can answer with, never a thrown
// exception past the Decoder.

import type { PacketTypeName } from './types.js';

export class DecodeError {
  constructor(
    /** A ReasonCode: MalformedPacket, ProtocolError, PacketTooLarge, UnsupportedProtocolVersion, TopicNameInvalid ... */
    readonly reasonCode: number,
    readonly message: string,
    /** The packet being decoded, when its type was known. */
    readonly packetType?: PacketTypeName,
  ) {}
}
