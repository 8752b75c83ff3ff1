/**
 * The contract every messenger adapter keeps. Adapters only *read* the page: no clicks, no
 * writes, no network. The content runner (src/content/runner.ts) owns everything with a
 * life cycle (messaging, reading blob bytes, retries).
 */
import type {
  CapturedAttachmentRef,
  CapturedMessage,
  CapturedThread,
  PlatformId,
} from '../shared/model';

/** An attachment as the adapter sees it: where its bytes might be read from, not yet read. */
export interface PageAttachment
  extends Omit<CapturedAttachmentRef, 'sha256' | 'size'> {
  /** A `blob:` / `data:` / same-origin URL the content runner may read, or null. */
  sourceUrl: string | null;
}

export interface PageMessage extends Omit<CapturedMessage, 'attachments'> {
  attachments: PageAttachment[];
}

export interface PageRead {
  thread: CapturedThread;
  messages: PageMessage[];
}

/**
 * Raised when the page is a messenger page but the adapter cannot read it: the selector that
 * failed is named so the user (and we) can tell a changed layout from an empty chat.
 */
export class AdapterReadError extends Error {
  constructor(
    readonly adapter: PlatformId,
    readonly selector: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdapterReadError';
  }
}

export interface Adapter {
  id: PlatformId;
  /** Human name shown in the popup, e.g. "WhatsApp Web". */
  name: string;
  /** Manifest match patterns the static content script is registered for. */
  matches: string[];
  /** True when this adapter is responsible for pages at this URL. */
  matchesUrl(url: URL): boolean;
  /** Is a conversation open? (false: the chat list or a landing page, nothing to preserve) */
  conversationOpen(doc: Document): boolean;
  /**
   * Read the open conversation. Throws AdapterReadError when a conversation is visibly open
   * but the adapter's selectors find nothing they must find.
   */
  read(doc: Document): PageRead;
}
