// MQTT topic names and filters as NATS subjects, for the streams: a shared group's consumer takes the
// subject of its filter from the message stream (plane `d`), and the retained stream keeps one message per
// topic's subject (plane `r`). A topic `a/b` on plane `d` is `<prefix>.d.t.a.b.~`:
//
//   root      `t` for ordinary topics, `s` for topics whose first level starts with `$`: a filter starting
//             with `+` or `#` maps under `t` only, so [MQTT-4.7.2-1] holds inside NATS.
//   levels    printable ASCII except `.` `*` `>` `~` passes unchanged; every other byte of the level's
//             UTF-8 (space, controls, `.`, `*`, `>`, `~`, non-ASCII) becomes `~HH`; an empty level is `~_`.
//             `*` and `>` must be escaped: `a/*/b` is a legal topic, and NATS would take it as a wildcard.
//   sentinel  the final token `~` lets `a/#` be one subject, `….t.a.>`, that also matches the parent `a`
//             (`….t.a.~`), while `a/+` is `….t.a.*.~` (one filter, one subject: 2.9 consumers take one).
//
// A subject longer than MAX_SUBJECT_BYTES (or with more than MAX_SUBJECT_LEVELS levels) goes to the plane's
// overflow subject `<prefix>.<plane>.x`: a SUB or PUB line over the server's max_control_line (4096) closes
// the whole NATS connection. A group whose filter is that long reads the overflow subject and re-filters.

/** Longest subject (in bytes) used as such; longer ones go to the overflow subject. */
export const MAX_SUBJECT_BYTES = 2048;
/** Most MQTT levels mapped to tokens; more go to the overflow subject. */
export const MAX_SUBJECT_LEVELS = 200;

const HEX = '0123456789ABCDEF';

/** Whether a byte of a level passes unescaped: printable ASCII except `.` `*` `>` `~`. */
function passes(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x2e && code !== 0x2a && code !== 0x3e && code !== 0x7e;
}

/** One MQTT level as one NATS token. */
export function encodeLevel(level: string): string {
  if (level.length === 0) return '~_';
  let plain = true;
  for (let i = 0; i < level.length; i++) {
    if (!passes(level.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return level;
  let out = '';
  for (const byte of Buffer.from(level, 'utf8')) {
    out += passes(byte) ? String.fromCharCode(byte) : `~${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** The inverse of encodeLevel (for tests and tools). */
export function decodeLevel(token: string): string {
  if (token === '~_') return '';
  if (!token.includes('~')) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '~') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export type Plane = 'd' | 'r';

/** The subjects of one plane under one prefix. */
export class SubjectMap {
  /** Where topics (and filters) too long to map go. */
  readonly overflow: string;
  private readonly ordinary: string;
  private readonly dollar: string;

  constructor(
    readonly prefix: string,
    readonly plane: Plane,
  ) {
    this.overflow = `${prefix}.${plane}.x`;
    this.ordinary = `${prefix}.${plane}.t.`;
    this.dollar = `${prefix}.${plane}.s.`;
  }

  /** The subject a message on `topic` is published to (the overflow subject when too long). */
  topic(topic: string): string {
    return this.map(topic, false) ?? this.overflow;
  }

  /**
   * The subject a filter subscribes; undefined when the filter is too long to map (then only the
   * overflow subject can carry its topics).
   */
  filter(filter: string): string | undefined {
    return this.map(filter, true);
  }

  private map(name: string, isFilter: boolean): string | undefined {
    if (name.length > MAX_SUBJECT_BYTES) return undefined;
    const levels = name.split('/');
    if (levels.length > MAX_SUBJECT_LEVELS) return undefined;
    let subject = name.charCodeAt(0) === 0x24 /* $ */ ? this.dollar : this.ordinary;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      if (isFilter && level === '#') return subject + '>';
      subject += (isFilter && level === '+' ? '*' : encodeLevel(level)) + '.';
    }
    subject += '~';
    return Buffer.byteLength(subject) > MAX_SUBJECT_BYTES ? undefined : subject;
  }
}
