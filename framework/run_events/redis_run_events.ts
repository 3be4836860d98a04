import type { Redis } from 'ioredis'
import type { ReadRunEventsOptions, RunEvent, RunEventInput, RunEventLog } from '../contracts/run_events'
import { E_OVERLOADED, E_RUN_ENDED, E_SERVICE_UNAVAILABLE, isException } from '../errors'
import { checkEventName, checkRunId, normalizeEventId } from './event_id'
import { decodeEventData, encodeEventData } from './payload'
import { APPEND_SCRIPT, END_SCRIPT } from './redis_run_events_script'
import { runEventsOptions, type RunEventsOptions } from './run_events_options'

type Entry = [id: string, fields: string[]]

export interface RedisRunEventsOptions extends Partial<RunEventsOptions> {
  /** The shared connection (commands that answer at once). */
  connection: Redis
  /** Key prefix (REDIS_PREFIX). */
  prefix: string
  /** Longest single XREAD BLOCK of a follower, in ms (default 5000). */
  blockMs?: number
  /** Entries read per round trip (default 500). */
  batchSize?: number
}

type LogRedis = Redis & {
  runEventsAppend(key: string, maxLen: number, event: string, data: string, ttlMs: number): Promise<string>
  runEventsEnd(key: string, retentionMs: number): Promise<number>
}

/**
 * The run event log on Redis Streams, shared by every process on the same
 * Redis: one stream per run (`<prefix>run_events:<runId>`), trimmed with
 * MAXLEN ~ to about `maxEventsPerRun`, expiring `retentionSeconds` after the
 * run ended (or `idleTtlSeconds` after its last event if it never ends).
 * Ids are the stream's entry ids. A reader replays with XREAD from its
 * Last-Event-ID and goes on with XREAD BLOCK from the last id it delivered,
 * so the switch from replay to live has no gap and no duplicate; each live
 * reader holds a connection of its own while it waits (at most
 * `maxFollowers`).
 *
 * @example
 * const log = new RedisRunEvents({ connection: app.make('redis').connection(), prefix: 'langvel:' })
 */
export class RedisRunEvents implements RunEventLog {
  private readonly options: RunEventsOptions
  private readonly blockMs: number
  private readonly batchSize: number
  private readonly readers = new Set<Redis>()
  private readonly closing = new AbortController()

  constructor(private readonly config: RedisRunEventsOptions) {
    this.options = runEventsOptions(config)
    this.blockMs = config.blockMs ?? 5000
    this.batchSize = config.batchSize ?? 500
  }

  key(runId: string): string {
    return `${this.config.prefix}run_events:${runId}`
  }

  async append(runId: string, input: RunEventInput): Promise<string> {
    checkRunId(runId)
    const event = checkEventName(input?.event)
    const data = encodeEventData(input.data)
    try {
      return await this.redis.runEventsAppend(this.key(runId), this.options.maxEventsPerRun, event, data, Math.ceil(this.options.idleTtlSeconds * 1000))
    } catch (error) {
      if (String((error as Error).message).startsWith('ENDED')) throw new E_RUN_ENDED(runId)
      throw unavailable(error)
    }
  }

  async end(runId: string): Promise<void> {
    checkRunId(runId)
    try {
      await this.redis.runEventsEnd(this.key(runId), Math.ceil(this.options.retentionSeconds * 1000))
    } catch (error) {
      throw unavailable(error)
    }
  }

  read(runId: string, options: ReadRunEventsOptions = {}): AsyncIterable<RunEvent> {
    checkRunId(runId)
    const after = options.after === undefined ? '0-0' : normalizeEventId(options.after)
    return { [Symbol.asyncIterator]: () => this.iterate(runId, after, options)[Symbol.asyncIterator]() }
  }

  async close(): Promise<void> {
    this.closing.abort()
    for (const reader of this.readers) reader.disconnect()
    this.readers.clear()
  }

  private get redis(): LogRedis {
    const redis = this.config.connection as LogRedis
    if (typeof redis.runEventsAppend !== 'function') {
      redis.defineCommand('runEventsAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT })
      redis.defineCommand('runEventsEnd', { numberOfKeys: 1, lua: END_SCRIPT })
    }
    return redis
  }

  private async *iterate(runId: string, after: string, options: ReadRunEventsOptions): AsyncGenerator<RunEvent> {
    const key = this.key(runId)
    const signal = options.signal
    const stopped = () => signal?.aborted === true || this.closing.signal.aborted
    let cursor = after
    let reader: Redis | undefined
    const stop = () => reader?.disconnect()
    signal?.addEventListener('abort', stop, { once: true })
    try {
      for (;;) {
        if (stopped()) return
        let entries: Entry[]
        try {
          entries = await this.readAfter(reader ?? this.config.connection, key, cursor, reader ? this.blockMs : undefined)
        } catch (error) {
          if (stopped()) return
          throw unavailable(error)
        }
        if (stopped()) return
        for (const [id, fields] of entries) {
          if (fields[0] === 'end') return
          cursor = id
          yield { id, event: fields[1], data: decodeEventData(fields[3]) }
          if (stopped()) return
        }
        if (entries.length > 0) continue
        if (options.follow === false) return
        // Nothing more stored: follow from the cursor on a connection of our own (XREAD BLOCK would trip the shared one's command timeout).
        if (!reader) reader = this.follower()
      }
    } finally {
      signal?.removeEventListener('abort', stop)
      if (reader) {
        this.readers.delete(reader)
        reader.disconnect()
      }
    }
  }

  private follower(): Redis {
    if (this.readers.size >= this.options.maxFollowers) throw new E_OVERLOADED()
    const connection = this.config.connection
    const reader = connection.duplicate({
      commandTimeout: this.blockMs + (connection.options.commandTimeout ?? 1000),
      connectionName: 'langvel:run-events-reader',
      // A dropped reader ends its read with an error instead of silently waiting on a reconnect.
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    reader.on('error', () => undefined)
    this.readers.add(reader)
    return reader
  }

  private async readAfter(redis: Redis, key: string, cursor: string, blockMs: number | undefined): Promise<Entry[]> {
    const reply = (blockMs === undefined
      ? await redis.xread('COUNT', this.batchSize, 'STREAMS', key, cursor)
      : await redis.xread('COUNT', this.batchSize, 'BLOCK', blockMs, 'STREAMS', key, cursor)) as Array<[string, Entry[]]> | null
    return reply?.[0]?.[1] ?? []
  }
}

/** A Redis failure (down, timed out) as the 503 the rest of the framework answers; our own errors pass through. */
function unavailable(error: unknown): Error {
  if (isException(error)) return error
  return new E_SERVICE_UNAVAILABLE('Redis (run events)', { cause: error })
}
