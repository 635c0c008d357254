// A zip archive of one file, stored (not compressed), streamed from disk: what EMQX's trace download
// answers. The first `size` bytes of the file are read twice (once for the CRC-32 the header needs,
// once for the data), which is safe for a trace file: it only grows.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(chunk: Buffer, previous: number): number {
  let crc = previous ^ 0xffffffff;
  for (let index = 0; index < chunk.length; index++) crc = CRC_TABLE[(crc ^ chunk[index]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

async function fileCrc(path: string, size: number): Promise<number> {
  let crc = 0;
  if (size === 0) return crc;
  for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) crc = crc32(chunk as Buffer, crc);
  return crc;
}

/** MS-DOS date and time, as zip headers hold them. */
function dosTime(date: Date): { time: number; date: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: (Math.max(0, date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** A zip holding the first `size` bytes of `path` as `entryName`. */
export async function zipOneFile(path: string, size: number, entryName: string, modified: Date): Promise<Readable> {
  const crc = await fileCrc(path, size);
  const name = Buffer.from(entryName, 'utf8');
  const { time, date } = dosTime(modified);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0x0800, 6); // UTF-8 name
  local.writeUInt16LE(0, 8); // stored
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(size, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // made by
  central.writeUInt16LE(20, 6); // needed
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(size, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42); // local header at offset 0
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + size, 16);
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.concat([local, name]);
    if (size > 0) for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) yield chunk as Buffer;
    yield Buffer.concat([central, name, end]);
  }
  return Readable.from(parts());
}
