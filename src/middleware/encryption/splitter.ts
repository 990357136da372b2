/**
 * Cuts a byte stream into fixed-size units: plaintext chunks when sealing,
 * sealed chunks (ciphertext and tag) when opening.
 */

const EMPTY = Buffer.alloc(0);

/**
 * Hands out the units of a stream of pieces as cheaply as Node's streams
 * allow. A unit that lies inside one piece is handed out as a slice of it (no
 * copy: with 1 MiB pieces and 64 KiB chunks, that is every unit). A unit that
 * straddles pieces is gathered into one staging buffer, allocated once and
 * reused for every such unit, so a stream of small pieces costs one copy and
 * one cipher call per unit instead of one cipher call (and one output piece)
 * per input piece.
 *
 * The latest complete unit is held back until a byte after it arrives: until
 * then it may be the last one, and the last chunk is sealed with its own flag.
 * Memory stays bounded: one staging buffer plus the held slice.
 */
export class UnitSplitter {
  private staging: Buffer | undefined;
  /** Bytes gathered in `staging`. */
  private fill = 0;
  /** A complete unit (a slice of a piece, or `staging`) that may still be the last. */
  private held: Buffer | undefined;

  constructor(private readonly unitSize: number) {}

  /**
   * Feeds `piece`. Calls `onUnit` for every complete unit that is followed by
   * at least one more byte, in order. `onUnit` must be done with the unit when
   * it returns: it may be the staging buffer, which is then refilled.
   */
  push(piece: Buffer, onUnit: (unit: Buffer) => void): void {
    const size = this.unitSize;
    const end = piece.length;
    let offset = 0;
    while (offset < end) {
      if (this.held !== undefined) {
        const unit = this.held;
        this.held = undefined;
        onUnit(unit);
        if (unit === this.staging) this.fill = 0;
      }
      if (this.fill === 0 && end - offset >= size) {
        this.held = offset === 0 && end === size ? piece : piece.subarray(offset, offset + size);
        offset += size;
        continue;
      }
      if (this.staging === undefined) this.staging = Buffer.allocUnsafeSlow(size);
      const n = Math.min(size - this.fill, end - offset);
      piece.copy(this.staging, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === size) this.held = this.staging;
    }
  }

  /**
   * Ends the stream: returns the held unit, or the partial unit gathered so far
   * (empty when the stream ended on a unit boundary with nothing held, e.g. an
   * empty stream). Valid until the next `push`.
   */
  end(): Buffer {
    const unit = this.held ?? (this.staging === undefined ? EMPTY : this.staging.subarray(0, this.fill));
    this.held = undefined;
    this.fill = 0;
    return unit;
  }
}
