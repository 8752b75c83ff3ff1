/**
 * The one rule every quote link is made by when the page names no id (src/shared/quote-match.ts):
 * nearest earlier message by the quoted author whose text starts with the quoted text.
 */
import { describe, expect, it } from 'vitest';
import { linkPageQuotes, matchQuotes, type Quoting } from '../../src/shared/quote-match';

type M = Quoting & { messageId: string; sender: string | null };
const msg = (messageId: string, sender: string | null, text: string, quote: M['quote'] = null, type = 'message'): M => ({ messageId, sender, text, quote, type });
const q = (author: string | null, text: string, messageId: string | null = null): M['quote'] => ({ author, text, messageId });
const bySender = (c: M, author: string) => c.sender === author;
const links = (messages: M[]) => Object.fromEntries(matchQuotes(messages, (m) => m.messageId, bySender));

describe('matchQuotes', () => {
  it('links the nearest earlier message by the author whose text starts with the quoted text', () => {
    const messages = [
      msg('a', 'Ana', 'Budget draft v1 attached'),
      msg('b', 'Ben', 'Budget draft v2 attached'),
      msg('c', 'Ana', 'Budget draft v3 attached'),
      msg('d', 'Ben', 'ok', q('Ana', 'Budget draft')),
      msg('e', 'Ben', 'and this?', q('Ben', 'Budget   draft\nv2')),
    ];
    expect(links(messages)).toEqual({ 3: 'c', 4: 'b' });
  });

  it('drops a trailing ellipsis of a shortened preview, and matches any sender when the quote names none', () => {
    const messages = [msg('a', 'Ana', 'The contractor walkthrough moved to Thursday'), msg('b', 'Ben', 'noted', q(null, 'The contractor walk…')), msg('c', 'Cy', 'x', q(null, 'The contractor walk...'))];
    expect(links(messages)).toEqual({ 1: 'a', 2: 'a' });
  });

  it('leaves alone quotes already linked, empty quotes, later messages, events and other authors', () => {
    const messages = [
      msg('n', null, 'Ana joined', null, 'event'),
      msg('a', 'Ana', 'Minutes'),
      msg('b', 'Ben', 'x', q('Ana', 'Minutes', 'kept')),
      msg('c', 'Ben', 'y', q('Ana', '  …')),
      msg('d', 'Ben', 'z', q('Cy', 'Minutes')),
      msg('e', 'Ben', 'w', q(null, 'Ana joined')),
      msg('f', 'Ben', 'v', q('Ana', 'Later')),
      msg('g', 'Ana', 'Later'),
    ];
    expect(links(messages)).toEqual({});
  });

  it('linkPageQuotes writes each link into the quote', () => {
    const messages = [msg('a', 'Ana', 'Hello there'), msg('b', 'Ben', 'hi', q('Ana', 'Hello'))];
    linkPageQuotes(messages, bySender);
    expect(messages[1]!.quote).toEqual({ author: 'Ana', text: 'Hello', messageId: 'a' });
  });
});
