/** Rendering the extension's Preact pages in unit tests (happy-dom), with their reads settled. */
import { render, type ComponentChild } from 'preact';
import { act } from 'preact/test-utils';

/** Lets the component's reads (chains of promises, each setting state) finish and render. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await act(() => new Promise<void>((r) => setTimeout(r, 10)));
}

/** Renders into a fresh root and waits until the component's reads have settled. */
export async function mount(node: ComponentChild): Promise<HTMLElement> {
  const previous = document.getElementById('root');
  if (previous) await act(async () => render(null, previous));
  document.body.innerHTML = '<div id="root"></div>';
  const root = document.getElementById('root')!;
  await act(async () => render(node, root));
  await settle();
  return root;
}

/** Unmounts whatever `mount` rendered. */
export async function unmount(): Promise<void> {
  await act(async () => render(null, document.getElementById('root') ?? document.body));
}

/** The element `selector` finds in `root` once the page shows it; fails, with what the page says, if it never does. */
export async function shown(root: HTMLElement, selector: string): Promise<Element> {
  for (let i = 0; i < 100; i++) {
    const el = root.querySelector(selector);
    if (el) return el;
    await settle();
  }
  throw new Error(`${selector} never appeared; the page says: ${root.textContent}`);
}
