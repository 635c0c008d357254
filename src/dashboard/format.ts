// How the dashboard writes numbers, sizes, durations and times.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function count(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return Math.abs(value) < 10 && !Number.isInteger(value) ? decimal.format(value) : integer.format(value);
}

export function bytes(value: number | undefined | null): string {
  if (value === undefined || value === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? integer.format(scaled) : decimal.format(scaled)} ${units[unit]}`;
}

/** 93784 s → "1 d 2 h 3 min". */
export function duration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null) return '–';
  const parts: string[] = [];
  let rest = Math.floor(seconds);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['min', 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (parts.length < 2) parts.push(`${rest} s`);
  return parts.slice(0, 3).join(' ');
}

/** An RFC 3339 string or epoch milliseconds, in the browser's time zone. */
export function dateTime(value: string | number | undefined | null): string {
  if (value === undefined || value === null || value === '' || value === 'infinity') return value === 'infinity' ? 'never' : '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function protocolName(version: number | undefined): string {
  switch (version) {
    case 3:
      return 'MQTT 3.1';
    case 4:
      return 'MQTT 3.1.1';
    case 5:
      return 'MQTT 5';
    default:
      return version === undefined ? '–' : `level ${version}`;
  }
}
