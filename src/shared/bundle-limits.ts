/**
 * How large a bundle may be: the writer refuses a bag past these before writing a byte, and the
 * verifier's default limits (cli/zip-reader.ts) are the same numbers, so it never refuses a
 * bundle the extension wrote. Past 4 GiB or 65,535 entries the ZIP is ZIP64.
 */
export const BUNDLE_LIMITS = {
  /** Declared (uncompressed) bytes of all entries together. */
  totalBytes: 64 * 1024 ** 3,
  /** Entries (files) in one bundle. */
  entries: 100_000,
  /** One entry's uncompressed size (attachments are at most 512 MiB): so no entry needs ZIP64 sizes. */
  entryBytes: 2 * 1024 ** 3,
} as const;
