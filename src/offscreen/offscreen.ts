/**
 * The offscreen document (reason BLOBS): a service worker has no URL.createObjectURL, so this
 * page makes a blob: URL of a bundle file in the Origin Private File System for
 * chrome.downloads. The File from OPFS is disk-backed: the URL hands the download the file, not
 * a copy in memory. It answers only this extension (the service worker), and only for names of
 * bundle files (src/background/bundle-files.ts).
 */
import type { OffscreenRequest } from '../shared/protocol';

const NAME = /^[0-9a-z-]{1,80}\.(zip|eml)$/;
const urls = new Map<string, string>();

async function handle(message: OffscreenRequest): Promise<unknown> {
  if (message.type === 'offscreen/blob-url') {
    if (!NAME.test(message.file)) return { ok: false, error: 'not a bundle file name' };
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundles');
    const file = await (await dir.getFileHandle(message.file)).getFile();
    const url = URL.createObjectURL(file);
    urls.set(message.file, url);
    return { ok: true, url };
  }
  const url = urls.get(message.file);
  if (url) URL.revokeObjectURL(url);
  urls.delete(message.file);
  return { ok: true };
}

chrome.runtime.onMessage.addListener((message: unknown, sender, reply) => {
  const m = message as Partial<OffscreenRequest> | null;
  if (sender.id !== chrome.runtime.id || !m || (m.type !== 'offscreen/blob-url' && m.type !== 'offscreen/revoke') || typeof m.file !== 'string') return false;
  handle(m as OffscreenRequest).then(reply, (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : String(err) }));
  return true;
});
