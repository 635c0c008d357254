// PROXY protocol v1 (text) and v2 (binary) headers that load balancers (HAProxy, AWS NLB, nginx
// stream) put before the client's first byte, so the broker sees the real client address.
// Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
//
// parseProxyHeader is pure; readProxyHeader reads one header off a socket and puts the bytes after
// it back, so the next reader (the MQTT connection or the TLS layer) starts at the right byte.

import { isIP, type Socket } from 'node:net';

/** v2 signature: \r\n\r\n\0\r\nQUIT\n */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 line, CRLF included (section 2.1). */
const V1_MAX_LENGTH = 107;
const V2_HEADER_LENGTH = 16;
/** A header larger than this is not one a load balancer sends (TLVs included). */
const V2_MAX_LENGTH = 4096;

const V2Command = { Local: 0x0, Proxy: 0x1 } as const;
const V2Family = { Unspecified: 0x0, Inet: 0x1, Inet6: 0x2, Unix: 0x3 } as const;

export interface ProxiedAddress {
  address: string;
  port: number;
}

export type ProxyHeaderResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; message: string }
  /** `source` is undefined for v1 UNKNOWN and v2 LOCAL (health checks): the connection's own address applies. */
  | { kind: 'header'; length: number; source: ProxiedAddress | undefined };

export function parseProxyHeader(buffer: Buffer): ProxyHeaderResult {
  if (startsWith(buffer, V2_SIGNATURE)) return parseV2(buffer);
  if (startsWith(buffer, V1_PREFIX)) return parseV1(buffer);
  // Still a prefix of one of the signatures: wait for more bytes.
  if (V2_SIGNATURE.subarray(0, buffer.length).equals(buffer) || V1_PREFIX.subarray(0, buffer.length).equals(buffer)) {
    return { kind: 'incomplete' };
  }
  return { kind: 'error', message: 'no PROXY protocol header' };
}

function parseV1(buffer: Buffer): ProxyHeaderResult {
  const end = buffer.indexOf('\r\n');
  if (end < 0) {
    return buffer.length >= V1_MAX_LENGTH ? { kind: 'error', message: 'PROXY v1 line too long' } : { kind: 'incomplete' };
  }
  if (end + 2 > V1_MAX_LENGTH) return { kind: 'error', message: 'PROXY v1 line too long' };
  const fields = buffer.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (fields[1] === 'UNKNOWN') return { kind: 'header', length, source: undefined };
  if (fields.length !== 6) return { kind: 'error', message: 'PROXY v1 line needs 6 fields' };
  const [, protocol, source, , sourcePort] = fields as [string, string, string, string, string, string];
  const family = protocol === 'TCP4' ? 4 : protocol === 'TCP6' ? 6 : 0;
  if (family === 0) return { kind: 'error', message: `PROXY v1 protocol ${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN` };
  if (isIP(source) !== family) return { kind: 'error', message: `PROXY v1 source ${JSON.stringify(source)} is not an IPv${family} address` };
  const port = parsePort(sourcePort);
  if (port === undefined) return { kind: 'error', message: `PROXY v1 source port ${JSON.stringify(sourcePort)} is invalid` };
  return { kind: 'header', length, source: { address: source, port } };
}

function parseV2(buffer: Buffer): ProxyHeaderResult {
  if (buffer.length < V2_HEADER_LENGTH) return { kind: 'incomplete' };
  const versionCommand = buffer[12]!;
  if (versionCommand >> 4 !== 2) return { kind: 'error', message: `PROXY v2 version ${versionCommand >> 4}` };
  const command = versionCommand & 0x0f;
  const family = buffer[13]! >> 4;
  const addressLength = buffer.readUInt16BE(14);
  const length = V2_HEADER_LENGTH + addressLength;
  if (length > V2_MAX_LENGTH) return { kind: 'error', message: `PROXY v2 header of ${length} bytes` };
  if (buffer.length < length) return { kind: 'incomplete' };
  if (command === V2Command.Local) return { kind: 'header', length, source: undefined };
  if (command !== V2Command.Proxy) return { kind: 'error', message: `PROXY v2 command ${command}` };
  const body = buffer.subarray(V2_HEADER_LENGTH, length);
  switch (family) {
    case V2Family.Inet:
      if (body.length < 12) return { kind: 'error', message: 'PROXY v2 IPv4 addresses truncated' };
      return { kind: 'header', length, source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
    case V2Family.Inet6: {
      if (body.length < 36) return { kind: 'error', message: 'PROXY v2 IPv6 addresses truncated' };
      const groups: string[] = [];
      for (let offset = 0; offset < 16; offset += 2) groups.push(body.readUInt16BE(offset).toString(16));
      return { kind: 'header', length, source: { address: compressIPv6(groups), port: body.readUInt16BE(32) } };
    }
    case V2Family.Unspecified:
    case V2Family.Unix:
      return { kind: 'header', length, source: undefined };
    default:
      return { kind: 'error', message: `PROXY v2 address family ${family}` };
  }
}

/**
 * Reads the PROXY header at the start of `socket`. On success the bytes after it are put back with
 * unshift() and the socket is left paused: the caller attaches its reader and resumes. Rejects on a
 * malformed header, a close or a timeout.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxiedAddress | undefined> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, source?: ProxiedAddress): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error === undefined) resolve(source);
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const result = parseProxyHeader(received);
      if (result.kind === 'incomplete') return;
      socket.pause();
      if (result.kind === 'error') {
        finish(new Error(result.message));
        return;
      }
      if (received.length > result.length) socket.unshift(received.subarray(result.length));
      finish(undefined, result.source);
    };
    const onClose = (): void => finish(new Error('closed before a complete PROXY header'));
    const timer = setTimeout(() => finish(new Error(`no PROXY header within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

/** Eight hex groups -> the shortest text form (longest run of zero groups as ::). */
function compressIPv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== '0') {
      start++;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === '0') end++;
    if (end - start > bestLength && end - start > 1) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
