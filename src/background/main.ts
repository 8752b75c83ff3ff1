/**
 * Service worker entry: wires listeners, synchronously at top level (a woken worker must have
 * its listeners before the event that woke it is dispatched). All state lives in IndexedDB;
 * nothing here survives the worker being stopped, and nothing needs to.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { checkMessage, type Channel } from './boundary';
import { serveBatchPort } from './batch-port';
import { handleContent, handlePopup } from './handlers';
import { audit, db, dbState } from './context';
import { reconcile, tabGone } from './captures';
import { dropStaleParts } from './blob-parts';
import { forgetTab } from './frames';
import { onSettingsChanged } from './auto-settings';
import { loadSettings } from './settings';
import { syncCustomScripts } from './custom-domains';
import { DEADLINE_ALARM, refreshReminders } from './reminders';
import { UPLOAD_ALARM, processUploads, resumeUploads, uploadFiles } from './uploads';
import { markInterruptedJob } from './exporter';
import { cleanUpBundleFiles, onDownloadChanged, whenDownloadFails } from './download';
import { recordDownloadFailure } from './download-outcome';

/** Every request, sent or on the batch port: sender first, then schema (boundary.ts), then its handler. */
async function answer(message: unknown, sender: Runtime.MessageSender, channel: Channel): Promise<unknown> {
  // Nothing can be read or written while an upgrade waits for an older copy to let go: every
  // request fails with the reason (pages show it; content scripts retry their batches).
  const problem = dbState.problem();
  if (problem) throw new Error(problem);
  const { customDomains } = await loadSettings();
  const checked = checkMessage(message, sender, { id: browser.runtime.id, origin: browser.runtime.getURL('') }, customDomains, channel);
  if (!checked.ok) {
    console.warn('Threadkeeper refused a message:', checked.reason);
    void audit('message-refused', { reason: checked.reason, senderUrl: sender.url ?? null });
    return { ok: false, error: `refused: ${checked.reason}` };
  }
  return checked.kind === 'content' ? handleContent(checked.message, checked.tabId, checked.frameId, checked.url, customDomains) : handlePopup(checked.message);
}
browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => answer(message, sender, 'message'));
// Content scripts' batches (runtime.onConnect hears only this extension's own scripts and pages).
browser.runtime.onConnect.addListener((port) => serveBatchPort(port, (message, sender) => answer(message, sender, 'batch-port')));

// A capture whose tab closes or reloads ends there, keeping every acknowledged batch.
browser.tabs.onRemoved.addListener((tabId) => void tabGone(tabId, 'closed').then(() => forgetTab(tabId)));
browser.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status === 'loading' && change.url === undefined) void tabGone(tabId, 'navigated').then(() => forgetTab(tabId));
});

browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes.settings) void onSettingsChanged(changes.settings.oldValue, changes.settings.newValue);
});

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === UPLOAD_ALARM) void processUploads();
  if (alarm.name === DEADLINE_ALARM) void refreshReminders();
});
// A bundle download ended: revoke its blob: URL and delete its file on disk; an interrupted one
// leaves its export counting as carrying nothing, and the user is told.
whenDownloadFails(async (id, reason) => void (await recordDownloadFailure(id, reason)));
browser.downloads.onChanged.addListener(onDownloadChanged);
browser.notifications.onClicked.addListener(() => {
  void browser.tabs.create({ url: browser.runtime.getURL('src/ui/dashboard/index.html') });
});

// Open the database early so a schema upgrade runs before the first capture needs it, then
// close captures left running by a browser that was shut down mid-capture.
void db
  .open()
  .then(() => reconcile())
  .then(() => dropStaleParts(db))
  .then(async () => syncCustomScripts((await loadSettings()).customDomains))
  .then(async () => {
    await markInterruptedJob();
    if (!(await browser.alarms.get(DEADLINE_ALARM))) await browser.alarms.create(DEADLINE_ALARM, { periodInMinutes: 60 });
    await refreshReminders();
    await resumeUploads();
    // Bundle files left by a worker stopped mid-export or by downloads before a restart.
    await cleanUpBundleFiles(await uploadFiles());
  })
  .catch((err: unknown) => console.error('Threadkeeper could not open its database', err));
