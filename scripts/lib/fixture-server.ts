/**
 * A local HTTPS server that plays the messengers' real hosts for tests and the demo. Chromium
 * is pointed at it with --host-resolver-rules, so the page really is https://web.whatsapp.com/
 * to the extension (content-script matching, sender URLs, blob: origins).
 */
import { createServer, type Server } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export interface Certificate {
  cert: string;
  key: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo, for --ignore-certificate-errors-spki-list */
  spki: string;
}

/** A throw-away self-signed certificate for the given host names (made with openssl, never committed). */
export function makeCertificate(hosts: string[]): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'tk-cert-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const san = ['IP:127.0.0.1', ...hosts.map((h) => `DNS:${h}`)].join(',');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', key, '-out', cert, '-subj', `/CN=${hosts[0] ?? 'localhost'}`, '-addext', `subjectAltName=${san}`,
  ], { stdio: 'ignore' });
  try {
    const der = execFileSync('sh', ['-c', `openssl x509 -in "${cert}" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`]);
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), spki: der.toString().trim() };
  } finally {
    // Everything needed is in memory now: the files go (the key must not linger either).
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Page = {
  body: string | Buffer;
  contentType?: string;
  /** 200 unless given (a CDN's error, say). */
  status?: number;
  /** More response headers (e.g. a CDN's Access-Control-Allow-Origin). */
  headers?: Record<string, string>;
};

export interface FixtureServer {
  port: number;
  hosts: string[];
  certificate: Certificate;
  /** Serve `page` at https://host/path (path without query; a function may look at the query and the request's headers). */
  route(host: string, path: string, page: Page | ((url: URL, headers: IncomingHttpHeaders) => Page)): void;
  close(): Promise<void>;
}

export async function startFixtureServer(hosts: string[]): Promise<FixtureServer> {
  const certificate = makeCertificate(hosts);
  const routes = new Map<string, Page | ((url: URL, headers: IncomingHttpHeaders) => Page)>();
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const host = (req.headers.host ?? '').split(':')[0] ?? '';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const found = routes.get(`${host}${path}`);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no fixture for ${host}${path}`);
      return;
    }
    const page = typeof found === 'function' ? found(new URL(req.url ?? '/', `https://${host}`), req.headers) : found;
    res.writeHead(page.status ?? 200, { 'content-type': page.contentType ?? 'text/html; charset=utf-8', 'cache-control': 'no-store', ...page.headers });
    res.end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hosts,
    certificate,
    route: (host, path, page) => routes.set(`${host}${path}`, page),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
