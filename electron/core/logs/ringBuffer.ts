/**
 * A fixed-capacity FIFO: pushing past capacity drops the oldest item and counts it, so a source
 * that floods can never grow memory without bound, and the loss is visible.
 */
export class RingBuffer<T> {
  // Grows as items arrive, up to the capacity: a large ring that holds little (a build's stream,
  // a quiet source) costs only what it holds.
  private items: T[] = [];
  private start = 0;
  private count = 0;
  /** Items pushed out by newer ones since the buffer was made. */
  dropped = 0;

  constructor(private capacityValue: number) {
    if (!Number.isInteger(capacityValue) || capacityValue < 1) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacityValue}`);
    }
  }

  get capacity(): number {
    return this.capacityValue;
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacityValue) {
      // Not full yet, so nothing was overwritten and `start` is 0: the array grows at its end.
      this.items.push(item);
      this.count += 1;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacityValue;
      this.dropped += 1;
    }
  }

  /** The newest `n` items (all when omitted), oldest first. */
  last(n = this.count): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out: T[] = [];
    for (let i = this.count - take; i < this.count; i += 1) {
      out.push(this.items[(this.start + i) % this.capacityValue] as T);
    }
    return out;
  }

  /** Changes the capacity, keeping the newest items that fit. */
  resize(capacity: number): void {
    const kept = this.last(capacity);
    this.dropped += this.count - kept.length;
    this.capacityValue = capacity;
    this.items = [];
    this.start = 0;
    this.count = 0;
    for (const item of kept) this.push(item);
  }
}
