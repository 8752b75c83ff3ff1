/**
 * Builds the records-intake server: intake/main.ts -> dist-cli/threadkeeper-intake.mjs (see
 * scripts/lib/node-cli-build.ts). It imports only node: modules at run time.
 */
import { nodeCliConfig } from '../scripts/lib/node-cli-build.ts';

export default nodeCliConfig({ entry: 'intake/main.ts', fileName: 'threadkeeper-intake.mjs' });
