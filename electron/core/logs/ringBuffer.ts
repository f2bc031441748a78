/**
 * A bounded FIFO: pushing past capacity drops the oldest item and counts it, so a source that
 * floods can never grow memory without bound, and the loss is visible. With a `weigh` function
 * it also keeps the total weight of what it holds (the log hub weighs lines in bytes), and its
 * owner can drop the oldest items down to a weight: that is how the hub keeps all its rings
 * together within one memory budget.
 *
 * Items live in fixed-size chunks, allocated as items arrive: a large ring that holds little (a
 * build's stream, a quiet source) costs only what it holds, and dropping from the front never
 * moves the rest.
 */
const CHUNK = 4096;

export class RingBuffer<T> {
  /** Every chunk but the last is full; the first starts at `head`. */
  private chunks: T[][] = [];
  private head = 0;
  private count = 0;
  private weight = 0;
  /** Items pushed out by newer ones, by a smaller capacity or by a trim, since the buffer was made. */
  dropped = 0;

  constructor(
    private capacityValue: number,
    private readonly weigh: ((item: T) => number) | null = null,
  ) {
    assertCapacity(capacityValue);
  }

  get capacity(): number {
    return this.capacityValue;
  }

  get size(): number {
    return this.count;
  }

  /** The total weight of the items held (0 without a `weigh` function). */
  get bytes(): number {
    return this.weight;
  }

  push(item: T): void {
    let last = this.chunks[this.chunks.length - 1];
    if (!last || last.length === CHUNK) {
      last = [];
      this.chunks.push(last);
    }
    last.push(item);
    this.count += 1;
    if (this.weigh) this.weight += this.weigh(item);
    if (this.count > this.capacityValue) this.dropOldest(this.count - this.capacityValue);
  }

  /** The newest `n` items (all when omitted), oldest first. */
  last(n = this.count): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out: T[] = new Array<T>(take);
    let offset = this.head + (this.count - take);
    for (let i = 0; i < take; i += 1, offset += 1) {
      out[i] = this.chunks[Math.floor(offset / CHUNK)]![offset % CHUNK] as T;
    }
    return out;
  }

  /** Drops the oldest items until the weight is at most `bytes`; returns how many went. */
  trimToBytes(bytes: number): number {
    let gone = 0;
    while (this.count > 0 && this.weight > bytes) {
      this.dropOldest(1);
      gone += 1;
    }
    return gone;
  }

  /** Changes the capacity, keeping the newest items that fit. */
  resize(capacity: number): void {
    assertCapacity(capacity);
    this.capacityValue = capacity;
    if (this.count > capacity) this.dropOldest(this.count - capacity);
  }

  private dropOldest(n: number): void {
    for (let i = 0; i < n && this.count > 0; i += 1) {
      const first = this.chunks[0]!;
      if (this.weigh) this.weight -= this.weigh(first[this.head] as T);
      // Let go of the item at once: a dropped line must not stay alive until its chunk goes.
      (first as (T | undefined)[])[this.head] = undefined;
      this.head += 1;
      this.count -= 1;
      this.dropped += 1;
      if (this.head === first.length && (this.chunks.length > 1 || this.count === 0)) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }
}

function assertCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
  }
}
