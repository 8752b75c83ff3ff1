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

/**
 * What the content runner needs to scroll a conversation back to its beginning. The adapter
 * only points at elements; the runner does the scrolling and clicking.
 */
export interface HistoryNavigation {
  /** The element that scrolls the message list (null when the layout has none we recognise). */
  scroller(doc: Document): HTMLElement | null;
  /** A control that loads older history when clicked (WhatsApp's "get older messages" banner), or null. */
  olderHistoryControl(doc: Document): HTMLElement | null;
  /** True when the page shows the very start of the conversation (nothing older exists). */
  atBeginning(doc: Document): boolean;
  /** The page's own words when it refused to load older history (phone offline, sync refused), else null. */
  historyRefused?(doc: Document): string | null;
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
  /** Scroll-back support (issue #3); adapters without it capture what is loaded. */
  history?: HistoryNavigation;
  /**
   * Hosts (besides the page's own blob:/data: URLs) whose https attachment URLs the content
   * runner may read at capture time, e.g. Discord's expiring CDN links. Reads stay subject to
   * the page's CORS rules.
   */
  attachmentHosts?: readonly string[];
  /**
   * Pages of this messenger that other sites show in a frame (Google Chat inside Gmail). The
   * content script runs in such frames, and the background accepts their messages, only when
   * this says the frame's own URL is one; every other sub-frame is refused.
   */
  embeddedFrame?: (url: URL) => boolean;
  /**
   * True when `read` remembers each row's facts until the row changes (RowMemo), so that a read
   * costs little more than its new rows. Auto-capture then reads each burst of changes on its
   * own (short batches hold the page's thread briefly); an adapter that reads every row every
   * time is read less often, in larger batches that cost it no more per read.
   */
  remembersRows?: boolean;
  /**
   * Attributes whose change alone can change what `read` returns, beyond the ones auto-capture
   * always watches (AUTO_WATCHED_ATTRIBUTES in src/content/auto-capture.ts): typically the
   * attribute holding a message's id, which a message still sending has in a local form and gets
   * from the server later with no other change to the page. Auto-capture reads again after any
   * of them changes; others (classes, styles) change on every hover and are not watched.
   */
  watchedAttributes?: readonly string[];
}
