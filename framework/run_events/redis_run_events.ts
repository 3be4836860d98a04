import type { Redis } from 'ioredis'
import type { ReadRunEventsOptions, RunEvent, RunEventInput, RunEventLog, RunEventReader } from '../contracts/run_events'
import { E_RUN_ENDED, E_RUN_EVENTS_EXPIRED } from '../errors'
import { decodeJson } from '../support/json_payload'
import { redisUnavailable } from '../support/redis_errors'
import { checkRunId, normalizeEventId, storedEvent } from './event_id'
import { FollowerSlots, type FollowerSlot } from './follower_slots'
import { RedisStreamWatcher } from './redis_stream_watcher'
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
 * so the switch from replay to live has no gap and no duplicate. Live
 * readers (at most `maxFollowers` per process) share one blocking
 * connection per log, which waits on every followed stream with a single
 * multi-key XREAD BLOCK. An event larger than `maxEventBytes` is refused
 * before it is sent.
 *
 * @example
 * const log = new RedisRunEvents({ connection: app.make('redis').connection(), prefix: 'langvel:' })
 */
export class RedisRunEvents implements RunEventLog {
  private readonly options: RunEventsOptions
  private readonly blockMs: number
  private readonly batchSize: number
  private readonly watcher: RedisStreamWatcher
  private readonly followers: FollowerSlots
  private readonly closing = new AbortController()

  constructor(private readonly config: RedisRunEventsOptions) {
    this.options = runEventsOptions(config)
    this.followers = new FollowerSlots(this.options.maxFollowers)
    this.blockMs = config.blockMs ?? 5000
    this.watcher = new RedisStreamWatcher(() => this.watchingConnection(), config.connection, this.blockMs)
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

  async clear(runId: string): Promise<void> {
    checkRunId(runId)
    try {
      await this.config.connection.del(this.key(runId))
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
    this.watcher.close()
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
    let following = false
    try {
      for (;;) {
        if (stopped()) return
        let entries: Entry[]
        try {
          entries = await this.readAfter(key, cursor)
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
        if (!following) {
          slot.take()
          following = true
        }
        // Caught up: wait, on the log's one watching connection, for an entry after the cursor, then read it like the rest.
        let outcome: 'data' | 'quiet'
        try {
          outcome = await this.watcher.wait(key, cursor, signal)
        } catch (error) {
          if (stopped()) return
          throw unavailable(error)
        }
        if (outcome === 'data' || stopped()) continue
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
    }
  }

  /** The connection followers wait on (XREAD BLOCK would trip the shared one's command timeout). */
  private watchingConnection(): Redis {
    const connection = this.config.connection
    const watching = connection.duplicate({
      commandTimeout: this.blockMs + (connection.options.commandTimeout ?? 1000),
      connectionName: 'langvel:run-events-watcher',
      // A dropped connection fails the waits at once instead of silently waiting on a reconnect; the next wait opens a new one.
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    watching.on('error', () => undefined)
    return watching
  }

  private async readAfter(key: string, cursor: string): Promise<Entry[]> {
    const reply = (await this.config.connection.xread('COUNT', this.batchSize, 'STREAMS', key, cursor)) as Array<[string, Entry[]]> | null
    return reply?.[0]?.[1] ?? []
  }
}

function unavailable(error: unknown): Error {
  return redisUnavailable(error, 'run events')
}
