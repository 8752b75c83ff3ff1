/**
 * A ZIP archive on disk as the verifier's BagFiles (src/bundle/bag-verify.ts), never held whole:
 * one pass over the archive in file order checks every entry (cli/zip-reader.ts) and takes each
 * file's size, SHA-512 and SHA-256 as its bytes go by. Only the files the verifier reads
 * (`verifierReads`: tag files, thread.json, page.json, the audit log) are kept, from that same
 * pass, so what it reads is exactly what was hashed. Node only (node:crypto).
 */
import { createHash } from 'node:crypto';
import { verifierReads, type BagFiles } from '../src/bundle/bag-verify';
import { joined, type ZipArchive } from './zip-reader';

interface Scanned {
  size: number;
  sha512: string;
  sha256: string;
  /** The bytes, for a file the verifier reads. */
  bytes: Uint8Array | null;
}

/** Scans `archive` (throws ZipError at its first problem) and serves its files for verifyBag. */
export function scanBagFiles(archive: ZipArchive): BagFiles {
  const scanned = new Map<string, Scanned>();
  archive.scan((name) => {
    const h512 = createHash('sha512');
    const h256 = createHash('sha256');
    const pieces: Uint8Array[] | null = verifierReads(name) ? [] : null;
    let size = 0;
    return {
      update(chunk) {
        size += chunk.length;
        h512.update(chunk);
        h256.update(chunk);
        pieces?.push(chunk);
      },
      end() {
        const bytes = pieces && joined(pieces);
        scanned.set(name, { size, sha512: h512.digest('hex'), sha256: h256.digest('hex'), bytes });
      },
    };
  });
  const of = (path: string): Scanned => {
    const s = scanned.get(path);
    if (!s) throw new Error(`no file ${path} in the archive`);
    return s;
  };
  return {
    paths: archive.files,
    size: (path) => of(path).size,
    sha512: async (path) => of(path).sha512,
    sha256: async (path) => of(path).sha256,
    async bytes(path) {
      const { bytes } = of(path);
      if (!bytes) throw new Error(`internal error: ${path} was not kept for reading (verifierReads and verifyBag disagree)`);
      return bytes;
    },
  };
}
