/**
 * A thread's three text files (thread.json, transcript.html, messages.csv) made from its plan a
 * message at a time, straight into UTF-8 bytes: each message is made, written into all three
 * and its rows let go before the next is made. So an export holds the rows still to be written
 * and the bytes already written, never the rows, the whole record, a string of each file and
 * its bytes at once (docs/performance.md has what that costs at 100,000 messages). A file that
 * grows past STREAM_TEXT_ABOVE is not held at all: from then on its bytes are hashed and
 * DEFLATEd as they are made, and only the compressed bytes are kept.
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
import { TextPreparer, type PreparedText } from './bag-writer';

const encoder = new TextEncoder();
const CHUNK = 4 << 20;

/**
 * A text file larger than this is not held whole: past it, its bytes are hashed, checksummed and
 * DEFLATEd as they are made (TextPreparer) and only the compressed bytes are kept. Below it the
 * file is kept whole until it is done and hashed by WebCrypto, which is several times faster
 * than hashing in JavaScript (docs/performance.md, "Where the export's time and memory go").
 * A thread of 100,000 messages has a thread.json of about 127 MB and a transcript and CSV of
 * about 64 MB together; 10,000 messages make about a tenth of that.
 */
export const STREAM_TEXT_ABOVE = 32 << 20;

/** A text file's UTF-8 bytes gathered in 4 MiB chunks: whole at the end, or streamed once large (see STREAM_TEXT_ABOVE). */
class TextFile {
  /** Sealed chunks not yet handed on (all of them, until the file streams). */
  private chunks: Uint8Array[] = [];
  private current = new Uint8Array(CHUNK);
  private used = 0;
  private total = 0;
  private preparer: TextPreparer | null = null;

  constructor(private readonly streamAbove: number) {}

  put(s: string): void {
    // encodeInto stops before a character that does not fit; three bytes per UTF-16 unit always do.
    if (s.length * 3 > this.current.length - this.used) {
      this.seal();
      if (s.length * 3 > CHUNK) {
        this.push(encoder.encode(s));
        return;
      }
    }
    this.used += encoder.encodeInto(s, this.current.subarray(this.used)).written;
  }

  /** Whether sealed chunks wait for `drain` (only once the file streams). */
  get backlog(): boolean {
    return this.preparer !== null && this.chunks.length > 0;
  }

  /** Once the file streams: hands the sealed chunks on and lets them go. */
  async drain(): Promise<void> {
    if (!this.preparer) return;
    const chunks = this.chunks;
    this.chunks = [];
    for (const c of chunks) await this.preparer.write(c);
  }

  /** The whole file: its bytes, or (once it streamed) prepared. The file is empty afterwards. */
  async done(): Promise<Uint8Array | PreparedText> {
    this.seal();
    this.current = new Uint8Array(0);
    if (this.preparer) {
      await this.drain();
      return this.preparer.finish();
    }
    const out = new Uint8Array(this.total);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    this.chunks = [];
    return out;
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (!this.preparer && this.total > this.streamAbove) this.preparer = new TextPreparer();
  }

  private seal(): void {
    if (this.used === 0) return;
    this.push(this.current.subarray(0, this.used));
    this.current = new Uint8Array(CHUNK);
    this.used = 0;
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

/** Each file's bytes, or, for a file past STREAM_TEXT_ABOVE, what prepareText would have made of them. */
export interface ThreadTexts {
  json: Uint8Array | PreparedText;
  transcript: Uint8Array | PreparedText;
  csv: Uint8Array | PreparedText;
}

/**
 * Renders the plan's three files. Consumes the plan: each message's rows are removed from it
 * (`order` entry cleared, `versions` entry deleted) as soon as the message is written.
 * `streamAbove`: the size past which a file is streamed rather than held (tests make it small).
 */
export async function renderThreadTexts(plan: ThreadPlan, streamAbove = STREAM_TEXT_ABOVE): Promise<ThreadTexts> {
  const json = new TextFile(streamAbove);
  const html = new TextFile(streamAbove);
  const csv = new TextFile(streamAbove);
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
    if (json.backlog || html.backlog || csv.backlog) await Promise.all([json.drain(), html.drain(), csv.drain()]);
  }
  json.put(jsonTail);
  html.put(TRANSCRIPT_FOOT);
  return { json: await json.done(), transcript: await html.done(), csv: await csv.done() };
}
