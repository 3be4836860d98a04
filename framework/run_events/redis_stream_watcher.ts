import type { Redis } from 'ioredis'
import { compareEventIds, parseEventId } from './event_id'

interface Wait {
  key: string
  cursor: string
  resolve: (outcome: 'data' | 'quiet') => void
  reject: (error: unknown) => void
}

/**
 * One blocking connection per log that waits on every followed stream at
 * once: a single multi-key `XREAD BLOCK` with each stream's lowest cursor,
 * telling each waiting reader when its stream has an entry after its own
 * cursor. A reader that comes with a new stream (or an older cursor) wakes
 * the blocked XREAD with CLIENT UNBLOCK, so it is re-issued with the new set
 * of streams at once. Readers then read the entries themselves, so the
 * watcher holds no events.
 */
export class RedisStreamWatcher {
  private connection?: Redis
  private connectionId?: number
  private readonly waits = new Set<Wait>()
  /** Streams and cursors of the XREAD in progress. */
  private blockedOn?: Map<string, string>
  private running = false
  private closed = false

  constructor(
    private readonly create: () => Redis,
    /** Answers CLIENT UNBLOCK (the log's shared connection). */
    private readonly control: Redis,
    private readonly blockMs: number,
  ) {}

  /**
   * Resolves 'data' once stream `key` has an entry after `cursor`, 'quiet'
   * after `blockMs` without one or when `signal` aborts; rejects when the
   * watching connection fails.
   */
  wait(key: string, cursor: string, signal?: AbortSignal): Promise<'data' | 'quiet'> {
    if (this.closed || signal?.aborted) return Promise.resolve('quiet')
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        if (!this.waits.delete(wait)) return
        clearTimeout(timer)
        signal?.removeEventListener('abort', quiet)
        settle()
      }
      const quiet = () => done(() => resolve('quiet'))
      const wait: Wait = { key, cursor, resolve: (outcome) => done(() => resolve(outcome)), reject: (error) => done(() => reject(error)) }
      const timer = setTimeout(quiet, this.blockMs)
      signal?.addEventListener('abort', quiet, { once: true })
      this.waits.add(wait)
      const current = this.blockedOn?.get(key)
      if (this.blockedOn && (current === undefined || compareEventIds(parseEventId(cursor), parseEventId(current)) < 0)) this.unblock()
      this.run()
    })
  }

  /** Watching connections open (0 or 1). */
  get connections(): number {
    return this.connection ? 1 : 0
  }

  close(): void {
    this.closed = true
    for (const wait of [...this.waits]) wait.resolve('quiet')
    this.connection?.disconnect()
    this.connection = undefined
  }

  private unblock(): void {
    if (this.connectionId === undefined) return
    this.control.client('UNBLOCK', this.connectionId).catch(() => undefined)
  }

  private run(): void {
    if (this.running) return
    this.running = true
    void this.loop().finally(() => {
      this.running = false
      if (this.waits.size > 0 && !this.closed) this.run()
    })
  }

  private async loop(): Promise<void> {
    while (this.waits.size > 0 && !this.closed) {
      const streams = new Map<string, string>()
      for (const wait of this.waits) {
        const current = streams.get(wait.key)
        if (current === undefined || compareEventIds(parseEventId(wait.cursor), parseEventId(current)) < 0) streams.set(wait.key, wait.cursor)
      }
      let reply: Array<[string, Array<[string, string[]]>]> | null
      try {
        const connection = await this.connect()
        this.blockedOn = streams
        reply = (await connection.xread('COUNT', 1, 'BLOCK', this.blockMs, 'STREAMS', ...streams.keys(), ...streams.values())) as typeof reply
      } catch (error) {
        this.blockedOn = undefined
        this.connection?.disconnect()
        this.connection = undefined
        this.connectionId = undefined
        for (const wait of [...this.waits]) wait.reject(error)
        return
      }
      this.blockedOn = undefined
      for (const [key, entries] of reply ?? []) {
        const first = entries[0]?.[0]
        if (first === undefined) continue
        const at = parseEventId(first)
        // The wait with the lowest cursor of this stream is always satisfied, so each round makes progress.
        for (const wait of [...this.waits]) if (wait.key === key && compareEventIds(parseEventId(wait.cursor), at) < 0) wait.resolve('data')
      }
    }
  }

  private async connect(): Promise<Redis> {
    if (this.connection) return this.connection
    const connection = this.create()
    this.connection = connection
    this.connectionId = Number(await connection.client('ID'))
    return connection
  }
}
