// Topic-name and topic-filter helpers shared by the trie, the retained index and the broker:
// shared-subscription parsing, wildcard detection and the naive reference matcher.

export interface SharedFilter {
  group: string;
  filter: string;
}

const sharePrefix = '$share/';
const levelSeparator = '/';
const singleLevelWildcard = '+';
const multiLevelWildcard = '#';
const dollarCharCode = 0x24; // '$'

/** '$share/<group>/<filter>' -> { group, filter }; anything else -> undefined. Assumes the filter was validated. */
export function parseSharedFilter(topicFilter: string): SharedFilter | undefined {
  if (!topicFilter.startsWith(sharePrefix)) return undefined;
  const groupEnd = topicFilter.indexOf(levelSeparator, sharePrefix.length);
  // [MQTT-4.8.2-1] a ShareName is followed by '/' and a non-empty topic filter
  if (groupEnd === -1) return undefined;
  return {
    group: topicFilter.slice(sharePrefix.length, groupEnd),
    filter: topicFilter.slice(groupEnd + 1),
  };
}

export function hasWildcard(filter: string): boolean {
  return filter.includes(singleLevelWildcard) || filter.includes(multiLevelWildcard);
}

/** True when the topic name starts with '$' ($SYS/..., $share is never a topic name). */
export function isDollarTopic(topic: string): boolean {
  return topic.charCodeAt(0) === dollarCharCode;
}

/** Naive reference matcher, used by tests and as documentation of the rules. */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split(levelSeparator);
  const topicLevels = topic.split(levelSeparator);
  const firstFilterLevel = filterLevels[0];
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with '$'
  if (isDollarTopic(topic) && (firstFilterLevel === singleLevelWildcard || firstFilterLevel === multiLevelWildcard)) {
    return false;
  }
  for (let index = 0; index < filterLevels.length; index++) {
    const filterLevel = filterLevels[index];
    // MQTT 4.7.1.2: '#' (always last [MQTT-4.7.1-2]) matches any number of levels, including none ('a/#' matches 'a')
    if (filterLevel === multiLevelWildcard) return true;
    if (index >= topicLevels.length) return false;
    // MQTT 4.7.1.3: '+' (a whole level [MQTT-4.7.1-3]) matches exactly one level, which may be empty
    if (filterLevel === singleLevelWildcard) continue;
    if (filterLevel !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
