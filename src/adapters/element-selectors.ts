/**
 * Everything the Element adapter knows about the page, as data: selectors (each with what it
 * finds and since when) and the words it reads. Sources are the "idx N" entries of the research
 * notes (messenger-dom.md §6) and Element's own components (EventTile, DateSeparator,
 * GenericEventListSummary, ReplyChain/ReplyTile, ReactionsRow, RedactedBody, TextualBody,
 * DisambiguatedProfile, MessageTimestamp, RoomHeader). Element's `mx_` class names are not
 * hashed and have been stable for years; they are matched exactly. [U] marks a selector no
 * source confirmed.
 */

export const SEL = {
  /** The room view; present whenever a room is open (all eras). */
  roomView: '.mx_RoomView',
  /** The main timeline: `.mx_RoomView_body` > `ol.mx_RoomView_MessageList` (idx 56677551278). */
  list: '.mx_RoomView_body .mx_RoomView_MessageList, .mx_RoomView .mx_RoomView_MessageList',
  /** Timelines that are not the room's: a thread or the threads list in the right panel. */
  otherTimelines: '.mx_RightPanel, .mx_ThreadView, .mx_ThreadPanel, .mx_FilePanel, .mx_NotificationPanel',

  /**
   * Timeline rows, tried in order:
   * - `li.mx_EventTile` with `data-event-id` (2022–) or only `data-scroll-tokens` (older), and
   *   `li.mx_GenericEventListSummary` (collapsed membership runs), 2019– (idx 56677551278);
   * - any `li[data-event-id]` / `li[data-scroll-tokens]` in the list, should the tile class go [U].
   */
  rows: [
    '.mx_RoomView_MessageList li.mx_EventTile[data-event-id], .mx_RoomView_MessageList li.mx_EventTile[data-scroll-tokens], .mx_RoomView_MessageList li.mx_GenericEventListSummary',
    '.mx_RoomView_MessageList li[data-event-id], .mx_RoomView_MessageList li[data-scroll-tokens]',
  ],
  tile: 'li.mx_EventTile',
  summary: 'li.mx_GenericEventListSummary',
  /** Summary text of a collapsed membership run, "Ana and Ben joined" (GenericEventListSummary). */
  summaryText: '.mx_GenericEventListSummary_summary',
  /** Date separators: `h2.mx_DateSeparator[role=separator][aria-label]` (–2023) and `.mx_TimelineSeparator` (2023–) (idx 33145874712). */
  separator: '.mx_DateSeparator, .mx_TimelineSeparator',
  separatorHeading: '.mx_DateSeparator_dateHeading',

  /** A reply's quote: `.mx_ReplyChain_wrapper` > `blockquote.mx_ReplyChain` > `.mx_ReplyTile` (ReplyChain; research [U]). */
  replyChain: '.mx_ReplyChain_wrapper, .mx_ReplyChain',
  replyTile: '.mx_ReplyTile',
  replyError: '.mx_ReplyChain_error',

  /** Sender: `.mx_DisambiguatedProfile` (2021–) or `.mx_SenderProfile` (older); the mxid span only disambiguates. */
  profile: '.mx_DisambiguatedProfile, .mx_SenderProfile',
  profileName: '.mx_DisambiguatedProfile_displayName, .mx_SenderProfile_displayName, .mx_SenderProfile_name',
  profileMxid: '.mx_DisambiguatedProfile_mxid',
  /** An emote ("/me") shows no profile; its sender is written into the body: "* Ana waves". */
  emoteSender: '.mx_MEmoteBody_sender',
  /** The time a tile shows (idx 56677551278); its `title` held the full date until 2023, a tooltip since. */
  timestamp: '.mx_MessageTimestamp',

  /** Message bodies: emote first (it shows "* <sender> <text>"), then the text body (TextualBody). */
  body: ['.mx_MEmoteBody', '.mx_EventTile_body'],
  /** Inside a body, not text: the "(edited)" mark and code-block buttons. */
  bodyFurniture: '.mx_EventTile_edited, .mx_EventTile_pendingModeration, .mx_EventTile_button, .mx_EventTile_collapseButton, .mx_EventTile_copyButton',
  /** "(edited)" (research §6). */
  edited: '.mx_EventTile_edited',
  /** "Message deleted" in place of a redacted message (RedactedBody; research [U]). */
  redacted: '.mx_RedactedBody',
  /** "Unable to decrypt message" and kin: the page has no text to give [U]. */
  undecryptable: '.mx_DecryptionFailureBody, .mx_UnknownBody',

  /** Reactions: `.mx_ReactionsRow` > `.mx_ReactionsRowButton` (content, count) (research [U]). */
  reactionButton: '.mx_ReactionsRow .mx_ReactionsRowButton',
  reactionContent: '.mx_ReactionsRowButton_content',
  reactionCount: '.mx_ReactionsRowButton_count',

  /** Info tiles (membership, name, topic changes) and bubbles (encryption, room creation). */
  infoTile: '.mx_EventTile_info, .mx_EventTile_bubbleContainer',
  textualEvent: '.mx_TextualEvent',
  bubble: '.mx_EventTileBubble',
  bubbleTitle: '.mx_EventTileBubble_title',
  bubbleSubtitle: '.mx_EventTileBubble_subtitle',

  /** Media bodies, outermost first (a file body sits inside an audio body as its download link). */
  media: '.mx_MImageBody, .mx_MStickerBody, .mx_MVideoBody, .mx_MAudioBody, .mx_MVoiceMessageBody, .mx_MFileBody',
  image: '.mx_MImageBody',
  sticker: '.mx_MStickerBody',
  video: '.mx_MVideoBody',
  audio: '.mx_MAudioBody, .mx_MVoiceMessageBody',
  fileName: '.mx_MFileBody_info_filename',

  /** The room's name: `.mx_RoomHeader_heading` (2023–), legacy header names (–2023). */
  titles: ['.mx_RoomHeader_heading', '.mx_LegacyRoomHeader_nametext', '.mx_RoomHeader_nametext', '.mx_RoomHeader_name'],
  /** The member list, when the right panel shows it [U]. */
  memberNames: '.mx_MemberList .mx_EntityTile_name, .mx_MemberListView .mx_MemberTileView_name',
  /** The selected room in the old room list's "People" or "Rooms" section [U: en labels, room list before 2025]. */
  selectedInPeople: '.mx_RoomSublist[aria-label="People"] .mx_RoomTile_selected',
  selectedInRooms: '.mx_RoomSublist[aria-label="Rooms"] .mx_RoomTile_selected',

  /** The timeline's scrolling pane: ScrollPanel (`mx_RoomView_messagePanel mx_ScrollPanel`) [U]. */
  scroller: '.mx_RoomView_messagePanel, .mx_ScrollPanel',
  /** Only at the very start of a room: the new-room intro, the creation bubble, the welcome view. */
  beginning: '.mx_NewRoomIntro, .mx_RoomWelcomeView, .mx_CreateEvent',
} as const;

/** Our `missingReason` for media the page has not downloaded (the content runner uses it too). */
export const NOT_DOWNLOADED = 'not downloaded in the page';
