// A count that can be awaited: the demo and the tests wait for "n events
// handled" instead of sleeping and hoping.
export class Tally {
  count = 0;
  private readonly waiting = new Set<{ n: number; resolve: () => void }>();

  constructor(start = 0) {
    this.count = start;
  }

  add(): void {
    this.count++;
    for (const w of this.waiting) {
      if (this.count >= w.n) {
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves once the count reaches n. */
  until(n: number): Promise<void> {
    return this.count >= n ? Promise.resolve() : new Promise((resolve) => this.waiting.add({ n, resolve }));
  }
}
