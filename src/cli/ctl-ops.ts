// `starling ctl trace|log|reload`: operating a running broker. Each turns its arguments into a
// management API request (src/api/routes/trace.ts, configs.ts) and prints the answer (`--json`: the
// API's own). They need a running broker: on a stopped one's data directory the API answers that.

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';
import type { AdminRequest } from '../admin/client.js';

const COMMAND = 'starling ctl';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Bytes asked per request by `trace log` (the route's largest chunk). */
const LOG_CHUNK = 4 * 1024 * 1024;

type Flags = Record<string, string | boolean>;

export const opsUsage = `Usage: starling ctl trace <action> [options]

Traces every packet in and out of the clients a trace follows, one line each, into a file in the
trace directory (trace_dir, default <data_dir>/trace), until its end time or its size cap.

Actions:
  start NAME client|topic|ip_address VALUE [SECONDS]
                    start a trace of a client id, a topic filter or an address, for SECONDS
                    (default 600)   [--max-bytes N] [--payload-encode text|hex|hidden]
                    [--formatter text|json] [--start RFC3339-DATE]
  stop NAME         stop a trace (its file stays)
  delete NAME       delete a trace and its file
  list              list traces   [--json]
  log NAME          print a trace's file

Usage: starling ctl log level [LEVEL]

Shows the lowest level logged, or sets it at once: fatal, error, warn, info, debug, trace, silent.

Usage: starling ctl reload [--dry-run] [--json]

Reads the broker's config file again and applies what can change while running; prints what was
applied and what needs a restart. --dry-run only says what a reload would change. A file that does
not validate changes nothing (the error names the key).
`;

const TRACE_TYPES: Readonly<Record<string, string>> = { client: 'clientid', clientid: 'clientid', topic: 'topic', ip_address: 'ip_address', ip: 'ip_address' };

/** A trace as the API answers it. */
interface ApiTrace {
  name: string;
  type: 'clientid' | 'topic' | 'ip_address';
  clientid?: string;
  topic?: string;
  ip_address?: string;
  start_at: string;
  end_at: string;
  status: string;
  log_size: Record<string, number>;
  max_bytes: number;
  stop_reason?: string;
}

export function traceCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  const startOnly = ['max-bytes', 'payload-encode', 'formatter', 'start'];
  for (const flag of startOnly) {
    if (flags[flag] !== undefined && action !== 'start') throw new UsageError(`--${flag} is only for trace start`, COMMAND);
  }
  const [name] = args;
  const path = name === undefined ? '' : `/api/v5/trace/${encodeURIComponent(name)}`;
  switch (action) {
    case 'start':
      return startTrace(args, flags);
    case 'stop':
      oneName(args, 'stop');
      return { request: { method: 'PUT', path: `${path}/stop` }, print: () => `trace ${name!} stopped\n` };
    case 'delete':
    case 'del':
      oneName(args, action);
      return { request: { method: 'DELETE', path }, print: () => `trace ${name!} deleted\n` };
    case 'list':
      if (args.length > 0) throw new UsageError('trace list takes no arguments', COMMAND);
      return {
        request: { method: 'GET', path: '/api/v5/trace' },
        print: (traces) => (flags['json'] === true ? `${JSON.stringify(traces)}\n` : (traces as ApiTrace[]).map(describeTrace).join('')),
      };
    case 'log': {
      oneName(args, 'log');
      const chunk = (position: number): AdminRequest => ({ method: 'GET', path: `${path}/log?bytes=${LOG_CHUNK}&position=${position}` });
      return {
        request: chunk(0),
        print: (answer) => (answer as LogChunk).items,
        next: (answer) => ((answer as LogChunk).items === '' ? undefined : chunk((answer as LogChunk).meta.position)),
      };
    }
    default:
      throw new UsageError(action === undefined ? 'missing action: start, stop, delete, list or log' : `unknown action "${action}" (expected: start, stop, delete, list, log)`, COMMAND);
  }
}

interface LogChunk {
  items: string;
  meta: { position: number };
}

function oneName(args: string[], action: string): void {
  if (args.length !== 1) throw new UsageError(`trace ${action} takes exactly one NAME`, COMMAND);
}

function startTrace(args: string[], flags: Flags): CtlCommand {
  if (args.length < 3 || args.length > 4) throw new UsageError('trace start takes NAME client|topic|ip_address VALUE [SECONDS]', COMMAND);
  const [name, typeWord, value, seconds] = args as [string, string, string, string | undefined];
  const type = TRACE_TYPES[typeWord];
  if (type === undefined) throw new UsageError(`unknown trace type "${typeWord}" (expected: client, topic, ip_address)`, COMMAND);
  const body: Record<string, unknown> = { name, type, [type]: value };
  const start = typeof flags['start'] === 'string' ? Date.parse(flags['start']) : Date.now();
  if (Number.isNaN(start)) throw new UsageError(`--start: expected an RFC 3339 date-time, got ${String(flags['start'])}`, COMMAND);
  if (seconds !== undefined) {
    if (!/^\d+$/.test(seconds) || Number(seconds) === 0) throw new UsageError(`SECONDS: expected a positive number of seconds, got ${seconds}`, COMMAND);
    body['end_at'] = new Date(start + Number(seconds) * 1000).toISOString();
  }
  // With a duration, the start is this command's clock too, so the trace lasts exactly that long.
  if (flags['start'] !== undefined || seconds !== undefined) body['start_at'] = new Date(start).toISOString();
  const maxBytes = flags['max-bytes'];
  if (maxBytes !== undefined) {
    if (typeof maxBytes !== 'string' || !/^\d+$/.test(maxBytes)) throw new UsageError('--max-bytes: expected a number of bytes', COMMAND);
    body['max_bytes'] = Number(maxBytes);
  }
  for (const [flag, field, allowed] of [
    ['payload-encode', 'payload_encode', ['text', 'hex', 'hidden']],
    ['formatter', 'formatter', ['text', 'json']],
  ] as const) {
    const given = flags[flag];
    if (given === undefined) continue;
    if (typeof given !== 'string' || !(allowed as readonly string[]).includes(given)) throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}`, COMMAND);
    body[field] = given;
  }
  return {
    request: { method: 'POST', path: '/api/v5/trace', body },
    print: (trace) => (flags['json'] === true ? `${JSON.stringify(trace)}\n` : `trace ${name} ${(trace as ApiTrace).status}: ${describeTrace(trace as ApiTrace)}`),
  };
}

function describeTrace(trace: ApiTrace): string {
  const size = Object.values(trace.log_size).reduce((sum, bytes) => sum + bytes, 0);
  const stopped = trace.stop_reason === undefined ? '' : ` (${trace.stop_reason})`;
  return `${trace.name}  ${trace.type} ${trace[trace.type] ?? ''}  ${trace.status}${stopped}  ${trace.start_at} .. ${trace.end_at}  ${size}/${trace.max_bytes} bytes\n`;
}

export function logCommand(action: string | undefined, args: string[]): CtlCommand {
  if (action !== 'level') throw new UsageError(action === undefined ? 'missing action: level' : `unknown action "${action}" (expected: level)`, COMMAND);
  if (args.length > 1) throw new UsageError('log level takes at most one LEVEL', COMMAND);
  const [level] = args;
  if (level === undefined) return { request: { method: 'GET', path: '/api/v5/log/level' }, print: (answer) => `${(answer as { level: string }).level}\n` };
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`unknown log level "${level}" (expected: ${LOG_LEVELS.join(', ')})`, COMMAND);
  return { request: { method: 'PUT', path: '/api/v5/log/level', body: { level } }, print: () => `log level: ${level}\n` };
}

/** A reload as the API answers it. */
interface ApiReload {
  source: string;
  dry_run: boolean;
  changes: Array<{ key: string; live: boolean; takes_effect: string; applied: boolean; note?: string }>;
}

export function reloadCommand(args: string[], flags: Flags): CtlCommand {
  if (args.length > 0) throw new UsageError('reload takes no arguments', COMMAND);
  const dryRun = flags['dry-run'] === true;
  return {
    request: { method: 'POST', path: `/api/v5/configs/reload${dryRun ? '?dry_run=true' : ''}` },
    print: (answer) => (flags['json'] === true ? `${JSON.stringify(answer)}\n` : describeReload(answer as ApiReload)),
  };
}

function describeReload(answer: ApiReload): string {
  const lines = [`${answer.dry_run ? 'dry run of a reload of' : 'reloaded'} ${answer.source}`];
  if (answer.changes.length === 0) lines.push('nothing changed');
  // What changes (or would) first, then what does not.
  const changes = [...answer.changes.filter((change) => change.applied || (answer.dry_run && change.live)), ...answer.changes.filter((change) => !(change.applied || (answer.dry_run && change.live)))];
  for (const change of changes) {
    const note = change.note === undefined || change.note === change.takes_effect ? '' : `: ${change.note}`;
    if (change.applied) lines.push(`applied: ${change.key} (${change.takes_effect})${note}`);
    else if (answer.dry_run && change.live) lines.push(`would apply: ${change.key} (${change.takes_effect})`);
    else lines.push(`not applied: ${change.key} (${change.note ?? change.takes_effect})`);
  }
  return `${lines.join('\n')}\n`;
}
