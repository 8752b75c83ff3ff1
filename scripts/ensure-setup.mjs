#!/usr/bin/env node
// Makes a fresh machine (Node and apt only) ready for `npm start` and `npm test`:
// Debian's Chromium (never a downloaded browser), openssl for the throw-away test certificate,
// and the npm packages. Plain Node, no dependencies: it runs before node_modules exists.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
const missing = [];
if (!process.env.CHROMIUM_PATH && !CHROMIUM.some((p) => existsSync(p))) missing.push('chromium');
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  missing.push('openssl');
}

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : ['sudo'];
  console.log(`Installing ${missing.join(', ')} from Debian's packages…`);
  const apt = (...args) => execFileSync(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  try {
    apt('update', '-qq');
    apt('install', '-y', '-qq', ...missing);
  } catch {
    console.error(`Could not install ${missing.join(', ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
}

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('Installing npm packages (npm ci)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
