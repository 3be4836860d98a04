/** What became of the messages of one run, checked message by message. */
export interface DeliveryReport {
  published: number
  accepted: number
  refused: number
  /** Publishes that failed otherwise (Redis unreachable...): stored or not, nobody knows. */
  failed: number
  /** Handler calls, all messages together. */
  deliveries: number
  /** Accepted messages never delivered. */
  missing: number
  /** Messages delivered more than once. */
  duplicated: number
  /** Deliveries of a message that was refused or never published. */
  unexpected: number
  /** Every accepted message delivered once, and nothing else delivered. */
  exactlyOnce: boolean
}

const ACCEPTED = 1
const REFUSED = 2
const FAILED = 3

/**
 * Records, by sequence number, how each publish ended and how many times its
 * message reached the handler, in two byte arrays: a run of a million
 * messages costs two megabytes, not a Map of a million entries in the heap
 * the benchmark is measuring.
 *
 * @example
 * const ledger = new DeliveryLedger()
 * ledger.published(0, 'accepted')
 * ledger.delivered(0)
 * ledger.report().exactlyOnce // true
 */
export class DeliveryLedger {
  private outcomes = new Uint8Array(1024)
  private counts = new Uint8Array(1024)
  private highest = -1
  private acceptedSoFar = 0
  private reachedSoFar = 0

  published(seq: number, outcome: 'accepted' | 'refused' | 'failed'): void {
    this.fit(seq)
    if (this.outcomes[seq] !== 0) throw new RangeError(`sequence number ${seq} was published twice`)
    this.outcomes[seq] = outcome === 'accepted' ? ACCEPTED : outcome === 'refused' ? REFUSED : FAILED
    if (outcome === 'accepted') this.acceptedSoFar += 1
  }

  delivered(seq: number): void {
    this.fit(seq)
    if (this.counts[seq] === 0) this.reachedSoFar += 1
    // Saturates: 255 deliveries of one message are as wrong as 256.
    if (this.counts[seq] < 255) this.counts[seq] += 1
  }

  /** Publishes accepted so far. */
  get accepted(): number {
    return this.acceptedSoFar
  }

  /** Messages delivered at least once so far. */
  get reached(): number {
    return this.reachedSoFar
  }

  report(): DeliveryReport {
    const report = { published: 0, accepted: 0, refused: 0, failed: 0, deliveries: 0, missing: 0, duplicated: 0, unexpected: 0 }
    for (let seq = 0; seq <= this.highest; seq++) {
      const outcome = this.outcomes[seq]
      const count = this.counts[seq]
      if (outcome !== 0) report.published += 1
      if (outcome === ACCEPTED) report.accepted += 1
      if (outcome === REFUSED) report.refused += 1
      if (outcome === FAILED) report.failed += 1
      report.deliveries += count
      if (outcome === ACCEPTED && count === 0) report.missing += 1
      if (count > 1) report.duplicated += 1
      // A failed publish may have been stored before its answer was lost: its delivery is not counted against the bus.
      if (count > 0 && outcome !== ACCEPTED && outcome !== FAILED) report.unexpected += 1
    }
    return { ...report, exactlyOnce: report.missing === 0 && report.duplicated === 0 && report.unexpected === 0 }
  }

  private fit(seq: number): void {
    if (!Number.isInteger(seq) || seq < 0) throw new RangeError(`sequence numbers are whole numbers from 0, got ${seq}`)
    if (seq >= this.outcomes.length) {
      let size = this.outcomes.length
      while (size <= seq) size *= 2
      this.outcomes = grow(this.outcomes, size)
      this.counts = grow(this.counts, size)
    }
    if (seq > this.highest) this.highest = seq
  }
}

function grow(array: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(size)
  bigger.set(array)
  return bigger
}
