// Topic Name and Topic Filter rules (section 4.7, 4.8.2), shared by the decoder and the broker.

const SHARE_PREFIX = '$share/';

/** Non-empty, no wildcard characters [MQTT-4.7.3-1], [MQTT-3.3.2-2]. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && topic.indexOf('+') === -1 && topic.indexOf('#') === -1;
}

/**
 * Non-empty [MQTT-4.7.3-1]; '#' last and alone in its level [MQTT-4.7.1-1]; '+' alone in its level
 * [MQTT-4.7.1-2]; a shared subscription `$share/<group>/<filter>` has a non-empty group without
 * '+', '#' or '/' and a valid non-empty filter [MQTT-4.8.2-1], [MQTT-4.8.2-2].
 */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  if (filter.startsWith(SHARE_PREFIX)) {
    const groupEnd = filter.indexOf('/', SHARE_PREFIX.length);
    if (groupEnd === -1 || groupEnd === SHARE_PREFIX.length) return false;
    const group = filter.slice(SHARE_PREFIX.length, groupEnd);
    if (group.indexOf('+') !== -1 || group.indexOf('#') !== -1) return false;
    const sharedFilter = filter.slice(groupEnd + 1);
    return sharedFilter.length > 0 && isValidPlainFilter(sharedFilter);
  }
  return isValidPlainFilter(filter);
}

function isValidPlainFilter(filter: string): boolean {
  const last = filter.length - 1;
  for (let index = 0; index <= last; index++) {
    const code = filter.charCodeAt(index);
    if (code !== 0x23 /* # */ && code !== 0x2b /* + */) continue;
    const alone =
      (index === 0 || filter.charCodeAt(index - 1) === 0x2f) && (index === last || filter.charCodeAt(index + 1) === 0x2f);
    if (!alone) return false;
    if (code === 0x23 && index !== last) return false;
  }
  return true;
}

/** Number of levels: 'a/b' has 2, '/' has 2, 'a' has 1. */
export function topicLevelCount(topic: string): number {
  let count = 1;
  for (let index = 0; index < topic.length; index++) {
    if (topic.charCodeAt(index) === 0x2f) count++;
  }
  return count;
}
