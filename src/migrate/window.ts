/**
 * An ordered window over work that finishes out of order. Keys enter in
 * listing order; the head leaves once it is settled, so "everything up to
 * the last key that left is done" holds at every moment. Migrate derives its
 * checkpoint's low-water mark from it; the window's bound keeps memory flat
 * when one slow object holds the head.
 */

/** One key in the window. */
export interface WindowSlot {
  readonly key: string;
  settled: boolean;
  /** Whether it ended in failure (kept out of the "done above the mark" set). */
  failed: boolean;
  /** Whether it was copied (only copies need recording above the mark). */
  copied: boolean;
}

/** Keys in flight or finished above the low-water mark. */
export class OrderedWindow {
  private slots: WindowSlot[] = [];
  private head = 0;
  private waiters: (() => void)[] = [];
  /** The greatest key below which every key that entered is settled. */
  lowWater: string | undefined;

  constructor(
    readonly capacity: number,
    lowWater?: string,
  ) {
    this.lowWater = lowWater;
  }

  /** Keys in the window. */
  get size(): number {
    return this.slots.length - this.head;
  }

  /** Waits until the window has room for one more key (or the signal aborts). */
  async room(signal?: AbortSignal): Promise<void> {
    while (this.size >= this.capacity && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Adds the next key (keys must arrive in order). */
  enter(key: string): WindowSlot {
    const slot: WindowSlot = { key, settled: false, failed: false, copied: false };
    this.slots.push(slot);
    return slot;
  }

  /** Marks a slot finished and advances the low-water mark past settled heads. */
  settle(slot: WindowSlot): void {
    slot.settled = true;
    while (this.head < this.slots.length && this.slots[this.head]!.settled) {
      this.lowWater = this.slots[this.head]!.key;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Keys above the mark that were copied (and did not fail). */
  copiedAbove(): string[] {
    const out: string[] = [];
    for (let i = this.head; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.settled && slot.copied && !slot.failed) out.push(slot.key);
    }
    return out;
  }
}
