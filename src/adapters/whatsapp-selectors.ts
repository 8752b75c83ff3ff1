/**
 * Everything the WhatsApp adapter knows about the page, as data: selectors (each with what it
 * finds and since when) and the localized words it reads. Sources are the "idx N" entries of
 * the research notes (messenger-dom.md §1). When WhatsApp changes its DOM, this is the file to
 * edit first. [U] marks a selector or word no source confirmed.
 */

export const SEL = {
  /** The open conversation pane (all eras). */
  main: '#main',
  /** Its header: title, and in groups the participant list (idx 71042067677). */
  header: '#main header',
  /** Thread title: the first of these in the header, in document order (idx 71042067677). */
  title: '#main header span[title], #main header span[dir="auto"]',
  /** Header elements whose title may list participants: "Ana, Bruno, You" (idx 71042067677). */
  headerTitled: '#main header [title]',
  /** The composer, whose aria-label names the chat: "Type a message to [group] X" (idx 58239925124). */
  composer: '#main footer [aria-label]',

  /**
   * Message rows, tried in order:
   * - `[role=row]` holds one message, date chip or notice (2024–2026; idx 58239925124, 71042067677);
   * - before that, the outermost `[data-id]` wrappers and `.focusable-list-item` rows, which
   *   also catch the 2018–20 date rows that had no data-id (WebWhatsapp-Wrapper #913).
   */
  rows: ['#main [role="row"]', '#main [data-id], #main .focusable-list-item'],

  /** What makes a row a message rather than a chip or notice; named when no row yields one. */
  messageAnchors: '[data-pre-plain-text], [data-id], [data-icon^="tail-"], .message-in, .message-out',

  /** Message id: on the row (classic) or on a descendant of it (2026; idx 71042067677). */
  dataId: '[data-id]',
  /** `[time, date] sender: ` on text rows, also on continuation rows (all eras since ~2018). */
  prePlain: '[data-pre-plain-text]',
  /**
   * The message text. `span.selectable-text` (all eras; older builds add `.invisible-space`),
   * `[data-testid="selectable-text"]` (some 2026 builds [U]). Emoji `img` carry the class too,
   * so only the outermost non-img match counts.
   */
  body: 'span.selectable-text, [data-testid="selectable-text"]',

  /** Quoted-reply box, localized aria-label; `data-testid` until ~2023. Excluded from the body. */
  quote: [
    '[aria-label="Quoted message"]',
    '[aria-label="Mensagem citada"]',
    '[aria-label="Mensaje citado"]', // [U] es wording
    '[data-testid="quoted-message"]',
  ].join(', '),
  /** The quoted text inside the quote box (2021–2026). */
  quoteText: '.quoted-mention',
  /** "Read more" on a long message [U: class name not confirmed]; the rest is not in the DOM. */
  readMore: '.read-more-button',

  /** Bubble tails: first bubble of a run only (2024–2026; idx 58239925124). */
  tailOut: '[data-icon="tail-out"]',
  tailIn: '[data-icon="tail-in"]',
  /** Direction classes, gone in 2026 (idx 71042067677, 58239925124). */
  classOut: '.message-out',
  classIn: '.message-in',
  /** Delivery ticks and the pending clock: outgoing rows only (idx 60571796761). */
  ticks: '[data-icon^="msg-check"], [data-icon^="msg-dblcheck"], [data-icon="msg-time"]',

  /** Deleted-message markers (idx 47238097893; `data-testid` in mvrozanti downloader.js). */
  recalled: '[data-icon="recalled"], [data-icon="recalled-in"], [data-icon="recalled-out"], [data-testid="recalled-msg"]',
  recalledOut: '[data-icon="recalled-out"]',
  recalledIn: '[data-icon="recalled-in"]',
  /** Forwarded marker (idx 17814118389); `forwarded` is an older icon name [U]. */
  forwarded: '[data-icon="forward-refreshed"], [data-icon="forwarded"]',

  /** Full-size picture viewers wrapping `img[src^="blob:"]` (idx 17814118389, 53351297503). */
  imageOpener: [
    '[aria-label="Open picture"]',
    '[aria-label="Abrir imagem"]', // [U] pt wording
    '[aria-label="Abrir foto"]', // [U] pt wording
  ].join(', '),
  /** Any loaded full image: catches pictures whose opener label is in a language not above. */
  blobImage: 'img[src^="blob:"]',
  /** Video and GIF play buttons (idx 65748119556, 69559684165). */
  video: '[data-icon="media-play"], [data-icon="video-pip"], [aria-label="Play GIF"], [aria-label="Play video"]',
  /** Voice notes (idx 53351297503, 53908417216); the pt label is [U]. */
  audio:
    '[aria-label="Play voice message"], [aria-label="Reproduzir mensagem de voz"], [data-icon="audio-play"], [data-icon="ptt"], [data-icon^="ptt-"]',
  /** Documents (idx 53908417216, 65748119556); the pt "Baixar" title is [U]. */
  document:
    'span[data-icon^="document-"], [data-icon="audio-file"], [data-icon="ms-office-doc"], [title^=\'Download "\'], [title^=\'Baixar "\']',
  /** Stickers [U]: no source gives a selector; WhatsApp labels them "Sticker" / "Figurinha". */
  sticker: 'img[alt="Sticker"], img[alt="Figurinha"], [aria-label="Sticker"], [aria-label="Figurinha"]',
} as const;

/** How the account owner is named on the page: header lists, sender labels (idx 71042067677). */
export const SELF_WORDS = ['You', 'Você', 'Tú'];

/** Delivery-status aria-labels, outgoing rows only (idx 58239925124; pt "Entregue" [U]). */
export const STATUS_WORDS = [
  'Sent', 'Delivered', 'Read', 'Pending', 'Played',
  'Enviada', 'Entregue', 'Lida', 'Pendente', 'Reproduzida',
];

/** The meta-area word on edited messages [U: no verified selector, research §1 "Edited"]. */
export const EDITED_WORDS = ['Edited', 'Editada', 'Editado'];

/** The caption beside the forward icon (idx 17814118389) [U pt/es wording]. */
export const FORWARDED_WORDS = ['Forwarded', 'Forwarded many times', 'Encaminhada', 'Encaminhada com frequência', 'Reenviado'];

/**
 * Buttons inside a bubble that are not text: the hover "React" button (not a reaction) and
 * "Read more" on a long message (whose hidden rest the adapter cannot read without clicking).
 */
const READ_MORE_WORDS = 'read more|ler mais|leer más';
export const BUTTON_LABELS = new RegExp(`^(react|reagir|reaccionar|${READ_MORE_WORDS})$`, 'i');

/** The "Read more" button's own words: a message showing it is cut short. */
export const READ_MORE_LABELS = new RegExp(`^(${READ_MORE_WORDS})$`, 'i');

/** "You deleted this message" and kin: a deleted row of one's own (idx 47238097893) [U pt/es]. */
export const SELF_DELETED = /^(you deleted this message|você apagou esta mensagem|eliminaste este mensaje)\.?$/i;

/** Reaction summaries: aria-label "Reactions 👍 2, ❤️ 1" / "reaction 😂" / "Reações …"; not the "React" button. */
export const REACTIONS_LABEL = /^(reactions?|reações|reação|reacciones|reacción)(?=[\s:,]|$)/i;

/** Rows that are neither messages nor notices: the unread divider, the older-history banner. */
export const NOT_A_RECORD = [
  /^\d+\s+(unread messages?|mensage(m|ns) não lidas?|mensajes? no leídos?)$/i,
  /older messages from your phone|mensagens mais antigas|mensajes anteriores/i,
  // The refusal notice after asking the phone for history [U: wording not confirmed by a source].
  /couldn't get older messages|não foi possível carregar mensagens mais antigas/i,
];

/** "Type a message to group X" / "Type a message to X" (idx 58239925124). */
export const COMPOSER_LABEL = /^Type a message to (group )?(.+)$/;

/** Our `missingReason` for media the page has not downloaded (the content runner uses it too). */
export const NOT_DOWNLOADED = 'not downloaded in the page';
