/**
 * threadkeeper-verify: offline verifier for Threadkeeper bundles.
 *
 *   threadkeeper-verify FILE.zip [--key THUMBPRINT] [--json]
 *
 * Exit 0: every check holds; prints one line
 *   valid: signed by key <thumbprint>, <N> thread(s), <M> messages, <K> attachment(s)
 * Exit 1: the bundle is invalid or unreadable; prints `invalid: <file>: <reason>` per problem.
 * Exit 2: usage error.
 *
 * What each check means for a records officer: docs/verifying.md.
 */
import { verifyBag, type VerifyReport } from '../src/bundle/bag-verify';
import { openZipFile, ZipError } from './zip-reader';
import { scanBagFiles } from './zip-bag';

const USAGE = `usage: threadkeeper-verify FILE.zip [--key THUMBPRINT] [--json]

Checks that a Threadkeeper bundle is complete, unchanged and signed.
  --key THUMBPRINT  also require the signing key to have this RFC 7638 thumbprint
  --json            print the full report as JSON
Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.`;

interface Args {
  file: string;
  key?: string;
  json: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const files: string[] = [];
  let key: string | undefined;
  let json = false;
  let endOfOptions = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (endOfOptions || !a.startsWith('-') || a === '-') {
      files.push(a);
    } else if (a === '--') {
      endOfOptions = true;
    } else if (a === '--help' || a === '-h') {
      return 'help';
    } else if (a === '--json') {
      json = true;
    } else if (a === '--key' || a.startsWith('--key=')) {
      const value = a === '--key' ? argv[++i] : a.slice('--key='.length);
      if (value === undefined || value === '') throw new UsageError('--key needs a thumbprint');
      if (key !== undefined) throw new UsageError('--key given more than once');
      // An RFC 7638 SHA-256 thumbprint is 43 base64url characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(value)) throw new UsageError(`--key ${JSON.stringify(value)} is not a key thumbprint (43 base64url characters)`);
      key = value;
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(a)}`);
    }
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'no bundle file given' : 'give exactly one bundle file');
  return { file: files[0]!, key, json };
}

/**
 * Names and reasons can come from an attacker's archive; escape control and bidi-override
 * characters so a report line cannot rewrite the terminal or reorder what is shown.
 */
function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export async function run(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`threadkeeper-verify: ${e.message}`);
    err(USAGE);
    return 2;
  }
  if (args === 'help') {
    out(USAGE);
    return 0;
  }

  let report: VerifyReport;
  try {
    // The ZIP is read a piece at a time and closed before the report is printed.
    const zip = openZipFile(args.file);
    try {
      report = await verifyBag(scanBagFiles(zip.archive), args.key === undefined ? undefined : { pinnedKey: args.key });
    } finally {
      zip.close();
    }
  } catch (e) {
    const message = e instanceof ZipError ? e.message : `cannot verify (${e instanceof Error ? e.message : String(e)})`;
    report = { ok: false, bagName: null, keyThumbprint: null, problems: [{ file: args.file, message }], summary: null };
  }

  if (args.json) {
    out(JSON.stringify({ file: args.file, ...report }, null, 2));
  } else if (report.ok && report.summary && report.keyThumbprint) {
    const s = report.summary;
    const parts = s.threads > 0 || s.pages === 0
      ? [plural(s.threads, 'thread', 'threads'), plural(s.messages, 'message', 'messages'), plural(s.attachments, 'attachment', 'attachments')]
      : [];
    if (s.pages > 0) parts.push(plural(s.pages, 'page', 'pages'));
    out(`valid: signed by key ${report.keyThumbprint}, ${parts.join(', ')}`);
  } else {
    const problems = report.problems.length > 0 ? report.problems : [{ file: args.file, message: 'verification did not complete' }];
    for (const p of problems) out(`invalid: ${safe(p.file === '' ? args.file : p.file)}: ${safe(p.message)}`);
  }
  return report.ok && report.summary !== null && report.keyThumbprint !== null ? 0 : 1;
}

run(process.argv.slice(2), (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`threadkeeper-verify: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
