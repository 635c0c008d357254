// The topic-matching rules of MQTT 5.0 section 4.7 as a table, shared by the tests of the reference matcher,
// the subscription trie and the retained index so all three are held to the same cases.

export interface MatchingCase {
  readonly rule: string;
  readonly filter: string;
  readonly topic: string;
  readonly matches: boolean;
}

export const matchingCases: readonly MatchingCase[] = [
  { rule: 'an exact filter matches the same topic', filter: 'sport/tennis', topic: 'sport/tennis', matches: true },
  { rule: 'an exact filter does not match a longer topic', filter: 'sport/tennis', topic: 'sport/tennis/player1', matches: false },
  { rule: 'an exact filter does not match a shorter topic', filter: 'sport/tennis', topic: 'sport', matches: false },
  { rule: 'matching is case sensitive (4.7.3)', filter: 'ACCOUNTS', topic: 'Accounts', matches: false },
  { rule: 'spaces are significant (4.7.3)', filter: 'sport/ tennis', topic: 'sport/tennis', matches: false },
  { rule: "'#' matches the parent level (4.7.1.2) [MQTT-4.7.1-2]", filter: 'sport/tennis/player1/#', topic: 'sport/tennis/player1', matches: true },
  { rule: "'#' matches one level below (4.7.1.2)", filter: 'sport/tennis/player1/#', topic: 'sport/tennis/player1/ranking', matches: true },
  { rule: "'#' matches several levels below (4.7.1.2)", filter: 'sport/tennis/player1/#', topic: 'sport/tennis/player1/score/wimbledon', matches: true },
  { rule: "'sport/#' matches 'sport' (4.7.1.2)", filter: 'sport/#', topic: 'sport', matches: true },
  { rule: "'#' alone matches every topic not starting with '$' (4.7.1.2)", filter: '#', topic: 'sport/tennis', matches: true },
  { rule: "'#' does not match a sibling of its parent (4.7.1.2)", filter: 'sport/tennis/#', topic: 'sport/golf', matches: false },
  { rule: "'#' does not match a topic sharing only a prefix of the parent level", filter: 'sport/#', topic: 'sports', matches: false },
  { rule: "'+' matches one level (4.7.1.3) [MQTT-4.7.1-3]", filter: 'sport/tennis/+', topic: 'sport/tennis/player1', matches: true },
  { rule: "'sport/tennis/+' does not match 'sport/tennis' (4.7.1.3)", filter: 'sport/tennis/+', topic: 'sport/tennis', matches: false },
  { rule: "'+' does not match two levels (4.7.1.3)", filter: 'sport/tennis/+', topic: 'sport/tennis/player1/ranking', matches: false },
  { rule: "'sport/+' does not match 'sport' (4.7.1.3)", filter: 'sport/+', topic: 'sport', matches: false },
  { rule: "'sport/+' matches 'sport/' with its empty level (4.7.1.3)", filter: 'sport/+', topic: 'sport/', matches: true },
  { rule: "'+/+' matches '/finance' (4.7.1.3)", filter: '+/+', topic: '/finance', matches: true },
  { rule: "'/+' matches '/finance' (4.7.1.3)", filter: '/+', topic: '/finance', matches: true },
  { rule: "'+' does not match '/finance' (4.7.1.3)", filter: '+', topic: '/finance', matches: false },
  { rule: "'+' in the middle matches one level", filter: 'sport/+/player1', topic: 'sport/tennis/player1', matches: true },
  { rule: "'+' and '#' combine", filter: '+/tennis/#', topic: 'sport/tennis/player1/ranking', matches: true },
  { rule: "'+/#' matches a single level topic through '#' matching the parent", filter: '+/#', topic: 'sport', matches: true },
  { rule: 'empty levels are levels: a//b', filter: 'a//b', topic: 'a//b', matches: true },
  { rule: "empty levels are levels: '+' matches the empty middle level", filter: 'a/+/b', topic: 'a//b', matches: true },
  { rule: "empty levels are levels: 'a/b' does not match 'a//b'", filter: 'a/b', topic: 'a//b', matches: false },
  { rule: "a leading '/' starts with an empty level", filter: '/a', topic: 'a', matches: false },
  { rule: "a trailing '/' ends with an empty level", filter: 'a/', topic: 'a', matches: false },
  { rule: "a topic of only '/' has two empty levels (4.7.3)", filter: '+/+', topic: '/', matches: true },
  { rule: "'#' matches a topic of only '/' (4.7.3)", filter: '#', topic: '/', matches: true },
  { rule: "'#' does not match '$SYS/...' [MQTT-4.7.2-1]", filter: '#', topic: '$SYS/monitor/Clients', matches: false },
  { rule: "'+/monitor/Clients' does not match '$SYS/monitor/Clients' [MQTT-4.7.2-1]", filter: '+/monitor/Clients', topic: '$SYS/monitor/Clients', matches: false },
  { rule: "'+/#' does not match a '$' topic [MQTT-4.7.2-1]", filter: '+/#', topic: '$SYS', matches: false },
  { rule: "'$SYS/#' matches '$SYS/monitor/Clients' (4.7.2)", filter: '$SYS/#', topic: '$SYS/monitor/Clients', matches: true },
  { rule: "'$SYS/monitor/+' matches '$SYS/monitor/Clients' (4.7.2)", filter: '$SYS/monitor/+', topic: '$SYS/monitor/Clients', matches: true },
  { rule: "an exact filter matches a '$' topic (4.7.2)", filter: '$SYS/monitor/Clients', topic: '$SYS/monitor/Clients', matches: true },
  { rule: "the '$' rule is only about the first level", filter: 'a/+', topic: 'a/$b', matches: true },
  { rule: "a '$' later in the first level does not trigger the rule", filter: '#', topic: 'a$/b', matches: true },
];
