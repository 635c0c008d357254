// Checks the two LMDB meta pages of an existing data file before lmdb-js maps it: lmdb-js crashes
// the process (SIGSEGV) on a file whose header is garbage instead of returning MDB_INVALID, and a
// store error must be a message, not a dead broker. Corruption past the meta pages is not caught
// here (LMDB keeps no checksums); decoding errors while loading are.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const P_META = 0x08;
// Offsets in a 64-bit meta page: page header (24 bytes), then MDB_meta.
const FLAGS_OFFSET = 18;
const MAGIC_OFFSET = 24;
const VERSION_OFFSET = 28;
/** mm_dbs[FREE_DBI].md_pad holds the page size. */
const PAGE_SIZE_OFFSET = 48;
const HEADER_BYTES = 52;

/** Returns why the file is not an LMDB data file, or undefined when its meta pages look sound (or it does not exist yet). */
export function checkDataFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    if (fstatSync(fd).size === 0) return undefined; // created, never written: LMDB initialises it
    const first = readAt(fd, 0);
    if (first === undefined) return 'the file is shorter than an LMDB header';
    const problem = checkMeta(first, 0);
    if (problem !== undefined) return problem;
    const pageSize = first.readUInt32LE(PAGE_SIZE_OFFSET);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `meta page 0 has an impossible page size ${pageSize}`;
    const second = readAt(fd, pageSize);
    if (second === undefined) return 'the file ends inside the second meta page';
    return checkMeta(second, 1);
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number): Buffer | undefined {
  const header = Buffer.alloc(HEADER_BYTES);
  return readSync(fd, header, 0, HEADER_BYTES, position) === HEADER_BYTES ? header : undefined;
}

function checkMeta(page: Buffer, index: number): string | undefined {
  if ((page.readUInt16LE(FLAGS_OFFSET) & P_META) === 0) return `page ${index} is not an LMDB meta page`;
  if (page.readUInt32LE(MAGIC_OFFSET) !== MDB_MAGIC) return `meta page ${index} has no LMDB magic number`;
  const version = page.readUInt32LE(VERSION_OFFSET) & 0xffff;
  if (version !== MDB_DATA_VERSION) return `meta page ${index} is LMDB data version ${version}, expected ${MDB_DATA_VERSION}`;
  return undefined;
}
