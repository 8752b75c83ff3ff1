/**
 * Everything the Telegram Web adapter knows about the two DOMs, as data. Web K
 * (https://web.telegram.org/k/, morethanwords/tweb) and Web A (https://web.telegram.org/a/,
 * Ajaxy/telegram-tt) are different programs: K_SEL and A_SEL are read by telegram-k.ts and
 * telegram-a.ts. Sources: the research notes (messenger-dom.md §2, cited as idx N) and the
 * stored public source files named in each comment (tweb / telegram-tt paths). [U] marks a
 * selector or word no source confirmed. When Telegram changes its DOM, edit this file first.
 */

/** Web K (tweb). Plain class names; `data-*` from bubbles.ts (idx 61629076746, 67135349288). */
export const K_SEL = {
  /** The message list: `.bubbles > .bubbles-scrollable > .bubbles-inner` (idx 61629076746). */
  list: '.bubbles-inner',
  /** The scrolling element around it (idx 61629076746); tweb's Scrollable class as a fallback [U]. */
  scroller: ['.bubbles .bubbles-scrollable', '.bubbles .scrollable-y'],
  /**
   * Rows, tried in order: every `.bubble` inside the list (messages, service rows, the sticky
   * date bubbles); else any `.bubble[data-mid]` on the page (idx 61629076746).
   */
  rows: ['.bubbles-inner .bubble', '.bubble[data-mid]'],
  /** One day: `.bubbles-date-group`, its date shown by a sticky `.bubble.service.is-date` (idx 61629076746). */
  dateGroup: '.bubbles-date-group',
  dateBubble: 'is-date',
  /** One author's run (`bubbleGroups.ts`, idx 61629076746): tweb groups bubbles by sender. */
  senderGroup: '.bubbles-group',
  /** Service rows (joins, pins, title changes): class `service`, text in `.service-msg`. */
  serviceClass: 'service',
  serviceText: '.service-msg',
  /** Direction: `is-out` / `is-in` (idx 61629076746). */
  outClass: 'is-out',
  /** Not yet on the server: `is-sending` (temporary mid, swapped later, idx 67135349288), `is-error` (failed). */
  pendingClasses: ['is-sending', 'is-error'],
  /** Channel posts (tweb messageRender.ts: `bubble.classList.add('channel-post')` when a post has views). */
  channelPostClass: 'channel-post',
  forwardedClass: 'forwarded',

  /** Sender name, groups only: `.name[data-peer-id] .peer-title` (idx 61629076746; tweb bubbles/bubbleName.tsx). */
  name: '.name .peer-title',
  /** "Forwarded from X": the title is the original author, not the sender (tweb bubbleName.tsx). */
  forwardedName: '.bubble-name-forwarded',
  /** Reply box: `.reply > .reply-content > .reply-title + .reply-subtitle` (idx 61629076746). */
  reply: '.reply',
  replyTitle: '.reply-title',
  replySubtitle: '.reply-subtitle',
  /** Text: `.message.spoilers-container` (idx 61629076746); the time span lives inside it. */
  text: '.message',
  /**
   * Time: `span.time > div.time-inner` (idx 61629076746; tweb messageRender.ts); 2021 builds
   * had `div.inner` (stored tweb messageRender.ts, 2021). The outer span holds a hidden copy
   * of the same parts for spacing, so the inner one is read.
   */
  time: '.time',
  timeInner: ['.time-inner', '.time .inner'],
  /** Edited: `i.time-edited` (2024–26), `i.edited` and bubble class `is-edited` (2021), or an "Edited:" line in the time title. */
  edited: '.time-edited, i.edited',
  editedClass: 'is-edited',
  editedTitle: /\nEdited: /,
  /** Post signature and view count inside the time (tweb messageRender.ts). */
  postAuthor: '.time-post-author',
  /** Reactions: `<reactions-element class="reactions">` > `<reaction-element class="reaction">` (tweb chat/reactions.ts, reaction.ts). */
  reactions: '.reactions, reactions-element',
  reaction: '.reactions .reaction, reactions-element .reaction',
  /** The reaction's emoji: a static sticker image [U: its alt text], and its count. */
  reactionEmoji: '.reaction-sticker',
  reactionCounter: '.reaction-counter',
  /** Without a counter tweb shows who reacted, one avatar each (tweb reaction.ts `renderAvatars`) [U: class]. */
  reactionAvatars: '.stacked-avatars avatar-element, .stacked-avatars .avatar',

  /** Media: pictures `.attachment img.media-photo` (blob: once downloaded) [U: class from tweb wrappers]. */
  photo: '.attachment img.media-photo, .album-item img.media-photo',
  /** A blurred preview shown before the picture loads [U]. */
  photoThumb: '.attachment .thumbnail, .album-item .thumbnail',
  video: '.attachment video, .bubble.video .media-video',
  /** Documents: bubble class `document-message`, name in `.document-name` (idx 61629076746 for the class) [U: name]. */
  document: '.document-container, .document',
  documentName: '.document-name',
  /** Voice notes and audio: bubble class `voice-message`, tweb's `<audio-element>` [U]. */
  audio: 'audio-element',
  /** Stickers: bubble class `sticker` (idx 61629076746); the picture is a canvas or img [U]. */
  stickerClass: 'sticker',
  /** Link preview box, not text [U: class]. */
  webpage: '.web, .webpage',
  /** Parts of the bubble that are never message text (a document card sits inside `.message` [U]). */
  furniture: '.time, .reactions, reactions-element, .bubble-beside-button, .web, .webpage, .reply, .name, .document-container, audio-element',

  /** Header: `.topbar .chat-info .person .content .top .user-title` holds a PeerTitle (tweb topbar.ts). */
  title: ['.topbar .chat-info .user-title .peer-title', '.topbar .chat-info .user-title'],
} as const;

/** Web A (telegram-tt). Component names are classes; some inner classes are hashed CSS modules. */
export const A_SEL = {
  /** The scroller: `.MessageList` (idx 61413608151; telegram-tt Message.tsx `closest('.MessageList')`). */
  list: '.MessageList',
  /**
   * Rows: `.message-list-item` (messages `div.Message`, service rows `div.ActionMessage`,
   * idx 69626711160; telegram-tt Message.tsx, ActionMessage.tsx) and the local notices
   * (`.local-action-message`: the unread divider, "discussion started"), which are skipped.
   */
  rows: ['.MessageList .message-list-item, .MessageList .local-action-message', '.message-list-item'],
  messageClass: 'Message',
  actionClass: 'ActionMessage',
  localActionClass: 'local-action-message',
  /** One day: `.message-date-group` with a sticky `.sticky-date > span` (idx 61413608151; MessageListContent.tsx). */
  dateGroup: '.message-date-group',
  stickyDate: '.sticky-date',
  /** 2025–26 builds wrap one sender's run in `#message-group-<first>-<last>` (MessageListContent.tsx). */
  senderGroup: '[id^="message-group-"]',
  /** Classes on the row (idx 69626711160; Message.tsx). */
  ownClass: 'own',
  firstInGroupClass: 'first-in-group',
  editedClass: 'was-edited',
  deletingClass: 'is-deleting',
  viewsClass: 'has-views',
  /** Sender: `.message-title-name` (+ `.admin-title`), outside the reply box (idx 69626711160). */
  senderName: '.message-title .message-title-name',
  /** Parts of a sender name that are not the name: icons, emoji status, badges. */
  senderNameSkip: 'i, svg, .CustomEmoji, .custom-emoji, .VerifiedIcon, .PremiumIcon, .FakeIcon, .StarIcon',
  /** Forwarded: `.content-inner.forwarded-message` (Message.tsx `asForwarded`); the title then names the original author. */
  forwarded: '.forwarded-message',
  /** Reply: `.message-subheader > .EmbeddedMessage` (idx 69626711160; common/embedded/EmbeddedMessage.tsx). */
  reply: '.EmbeddedMessage',
  replyText: '.embedded-text-wrapper',
  replySender: '.embedded-sender',
  /** Text: `.content-inner > .text-content` (idx 69626711160), the meta inside it is not text. */
  text: '.text-content',
  textSkip: '.MessageMeta, .Reactions, .translation-animation, .quick-reaction',
  /** Time: `.MessageMeta > .message-time` "edited 10:31"; its `title` only after mouseenter (MessageMeta.tsx). */
  time: '.MessageMeta .message-time',
  /** Post signature in channels (MessageMeta.tsx). */
  signature: '.MessageMeta .message-signature',
  /** Reactions: `.Reactions > .message-reaction` buttons (Reactions.tsx, ReactionButton.tsx). */
  reaction: '.Reactions .message-reaction',
  /** Emoji: `img.ReactionStaticEmoji[alt]` (alt is the reaction's title or the emoji), a fallback `span`, or the heart icon. */
  reactionEmoji: '.ReactionStaticEmoji',
  reactionCounter: '.counter',
  /** Recent reactors instead of a counter: one avatar each (ReactionButton.tsx `AvatarList`) [U: class of each avatar]. */
  reactionAvatars: '.AvatarList .Avatar',

  /** Media in the message, not in the reply box: `.media-inner > img.full-media` (Photo.tsx) or `video.full-media`. */
  photo: '.media-inner img.full-media',
  video: '.media-inner video.full-media',
  /** Media with nothing loaded yet: the `.media-inner` of a photo or video shows only a thumbnail canvas. */
  mediaInner: '.media-inner',
  /** A link preview (`WebPage.tsx`), whose picture is not an attachment [U: class]. */
  webPage: '.WebPage',
  /** Documents: `.File` with `.file-title` [U: class names not confirmed for every era]. */
  document: '.File',
  documentName: '.file-title',
  audio: '.Audio',
  sticker: '.Sticker, .sticker-media',

  /** Service text: the last inline wrapper (multiline rows render a hidden copy first for the fluid background). */
  actionText: ':scope > span, :scope > div',

  /** Header: `.MiddleHeader .ChatInfo .title h3.fullName` (common/FullNameTitle.tsx). */
  title: ['.MiddleHeader .ChatInfo .fullName', '.MiddleHeader .ChatInfo .title h3', '.MiddleHeader .title h3'],
} as const;

/** How Telegram's English UI names the account owner in our records (the page never shows "You" on own messages). */
export const SELF_NAME = 'You';

/** A reply whose author is the owner: Telegram writes the owner's own name or "You" [U]. */
export const SELF_WORDS = ['You'];

/** Service rows that mean nothing older exists (K `.service-msg`, A ActionMessage) [U: en wording only]. */
export const CHAT_START = /\bcreated the (group|channel)\b|^channel created$/i;

/** Our `missingReason` for media the page has not downloaded (the content runner uses it too). */
export const NOT_DOWNLOADED = 'not downloaded in the page';
