/**
 * Bundle files on disk: the extension's Origin Private File System (OPFS), folder `bundles/`.
 * A bundle is streamed into a file here (createWritable works in the service worker), then
 * downloaded or uploaded from the file, so its bytes are never all in memory. A download's file
 * is deleted when the download ends; an upload's file once the records system's receipt is
 * recorded (a refused upload keeps it, for a retry); anything else found at the next start is a
 * leftover (a worker stopped mid-export) and is deleted.
 */
import type { ZipSink } from '../bundle/bag-writer';

const FOLDER = 'bundles';
/** Our own generated names only: nothing from a message or a page reaches the file system. */
const NAME = /^[0-9a-z-]{1,80}\.(zip|eml)$/;

/**
 * Files this worker instance made: never leftovers, so the start-up clean-up (which may still be
 * listing the folder when the first export starts) leaves them alone, whether they are still
 * being written or already waiting for their download or upload to be recorded.
 */
const ours = new Set<string>();

async function folder(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(FOLDER, { create: true });
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`not a bundle file name: ${JSON.stringify(name)}`);
  return name;
}

export function newBundleFileName(ext: 'zip' | 'eml'): string {
  return `${Date.now().toString(36)}-${crypto.randomUUID()}.${ext}`;
}

export interface BundleFileWriter {
  name: string;
  sink: ZipSink;
  /** Makes the file complete and visible. */
  close(): Promise<void>;
  /** Drops a half-written file. Never throws: it runs on the way out of a failure, which it must not hide. */
  abort(): Promise<void>;
}

export async function createBundleFile(ext: 'zip' | 'eml'): Promise<BundleFileWriter> {
  const name = newBundleFileName(ext);
  ours.add(name);
  const dir = await folder();
  const handle = await dir.getFileHandle(name, { create: true });
  const stream = await handle.createWritable();
  return {
    name,
    sink: { write: (chunk) => stream.write(chunk as Uint8Array<ArrayBuffer>) },
    close: () => stream.close(),
    abort: async () => {
      await stream.abort().catch(() => undefined);
      // If the file cannot go now, the next start's clean-up removes it.
      await deleteBundleFile(name).catch((err: unknown) => console.warn('Threadkeeper could not delete a bundle file', name, err));
    },
  };
}

/** Writes bytes already in memory (a small email draft) as one bundle file. */
export async function writeBundleFile(ext: 'zip' | 'eml', bytes: Uint8Array): Promise<string> {
  const file = await createBundleFile(ext);
  try {
    await file.sink.write(bytes);
    await file.close();
    return file.name;
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/** The file as a disk-backed File: reading it, uploading it or making a blob: URL of it does not load it into memory. */
export async function bundleFile(name: string): Promise<File> {
  const handle = await (await folder()).getFileHandle(checkName(name));
  return handle.getFile();
}

export async function deleteBundleFile(name: string): Promise<void> {
  await (await folder()).removeEntry(checkName(name)).catch((err: unknown) => {
    if ((err as DOMException)?.name !== 'NotFoundError') throw err;
  });
}

/** Deletes every bundle file not in `keep` and not made by this worker. Returns what it deleted. */
export async function deleteBundleFilesExcept(keep: Set<string>): Promise<string[]> {
  const dir = await folder();
  const names: string[] = [];
  // for await over a directory handle: its keys are the entry names.
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  const stale = names.filter((n) => !keep.has(n) && !ours.has(n));
  for (const n of stale) await dir.removeEntry(n).catch(() => undefined);
  return stale;
}
