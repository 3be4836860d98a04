import type { Redis } from 'ioredis'
import type { ReadRunEventsOptions, RunEvent, RunEventInput, RunEventLog, RunEventReader } from '../contracts/run_events'
import { E_RUN_ENDED, E_RUN_EVENTS_EXPIRED } from '../errors'
import { decodeJson } from '../support/json_payload'
import { redisUnavailable } from '../support/redis_errors'
import { checkRunId, normalizeEventId, storedEvent } from './event_id'
import { FollowerSlots, type FollowerSlot } from './follower_slots'
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
 * `maxFollowers` per process: keep their sum over every process well below
 * Redis's `maxclients`). An event larger than `maxEventBytes` is refused
 * before it is sent.
 *
 * @example
 * const log = new RedisRunEvents({ connection: app.make('redis').connection(), prefix: 'langvel:' })
 */
export class RedisRunEvents implements RunEventLog {
  private readonly options: RunEventsOptions
  private readonly blockMs: number
  private readonly batchSize: number
  private readonly readers = new Set<Redis>()
  private readonly followers: FollowerSlots
  private readonly closing = new AbortController()

  constructor(private readonly config: RedisRunEventsOptions) {
    this.options = runEventsOptions(config)
    this.followers = new FollowerSlots(this.options.maxFollowers)
    this.blockMs = config.blockMs ?? 5000
    this.batchSize = config.batchSize ?? 500
  }

  key(runId: string): string {
    return `${this.config.prefix}run_events:${runId}`
  }

  async append(runId: string, input: RunEventInput): Promise<string> {
    checkRunId(runId)
    const { event, data } = storedEvent(input, this.options.maxEventBytes)
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

  read(runId: string, options: ReadRunEventsOptions = {}): RunEventReader {
    checkRunId(runId)
    const after = options.after === undefined ? '0-0' : normalizeEventId(options.after)
    const slot = this.followers.slot(options.signal)
    return {
      ready: async () => {
        if (options.follow !== false && !options.signal?.aborted) slot.take()
        try {
          await this.config.connection.ping()
        } catch (error) {
          slot.release()
          throw unavailable(error)
        }
      },
      [Symbol.asyncIterator]: () => this.iterate(runId, after, options, slot)[Symbol.asyncIterator](),
    }
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

  private async *iterate(runId: string, after: string, options: ReadRunEventsOptions, slot: FollowerSlot): AsyncGenerator<RunEvent> {
    const key = this.key(runId)
    const signal = options.signal
    const stopped = () => signal?.aborted === true || this.closing.signal.aborted
    const idleMs = Math.ceil(this.options.idleTtlSeconds * 1000)
    let cursor = after
    // Whether the run has had events (a Last-Event-ID says so): its stream vanishing then means its events were dropped.
    let seen = after !== '0-0'
    let lastEntryAt = Date.now()
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
          seen = true
          lastEntryAt = Date.now()
          yield { id, event: fields[1], data: decodeJson(fields[3]) }
          if (stopped()) return
        }
        if (entries.length > 0) continue
        if (options.follow === false) return
        // Nothing more stored: follow from the cursor on a connection of our own (XREAD BLOCK would trip the shared one's command timeout).
        if (!reader) {
          slot.take()
          reader = this.follower()
          continue
        }
        // A quiet stretch: the stream may be gone (expired or evicted before the end), or never have come.
        if (seen || Date.now() - lastEntryAt >= idleMs) {
          let exists: number
          try {
            exists = await this.config.connection.exists(key)
          } catch (error) {
            if (stopped()) return
            throw unavailable(error)
          }
          if (exists === 0 && seen) throw new E_RUN_EVENTS_EXPIRED(runId, 'they were dropped before the run ended (expired after RUN_EVENTS_IDLE_TTL, or evicted by Redis)')
          if (exists === 0) throw new E_RUN_EVENTS_EXPIRED(runId, `no event came for ${this.options.idleTtlSeconds}s (an unknown run, or one whose events are gone)`)
        }
      }
    } finally {
      slot.release()
      signal?.removeEventListener('abort', stop)
      if (reader) {
        this.readers.delete(reader)
        reader.disconnect()
      }
    }
  }

  private follower(): Redis {
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

function unavailable(error: unknown): Error {
  return redisUnavailable(error, 'run events')
}
