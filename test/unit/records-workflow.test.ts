import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', () => ({ default: {} }));

const { threadDeadline, deadlineWords, dueSoon, DAY_MS } = await import('../../src/background/deadlines');
const { parsePolicy, applyPolicy } = await import('../../src/background/policy');
const { DEFAULT_SETTINGS, repairSettings } = await import('../../src/background/settings');
const { interpret } = await import('../../src/background/uploads');

const thread = { id: 'whatsapp:x', platform: 'whatsapp' as const, threadKey: 'x', title: 'Permits', kind: 'group' as const, participants: [], firstCapturedAt: '', lastCapturedAt: '', bundles: [] };
const msg = (id: string, sentAt: string | null, over: Record<string, unknown> = {}) => ({
  threadId: 'whatsapp:x', messageId: id, type: 'message' as const, sentAt, firstSeenAt: '2026-11-20T12:00:00.000Z', lastSeenAt: '', firstPageOrder: 0,
  firstCaptureId: 'c', versionCount: 1, latestFingerprint: '', carriedVersion: 0, forwardedVersion: 0, forwardedAt: null, ...over,
});
const now = Date.parse('2026-11-26T12:00:00.000Z');

describe('forwarding deadlines', () => {
  it('counts 20 days from each message sent time, earliest unforwarded first', () => {
    const d = threadDeadline(thread, [msg('a', '2026-11-10T12:00:00.000Z'), msg('b', '2026-11-01T12:00:00.000Z', { forwardedVersion: 1 })], 20, now);
    expect(d).toMatchObject({ messages: 2, notForwarded: 1, earliestDeadline: '2026-11-30T12:00:00.000Z', state: 'due', daysLeft: 4 });
    expect(deadlineWords(d)).toBe('due in 4 days');
  });

  it('says overdue, and forwarded when nothing is pending', () => {
    const late = threadDeadline(thread, [msg('a', '2026-11-01T12:00:00.000Z')], 20, now);
    expect(late.state).toBe('overdue');
    expect(deadlineWords(late)).toBe('overdue by 5 days');
    const done = threadDeadline(thread, [msg('a', '2026-11-01T12:00:00.000Z', { forwardedVersion: 1 })], 20, now);
    expect(done).toMatchObject({ state: 'forwarded', notForwarded: 0, earliestDeadline: null });
  });

  it('an edit after forwarding makes the message pending again; events never count', () => {
    const d = threadDeadline(thread, [msg('a', '2026-11-20T12:00:00.000Z', { versionCount: 2, forwardedVersion: 1 }), msg('e', null, { type: 'event' })], 20, now);
    expect(d).toMatchObject({ messages: 1, notForwarded: 1 });
  });

  it('follows a configured rule, and the badge counts threads due within three days', () => {
    const seven = threadDeadline(thread, [msg('a', '2026-11-20T12:00:00.000Z')], 7, now);
    expect(seven.daysLeft).toBe(1);
    const far = threadDeadline({ ...thread, id: 'b' }, [msg('a', '2026-11-25T12:00:00.000Z')], 20, now);
    expect(dueSoon([seven, far], now).map((d) => d.threadId)).toEqual(['whatsapp:x']);
    expect(DAY_MS).toBe(86_400_000);
  });
});

describe('administrator policy', () => {
  it('applies good values, locks them, and ignores a value of the wrong type with a warning', () => {
    const report = parsePolicy({ sourceOrganization: 'Dept. of Parks', deadlineDays: 'twenty', autoCapture: ['whatsapp', 'myspace'], officialEmail: 'records@parks.example.gov', endpoint: { url: 'http://insecure.example', token: 't' } });
    expect(report.values).toEqual({ sourceOrganization: 'Dept. of Parks', autoCapture: ['whatsapp'], officialEmail: 'records@parks.example.gov' });
    expect(report.locked.sort()).toEqual(['autoCapture', 'officialEmail', 'sourceOrganization']);
    expect(report.warnings.join(' ')).toMatch(/deadlineDays/);
    expect(report.warnings.join(' ')).toMatch(/myspace/);
    expect(report.warnings.join(' ')).toMatch(/endpoint/);
    const merged = applyPolicy({ ...DEFAULT_SETTINGS, sourceOrganization: 'mine', autoCapture: ['slack'], deadlineDays: 10 }, report);
    expect(merged).toMatchObject({ sourceOrganization: 'Dept. of Parks', deadlineDays: 10 });
    expect(merged.autoCapture.sort()).toEqual(['slack', 'whatsapp']);
  });

  it('refuses an official address that is not an email address in user settings too', () => {
    expect(repairSettings({ officialEmail: 'not an address' }).officialEmail).toBe('');
    expect(repairSettings({ officialEmail: 'records@agency.gov' }).officialEmail).toBe('records@agency.gov');
    expect(repairSettings({ endpoint: { url: 'http://x.example', token: 't' } }).endpoint).toBeNull();
    expect(repairSettings({ deadlineDays: 0 }).deadlineDays).toBe(20);
  });
});

describe('reading the records system answer', () => {
  const sha = 'a'.repeat(64);
  const res = (status: number, body: string) => new Response(body, { status });
  it('counts only a well-formed receipt for this very bundle', async () => {
    const receipt = { accepted: true, receiptId: 'r1', bundleSha256: sha, receivedAt: '2026-11-26T00:00:00Z' };
    expect(await interpret(res(201, JSON.stringify(receipt)), sha)).toEqual({ kind: 'receipt', receipt });
    expect((await interpret(res(200, JSON.stringify({ ...receipt, duplicate: true })), sha)).kind).toBe('receipt');
    expect((await interpret(res(201, JSON.stringify({ ...receipt, bundleSha256: 'b'.repeat(64) })), sha)).kind).toBe('retry');
    expect((await interpret(res(201, '<html>ok</html>'), sha)).kind).toBe('retry');
  });
  it('retries server trouble and stops on refusals, saying why', async () => {
    expect(await interpret(res(500, 'boom'), sha)).toMatchObject({ kind: 'retry', reason: 'the records system answered 500' });
    expect(await interpret(res(503, '{"error":"maintenance"}'), sha)).toMatchObject({ kind: 'retry', reason: 'the records system answered 503: maintenance' });
    const refused = await interpret(res(422, JSON.stringify({ accepted: false, reasons: [{ file: 'b/data/x.csv', message: 'SHA-512 does not match' }] })), sha);
    expect(refused).toEqual({ kind: 'refused', reason: 'the records system answered 422: b/data/x.csv: SHA-512 does not match' });
    expect((await interpret(res(401, '{"error":"bad token"}'), sha)).kind).toBe('refused');
  });
});
