/**
 * Discord identities: which conversation a URL names, which message a row is, and the
 * absolute time every Discord id carries (a snowflake). Pure functions over strings.
 */
import { toLocalIso } from '../shared/time';

/** Discord's epoch, 2015-01-01T00:00:00Z, in Unix ms ("Snowflake" in the discord.js docs). */
const DISCORD_EPOCH = 1420070400000n;

/** A snowflake: a 64-bit number written in decimal (17–20 digits for ids made since 2015). */
const SNOWFLAKE = /^\d{15,20}$/;

export function isSnowflake(id: string): boolean {
  return SNOWFLAKE.test(id);
}

/** Unix ms a snowflake was made: `(id >> 22) + 1420070400000`. Null for anything else. */
export function snowflakeMs(id: string): number | null {
  if (!isSnowflake(id)) return null;
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** ISO 8601 in the browser's offset for a snowflake, or null when `id` is not one. */
export function snowflakeIso(id: string): string | null {
  const ms = snowflakeMs(id);
  return ms === null ? null : toLocalIso(new Date(ms));
}

export interface ChannelRoute {
  /** The guild (server) id, or `@me` for direct and group DMs. */
  guild: string;
  channel: string;
  /** `/channels/<guild>/<channel>/<message>`: a message link opened in the app. */
  message: string | null;
}

/**
 * `/channels/<guildId>/<channelId>[/<messageId>]`, DMs `/channels/@me/<channelId>` (research
 * §5 "URL"). Null for every other route (the friends list `/channels/@me`, settings, login).
 */
export function parseChannelRoute(url: string): ChannelRoute | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const m = /^\/channels\/(@me|\d+)\/(\d+)(?:\/(\d+))?\/?$/.exec(path);
  if (!m?.[1] || !m[2]) return null;
  return { guild: m[1], channel: m[2], message: m[3] ?? null };
}

export interface RowId {
  /** Null for the older `chat-messages-<messageId>` rows [U]. */
  channel: string | null;
  message: string;
}

/**
 * `chat-messages-<channelId>-<messageId>` on the `li` (idx 55222613755) or
 * `chat-messages___chat-messages-<channelId>-<messageId>` on the article (idx 60829477630);
 * older rows `chat-messages-<messageId>` [U].
 */
export function parseRowId(value: string): RowId | null {
  const m = /^(?:chat-messages___)?chat-messages-(?:(\d+)-)?(\d+)$/.exec(value.trim());
  if (!m?.[2]) return null;
  return { channel: m[1] ?? null, message: m[2] };
}

/** The user id in an avatar URL: `https://cdn.discordapp.com/avatars/<userId>/<hash>.webp` (idx 56912638504). */
export function avatarUserId(src: string): string | null {
  return /\/avatars\/(\d+)\//.exec(src)?.[1] ?? null;
}

/** The trailing id of an element id such as `message-username-<id>`, when it has that prefix. */
export function idAfter(prefix: string, elementId: string): string | null {
  return elementId.startsWith(prefix) ? elementId.slice(prefix.length) || null : null;
}
