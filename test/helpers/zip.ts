/**
 * ZIP tools for tests: a hand-built archive writer (independent of the reader under test and of
 * JSZip) for archives JSZip will not write — bombs, traversal, links, duplicates, broken headers —
 * and JSZip round trips for re-zipping tampered bags.
 */
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import JSZip from 'jszip';

/** One entry of a hand-built archive; every field can be set wrong on purpose. */
export interface RawEntry {
  name: string | Uint8Array;
  data?: Uint8Array;
  method?: number;
  /** Bytes stored for the entry; defaults to `data` deflated (method 8) or as is (method 0). */
  stored?: Uint8Array;
  crc?: number;
  uncompressedSize?: number;
  flags?: number;
  /** Unix mode in the high 16 bits; default regular file 0644. */
  mode?: number;
  dosAttrs?: number;
  extra?: Uint8Array;
  localName?: string;
  localExtra?: Uint8Array;
  /** Override the local header offset written in the central directory. */
  localOffset?: number;
}

/**
 * A minimal ZIP writer written for these tests (independent of the reader and of JSZip), so
 * malformed archives can be made byte by byte without allocating what they claim to hold.
 */
export function buildZip(entries: RawEntry[], opts: { count?: number; comment?: string; gapBeforeCd?: number; duplicateCentral?: number } = {}): Uint8Array {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : Buffer.from(e.name);
    const data = Buffer.from(e.data ?? new Uint8Array());
    const method = e.method ?? 8;
    const stored = e.stored ? Buffer.from(e.stored) : method === 8 ? deflateRawSync(data) : data;
    const crc = e.crc ?? zlibCrc32(data);
    const usize = e.uncompressedSize ?? data.length;
    const flags = e.flags ?? 0x0800;
    const extra = Buffer.from(e.extra ?? new Uint8Array());
    const localName = e.localName === undefined ? name : Buffer.from(e.localName, 'utf8');
    const localExtra = Buffer.from(e.localExtra ?? e.extra ?? new Uint8Array());
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x2821, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(usize, 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x0314, 4); // made by Unix
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(0, 12);
    cd.writeUInt16LE(0x2821, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(stored.length, 20);
    cd.writeUInt32LE(usize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(extra.length, 30);
    cd.writeUInt16LE(0, 32);
    cd.writeUInt16LE(0, 34);
    cd.writeUInt16LE(0, 36);
    cd.writeUInt32LE((((e.mode ?? 0o100644) << 16) | (e.dosAttrs ?? 0)) >>> 0, 38);
    cd.writeUInt32LE(e.localOffset ?? offset, 42);
    chunks.push(local, localName, localExtra, stored);
    central.push(Buffer.concat([cd, name, extra]));
    offset += local.length + localName.length + localExtra.length + stored.length;
  }
  if (opts.duplicateCentral !== undefined) central.push(central[opts.duplicateCentral]!);
  if (opts.gapBeforeCd) {
    chunks.push(Buffer.alloc(opts.gapBeforeCd));
    offset += opts.gapBeforeCd;
  }
  const cdBytes = Buffer.concat(central);
  const comment = Buffer.from(opts.comment ?? '');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.count ?? central.length, 8);
  eocd.writeUInt16LE(opts.count ?? central.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return new Uint8Array(Buffer.concat([...chunks, cdBytes, eocd, comment]));
}

/** Every file (not folder) of a ZIP, by its full name. */
export async function unzipAll(zip: Uint8Array): Promise<Map<string, Uint8Array>> {
  const z = await JSZip.loadAsync(zip);
  const files = new Map<string, Uint8Array>();
  for (const name of Object.keys(z.files)) {
    const f = z.files[name]!;
    if (!f.dir) files.set(name, await f.async('uint8array'));
  }
  return files;
}

/** Deterministic re-zip of an edited file map (for tamper cases). */
export async function zipFiles(files: Map<string, Uint8Array>, options: { unixPermissions?: Record<string, number> } = {}): Promise<Uint8Array> {
  const z = new JSZip();
  for (const [name, bytes] of files) {
    z.file(name, bytes, { createFolders: false, date: new Date(Date.UTC(2000, 0, 1)), compression: 'DEFLATE', unixPermissions: options.unixPermissions?.[name] ?? 0o100644 });
  }
  return z.generateAsync({ type: 'uint8array', platform: 'UNIX' });
}
