/**
 * Everything the Microsoft Teams adapter knows about new Teams (v2, Fluent UI) chats, as data:
 * selectors (each with what it finds and since when) and the localized words it reads. Sources
 * are the "idx N" entries of the research notes (messenger-dom.md §4); "gediz" is
 * gediz/teams-web-chat-exporter (src/content/*.ts, src/entrypoints/content.ts, 2025–26);
 * "scraper idx N" are public scraper files found in the code index. [U] marks what no source
 * confirmed. Every `data-tid` is a code identifier, the same in every UI language (gediz
 * content.ts, issues #10 and #19). When Teams changes its DOM, this is the file to edit first.
 *
 * Teams enforces Trusted Types (idx 18686694843): nothing here or in teams*.ts parses markup.
 */

export const SEL = {
  /** The message list's scroller (idx 18686694843, 70922768671); its runway and list inside it. */
  viewport: '[data-tid="message-pane-list-viewport"]',
  /** Any of these means a chat's messages are on screen (gediz content.ts hasChatMessageSurface). */
  surface: '[data-tid="message-pane-list-viewport"], [data-tid="chat-pane-list"], [data-tid="message-pane-list-runway"]',
  /** The thread/reply side panel (idx 18686694843): not part of the open chat's list [gap]. */
  rightRail: '[data-tid="right-rail-message-pane-body"]',

  /**
   * Rows, tried in order: `[data-tid="chat-pane-item"]` (2024–26, idx 18686694843, 70922768671),
   * else the message bodies and notices themselves.
   */
  rows: ['[data-tid="chat-pane-item"]', '[data-tid="chat-pane-message"], [data-tid="control-message-renderer"]'],
  /** A message: `data-mid` = epoch ms, `id="message-body-<mid>"`, role=group (idx 18686694843). */
  message: '[data-tid="chat-pane-message"], [id^="message-body-"][data-mid]',
  /** A system notice ("X added Y to the chat"), `data-mid` on some builds (gediz scroll.ts) [U]. */
  notice: '[data-tid="control-message-renderer"]',
  /** Day divider (gediz content.ts): only ends a sender run. */
  divider: '.fui-Divider__wrapper, [role="separator"]',

  /** Author, omitted on consecutive messages and absent on one's own (idx 70922768671). */
  author: '[data-tid="message-author-name"], [id^="author-"]',
  /** One's own messages: `.fui-ChatMyMessage__*` classes (idx 69700596230). */
  own: '[class*="fui-ChatMyMessage"]',
  /** `<time id="timestamp-<mid>" datetime="…Z">` (idx 662464593). */
  time: 'time[datetime]',
  /** Body text: `[id^="content-"]` but not `content-control…`, or `[data-message-content]` (idx 68404787972). */
  content: '[id^="content-"]:not([id^="content-control"]), [data-message-content]',
  /** "Edited" badge, `id="edited-<mid>"` (idx 68404787972; gediz content.ts checks its text). */
  edited: '[id^="edited-"]',
  /** Reaction pills (idx 57582386974); emoji in `[data-tid="emoticon-renderer"] img[alt]` (gediz reactions.ts). */
  reaction: '[data-tid="diverse-reaction-pill-button"]',
  reactionEmoji: '[data-tid="emoticon-renderer"] img[alt], img[alt]',

  /** Quoted reply card inside the content (gediz replies.ts): author just before its timestamp. */
  quote: '[data-tid="quoted-reply-card"], [role="group"][aria-label^="Begin Reference"]',
  quoteTimestamp: '[data-tid="quoted-reply-timestamp"]',
  quoteText: '[data-tid="quoted-reply-preview-content"]',

  /** Pictures pasted into a message (gediz attachments.ts); the page shows them from `blob:` URLs [U]. */
  inlineImage: '[itemtype="http://schema.skype.com/AMSImage"]',
  /** File cards; `title` = "<name>\n<SharePoint URL>" (gediz attachments.ts). Never downloaded here. */
  file: '[data-testid="file-attachment"], [data-tid^="file-chiclet-"]',

  /** Header: `div#chat-header-<conversation id>` > h2 > span[title] (scraper idx 54496704605, 58119077231). */
  header: '[id^="chat-header-"]',
  title: '[id^="chat-header-"] h2, [data-tid="chat-title"]',
  /** The signed-in user's avatar, aria-label "Profile picture of <name>." (gediz content.ts) [U]. */
  meControl: '[data-tid="me-control-avatar"][aria-label], [data-tid="me-control-avatar-trigger"][aria-label]',

  /** Loads history the chat hides (gediz scroll.ts) [U: when Teams shows it]. */
  hiddenHistory: '[data-tid="show-hidden-chat-history-btn"]',
} as const;

/** Inside a message but not its text: quote card, reactions, files, pasted pictures, hidden copies. */
export const NOT_TEXT = [SEL.quote, SEL.reaction, SEL.file, SEL.inlineImage, '[aria-hidden="true"]'].join(', ');

/**
 * A conversation id: group chats and meetings `19:…@thread.v2`, 1:1 chats
 * `19:<uuid>_<uuid>@unq.gbl.spaces`, channels `@thread.tacv2` / `@thread.skype`, the self chat
 * `48:notes` (idx 18686694843, 70922768671; scraper idx 53289776525, 58119077231).
 */
export const CONVERSATION_ID = /(19:[A-Za-z0-9_.\-]+@(?:thread\.(?:v2|tacv2|skype)|unq\.gbl\.spaces)|48:notes)/;

/** "Profile picture of Dana Whitfield." and its German form [U: de wording]. */
export const ME_LABEL = /^(?:Profile picture of|Profilbild von)\s+(.+?)\.?$/;
/** An author label that marks one's own message: "Dana Whitfield (You)" (scraper idx 65947281030) [U: de]. */
export const YOU_SUFFIX = /\s*\((?:You|Sie|Du)\)$/;
/** What we call the owner when the page does not name them (own messages show no name). */
export const SELF_WORD = 'You';

/** The text Teams shows in place of a deleted message [U: wording, en and de]. */
export const DELETED_TEXT = /^(this message has been deleted|diese nachricht wurde gelöscht)\.?$/i;

/** Our `missingReason` for media the page has not downloaded (the content runner uses it too). */
export const NOT_DOWNLOADED = 'not downloaded in the page';
