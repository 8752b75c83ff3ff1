/**
 * Page order across many reads of a virtualized list. Each read sees only a window of rows;
 * scrolling back shows older rows above the ones already seen. This keeps one consistent
 * integer position per message id: new ids are placed relative to the nearest already-known
 * neighbour in the same read (above it: smaller numbers, possibly negative).
 */
const GAP = 1 << 16;

export class PageOrder {
  private readonly pos = new Map<string, number>();
  /** Whether the last read shared at least one message with the reads before it. */
  lastOverlapped = true;

  /** Positions for the ids of one read, in document order. */
  place(ids: readonly string[]): number[] {
    // Indexed loops: called on every read with every message of the pane.
    const out: (number | undefined)[] = new Array<number | undefined>(ids.length);
    let firstKnown = -1;
    for (let i = 0; i < ids.length; i++) {
      out[i] = this.pos.get(ids[i]!);
      if (firstKnown === -1 && out[i] !== undefined) firstKnown = i;
    }
    this.lastOverlapped = this.pos.size === 0 || firstKnown !== -1;
    if (firstKnown === -1) {
      // Nothing known yet in this read: lay it after everything seen so far.
      const base = this.pos.size === 0 ? 0 : Math.max(...this.pos.values()) + GAP;
      ids.forEach((id, i) => this.pos.set(id, base + i * GAP));
      return ids.map((id) => this.pos.get(id)!);
    }
    // Above the first known row: count down from it.
    for (let i = firstKnown - 1; i >= 0; i--) out[i] = out[i + 1]! - GAP;
    // Below: between known neighbours split the gap; after the last known, count up.
    for (let i = firstKnown + 1; i < ids.length; i++) {
      if (out[i] !== undefined) continue;
      const prev = out[i - 1]!;
      let j = i;
      while (j < ids.length && out[j] === undefined) j++;
      const next = j < ids.length ? out[j]! : undefined;
      const count = j - i;
      const step = next === undefined ? GAP : Math.max(1, Math.floor((next - prev) / (count + 1)));
      for (let k = 0; k < count; k++) out[i + k] = prev + step * (k + 1);
    }
    for (let i = 0; i < ids.length; i++) {
      if (!this.pos.has(ids[i]!)) this.pos.set(ids[i]!, out[i]!);
    }
    return out as number[];
  }
}
