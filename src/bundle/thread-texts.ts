/**
 * A thread's three text files (thread.json, transcript.html, messages.csv) made from its plan a
 * message at a time, straight into UTF-8 bytes: each message is made, written into all three
 * and its rows let go before the next is made. So an export holds the rows still to be written
 * and the bytes already written, never the rows, the whole record, a string of each file and
 * its bytes at once (docs/performance.md has what that costs at 100,000 messages).
 *
 * The bytes are exactly those of the whole-record renderers (renderThreadFiles:
 * JSON.stringify(record, null, 2), renderTranscript, renderMessagesCsv), pinned by
 * test/unit/thread-texts.test.ts. Pieces are encoded one by one, which equals encoding their
 * concatenation because no piece starts with a low surrogate (each starts with ASCII), so no
 * surrogate pair is split between two.
 */
import { recordMessage, type ThreadPlan } from './thread-record';
import { TRANSCRIPT_FOOT, transcriptHead, transcriptMessage } from './transcript';
import { CSV_HEADER, csvRow } from './csv';

const encoder = new TextEncoder();
const CHUNK = 4 << 20;

/** UTF-8 bytes gathered in 4 MiB chunks, made into one array at the end (WebCrypto's digest wants one). */
class Utf8Builder {
  private chunks: Uint8Array[] = [];
  private current = new Uint8Array(CHUNK);
  private used = 0;
  private total = 0;

  put(s: string): void {
    // encodeInto stops before a character that does not fit; three bytes per UTF-16 unit always do.
    if (s.length * 3 > this.current.length - this.used) {
      this.seal();
      if (s.length * 3 > CHUNK) {
        const b = encoder.encode(s);
        this.chunks.push(b);
        this.total += b.length;
        return;
      }
    }
    this.used += encoder.encodeInto(s, this.current.subarray(this.used)).written;
  }

  private seal(): void {
    if (this.used === 0) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.total += this.used;
    this.current = new Uint8Array(CHUNK);
    this.used = 0;
  }

  /** All the bytes, in one array; the builder is empty afterwards. */
  bytes(): Uint8Array {
    this.seal();
    const out = new Uint8Array(this.total);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    this.chunks = [];
    this.current = new Uint8Array(0);
    this.total = 0;
    return out;
  }
}

/**
 * thread.json around its messages: what JSON.stringify(record, null, 2) writes before the first
 * message and after the last. The messages array is replaced by a marker and cut out at the only
 * place it can be: a raw line break followed by two spaces and "messages" is structure (a line
 * break inside a string is written as \n), so no scraped value can imitate it.
 */
function jsonFrame(plan: ThreadPlan): [head: string, tail: string] {
  const MARK = '\u0000threadkeeper:messages\u0000';
  const skeleton = JSON.stringify({ ...plan.head, messages: MARK, attachments: plan.attachments, captures: plan.captures }, null, 2) + '\n';
  const anchor = `\n  "messages": ${JSON.stringify(MARK)}`;
  const at = skeleton.indexOf(anchor);
  if (at < 0) throw new Error('thread.json: the messages marker was not found (the record shape changed?)');
  const empty = plan.order.length === 0;
  return [skeleton.slice(0, at) + (empty ? '\n  "messages": []' : '\n  "messages": [\n'), (empty ? '' : '\n  ]') + skeleton.slice(at + anchor.length)];
}

export interface ThreadTexts {
  json: Uint8Array;
  transcript: Uint8Array;
  csv: Uint8Array;
}

/**
 * Renders the plan's three files. Consumes the plan: each message's rows are removed from it
 * (`order` entry cleared, `versions` entry deleted) as soon as the message is written.
 */
export async function renderThreadTexts(plan: ThreadPlan): Promise<ThreadTexts> {
  const json = new Utf8Builder();
  const html = new Utf8Builder();
  const csv = new Utf8Builder();
  const [jsonHead, jsonTail] = jsonFrame(plan);
  json.put(jsonHead);
  html.put(await transcriptHead({ thread: plan.head.thread, participants: plan.head.participants, captures: plan.captures, messageCount: plan.messageCount }));
  csv.put(CSV_HEADER + '\r\n');
  const threadId = plan.head.thread.id;
  for (let i = 0; i < plan.order.length; i++) {
    const m = recordMessage(plan, i);
    plan.versions.delete(m.id);
    plan.order[i] = undefined;
    // In the record, a message is an element of an array two levels deep: four more spaces on every line.
    json.put((i === 0 ? '    ' : ',\n    ') + JSON.stringify(m, null, 2).replace(/\n/g, '\n    '));
    html.put((i === 0 ? '' : '\n') + transcriptMessage(m, plan.attachments));
    csv.put(csvRow(threadId, m) + '\r\n');
  }
  json.put(jsonTail);
  html.put(TRANSCRIPT_FOOT);
  return { json: json.bytes(), transcript: html.bytes(), csv: csv.bytes() };
}
