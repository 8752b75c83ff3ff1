/**
 * The background's front door. Every runtime message, sent or on the batch port, is checked
 * here, in this order:
 *   1. the SENDER: our own extension; for content messages, a frame of a tab whose URL the
 *      named adapter is responsible for — the top frame, or a frame the adapter declares as its
 *      own embedded page (Google Chat inside Gmail); for popup messages, one of our own pages;
 *   2. the PAYLOAD: parsed with the runtime schema for its type (unknown keys refused);
 * and only then handed to a handler. Anything else is refused and logged.
 */
import type { Runtime } from 'webextension-polyfill';
import { contentSchemas, popupSchemas, type ContentRequest, type PopupRequest } from '../shared/protocol';
import { parse, SchemaError } from '../shared/schema';
import { adapterById, adapterForUrl } from '../adapters/registry';
import type { CustomDomain, PlatformId } from '../shared/model';

export type Checked =
  | { ok: true; kind: 'content'; message: ContentRequest; tabId: number; frameId: number; url: string }
  | { ok: true; kind: 'popup'; message: PopupRequest }
  | { ok: false; reason: string };

export interface ExtensionIdentity {
  id: string;
  /** chrome-extension://<id>/ */
  origin: string;
}

function typeOf(message: unknown): string | null {
  if (typeof message !== 'object' || message === null) return null;
  const t = (message as { type?: unknown }).type;
  return typeof t === 'string' ? t : null;
}

/**
 * How a message arrived: `runtime.sendMessage`, or the batch port (BATCH_PORT), whose sender is
 * the one the browser recorded when the port opened and which carries `content/batch` and
 * `content/blob-part` only.
 */
export type Channel = 'message' | 'batch-port';

export function checkMessage(
  message: unknown,
  sender: Runtime.MessageSender,
  self: ExtensionIdentity,
  customDomains: readonly CustomDomain[] = [],
  channel: Channel = 'message',
): Checked {
  if (sender.id !== self.id) return { ok: false, reason: `sender is not this extension (${String(sender.id)})` };
  const type = typeOf(message);
  if (!type) return { ok: false, reason: 'message has no type' };
  if (channel === 'batch-port' && type !== 'content/batch' && type !== 'content/blob-part') return { ok: false, reason: `${type}: only content/batch and content/blob-part travel on the batch port` };

  if (type.startsWith('content/')) {
    const tab = sender.tab;
    if (!tab || tab.id === undefined || tab.id < 0) return { ok: false, reason: `${type}: not sent from a tab` };
    const frameId = sender.frameId;
    if (typeof frameId !== 'number' || frameId < 0) return { ok: false, reason: `${type}: not sent from a frame` };
    const url = sender.url ?? '';
    if (url.startsWith(self.origin)) return { ok: false, reason: `${type}: extension pages may not send content messages` };
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      return { ok: false, reason: `${type}: sender URL is missing` };
    }
    // The adapter responsible for the sender's page (built-in host or a configured custom domain).
    const responsible = adapterForUrl(url, customDomains);
    const adapterId = (message as { adapter?: unknown }).adapter;
    const adapter = type === 'content/hello' ? responsible : typeof adapterId === 'string' ? adapterById(adapterId as PlatformId) : undefined;
    if (!adapter) return { ok: false, reason: `${type}: unknown adapter ${String(adapterId)}` };
    if (responsible?.id !== adapter.id) return { ok: false, reason: `${type}: a ${adapter.name} message from ${parsedUrl.origin}, which that adapter does not serve` };
    // sender.url is the frame's own URL, set by the browser: a sub-frame must be one the
    // adapter declares as its embedded page, never an arbitrary frame of the messenger's host.
    if (frameId !== 0 && !adapter.embeddedFrame?.(parsedUrl)) return { ok: false, reason: `${type}: not sent from the top frame or a ${adapter.name} frame` };
    const schema = contentSchemas[type as keyof typeof contentSchemas] as ((v: unknown, p: string) => ContentRequest) | undefined;
    if (!schema) return { ok: false, reason: `unknown content message ${type}` };
    try {
      return { ok: true, kind: 'content', message: parse(schema, message), tabId: tab.id, frameId, url };
    } catch (err) {
      return { ok: false, reason: `${type}: ${err instanceof SchemaError ? err.message : String(err)}` };
    }
  }

  if (type.startsWith('popup/')) {
    if (!sender.url?.startsWith(self.origin)) return { ok: false, reason: `${type}: only Threadkeeper's own pages may send this` };
    const schema = popupSchemas[type as keyof typeof popupSchemas] as ((v: unknown, p: string) => PopupRequest) | undefined;
    if (!schema) return { ok: false, reason: `unknown popup message ${type}` };
    try {
      return { ok: true, kind: 'popup', message: parse(schema, message) };
    } catch (err) {
      return { ok: false, reason: `${type}: ${err instanceof SchemaError ? err.message : String(err)}` };
    }
  }
  return { ok: false, reason: `unknown message type ${type}` };
}
