// Preloaded by the benchmark into the verifier it runs (`node -r`), which stays as shipped: on
// exit, writes the process's peak resident set size in kilobytes to the file named by
// TK_MAX_RSS_FILE. On Linux that is VmHWM from /proc/self/status, the high-water mark of this
// program's own memory: getrusage's ru_maxrss (process.resourceUsage().maxRSS) also counts the
// parent's memory copied at fork, before exec, so a child of a large benchmark process would be
// charged the benchmark's size.
const { readFileSync, writeFileSync } = require('node:fs');

function peakKB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  const file = process.env.TK_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(peakKB()));
});
