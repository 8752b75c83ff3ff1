/**
 * Everything the Slack adapter knows about app.slack.com, as data: selectors (each with what it
 * finds and since when) and the few English words it reads. Sources are the "idx N" entries of
 * the research notes (messenger-dom.md §3); "scraper idx N" are public scraper files found in
 * the code index by the same numbering. [U] marks what no source confirmed. When Slack changes
 * its DOM, this is the file to edit first.
 */

export const SEL = {
  /** The main message pane (idx 54974031812, 26254950915): `data-qa` and its class, 2021–25. */
  messagePane: '[data-qa="message_pane"], .p-workspace__primary_view_body',
  /**
   * The thread pane (idx 54974031812, 26254950915). `.p-flexpane` also hosts other side panels
   * (channel details, profiles); those hold no message containers, so they read as empty.
   */
  threadPane: '[data-qa="threads_flexpane"], .p-flexpane',
  /** Conversation title in the header (idx 26254950915): channel name, or the person in a DM. */
  title: '[data-qa="channel_name"], .p-view_header__channel_title',
  /** The account owner's menu, aria-label "User: <name>" (scraper idx 59202066086) [U]. */
  userButton: '[data-qa="user-button"][aria-label]',

  /**
   * One message, tried in order (idx 26254950915, 44496238610): `[data-qa="message_container"]`
   * (about 2022–25, some builds add `data-msg-ts`, scraper idx 70125317171), else the class
   * `.c-message_kit__message` (2021–25). Only the outermost match counts.
   */
  messages: ['[data-qa="message_container"]', '.c-message_kit__message'],
  /** Its virtual-list row: `id="message-list_<ts>"`, `data-item-key="<ts>"` (idx 70702474529, 53875276177). */
  listItem: '.c-virtual_list__item',
  /** Day divider: sticky separator, id `<epochMs>.<CHANNEL>` (idx 2407001510, 2021). Ends a sender run. */
  dayDivider: '.c-message_list__day_divider, [aria-roledescription="separator"]',

  /** Sender, omitted on adjacent messages (idx 44496238610; `data-message-sender` = user id, scraper idx 9399898331). */
  sender: '[data-qa="message_sender_name"], .c-message__sender_button',
  /** Timestamp link, `data-ts` = Unix seconds.micro, linking to the permalink (idx 6275534614). */
  timestamp: 'a.c-timestamp[data-ts], [data-qa="timestamp"][data-ts]',
  /** Its visible label ("9:14 AM"; "9:14" in the gutter of adjacent messages). */
  timestampLabel: '[data-qa="timestamp_label"], .c-timestamp__label',
  /** Message text (idx 6275534614, 57795640361); also the body of join notices and tombstones. */
  text: '[data-qa="message-text"], .c-message_kit__blocks, .c-message__body',
  /** Join/leave and other automated notices: recorded as events [U: class name from memory of Slack's CSS]. */
  automated: '.c-message__body--automated',
  /** "(edited)" (idx 58095416839). Left out of the text. */
  edited: '.c-message__edited_label, [data-qa="message_edited_label"]',
  /** Reaction pills (idx 58095416839); `.c-reaction` alone on class-only pages [U]. */
  reaction: '[data-qa="reactji"], .c-reaction_bar .c-reaction',
  reactionCount: '.c-reaction__count',
  /** Files (idx 71111509216): links to files.slack.com, which needs the session, so never read. */
  files: '.c-files_container',
  fileLink: 'a[href*="://files.slack.com/files-pri/"]',

  /**
   * Inside a message but not its text: the reply bar ("3 replies"), reactions, files, the edited
   * label, screen-reader and copy-ignored copies (idx 6275534614, 57795640361), link previews
   * and app attachments (`.c-message_attachment`, idx 58095416839: not text the sender typed).
   */
  notText: [
    '[data-qa="reply_bar_count"]', '.c-message__reply_bar', '.c-message__reply_count',
    '.c-reaction_bar', '.c-files_container', '.c-message__edited_label', '[data-qa="message_edited_label"]',
    '.c-message_attachment', '[aria-hidden="true"]', '.sr-only', '.offscreen', '[data-stringify-ignore]',
  ].join(', '),

  /** The scroller of the main pane (idx 54974031812, 69626711160). */
  scroller: [
    '.p-workspace__primary_view .c-virtual_list__scroll_container',
    '[data-qa="message_pane"] .c-virtual_list__scroll_container',
    '.p-workspace__primary_view_body .c-virtual_list__scroll_container',
  ].join(', '),
} as const;

/** A Slack ts: Unix seconds, a dot, microseconds; it doubles as the message id (idx 70702474529). */
export const TS = /^(\d{9,11})\.(\d{6})$/;
/** The same inside a longer string: `message-list_<ts>`, a thread route's `<CHANNEL>-<ts>`. */
export const TS_IN = /(\d{9,11}\.\d{6})/;
/** Conversation ids: `C` channels, `D` DMs, `G` legacy private channels and group DMs (idx 58095416839). */
export const CHANNEL_ID = /^[CDG][A-Z0-9]{6,}$/;
/** Workspace (team) ids: `T…`; Enterprise Grid organizations `E…`. */
export const TEAM_ID = /^[TE][A-Z0-9]{6,}$/;

/** The tombstone of a deleted message that had replies [U: wording from Slack's UI, no source]. */
export const DELETED_TEXT = /^\(?this message was deleted\.?\)?$/i;
/** The channel intro at the very top of the history [U: Slack's wording, no source for the markup]. */
export const BEGINNING_TEXT = /^(this is the very beginning of|this conversation is just between|this is the start of)/i;
/** "User: Dana Whitfield" on the owner's menu [U]. */
export const USER_LABEL = /^User:\s*(.+?)\s*$/;
/** "2 reactions, react with …" (idx 58095416839). */
export const REACTION_LABEL = /^(\d+)\s+reactions?\b/i;

/** Our `missingReason` for files the page has not downloaded (the content runner uses it too). */
export const NOT_DOWNLOADED = 'not downloaded in the page';
