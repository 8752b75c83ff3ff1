/**
 * Everything the Discord adapter knows about the page, as data: selectors (each with what it
 * finds and since when) and the few words it reads. Sources are the "idx N" entries of the
 * research notes (messenger-dom.md §5). When Discord changes its DOM, this is the file to edit
 * first. [U] marks a selector or word no source confirmed.
 *
 * Discord's class names are hashed and change with every build: `contents_c19a55`,
 * `contents__4d14d` (2023–) and `contents-2MsGLg` (–2023). They are matched by their readable
 * stem (`hashed('contents')`), never by the hash; the `message-*-<id>` element ids from
 * Discord's own bundle (idx 59665783548) are preferred wherever they exist.
 */

/**
 * Elements whose class list has a class `<stem>_<hash>` or `<stem>-<hash>` (both hashing
 * eras). Anchored on the class boundary, so `hashed('reaction')` does not match
 * `reactionInner_…` or `reactions_…`.
 */
export function hashed(stem: string): string {
  return [`[class^="${stem}_"]`, `[class*=" ${stem}_"]`, `[class^="${stem}-"]`, `[class*=" ${stem}-"]`].join(', ');
}

/** `descendant` inside `ancestor`, for selector lists: every pairing of their comma-separated parts. */
export function inside(ancestor: string, descendant: string): string {
  const split = (list: string): string[] => list.split(',').map((part) => part.trim());
  return split(ancestor).flatMap((a) => split(descendant).map((d) => `${a} ${d}`)).join(', ');
}

export const SEL = {
  /** The message list of a channel, DM or thread: `ol[data-list-id="chat-messages"]` (idx 55222613755, 70874732770, 60829477630). */
  list: '[data-list-id="chat-messages"]',

  /**
   * Message rows, tried in order:
   * - `li#chat-messages-<channelId>-<messageId>` (class `messageListItem_…`), 2022– (idx 55222613755, 70874732770);
   * - any `[id^="chat-messages-"]` inside the list: the older `div` rows with
   *   `chat-messages-<messageId>` ids [U: era and id shape not confirmed].
   */
  rows: ['li[id^="chat-messages-"]', '[data-list-id="chat-messages"] [id^="chat-messages-"]'],
  /** The message itself inside the row: `div[role=article][data-list-item-id="chat-messages___chat-messages-<channel>-<message>"]` (idx 60829477630). */
  article: '[role="article"]',

  /** Element ids from Discord's bundle, followed by the message id (idx 59665783548). */
  contentPrefix: 'message-content-',
  usernamePrefix: 'message-username-',
  timestampPrefix: 'message-timestamp-',
  replyContext: '[id^="message-reply-context-"]',
  reactions: '[id^="message-reactions-"]',
  accessories: '[id^="message-accessories-"]',
  /** A message-content element (own or, inside a reply context, the parent's). */
  anyContent: '[id^="message-content-"]',
  /** The timestamp `<time datetime="ISO">` (idx 59665783548). */
  time: 'time',

  /** The "(edited)" mark beside the text: `[class*="edited"]` around or inside a `time` (research §5). */
  edited: hashed('edited'),
  /** Inline timestamps and their wrappers: never text. */
  timestampWrap: hashed('timestamp'),
  /** The "APP"/"BOT" tag beside a bot's name [U: stem not confirmed]. */
  botTag: `${hashed('botTag')}, ${hashed('botTagCozy')}, ${hashed('botTagCompact')}`,
  /** Screen-reader-only copies of text [U]. */
  hiddenVisually: hashed('hiddenVisually'),
  /** System messages (joins, pins, boosts) [U: stem not confirmed; such rows also lack a username and a content id]. */
  systemMessage: hashed('systemMessage'),
  /** "Forwarded" header of a forwarded message (2024–) [U: stem not confirmed]. */
  forwarded: `${hashed('forwardedMessage')}, ${hashed('forwardHeader')}, ${hashed('forwarded')}`,

  /** One reaction and its count inside `message-reactions-<id>` [U: stems from the research's `reaction_` example]. */
  reaction: hashed('reaction'),
  reactionCount: hashed('reactionCount'),
  /** The avatar of a group's first message: `/avatars/<userId>/` is the only user id in the DOM (idx 56912638504). */
  avatar: 'img[src*="/avatars/"]',

  /** Attachment links and media: Discord's CDN paths `/attachments/<channel>/<attachment>/<name>` (DiscordChatExporter #1266). */
  mediaLinks: 'a[href], img[src], video[src], video source[src], audio[src], audio source[src]',
  /** Full-size link of an image attachment beside its resized preview [U: stem]. */
  originalLink: hashed('originalLink'),
  /** Emoji and reaction images inside accessories are not attachments. */
  emoji: 'img.emoji, img[data-type="emoji"]',

  /** Channel header: `section[aria-label="Channel header"]` with an `h1` (2023–) or `h3` (–2022) [U: wording is en only]. */
  titles: [
    'section[aria-label="Channel header"] h1',
    'section[aria-label="Channel header"] h3',
    inside(hashed('titleWrapper'), 'h1'),
  ],
  /** The list's own label, "Messages in general" [U: wording en only]. */
  listLabel: /^Messages in (.+)$/,

  /** The account owner's panel at the bottom left [U: label en only]. */
  selfPanel: 'section[aria-label="User area"]',
  selfName: [hashed('panelTitleContainer'), inside(hashed('nameTag'), hashed('title'))],
  /** The member list (guild channels, group DMs) [U: `data-list-item-id="members-…"` shape]. */
  members: '[data-list-item-id^="members-"]',
  memberName: `[data-text], ${hashed('username')}, ${hashed('name')}`,

  /** Things that say a conversation is open even when no row can be read (changed layout). */
  openConversation: [
    '[data-list-id="chat-messages"]',
    'section[aria-label="Channel header"]',
    'main[class*="chatContent"]',
    '[role="textbox"][data-slate-editor="true"]',
  ].join(', '),

  /** The scrolling pane around the list (`scroller_…`, `managedReactiveScroller_…`). */
  scroller: `${hashed('scroller')}, ${hashed('managedReactiveScroller')}`,
  /** The channel or DM start banner (`emptyChannel_…` [U]) or its en wording. */
  beginning: hashed('emptyChannel'),
  beginningText: /this is the beginning of|welcome to #|this is the start of/i,
} as const;

/** Discord's CDN hosts for attachments (signed, expiring URLs since ~2024; DiscordChatExporter #1266, #1421). */
export const CDN_HOSTS = ['cdn.discordapp.com', 'media.discordapp.net'] as const;
