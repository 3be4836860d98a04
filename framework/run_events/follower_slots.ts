import { E_OVERLOADED } from '../errors'

/** The live-reader slots of one log: at most `max` taken at once. */
export class FollowerSlots {
  private used = 0

  constructor(private readonly max: number) {}

  /** Slots taken now. */
  get size(): number {
    return this.used
  }

  /** A slot for one read, not taken yet; given back when `signal` aborts. */
  slot(signal?: AbortSignal): FollowerSlot {
    const slot: FollowerSlot = {
      held: false,
      take: () => {
        if (slot.held) return
        if (this.used >= this.max) throw new E_OVERLOADED()
        this.used += 1
        slot.held = true
        signal?.addEventListener('abort', slot.release, { once: true })
      },
      release: () => {
        if (!slot.held) return
        slot.held = false
        this.used -= 1
        signal?.removeEventListener('abort', slot.release)
      },
    }
    return slot
  }
}

export interface FollowerSlot {
  held: boolean
  /** Takes the slot (once); E_OVERLOADED (503) when every slot is taken. */
  take(): void
  /** Gives it back (harmless when not held). */
  release(): void
}
