/**
 * Discord attachments: the media and file links inside a message's `message-accessories-<id>`
 * (idx 59665783548). Attachment URLs are Discord CDN links, signed and expiring
 * (`cdn.discordapp.com/attachments/<channel>/<attachment>/<name>?ex=&is=&hm=`, since about
 * early 2024: DiscordChatExporter #1266, #1421; mautrix/discord #134), so the adapter hands
 * the runner the exact https URL and the runner reads the bytes at capture time (the adapter's
 * `attachmentHosts` name the two CDN hosts). Link previews (embeds, `/external/` proxies),
 * emoji and avatars are not attachments.
 */
import type { PageAttachment } from './types';
import { flatText } from './dom';
import { CDN_HOSTS, SEL } from './discord-selectors';

type Kind = PageAttachment['kind'];

interface Hit {
  /** One attachment, however many elements show it: `att:<attachmentId>`, or the blob/data URL itself. */
  key: string;
  url: string;
  tag: 'img' | 'video' | 'audio' | 'a';
  /** 0 = the original file; 1 = a full-size proxy copy; 2 = a resized preview. */
  rank: number;
  name: string | null;
  sticker: boolean;
  linkText: string | null;
}

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|avif|bmp|heic)$/i;
const VIDEO_EXT = /\.(mp4|webm|mov|m4v|mkv)$/i;
const AUDIO_EXT = /\.(mp3|ogg|oga|opus|wav|m4a|flac|aac)$/i;

function tagOf(el: Element): Hit['tag'] {
  if (el.localName === 'source') return el.closest('audio') ? 'audio' : 'video';
  if (el.localName === 'img' || el.localName === 'video' || el.localName === 'audio') return el.localName;
  return 'a';
}

function hitOf(el: Element): Hit | null {
  if (el.matches(SEL.emoji) || el.matches(SEL.avatar)) return null;
  const raw = el.getAttribute(el.localName === 'a' ? 'href' : 'src');
  if (!raw) return null;
  const tag = tagOf(el);
  const linkText = tag === 'a' ? flatText(el) || null : null;
  // The page's own bytes (blob:/data:): what Discord's desktop build and our demo page use.
  if (raw.startsWith('blob:') || raw.startsWith('data:')) {
    return { key: raw, url: raw, tag, rank: 0, name: null, sticker: false, linkText };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || !(CDN_HOSTS as readonly string[]).includes(url.hostname)) return null;
  // Stickers: media.discordapp.net/stickers/<id>.png [U: path shape].
  const sticker = /^\/stickers\/(\d+)\./.exec(url.pathname);
  if (sticker?.[1]) return { key: `sticker:${sticker[1]}`, url: raw, tag, rank: 0, name: null, sticker: true, linkText };
  const att = /^\/(?:ephemeral-)?attachments\/\d+\/(\d+)\/([^/]+)$/.exec(url.pathname);
  if (!att?.[1] || !att[2]) return null; // embeds' /external/ proxies and anything else
  let name: string;
  try {
    name = decodeURIComponent(att[2]);
  } catch {
    name = att[2];
  }
  const resized = url.searchParams.has('width') || url.searchParams.has('height');
  const rank = url.hostname === 'cdn.discordapp.com' ? 0 : resized ? 2 : 1;
  return { key: `att:${att[1]}`, url: raw, tag, rank, name, sticker: false, linkText };
}

function kindOf(hits: readonly Hit[], name: string | null): Kind {
  if (hits.some((h) => h.sticker)) return 'sticker';
  if (hits.some((h) => h.tag === 'video')) return 'video';
  if (hits.some((h) => h.tag === 'audio')) return 'audio';
  if (hits.some((h) => h.tag === 'img')) return 'image';
  if (name && IMAGE_EXT.test(name)) return 'image';
  if (name && VIDEO_EXT.test(name)) return 'video';
  if (name && AUDIO_EXT.test(name)) return 'audio';
  return 'document';
}

/** Every attachment of a message, in the order the page shows them. */
export function readAttachments(accessories: readonly Element[]): PageAttachment[] {
  const groups = new Map<string, Hit[]>();
  for (const root of accessories) {
    for (const el of Array.from(root.querySelectorAll(SEL.mediaLinks))) {
      const hit = hitOf(el);
      if (!hit) continue;
      const group = groups.get(hit.key);
      if (group) group.push(hit);
      else groups.set(hit.key, [hit]);
    }
  }
  // Every group has a URL (groups are made from URLs), so nothing here lacks a source.
  return Array.from(groups.values()).flatMap((hits): PageAttachment[] => {
    const best = [...hits].sort((a, b) => a.rank - b.rank)[0];
    if (!best) return [];
    const name = best.name ?? hits.find((h) => h.linkText)?.linkText ?? null;
    return [{
      kind: kindOf(hits, name),
      originalName: name,
      mediaType: null,
      sourceUrl: best.url,
      // Only a resized preview is on the page: the original was not shown.
      thumbnail: best.rank === 2,
      missingReason: null,
    }];
  });
}
