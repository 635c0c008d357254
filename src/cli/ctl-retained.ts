// `starling ctl retained list|show|del`: the running broker's retained messages through
// /api/v5/mqtt/retainer/messages and /message/{topic}. show prints the payload as text when it is
// UTF-8 without control characters, else as base64.

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';
import { checkArguments, onlyFlags, pageQuery, printPage, type Flags, type PageAnswer } from './ctl-live.js';

export const retainedUsage = `Usage: starling ctl retained list [--topic FILTER] [--page N] [--limit N] [--json]
       starling ctl retained show TOPIC [--json]
       starling ctl retained del TOPIC

The running broker's retained messages. TOPIC is read as a filter, as EMQX does: show prints the
first match, del deletes every match.
`;

interface ApiRetained {
  topic: string;
  qos: number;
  publish_at: string;
  from_clientid: string;
  payload?: string;
}

export function retainedCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  switch (action) {
    case 'list': {
      onlyFlags(flags, ['json', 'page', 'limit', 'topic'], 'ctl retained list');
      checkArguments(args, 0, 'retained list takes no arguments (--topic FILTER for some)');
      const topic = typeof flags['topic'] === 'string' ? `&topic=${encodeURIComponent(flags['topic'])}` : '';
      return {
        request: { method: 'GET', path: `/api/v5/mqtt/retainer/messages?${pageQuery(flags)}${topic}` },
        print: (body) => printPage(body as PageAnswer<ApiRetained>, flags, (message) => `${message.topic}  qos=${message.qos} from=${message.from_clientid || '-'} at=${message.publish_at}`),
      };
    }
    case 'show':
      onlyFlags(flags, ['json'], 'ctl retained show');
      checkArguments(args, 1, 'retained show takes one TOPIC');
      return {
        request: { method: 'GET', path: `/api/v5/mqtt/retainer/message/${encodeURIComponent(args[0]!)}` },
        print: (body) => (flags['json'] === true ? `${JSON.stringify(body)}\n` : describe(body as ApiRetained)),
      };
    case 'del':
      onlyFlags(flags, [], 'ctl retained del');
      checkArguments(args, 1, 'retained del takes one TOPIC');
      return { request: { method: 'DELETE', path: `/api/v5/mqtt/retainer/message/${encodeURIComponent(args[0]!)}` }, print: () => 'ok\n' };
    default:
      throw new UsageError(action === undefined ? 'missing action: list, show or del' : `unknown action "${action}" (expected: list, show, del)`, 'starling ctl');
  }
}

function describe(message: ApiRetained): string {
  const lines = [`topic: ${message.topic}`, `qos: ${message.qos}`, `from: ${message.from_clientid || '-'}`, `published: ${message.publish_at}`];
  if (message.payload === undefined) lines.push('payload: (over 1 MiB, not shown)');
  else lines.push(`payload: ${readable(Buffer.from(message.payload, 'base64')) ?? `base64:${message.payload}`}`);
  return `${lines.join('\n')}\n`;
}

/** The payload as text when it is UTF-8 without control characters (tabs and newlines aside). */
function readable(payload: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}
