/**
 * Everything the Google Chat adapter knows about chat.google.com, as data: selectors (each with
 * what it finds and since when) and the localized words it reads. Sources are the "idx N"
 * entries of the research notes (messenger-dom.md §6, Google Chat) and, where marked "lookup",
 * public scripts found while building this adapter (same idx numbering). Google Chat is a Wiz
 * app: its classes (`nF6pT`, `AnmYv`, `FvYVyf`) are build hashes, so nothing here matches a
 * class; `jsname` values are Wiz's own stable names and are used only as a first choice with a
 * structural fallback. [U] marks a selector or word no source confirmed.
 */

export const SEL = {
  /** The conversation pane: the app's main region (lookup idx 65867165737, 56825181467). */
  main: '[role="main"]',
  /**
   * The open conversation's own `c-wiz`, carrying `data-group-id="space/<id>"` or `"dm/<id>"`
   * (2020–23, userscripts idx 17040581887 and lookup idx 10443363680). Sidebar entries carry
   * the same attribute on `span[role=listitem]`, so this is restricted to `c-wiz`.
   */
  pane: 'c-wiz[data-group-id^="space/"], c-wiz[data-group-id^="dm/"]',
  /** Sidebar entries, one per space or DM: `span[role=listitem][data-group-id]` (idx 71244798537, 56825181467). */
  sidebarEntry: 'span[role="listitem"][data-group-id]',
  /** The entry's name: a `span[title]` inside it (lookup idx 8875728072); DMs also name members with `data-name` (lookup idx 2421673666). */
  sidebarTitle: 'span[title]',
  sidebarMember: '[data-name]',
  /** The pane header's heading [U: no source names it; Google's own pages use level-1/2 headings]. */
  headerTitle: '[role="main"] [role="heading"][aria-level="1"], [role="main"] [role="heading"][aria-level="2"]',

  /** A topic (thread); a DM is a single topic (idx 17040581887, 56825181467). */
  topic: 'c-wiz[data-topic-id]',

  /**
   * Message elements, tried in order:
   * - `[data-id][data-user-id]`: one message, opaque id + numeric author id (Japanese analysis
   *   about 2025-09, research §6; `jsname="Ne3sFf"`, lookup idx 3898635939). Hover buttons
   *   inside a message also carry a `data-id` but no `data-user-id`, so both are required;
   * - `[role="group"][data-id]`: the same element found by role (lookup idx 65867165737, 2026);
   * - `[role="heading"][data-message-id]`: 2026 builds put the id on the message's heading, the
   *   message being its closest `[role="group"]` (lookup idx 54185429076, dated 2026-04).
   */
  messages: ['[data-id][data-user-id]', '[role="group"][data-id]', '[role="heading"][data-message-id]'],
  /** The message container around a 2026 heading (lookup idx 54185429076). */
  messageGroup: '[role="group"]',

  /** Author heading (research §6); 2026 headings carry `data-message-id` instead (lookup idx 54185429076). */
  author: '[role="heading"][data-member-id], [role="heading"][data-message-id], [role="heading"][aria-level="3"]',
  /** The author's display name as an attribute, on the heading or a hovercard span inside it (lookup idx 3898635939, 32451382047). */
  authorName: '[data-name]',
  /** Send time as epoch milliseconds (research §6, "Japanese analysis, about 2025-09"). */
  time: '[data-absolute-timestamp]',
  /** Message text (`jsname="bgckF"`, lookup idx 3898635939 and 17040581887). */
  body: '[jsname="bgckF"]',
  /** Reaction chips (research §6); the emoji picker's `role=menuitem` entries carry it too (lookup idx 3898635939). */
  reaction: '[data-emoji]',
  /** Uploaded files (lookup idx 65867165737). */
  attachment: '[data-attachment-id], [data-attachment-type]',
  /** Controls that are not text: buttons, menus, tooltips. */
  controls: 'button, [role="button"]:not([data-emoji]), [role="menu"], [role="menuitem"], [role="tooltip"]',
} as const;

/** How the page names the account owner on its own messages ("You", research §6) [U pt/es wording]. */
export const SELF_WORDS = ['You', 'Você', 'Tú'];

/** The caption beside the time on an edited message [U: no source; Chat shows "Edited"]. */
export const EDITED_WORDS = ['Edited', 'Editada', 'Editado'];

/** What a deleted message shows instead of its text [U: wording]. */
export const DELETED_TEXT = /^(message deleted( by (its|the) author)?|this message (was|has been) deleted|mensagem (excluída|apagada)( pelo autor)?|mensaje eliminado)\.?$/i;

/** A thread's reply summary ("2 replies", "Last reply 10:31") and other furniture that is not text (lookup idx 54185429076). */
export const NOT_TEXT = /^(\d+\s+(repl(y|ies)|respostas?|respuestas?)|last reply\b.*|última resposta\b.*|follow|following|seguir|unread)$/i;

/** A space's first event [U: wording]; used only by `history.atBeginning`. */
export const CREATED = /\b(created this (space|group|conversation)|criou este espaço|creó este espacio)\b/i;

/** Our `missingReason` for files the page shows but has not put in a blob: or data: URL. */
export const NOT_DOWNLOADED = 'not downloaded in the page';
