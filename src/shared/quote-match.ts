/**
 * Linking a reply to the message it quotes, when the page names no id for it (WhatsApp, Teams,
 * Telegram, Messenger; and again across the whole thread when a bundle is made): the nearest
 * earlier message whose text, whitespace collapsed, starts with the quoted text (a trailing "…"
 * or "..." of a shortened preview removed), by the quoted author. Who counts as the author is
 * each caller's rule (`byAuthor`: the owner is shown as "You", a profile name, a localized
 * word); a quote without an author matches any sender. One rule, so the adapters and the export
 * link the same way.
 */

/** What matching needs of a message. */
export interface Quoting {
  type: string;
  text: string;
  quote: { author: string | null; text: string; messageId: string | null } | null;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * For each message (by position) whose quote has no link yet, the id of the message it quotes,
 * where one matches. `idOf` gives a message's id; `byAuthor(candidate, author)` whether the
 * candidate is by the quoted author.
 */
export function matchQuotes<T extends Quoting>(
  messages: readonly T[],
  idOf: (m: T) => string,
  byAuthor: (candidate: T, author: string) => boolean,
): Map<number, string> {
  const links = new Map<number, string>();
  for (const [i, m] of messages.entries()) {
    if (!m.quote || m.quote.messageId !== null) continue;
    const prefix = squash(m.quote.text).replace(/(…|\.\.\.)$/, '').trim();
    if (!prefix) continue;
    const author = m.quote.author;
    for (let j = i - 1; j >= 0; j--) {
      const c = messages[j]!;
      if (c.type !== 'message') continue;
      if ((author === null || byAuthor(c, author)) && squash(c.text).startsWith(prefix)) {
        links.set(i, idOf(c));
        break;
      }
    }
  }
  return links;
}

/** matchQuotes over a page's messages, each link written into the message's quote. */
export function linkPageQuotes<T extends Quoting & { messageId: string }>(messages: readonly T[], byAuthor: (candidate: T, author: string) => boolean): void {
  for (const [i, id] of matchQuotes(messages, (m) => m.messageId, byAuthor)) messages[i]!.quote!.messageId = id;
}
