/**
 * Everything the Messenger adapter knows about www.messenger.com and www.facebook.com/messages,
 * as data: selectors (each with what it finds and since when) and the English words it reads.
 * Sources are the "idx N" entries of the research notes (messenger-dom.md §6, Facebook
 * Messenger) and, where marked "lookup", public scripts found while building this adapter
 * (same idx numbering). Facebook's classes are StyleX atoms (`x1n2onr6`) that churn with every
 * deploy, so nothing here matches a class. [U] marks what no source confirmed.
 */

export const SEL = {
  /** The app's main region (idx 54225876080). */
  main: '[role="main"]',
  /**
   * The message list, tried in order: the labelled log ("Messages in conversation titled
   * <name>", 2023–26) or its older grid form; then any log or grid (idx 54225876080,
   * 63335914929, 59785053150; "…with <name>" in lookup idx 71261577916).
   */
  log: [
    '[role="log"][aria-label^="Messages in conversation"]',
    '[role="grid"][aria-label^="Messages in conversation"]',
    '[role="log"]',
    '[role="grid"]',
  ],
  /** Rows: one message, time separator or notice (research §6); 2026 builds mark messages by role description instead [U] (lookup idx 56688598549). */
  rows: ['[role="row"]', '[aria-roledescription="message"]'],
  /** The message cell inside a row (research §6; idx 23146448053, 16423860254). */
  cell: '[role="gridcell"][data-scope="messages_table"]',
  /** The sender label at the head of each run: "Ana Lima", "You sent", "Ben replied to you" (idx 23146448053). */
  senderLabel: 'h5',
  /** Message text: `div[dir=auto]`, which Facebook nests (idx 59785053150). */
  text: '[dir="auto"]',
  /** Outgoing rows: the delivery-status mark (research §6); 2020–21 builds also `mwchat_outgoing_row` (idx 16423860254). */
  outgoing: '[data-testid="messenger_delivery_status"], [data-testid="mwchat_outgoing_row"], [data-testid="outgoing_message"]',
  /** Per-message accessibility labels carrying sender and time (idx 63335914929, 68836771189; lookup idx 71261577916). */
  timeLabel: '[aria-label^="Enter, Message sent "], [aria-label^="At "]',
  /** A platform message id, seen only in 2026 builds [U: one source, lookup idx 71261577916]. */
  messageId: '[data-message-id]',
  /** The quoted message of a reply, a control named "Go to replied message" (lookup idx 70077387127) [U: its structure]. */
  quote: '[aria-label="Go to replied message"]',
  /** The "Edited" mark, a control of that name (lookup idx 70077387127) [U: structure]. */
  edited: '[aria-label="Edited"]',
  /** Reaction summaries: an aria-label naming reactions [U: wording, e.g. "❤ 2 reactions; see who reacted to this"]. */
  reactions: '[aria-label*="reacted" i], [aria-label*="reaction" i]',
  /** Read receipts, not content (lookup idx 71261577916). */
  receipts: '[aria-label^="Seen by"], [aria-label^="Sent"], [aria-label^="Delivered"]',
  /** Pictures and GIFs: their openers (lookup idx 71261577916: "Open photo", "Open GIF"). */
  photo: '[aria-label="Open photo"], [aria-label="Open GIF"], [aria-label="Open Photo"]',
  /** A picture the page has decrypted or downloaded: e2ee chats hold media as blob: URLs [U]. */
  blobImage: 'img[src^="blob:"]',
  /** Emoji drawn as images (static.xx.fbcdn.net/images/emoji.php, lookup idx 71261577916): their alt is text. */
  emojiImage: 'img[src*="/emoji.php/"]',
  /** Files: a download link [U: structure]. */
  file: 'a[download], [aria-label^="Download "]',
  /** Stickers [U]. */
  sticker: '[aria-label*="sticker" i], img[alt*="sticker" i]',
  /** Controls that are never text. */
  controls: 'button, [role="button"], [role="menu"], [role="toolbar"], [role="tooltip"], svg',
} as const;

/** "Messages in conversation titled X" / "…with X" (idx 54225876080, lookup idx 71261577916). */
export const LOG_LABEL = /^Messages in conversation (?:titled|with)\s+/i;

/** Sender labels (idx 23146448053, lookup idx 56688598549) [U: other languages]. */
export const LABELS = {
  selfSent: /^You sent$/i,
  selfReplied: /^You replied to (.+)$/i,
  repliedToYou: /^(.+?) replied to you$/i,
  replied: /^(.+?) replied to (.+)$/i,
} as const;

/** What the owner is called in labels and receipts. */
export const SELF = 'You';

/** Accessibility labels: "Enter, Message sent <time> by <sender>: <text>" and "At <time>, <sender>: <text>". */
export const SENT_LABEL = /^Enter,\s*Message sent\s+(.+?)\s+by\s+([^:]+?):\s*([\s\S]*)$/i;
export const AT_LABEL = /^At\s+(.+?(?:\d{1,2}[:.]\d{2}(?:\s*[AP]\.?\s?M\.?)?)),\s+([^:]+?):\s*([\s\S]*)$/i;

/** An unsent message, shown in place of its text (lookup idx 71261577916: "deleted a message") [U: wording]. */
export const UNSENT = /^(.+ unsent a message|you unsent a message|this message was unsent|.+ deleted a message)\.?$/i;

/** Furniture that reads like a short message: receipts and captions (idx 59785053150). */
export const NOT_TEXT = /^(sent|sending|delivered|seen|read|edited|message sent|enter to send|learn more)$/i;

/** Notices that are not records (typing indicator, unread divider) [U]. */
export const NOT_A_RECORD = /^(.+ is typing|typing|\d+ new messages?|new messages)\.*$/i;

/** The first thing in every end-to-end-encrypted chat [U: wording]; used only by `history.atBeginning`. */
export const BEGINNING = /secured with end-to-end encryption|you are now connected on messenger|you created (this )?group|you're friends on facebook/i;

/** Our `missingReason` for media the page shows but holds only on Facebook's servers. */
export const NOT_DOWNLOADED = 'not downloaded in the page';
