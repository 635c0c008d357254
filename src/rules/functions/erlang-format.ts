// A subset of Erlang's io_lib:format, for sprintf(Format, Args...): ~s ~ts ~p ~w ~b ~B ~x ~X ~.Nb
// ~f ~e ~g ~c ~i ~n ~~, with field width, precision and pad character (~10.2f, ~2..0B, ~-8s).
// ~p and ~w print values the way Erlang prints the terms EMQX would hold (<<"text">> for strings).

import { Buffer } from 'node:buffer';

import { isMap, numberToString, textOf, toText, type Value } from '../sql/values.js';
import { failure } from './registry.js';

const DIRECTIVE = /~(-?\d+|\*)?(?:\.(\d+|\*)?)?(?:\.(.))?(t)?(l)?([~ncfegswpWPbBxX#+i])/y;

export function erlangFormat(format: string, args: readonly Value[]): string {
  let out = '';
  let argIndex = 0;
  const next = (): Value => {
    if (argIndex >= args.length) failure('sprintf', `the format needs more arguments than the ${args.length} given`);
    return args[argIndex++];
  };
  let offset = 0;
  while (offset < format.length) {
    const tilde = format.indexOf('~', offset);
    if (tilde === -1) {
      out += format.slice(offset);
      break;
    }
    out += format.slice(offset, tilde);
    DIRECTIVE.lastIndex = tilde;
    const match = DIRECTIVE.exec(format);
    if (match === null) failure('sprintf', `unsupported format directive at ${JSON.stringify(format.slice(tilde, tilde + 4))}`);
    offset = DIRECTIVE.lastIndex;
    const [, widthText, precisionText, padText, , , control] = match;
    const width = widthText === '*' ? Number(next()) : widthText === undefined ? undefined : Number(widthText);
    const precision = precisionText === '*' ? Number(next()) : precisionText === undefined ? undefined : Number(precisionText);
    const pad = padText ?? ' ';
    let piece: string;
    switch (control) {
      case '~':
        piece = '~';
        break;
      case 'n':
        piece = '\n';
        break;
      case 'c': {
        const code = next();
        piece = typeof code === 'number' ? String.fromCodePoint(code).repeat(precision ?? 1) : failure('sprintf', '~c takes a character code');
        break;
      }
      case 's':
        piece = stringArgument(next());
        if (precision !== undefined) piece = piece.slice(0, precision);
        break;
      case 'p':
      case 'P':
      case 'w':
      case 'W':
        piece = erlangTerm(next());
        break;
      case 'i':
        next();
        piece = '';
        break;
      case 'f':
      case 'e':
      case 'g':
        piece = floatArgument(control, next(), precision);
        break;
      case 'b':
      case 'B':
      case 'x':
      case 'X':
      case '#':
      case '+':
        piece = integerArgument(control, next(), precision, control === 'x' || control === 'X' ? next() : undefined);
        break;
      default:
        piece = failure('sprintf', `unsupported format directive ~${control}`);
    }
    out += width === undefined ? piece : padTo(piece, width, pad);
  }
  return out;
}

function padTo(piece: string, width: number, pad: string): string {
  const size = Math.abs(width);
  if (piece.length >= size) return piece.length > size ? '*'.repeat(size) : piece;
  return width < 0 ? piece + pad.repeat(size - piece.length) : pad.repeat(size - piece.length) + piece;
}

function stringArgument(value: Value): string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return textOf(value);
  if (typeof value === 'boolean' || value === null || value === undefined) return String(value ?? 'undefined');
  if (typeof value === 'number') return numberToString(value);
  return failure('sprintf', '~s takes a string');
}

function floatArgument(control: string, value: Value, precision: number | undefined): string {
  if (typeof value !== 'number') return failure('sprintf', `~${control} takes a number`);
  const digits = precision ?? 6;
  if (control === 'f') return value.toFixed(digits);
  if (control === 'e') return value.toExponential(Math.max(0, digits - 1)).replace(/e([-+])(\d)$/, 'e$10$2');
  return Math.abs(value) >= 0.1 && Math.abs(value) < 10 ** digits ? value.toFixed(digits) : value.toExponential(Math.max(0, digits - 1));
}

function integerArgument(control: string, value: Value, base: number | undefined, prefix: Value): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) return failure('sprintf', `~${control} takes an integer`);
  const radix = base ?? (control === '#' || control === '+' ? 10 : 10);
  let digits = Math.abs(value).toString(radix);
  if (control === 'B' || control === 'X' || control === '#' || control === '+') digits = digits.toUpperCase();
  if (control === 'x' || control === 'X') digits = textOf(toText(prefix ?? '')) + digits;
  if (control === '#' || control === '+') digits = `${radix}#${digits}`;
  return (value < 0 ? '-' : '') + digits;
}

/** How Erlang prints a term with ~p: <<"text">>, [1,2], #{<<"a">> => 1}, true, undefined. */
export function erlangTerm(value: Value): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? numberToString(value) : String(value).includes('e') ? String(value) : String(value).includes('.') ? String(value) : `${value}.0`;
  if (typeof value === 'string') return `<<${JSON.stringify(value)}/utf8>>`.replace(/^<<(".*")\/utf8>>$/, (_whole, quoted: string) => (/^[\x20-\x7e]*$/.test(quoted) ? `<<${quoted}>>` : `<<${quoted}/utf8>>`));
  if (Buffer.isBuffer(value)) return `<<${[...value].join(',')}>>`;
  if (Array.isArray(value)) return `[${value.map(erlangTerm).join(',')}]`;
  if (isMap(value)) return `#{${Object.keys(value).map((key) => `${erlangTerm(key)} => ${erlangTerm(value[key])}`).join(',')}}`;
  return String(value);
}
