// The LMDB store's own bookkeeping of delivery records: per message, the records of its deliveries
// kept apart from its segment (later states, ended-delivery markers), so that deleteMessage can
// remove them all without the caller knowing they exist. Rebuilt at open from the records read.

/**
 * Per message id, sequence -> client id of its delivery records. A sequence is unique within its node
 * (StoredDelivery), so it names the record; a record missed here only outlives its message until the
 * next open, which removes delivery records whose message is gone.
 */
export type DeliveryRecordIndex = Map<number, Map<number, string>>;

export function recordDelivery(index: DeliveryRecordIndex, messageId: number, clientId: string, sequence: number): void {
  let records = index.get(messageId);
  if (records === undefined) {
    records = new Map();
    index.set(messageId, records);
  }
  records.set(sequence, clientId);
}
