/** Small wording helpers the extension's pages share. */

/** "1 message", "3 messages" (`many` for irregular plurals). */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** An error's message, as a page shows it. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Attachments an export left out because their stored copy was damaged since capture (BundleResult.attachmentsLeftOut). */
export const leftOutWords = (n: number): string =>
  `${n === 1 ? '1 attachment was' : `${n} attachments were`} left out: the stored copy was damaged after capture. The bundle names ${n === 1 ? 'it' : 'each'} with that reason`;
