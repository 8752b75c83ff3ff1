/**
 * What an adapter reads off a messenger page. These are the shapes that cross from the
 * content script to the background service worker (see protocol.ts, which validates them
 * at runtime) and that the bundle writer turns into thread.json.
 *
 * Every string in here was scraped from a page and is untrusted: it is escaped wherever it
 * is shown (popup, transcript) and never interpreted as markup.
 */

/** Every messenger we have (or are building) an adapter for. */
export const PLATFORM_IDS = ['whatsapp', 'telegram', 'slack', 'teams', 'discord', 'googlechat', 'messenger', 'element'] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

/**
 * A domain the user or administrator maps to one of our adapters, e.g. a self-hosted Element
 * at chat.agency.example read by the Element adapter (https only, exact host).
 */
export interface CustomDomain {
  host: string;
  adapter: PlatformId;
}

/** A host name we accept for a custom domain: lower-case DNS labels, at least one dot, no port. */
export const HOST_PATTERN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The conversation an adapter sees. */
export interface CapturedThread {
  /**
   * Stable identity of the conversation within its platform, e.g. the chat JID
   * (`120363025246125244@g.us`) or, where the page exposes none, `title:<title>`.
   * How each adapter derives it is documented in docs/adapters.md.
   */
  threadKey: string;
  title: string;
  /** 'group' | 'direct' | 'channel' | 'unknown' */
  kind: 'group' | 'direct' | 'channel' | 'unknown';
  /** Participant display names (or numbers) as the page shows them; "You" is reported as self. */
  participants: CapturedParticipant[];
}

export interface CapturedParticipant {
  name: string;
  /** True for the account owner ("You"). */
  self: boolean;
}

/** A reference from a message to an attachment the content script has read (or failed to). */
export interface CapturedAttachmentRef {
  /** 'image' | 'video' | 'audio' | 'document' | 'sticker' | 'other' */
  kind: 'image' | 'video' | 'audio' | 'document' | 'sticker' | 'other';
  /** Original file name as shown in the page, when there is one. */
  originalName: string | null;
  /** Media type as the page or the bytes declared it. */
  mediaType: string | null;
  /** SHA-256 (hex) of the bytes, when the bytes were read; the bytes travel in the batch's `blobs`. */
  sha256: string | null;
  size: number | null;
  /** Why there are no bytes, when there are none ("not downloaded in the page", "expired", ...). */
  missingReason: string | null;
  /** True when only a preview/thumbnail could be had. */
  thumbnail: boolean;
}

export interface CapturedReaction {
  emoji: string;
  count: number;
}

export interface CapturedQuote {
  /** Author of the quoted message as shown in the quote box. */
  author: string | null;
  text: string;
  /** Platform id of the quoted message when the adapter could match it; null otherwise. */
  messageId: string | null;
}

export interface CapturedMessage {
  /** The platform's own id for the message (WhatsApp: the bare message id, same in every data-id era). */
  messageId: string;
  /** 'message' for things people said; 'event' for system rows (encryption notice, group events). */
  type: 'message' | 'event';
  /** Sender display name as shown (continuation rows carry the previous sender forward); null for events. */
  sender: string | null;
  /** Message sent by the account owner. */
  fromSelf: boolean;
  /** ISO 8601 with the browser's UTC offset, e.g. 2026-09-28T10:30:00-03:00; null when the page shows no usable time. */
  sentAt: string | null;
  /** The timestamp text as the page showed it, e.g. "[10:30, 28/09/2026]" or "10:31". */
  sentAtText: string | null;
  /** Plain text with emoji images replaced by their alt text and line breaks kept. */
  text: string;
  /** Links found in the text: href values as written in the page. */
  links: string[];
  /** "This message was deleted" and its kin. */
  deleted: boolean;
  /** The page marks the message as edited. */
  edited: boolean;
  forwarded: boolean;
  quote: CapturedQuote | null;
  reactions: CapturedReaction[];
  attachments: CapturedAttachmentRef[];
  /** 'ltr' | 'rtl' | 'auto' as the page declared the text direction, null if it did not. */
  direction: 'ltr' | 'rtl' | 'auto' | null;
  /**
   * Present (true) only when the page showed the start of a long message behind "Read more",
   * which adapters never click: `text` is cut short where the page cut it. Left out otherwise, so
   * that the fingerprints of messages stored before it existed do not change.
   */
  truncated?: true;
  /** Order of the row on the page at capture time (0 = first row read); used only to keep page order. */
  pageOrder: number;
}
