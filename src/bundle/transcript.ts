/**
 * transcript.html: the human-readable copy of a thread. Self-contained and inert: no script,
 * no external loads, a CSP that allows nothing but its own hashed stylesheet, and every
 * scraped string escaped. Scraped strings that stand among other words (names, times as
 * shown, quotes, file names) go inside `<bdi>` with their bidi controls balanced (`b()`), so
 * right-to-left text or an override in one cannot reorder the words around it; message texts
 * are blocks of their own with `dir="auto"`. Attachments are named with links to the files
 * beside it.
 */
import type { RecordAttachment, RecordMessage, ThreadRecord } from './thread-record';
import { bdiHtml as b, escapeHtml as e, isolateBidi } from './escape';
import { bytesToBase64 } from '../shared/bytes';

/**
 * Extensions of files a browser opens as a document that can run script: an SVG drawing (the
 * only one thread-record.ts's EXTENSIONS map gives: HTML and XML attachments are stored as
 * `.bin`), and the others should one be added there. The transcript names such a file without
 * a link to it.
 */
const SCRIPTABLE_EXTENSIONS = new Set(['svg', 'svgz', 'html', 'htm', 'xhtml', 'xht', 'xml', 'xsl', 'xslt']);

/** Whether a browser that opens the file at `path` (a generated attachment path) could run script in it. */
export function opensWithScript(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot >= 0 && SCRIPTABLE_EXTENSIONS.has(path.slice(dot + 1).toLowerCase());
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:52rem;color:#111;padding:0 1rem}
header{border-bottom:2px solid #0b5d5b;margin-bottom:1rem}
h1{font-size:1.4rem;margin:.2rem 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;font-size:.9rem}
dl.meta dt{font-weight:600}
ol.messages{list-style:none;padding:0}
li.msg{border:1px solid #ccd;border-radius:.4rem;padding:.5rem .7rem;margin:.5rem 0;break-inside:avoid}
li.msg.self{background:#eef8f0}
li.event{color:#555;font-style:italic;text-align:center;border:none}
.who{font-weight:600}
.when{color:#555;font-size:.85rem;margin-left:.5rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}
.quote{border-left:3px solid #0b5d5b;padding-left:.5rem;color:#333;font-size:.9rem}
.mark{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;border:1px solid currentColor;border-radius:.2rem;padding:0 .3rem;margin-left:.4rem}
.mark.deleted{color:#a00}.mark.edited{color:#a60}.mark.truncated{color:#a00}.note{font-style:italic;color:#555}
.history{font-size:.85rem;color:#333;border-top:1px dashed #aaa;margin-top:.4rem;padding-top:.3rem}
.attachments,.reactions,.links{font-size:.9rem}
.id{color:#777;font-size:.75rem;font-family:ui-monospace,monospace}
@media print{body{margin:0;max-width:none}a{color:inherit}}
`;

async function styleHash(): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(STYLE));
  return `sha256-${bytesToBase64(new Uint8Array(digest))}`;
}

function when(m: { sentAt: string | null; sentAtText: string | null }): string {
  if (m.sentAt) return `<time datetime="${e(m.sentAt)}">${e(m.sentAt)}</time>${m.sentAtText ? ` <span class="shown">(shown as ${b(m.sentAtText)})</span>` : ''}`;
  return m.sentAtText ? `<span class="shown">shown as ${b(m.sentAtText)}</span>` : 'time not shown';
}

/** One message's `<li>`; `attachments` is the record's attachment list (for the links to the files). */
export function transcriptMessage(m: RecordMessage, attachments: RecordAttachment[]): string {
  if (m.type === 'event') {
    return `<li class="msg event" id="m-${e(m.id)}">${b(m.text)} <span class="when">${when(m)}</span></li>`;
  }
  const marks: string[] = [];
  if (m.deleted) marks.push('<span class="mark deleted">deleted by sender</span>');
  if (m.edited || m.versions.some((v) => v.kind === 'edited')) marks.push('<span class="mark edited">edited</span>');
  if (m.forwarded) marks.push('<span class="mark">forwarded</span>');
  if (m.truncated) marks.push('<span class="mark truncated">cut short</span>');
  const parts = [
    `<div><span class="who">${b(m.sender ?? 'unknown sender')}</span>${m.fromSelf ? ' (account owner)' : ''}<span class="when">${when(m)}</span>${marks.join('')}</div>`,
  ];
  if (m.quote) {
    const target = m.quote.messageId ? ` (reply to message ${b(m.quote.messageId)})` : '';
    parts.push(`<div class="quote">Replying to ${b(m.quote.author ?? 'unknown')}${target}: <span class="text">${b(m.quote.text)}</span></div>`);
  }
  parts.push(`<div class="text" dir="auto">${e(m.text)}</div>`);
  if (m.truncated) parts.push('<div class="note">The page showed only the start of this message (“Read more” was not opened): the rest was not captured.</div>');
  if (m.links.length) parts.push(`<div class="links">Links: ${m.links.map((l) => `<code>${b(l)}</code>`).join(', ')}</div>`);
  if (m.attachments.length) {
    const items = m.attachments.map((a) => {
      const stored = a.sha256 ? attachments.find((r) => r.sha256 === a.sha256 && r.path) : undefined;
      const label = `${e(a.kind)}${a.originalName ? ` “${b(a.originalName)}”` : ''}${a.thumbnail ? ' (thumbnail only)' : ''}`;
      if (!stored?.path) {
        // Captured but left out of this bundle (a stored copy damaged since): the record's entry says why.
        const leftOut = a.sha256 ? attachments.find((r) => r.sha256 === a.sha256)?.missingReason : undefined;
        return `<li>${label}: not preserved (${b(leftOut ?? a.missingReason ?? 'bytes not kept')})</li>`;
      }
      const facts = `<span class="id">${b(stored.mediaType ?? '')}, ${stored.size} bytes, sha256 ${e(stored.sha256 ?? '')}</span>`;
      // A link would open it as a page of its own, where its script (the sender's) would run.
      return opensWithScript(stored.path)
        ? `<li>${label}: <code>${e(stored.path)}</code> (not linked: a browser opening this kind of file runs any script in it; view it in an image editor) ${facts}</li>`
        : `<li><a href="${e(stored.path)}">${label}</a> ${facts}</li>`;
    });
    parts.push(`<div class="attachments">Attachments:<ul>${items.join('')}</ul></div>`);
  }
  if (m.reactions.length) {
    parts.push(`<div class="reactions">Reactions: ${m.reactions.map((r) => `${b(r.emoji)} ${r.count}`).join(', ')}</div>`);
  }
  const earlier = m.versions.slice(0, -1);
  if (earlier.length) {
    parts.push(
      `<div class="history">Earlier versions kept:<ol>${earlier
        .map((v) => `<li>${e(v.kind)}, observed ${e(v.observedAt)}${v.deleted ? ' (deleted)' : ''}: <span class="text">${b(v.text)}</span></li>`)
        .join('')}</ol></div>`,
    );
  }
  parts.push(`<div class="id">message id ${b(m.id)}</div>`);
  return `<li class="msg${m.fromSelf ? ' self' : ''}" id="m-${e(m.id)}">${parts.join('')}</li>`;
}

/** What the transcript says above its messages. */
export type TranscriptHeadInfo = Pick<ThreadRecord, 'thread' | 'participants' | 'captures'> & { messageCount: number };

/**
 * The transcript in three parts, so that it can be written a message at a time: the head (up to
 * and including the list's opening line), then each message (transcriptMessage) with a line
 * break between two, then TRANSCRIPT_FOOT.
 */
export async function transcriptHead(info: TranscriptHeadInfo): Promise<string> {
  const participants = info.participants.map((p) => b(p.name) + (p.self ? ' (account owner)' : '')).join(', ') || 'not shown';
  const captures = info.captures
    .map((c) => `<li>${e(c.startedAt)} – ${e(c.status)}${c.incompleteReason ? `: ${b(c.incompleteReason)}` : ''}; page ${b(c.pageUrl)}; ${e(c.adapter)} adapter; Threadkeeper ${e(c.extensionVersion)}; ${b(c.browser)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '${await styleHash()}'; img-src 'none'; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>${e(isolateBidi(info.thread.title))} – Threadkeeper transcript</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 dir="auto">${e(info.thread.title)}</h1>
<dl class="meta">
<dt>Messenger</dt><dd>${e(info.thread.platform)}</dd>
<dt>Conversation</dt><dd><code>${b(info.thread.threadKey)}</code> (${e(info.thread.kind)})</dd>
<dt>Participants</dt><dd>${participants}</dd>
<dt>Messages</dt><dd>${info.messageCount}</dd>
<dt>Captured</dt><dd><ul>${captures}</ul></dd>
</dl>
<p>Times are shown as ISO 8601 with the capturing browser's UTC offset; the page showed minutes only. The signed record is <code>thread.json</code> beside this file.</p>
</header>
<main>
<ol class="messages">
`;
}

export const TRANSCRIPT_FOOT = `
</ol>
</main>
</body>
</html>
`;

export async function renderTranscript(record: ThreadRecord): Promise<string> {
  const messageCount = record.messages.filter((m) => m.type === 'message').length;
  const head = await transcriptHead({ thread: record.thread, participants: record.participants, captures: record.captures, messageCount });
  return head + record.messages.map((m) => transcriptMessage(m, record.attachments)).join('\n') + TRANSCRIPT_FOOT;
}
