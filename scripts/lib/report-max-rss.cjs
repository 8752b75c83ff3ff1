// Preloaded by the benchmark into the verifier it runs (`node -r`), which stays as shipped: on
// exit, writes the process's peak resident set size in kilobytes to the file named by
// TK_MAX_RSS_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.TK_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
