/**
 * RowMemo.matching in real Chromium: the random changes of test/helpers/match-memo-chaos.ts with
 * selectors that name an ancestor (`#main [role="row"]`, as WhatsApp's do), whose matches change
 * when a row, or the pane holding it, moves into or out of #main. happy-dom cannot check these
 * (test/unit/match-memo.test.ts). The helper and the memo are bundled as one IIFE and run in a
 * blank page; each run must agree with a fresh query after every burst of changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from '../../scripts/lib/browser';
import { bundleIife } from './iife';
import type { ChaosResult, firstMatching, RowMemo } from '../helpers/match-memo-chaos';

interface Chaos {
  chaos: (doc: Document, seed: number, steps: number, sel: string[], rootOf?: (d: Document) => Element | null) => ChaosResult;
  RowMemo: typeof RowMemo;
  firstMatching: typeof firstMatching;
  CHAOS_PAGE: string;
}

const SELECTORS = ['#main [role="row"]', '#main [data-id], #main .item'];

let browser: Browser;
let page: Page;

beforeAll(async () => {
  const [code, b] = await Promise.all([bundleIife(fileURLToPath(new URL('../helpers/match-memo-chaos.ts', import.meta.url)), 'TKCHAOS'), chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu'] })]);
  browser = b;
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><head></head><body></body></html>');
  await page.addScriptTag({ content: code });
});

afterAll(async () => {
  await browser?.close();
});

/**
 * 1,500 bursts of random changes for each seed, the memo set against a fresh query after each
 * (in the document, or in the `.list` pane); expects no disagreement and returns how many reads
 * the memo answered from the changes alone, over all seeds.
 */
async function rememberedOver(seeds: readonly number[], inList: boolean): Promise<number> {
  let remembered = 0;
  for (const seed of seeds) {
    const r: ChaosResult = await page.evaluate(
      ([s, selectors, list]) => {
        const w = window as unknown as { TKCHAOS: Chaos };
        return w.TKCHAOS.chaos(document, s, 1500, selectors, list ? (d) => d.querySelector('.list') : undefined);
      },
      [seed, SELECTORS, inList] as const,
    );
    expect(r.failure).toBeNull();
    remembered += r.remembered;
  }
  return remembered;
}

describe('RowMemo.matching in Chromium, with selectors that name an ancestor', () => {
  it('agrees with a fresh query of the document after every burst of random changes', async () => {
    // The memo answered from the changes often (a page left with no #main row matches nothing, and teaches nothing).
    expect(await rememberedOver([11, 12, 13, 14, 15, 16], false)).toBeGreaterThan(900);
  });

  it('agrees with a fresh query of an element (a pane that may itself move out of #main)', async () => {
    // Fewer: the pane itself is often removed, replaced or moved out of #main by the changes.
    expect(await rememberedOver([21, 22, 23, 24, 25, 26], true)).toBeGreaterThan(100);
  });

  it('in an element: its rows stop matching when it, or a wrapper around it, leaves #main (no record names anything inside it)', async () => {
    const counts = await page.evaluate((selectors) => {
      const { RowMemo: Memo, firstMatching: query, CHAOS_PAGE: html } = (window as unknown as { TKCHAOS: Chaos }).TKCHAOS;
      document.body.innerHTML = html;
      const list = document.querySelector('.list')!;
      const memo = new Memo<unknown>(selectors.join(', '));
      const read = () => {
        memo.sync(document);
        return [memo.matching(list, selectors)?.elements.length ?? 0, query(list, selectors)?.elements.length ?? 0];
      };
      const before = read();
      const wrapper = document.createElement('section');
      list.before(wrapper);
      wrapper.append(list);
      const wrapped = read();
      document.body.append(wrapper);
      const out = read();
      // The pane itself moves: into #main, then out again.
      document.getElementById('main')!.append(list);
      const back = read();
      document.body.append(list);
      return [before, wrapped, out, back, read()];
    }, SELECTORS);
    expect(counts).toEqual([[3, 3], [3, 3], [0, 0], [3, 3], [0, 0]]);
  });
});
