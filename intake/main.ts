/**
 * threadkeeper-intake: runs the records-intake server (intake/server.ts) from the command line.
 *
 *   threadkeeper-intake --store DIR --token T [--token T2] [--port 8443] [--host 127.0.0.1]
 *                       [--tls-cert FILE --tls-key FILE] [--key THUMBPRINT ...] [--max-bytes N]
 *
 * Tokens may also come from INTAKE_TOKENS (comma-separated), which keeps them out of `ps`.
 * The first line on stdout is `intake listening on <url>`; then one line per request.
 * Exit 2 on a usage error, 1 when the server cannot start, 0 after SIGINT/SIGTERM.
 * The wire contract: docs/intake.md. The test-only fault options are deliberately not flags.
 */
import { readFileSync } from 'node:fs';
import { startIntake, type IntakeOptions } from './server';

const USAGE = `usage: threadkeeper-intake --store DIR --token TOKEN [options]

Receives Threadkeeper bundles over HTTP(S), verifies each like threadkeeper-verify,
stores the valid ones in DIR and answers with a receipt (docs/intake.md).
  --store DIR         where bundles and receipts are kept (created if missing)
  --token TOKEN       accepted bearer token; repeatable. Or INTAKE_TOKENS=t1,t2
  --port N            default 8443; 0 picks a free port
  --host ADDR         default 127.0.0.1; any other address needs --tls-cert/--tls-key
  --tls-cert FILE     PEM certificate (with --tls-key): serve HTTPS
  --tls-key FILE      PEM private key
  --key THUMBPRINT    accept only bundles signed by this key; repeatable
  --max-bytes N       largest bundle accepted, in bytes (default 4294967295)`;

class UsageError extends Error {}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): IntakeOptions | 'help' {
  const tokens: string[] = [];
  const keys: string[] = [];
  let store: string | undefined;
  let port = 8443;
  let host: string | undefined;
  let certFile: string | undefined;
  let keyFile: string | undefined;
  let maxBytes: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      const v = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    const once = <T>(prior: T | undefined, v: T): T => {
      if (prior !== undefined) throw new UsageError(`${name} given more than once`);
      return v;
    };
    switch (name) {
      case '--store':
        store = once(store, value());
        break;
      case '--token':
        tokens.push(value());
        break;
      case '--port': {
        const v = value();
        if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--port ${JSON.stringify(v)} is not a port number`);
        port = Number(v);
        break;
      }
      case '--host':
        host = once(host, value());
        break;
      case '--tls-cert':
        certFile = once(certFile, value());
        break;
      case '--tls-key':
        keyFile = once(keyFile, value());
        break;
      case '--key': {
        const v = value();
        if (!/^[A-Za-z0-9_-]{43}$/.test(v)) throw new UsageError(`--key ${JSON.stringify(v)} is not a key thumbprint (43 base64url characters)`);
        keys.push(v);
        break;
      }
      case '--max-bytes': {
        const v = value();
        if (!/^[1-9]\d*$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--max-bytes ${JSON.stringify(v)} is not a positive whole number`);
        maxBytes = once(maxBytes, Number(v));
        break;
      }
      default:
        throw new UsageError(a.startsWith('-') ? `unknown option ${JSON.stringify(a)}` : `unexpected argument ${JSON.stringify(a)}`);
    }
  }
  for (const t of (env.INTAKE_TOKENS ?? '').split(',')) if (t.trim() !== '') tokens.push(t.trim());
  if (store === undefined) throw new UsageError('--store is required');
  if (tokens.length === 0) throw new UsageError('give at least one --token (or INTAKE_TOKENS)');
  for (const t of tokens) if (!/^[\x21-\x7e]+$/.test(t)) throw new UsageError('tokens must be printable ASCII without spaces');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  let tls: IntakeOptions['tls'];
  if (certFile !== undefined && keyFile !== undefined) {
    try {
      tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch (e) {
      throw new UsageError(`cannot read the TLS files (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
  }
  return { storeDir: store, tokens, port, host, tls, maxBytes, pinnedKeys: keys.length > 0 ? keys : undefined };
}

async function main(): Promise<number> {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const err = (l: string) => process.stderr.write(`${l}\n`);
  let opts: IntakeOptions | 'help';
  try {
    opts = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`threadkeeper-intake: ${e.message}`);
    err(USAGE);
    return 2;
  }
  if (opts === 'help') {
    out(USAGE);
    return 0;
  }
  if (opts.tokens.some((t) => t.length < 32)) err('threadkeeper-intake: warning: a token shorter than 32 characters is easy to guess (try: openssl rand -base64 32)');
  if (!opts.pinnedKeys) err('threadkeeper-intake: warning: no --key given, so bundles signed by any key are accepted');

  let intake;
  try {
    intake = await startIntake({ ...opts, log: out });
  } catch (e) {
    err(`threadkeeper-intake: cannot start: ${(e as { code?: string }).code ?? (e as Error).message}`);
    return 1;
  }
  out(`intake listening on ${intake.url}`);
  out(`storing accepted bundles in ${opts.storeDir}${opts.pinnedKeys ? `, signed by ${opts.pinnedKeys.join(' or ')}` : ''}`);
  const server = intake;
  return new Promise<number>((resolveExit) => {
    const stop = () => {
      void server.close().then(() => resolveExit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`threadkeeper-intake: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
