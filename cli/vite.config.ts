/**
 * Builds the offline verifier: cli/verify.ts -> dist-cli/threadkeeper-verify.mjs (see
 * scripts/lib/node-cli-build.ts). Our own TypeScript (cli/, src/bundle/) is bundled; node builtins
 * and jszip stay external.
 */
import { nodeCliConfig } from '../scripts/lib/node-cli-build.ts';

export default nodeCliConfig({ entry: 'cli/verify.ts', fileName: 'threadkeeper-verify.mjs', external: ['jszip'] });
