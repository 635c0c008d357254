// `starling ctl status` and `starling ctl broker stats`: is the broker running, and its counts
// (EMQX's `emqx ctl status` and `emqx ctl broker stats` words and layout), through GET
// /api/v5/status and /api/v5/stats.

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';
import { checkArguments, onlyFlags, type Flags } from './ctl-live.js';

export const brokerUsage = `Usage: starling ctl status
       starling ctl broker stats [--json]

status prints whether the broker runs (exit 1 when it does not); broker stats prints its counts
(connections, sessions, topics, subscriptions, retained messages).
`;

interface StatusAnswer {
  node_name: string;
  rel_vsn: string;
  broker_status: string;
  app_status: string;
}

export function statusCommand(action: string | undefined, flags: Flags): CtlCommand {
  onlyFlags(flags, [], 'ctl status');
  if (action !== undefined) throw new UsageError('status takes no arguments', 'starling ctl');
  return {
    request: { method: 'GET', path: '/api/v5/status?format=json' },
    print: (body) => describeStatus(body as StatusAnswer),
    refused: (status, body) => (status === 503 && typeof body === 'object' && body !== null && 'broker_status' in body ? describeStatus(body as StatusAnswer) : undefined),
  };
}

function describeStatus(status: StatusAnswer): string {
  const node = status.node_name === 'none' ? 'no broker runs on this data directory' : `Node ${status.node_name} ${status.rel_vsn} is ${status.broker_status}`;
  return `${node}\nstarling is ${status.app_status === 'running' ? 'running' : 'not running'}\n`;
}

export function brokerCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  onlyFlags(flags, ['json'], 'ctl broker');
  if (action !== 'stats') throw new UsageError(action === undefined ? 'missing action: stats' : `unknown action "${action}" (expected: stats)`, 'starling ctl');
  checkArguments(args, 0, 'broker stats takes no arguments');
  return {
    request: { method: 'GET', path: '/api/v5/stats?aggregate=true' },
    print: (body) => {
      if (flags['json'] === true) return `${JSON.stringify(body)}\n`;
      const entries = Object.entries(body as Record<string, number>);
      const width = Math.max(...entries.map(([name]) => name.length));
      return entries.map(([name, value]) => `${name.padEnd(width)} : ${value}\n`).join('');
    },
  };
}
