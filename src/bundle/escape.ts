/**
 * Scraped text wherever it is shown: escaped for markup, and kept from reordering the text
 * around it. The transcript and the extension's pages use these; docs/security.md,
 * "Hostile content", lists where.
 */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

// Unicode bidirectional formatting characters (UAX #9, section 2): embeddings and overrides
// (LRE, RLE, LRO, RLO) end at a PDF; isolates (LRI, RLI, FSI) end at a PDI.
const PDF = '\u202C';
const FSI = '\u2068';
const PDI = '\u2069';
const BIDI_FORMATTING = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * `text` with invisible bidi formatting characters added so that it closes everything it opens
 * and never closes what it did not open: a PDF or PDI for each embedding, override or isolate
 * left open (otherwise it runs on over the text that follows: "Ana\u202E" turns the rest of the
 * line around), and an FSI at the start for each PDI with no isolate of its own to close
 * (otherwise it ends the isolate we put around the text, and what follows escapes it). Every
 * character of `text` stays, in order; text without bidi controls is returned as it is.
 *
 * This follows rules X2–X6a and X7 of UAX #9: a PDI closes the innermost open isolate and
 * everything opened inside it; a PDF closes an embedding or override but never an isolate, so
 * a stray PDF inside an isolate is harmless and is left alone. Each paragraph (UAX #9 ends one
 * at LF, CR, NEL, U+001C–U+001E and U+2029) is balanced on its own, so the result holds both
 * where a line break ends a paragraph (a dialog) and where it is folded into a space (HTML).
 */
export function balanceBidi(text: string): string {
  if (!BIDI_FORMATTING.test(text)) return text;
  let out = '';
  let start = 0;
  let open: ('embedding' | 'isolate')[] = [];
  let strayPdis = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    if (c === -1 || c === 0x0a || c === 0x0d || (c >= 0x1c && c <= 0x1e) || c === 0x85 || c === 0x2029) {
      out += FSI.repeat(strayPdis) + text.slice(start, i) + open.reverse().map((kind) => (kind === 'isolate' ? PDI : PDF)).join('') + (c === -1 ? '' : text[i]);
      start = i + 1;
      open = [];
      strayPdis = 0;
    } else if (c === 0x202a || c === 0x202b || c === 0x202d || c === 0x202e) open.push('embedding');
    else if (c >= 0x2066 && c <= 0x2068) open.push('isolate');
    else if (c === 0x202c && open.at(-1) === 'embedding') open.pop();
    else if (c === 0x2069) {
      const isolate = open.lastIndexOf('isolate');
      if (isolate >= 0) open.length = isolate;
      else {
        // Matched by an FSI put at the paragraph's start, which also ends what is open inside it.
        strayPdis++;
        open.length = 0;
      }
    }
  }
  return out;
}

/**
 * `text` as a first-strong isolate (FSI … PDI): for plain-text places where no `<bdi>` can go,
 * such as a page title or a dialog, so right-to-left letters or controls in it cannot reorder
 * the words around it.
 */
export function isolateBidi(text: string): string {
  return FSI + balanceBidi(text) + PDI;
}

/**
 * Scraped text for an inline place in HTML: escaped, balanced and inside `<bdi>`, which
 * isolates it (its direction from its own first strong letter) from the text around it.
 */
export function bdiHtml(text: string): string {
  return `<bdi>${escapeHtml(balanceBidi(text))}</bdi>`;
}
