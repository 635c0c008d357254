// A message payload shown as text, pretty-printed JSON or a hex dump; the reader picks.

import { useState } from 'preact/hooks';

export type PayloadFormat = 'text' | 'json' | 'hex';

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

export function render(bytes: Uint8Array, format: PayloadFormat): { text: string; note?: string } {
  if (format === 'hex') return { text: hexDump(bytes) };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (format === 'text') return { text };
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { text, note: 'Not JSON: shown as text.' };
  }
}

/** The format a payload reads best in: JSON if it parses, text if it is printable UTF-8, else hex. */
export function likelyFormat(bytes: Uint8Array): PayloadFormat {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return /[\x00-\x08\x0e-\x1f]/.test(text) ? 'hex' : 'text';
    }
  } catch {
    return 'hex';
  }
}

export function PayloadView({ bytes, label = 'Payload' }: { bytes: Uint8Array; label?: string }) {
  const [format, setFormat] = useState<PayloadFormat>(() => likelyFormat(bytes));
  const shown = render(bytes, format);
  return (
    <div class="payload">
      <div class="payload-bar" role="group" aria-label={`${label} format`}>
        <span>
          {label} ({bytes.length} bytes)
        </span>
        {(['text', 'json', 'hex'] as const).map((option) => (
          <button key={option} type="button" class="button plain small" aria-pressed={format === option} onClick={() => setFormat(option)}>
            {option === 'json' ? 'JSON' : option === 'hex' ? 'Hex' : 'Text'}
          </button>
        ))}
      </div>
      {shown.note !== undefined ? <p class="hint">{shown.note}</p> : null}
      <pre class={`payload-text ${format}`} tabIndex={0} aria-label={`${label} as ${format}`}>
        {shown.text === '' ? '(empty)' : shown.text}
      </pre>
    </div>
  );
}
