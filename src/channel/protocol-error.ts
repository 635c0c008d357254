// A protocol violation with the MQTT 5 reason code the server answers it with. Handlers throw it;
// the channel turns it into CONNACK or DISCONNECT (MQTT 5) or a closed connection (3.x).

export class ProtocolError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
