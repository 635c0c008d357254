// Hashing, compression and encoding (EMQX md5, sha, sha256, hash, gzip/gunzip, zip/unzip (raw
// deflate), zip_compress/zip_uncompress (zlib), base64_encode/decode with urlsafe and no_padding,
// json_encode/json_decode). Byte results that are valid UTF-8 are strings, other bytes binary data.

import { Buffer } from 'node:buffer';

import { createHash, getHashes } from 'node:crypto';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { binaryFromBytes, bytesOf, jsonDecode, jsonEncode, type Value } from '../sql/values.js';
import { binary, failure, fn, text, type FunctionTable } from './registry.js';

const ALGORITHMS: Record<string, string> = { sha: 'sha1', sha1: 'sha1', sha3_224: 'sha3-224', sha3_256: 'sha3-256', sha3_384: 'sha3-384', sha3_512: 'sha3-512', blake2b: 'blake2b512', blake2s: 'blake2s256' };

function hash(name: string, algorithm: string, data: Value): string {
  const node = ALGORITHMS[algorithm] ?? algorithm;
  if (!getHashes().includes(node)) failure(name, `unknown hash algorithm ${JSON.stringify(algorithm)}`);
  return createHash(node).update(bytesOf(binary(name, typeof data === 'boolean' ? String(data) : data))).digest('hex');
}

function transform(name: string, operation: (input: Buffer) => Buffer) {
  return fn(1, 1, (data: Value) => {
    let output: Buffer;
    try {
      output = operation(bytesOf(binary(name, data)));
    } catch (error) {
      return failure(name, (error as Error).message);
    }
    return binaryFromBytes(output);
  });
}

function base64Options(name: string, options: Value[]): { urlsafe: boolean; padding: boolean } {
  const chosen = { urlsafe: false, padding: true };
  for (const option of options) {
    const value = text(name, option);
    if (value === 'urlsafe') chosen.urlsafe = true;
    else if (value === 'no_padding') chosen.padding = false;
  }
  return chosen;
}

function base64Encode(data: Value, ...options: Value[]): string {
  const { urlsafe, padding } = base64Options('base64_encode', options);
  let encoded = bytesOf(binary('base64_encode', data)).toString(urlsafe ? 'base64url' : 'base64');
  if (urlsafe && padding) encoded += '='.repeat((4 - (encoded.length % 4)) % 4);
  if (!padding) encoded = encoded.replace(/=+$/, '');
  return encoded;
}

function base64Decode(data: Value, ...options: Value[]): Value {
  const { urlsafe, padding } = base64Options('base64_decode', options);
  const source = text('base64_decode', data);
  const alphabet = urlsafe ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(source) || (padding && source.length % 4 !== 0)) failure('base64_decode', 'not base64 (or padding missing; pass no_padding)');
  return binaryFromBytes(Buffer.from(source, urlsafe ? 'base64url' : 'base64'));
}

export const encodingFunctions: FunctionTable = {
  md5: fn(1, 1, (data: Value) => hash('md5', 'md5', data)),
  sha: fn(1, 1, (data: Value) => hash('sha', 'sha1', data)),
  sha256: fn(1, 1, (data: Value) => hash('sha256', 'sha256', data)),
  hash: fn(2, 2, (algorithm: Value, data: Value) => hash('hash', text('hash', algorithm), data)),
  gzip: transform('gzip', (input) => gzipSync(input)),
  gunzip: transform('gunzip', (input) => gunzipSync(input)),
  zip: transform('zip', (input) => deflateRawSync(input)),
  unzip: transform('unzip', (input) => inflateRawSync(input)),
  zip_compress: transform('zip_compress', (input) => deflateSync(input)),
  zip_uncompress: transform('zip_uncompress', (input) => inflateSync(input)),
  base64_encode: fn(1, 3, base64Encode),
  base64_decode: fn(1, 3, base64Decode),
  json_encode: fn(1, 1, (data: Value) => jsonEncode(data)),
  json_decode: fn(1, 1, (data: Value) => {
    try {
      return jsonDecode(binary('json_decode', data));
    } catch (error) {
      return failure('json_decode', (error as Error).message);
    }
  }),
};
