import { isDeepStrictEqual } from 'node:util'
import type { RunnableConfig } from '@langchain/core/runnables'
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  getCheckpointId,
  maxChannelVersion,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint'
import type { ChainableCommander, Redis } from 'ioredis'
import {
  RedisCheckpointKeys,
  allThreadKeys,
  beforeBound,
  blobField,
  checkpointField,
  parseCheckpointField,
  prefixRange,
  writeField,
  type ThreadKeys,
} from './redis_keys'
import { storeValue, storedBytes, type StoredValue } from './stored_value'

export interface RedisSaverOptions {
  /** Prepended to every key (the `redis.prefix` config, `langvel:` by default). */
  prefix?: string
  /** Every key of a thread expires this long after the thread's last write; 0 keeps threads forever. */
  ttlSeconds?: number
  serde?: SerializerProtocol
}

interface CheckpointRecord {
  /** The checkpoint without its channel values (those live in the blobs hash, one per version). */
  c: StoredValue
  m: StoredValue
  /** Parent checkpoint id. */
  p?: string
}

interface WriteRecord {
  task: string
  ch: string
  idx: number
  path: string
  v: StoredValue
}

interface Ref {
  threadId: string
  ns: string
  id: string
}

interface LoadedRef extends Ref {
  record: CheckpointRecord
  writeFields: string[]
  metadata?: CheckpointMetadata
}

/** Candidates are read and hydrated this many at a time by `list()`. */
const PAGE = 32

/**
 * A LangGraph checkpoint saver on plain Redis commands (hashes, sorted sets,
 * MULTI): no RedisJSON or RediSearch, so it runs on any Redis 6+ including
 * managed offerings. It stores channel values once per version like the
 * official Postgres saver, keeps a fixed set of keys per thread (see
 * redis_keys.ts) and refreshes the TTL of all of them on every write.
 *
 * @example
 * const saver = new RedisSaver(app.make('redis').connection(), { prefix: 'langvel:', ttlSeconds: 7 * 86400 })
 * const graph = new StateGraph(State).addNode(...).compile({ checkpointer: saver })
 * await graph.invoke(input, { configurable: { thread_id: 'conversation-42' } })
 */
export class RedisSaver extends BaseCheckpointSaver {
  readonly keys: RedisCheckpointKeys
  readonly ttlSeconds: number

  constructor(
    readonly redis: Redis,
    options: RedisSaverOptions = {},
  ) {
    super(options.serde)
    this.keys = new RedisCheckpointKeys(options.prefix ?? 'langvel:')
    // EXPIRE takes whole seconds; a sub-second TTL rounds up rather than silently meaning "forever".
    this.ttlSeconds = (options.ttlSeconds ?? 0) > 0 ? Math.ceil(options.ttlSeconds as number) : 0
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = threadIdOf(config)
    if (threadId === undefined) return undefined
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? ''
    let id = getCheckpointId(config)
    if (!id) {
      const { min, max } = prefixRange(ns)
      const [latest] = await this.redis.zrevrangebylex(this.keys.thread(threadId).order, max, min, 'LIMIT', 0, 1)
      if (latest === undefined) return undefined
      id = parseCheckpointField(latest).id
    }
    const loaded = await this.load([{ threadId, ns, id }])
    if (loaded.length === 0) return undefined
    const [tuple] = await this.hydrate(loaded)
    return tuple
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY
    if (remaining <= 0) return
    const wanted = Object.entries(options.filter ?? {}).filter(([, value]) => value !== undefined)
    const pageSize = wanted.length === 0 ? Math.min(PAGE, remaining) : PAGE
    const beforeId = options.before?.configurable?.checkpoint_id as string | undefined
    for await (const page of this.candidates(config, beforeId, pageSize)) {
      const loaded = await this.load(page)
      const matching: LoadedRef[] = []
      for (const entry of loaded) {
        if (wanted.length > 0) {
          entry.metadata = await this.serde.loadsTyped(entry.record.m.t, storedBytes(entry.record.m))
          if (!wanted.every(([key, value]) => isDeepStrictEqual((entry.metadata as Record<string, unknown>)?.[key], value))) continue
        }
        matching.push(entry)
        if (matching.length >= remaining) break
      }
      for (const tuple of await this.hydrate(matching)) {
        yield tuple
        remaining -= 1
      }
      if (remaining <= 0) return
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw new Error('Missing "configurable" field in "config" param')
    const threadId = threadIdOf(config)
    if (threadId === undefined) throw new Error('Missing "thread_id" field in "config.configurable"')
    const ns = (config.configurable.checkpoint_ns as string | undefined) ?? ''
    const parentId = config.configurable.checkpoint_id as string | undefined
    const { channel_values: values = {}, ...withoutValues } = checkpoint
    const [dumpedCheckpoint, dumpedMetadata, blobs] = await Promise.all([
      this.serde.dumpsTyped(withoutValues),
      this.serde.dumpsTyped(metadata),
      // Only channels that changed get a new blob; the others keep pointing at the version an ancestor stored.
      Promise.all(
        Object.entries(newVersions).map(async ([channel, version]): Promise<[string, StoredValue]> => [
          blobField(ns, channel, version),
          Object.prototype.hasOwnProperty.call(values, channel) ? storeValue(await this.serde.dumpsTyped((values as Record<string, unknown>)[channel])) : { t: 'empty' },
        ]),
      ),
    ])
    const record: CheckpointRecord = { c: storeValue(dumpedCheckpoint), m: storeValue(dumpedMetadata) }
    if (parentId) record.p = parentId
    const keys = this.keys.thread(threadId)
    const field = checkpointField(ns, checkpoint.id)
    const tx = this.redis.multi()
    tx.hset(keys.checkpoints, field, JSON.stringify(record))
    tx.zadd(keys.order, 0, field)
    for (const [blob, value] of blobs) tx.hsetnx(keys.blobs, blob, JSON.stringify(value))
    this.touch(tx, threadId, keys)
    await execAtomically(tx)
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } }
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const threadId = threadIdOf(config)
    if (threadId === undefined) throw new Error('Missing "thread_id" field in "config.configurable"')
    const checkpointId = config.configurable?.checkpoint_id as string | undefined
    if (!checkpointId) throw new Error('Missing "checkpoint_id" field in "config.configurable"')
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? ''
    const records = await Promise.all(
      writes.map(async ([channel, value], position): Promise<WriteRecord> => ({
        task: taskId,
        ch: channel,
        idx: WRITES_IDX_MAP[channel] ?? position,
        path: taskPath,
        v: storeValue(await this.serde.dumpsTyped(value)),
      })),
    )
    const keys = this.keys.thread(threadId)
    const tx = this.redis.multi()
    for (const record of records) {
      const field = writeField(ns, checkpointId, taskId, record.idx)
      // A retried task must not replace the writes it already saved; special writes (errors, interrupts, resumes) do replace.
      if (record.idx < 0) tx.hset(keys.writes, field, JSON.stringify(record))
      else tx.hsetnx(keys.writes, field, JSON.stringify(record))
      tx.zadd(keys.writeIndex, 0, field)
    }
    this.touch(tx, threadId, keys)
    await execAtomically(tx)
  }

  async deleteThread(threadId: string): Promise<void> {
    const tx = this.redis.multi()
    tx.del(...allThreadKeys(this.keys.thread(threadId)))
    tx.zrem(this.keys.threads, threadId)
    await execAtomically(tx)
  }

  /** Refreshes the TTL of every key of the thread inside the write's transaction. */
  private touch(tx: ChainableCommander, threadId: string, keys: ThreadKeys): void {
    if (this.ttlSeconds > 0) {
      for (const key of allThreadKeys(keys)) tx.expire(key, this.ttlSeconds)
      tx.zadd(this.keys.threads, Date.now() + this.ttlSeconds * 1000, threadId)
    } else {
      tx.zadd(this.keys.threads, '+inf', threadId)
    }
  }

  /** Checkpoint refs matching the list query, newest first, in pages. */
  private async *candidates(config: RunnableConfig, beforeId: string | undefined, pageSize: number): AsyncGenerator<Ref[]> {
    const threadId = threadIdOf(config)
    const ns = config.configurable?.checkpoint_ns as string | undefined
    const onlyId = config.configurable?.checkpoint_id as string | undefined
    if (threadId !== undefined && ns !== undefined && !onlyId) {
      // The common case (history of one namespace) pages through the sorted set without loading it whole.
      const order = this.keys.thread(threadId).order
      const { min } = prefixRange(ns)
      let max = beforeId ? beforeBound(ns, beforeId) : prefixRange(ns).max
      for (;;) {
        const members = await this.redis.zrevrangebylex(order, max, min, 'LIMIT', 0, pageSize)
        if (members.length > 0) yield members.map((member) => ({ threadId, ...parseCheckpointField(member) }))
        if (members.length < pageSize) return
        max = `(${members[members.length - 1]}`
      }
    }
    const threadIds = threadId !== undefined ? [threadId] : await this.activeThreads()
    const members = await Promise.all(threadIds.map((id) => this.redis.zrange(this.keys.thread(id).order, '0', '-1')))
    const refs = threadIds
      .flatMap((id, i) => members[i].map((member) => ({ threadId: id, ...parseCheckpointField(member) })))
      .filter((ref) => (ns === undefined || ref.ns === ns) && (!onlyId || ref.id === onlyId) && (!beforeId || ref.id < beforeId))
      .sort((a, b) => (a.id === b.id ? (a.ns < b.ns ? -1 : 1) : a.id < b.id ? 1 : -1))
    for (let start = 0; start < refs.length; start += pageSize) yield refs.slice(start, start + pageSize)
  }

  /** Threads that have not expired, from the registry (never KEYS or SCAN). */
  private async activeThreads(): Promise<string[]> {
    await this.redis.zremrangebyscore(this.keys.threads, '-inf', `(${Date.now()}`)
    return this.redis.zrange(this.keys.threads, '0', '-1')
  }

  /** Reads checkpoint records and the fields of their pending writes; refs that do not exist are dropped. */
  private async load(refs: Ref[]): Promise<LoadedRef[]> {
    const found = await Promise.all(
      refs.map(async (ref) => {
        const keys = this.keys.thread(ref.threadId)
        const { min, max } = prefixRange(ref.ns, ref.id)
        const [raw, writeFields] = await Promise.all([
          this.redis.hget(keys.checkpoints, checkpointField(ref.ns, ref.id)),
          this.redis.zrangebylex(keys.writeIndex, min, max),
        ])
        return raw === null ? undefined : { ...ref, record: JSON.parse(raw) as CheckpointRecord, writeFields }
      }),
    )
    return found.filter((entry): entry is LoadedRef => entry !== undefined)
  }

  /** Turns loaded records into tuples: channel values from their versions, pending writes in sort-key order. */
  private async hydrate(entries: LoadedRef[]): Promise<CheckpointTuple[]> {
    return Promise.all(
      entries.map(async (entry) => {
        const keys = this.keys.thread(entry.threadId)
        const stored = (await this.serde.loadsTyped(entry.record.c.t, storedBytes(entry.record.c))) as Omit<Checkpoint, 'channel_values'>
        const versions = Object.entries(stored.channel_versions ?? {})
        const [blobs, writes, metadata] = await Promise.all([
          versions.length > 0 ? this.redis.hmget(keys.blobs, ...versions.map(([channel, version]) => blobField(entry.ns, channel, version))) : [],
          entry.writeFields.length > 0 ? this.redis.hmget(keys.writes, ...entry.writeFields) : [],
          entry.metadata ?? this.serde.loadsTyped(entry.record.m.t, storedBytes(entry.record.m)),
        ])
        const channelValues: Record<string, unknown> = {}
        await Promise.all(
          versions.map(async ([channel], i) => {
            const raw = blobs[i]
            if (!raw) return
            const value = JSON.parse(raw) as StoredValue
            if (value.t !== 'empty') channelValues[channel] = await this.serde.loadsTyped(value.t, storedBytes(value))
          }),
        )
        const checkpoint: Checkpoint = {
          ...stored,
          channel_versions: { ...(stored.channel_versions ?? {}) },
          versions_seen: stored.versions_seen ?? {},
          channel_values: channelValues,
        }
        if (checkpoint.v < 4 && entry.record.p !== undefined) await this.migratePendingSends(checkpoint, entry, entry.record.p)
        const tuple: CheckpointTuple = {
          config: { configurable: { thread_id: entry.threadId, checkpoint_ns: entry.ns, checkpoint_id: entry.id } },
          checkpoint,
          metadata: metadata as CheckpointMetadata,
          pendingWrites: await this.decodeWrites(writes),
        }
        if (entry.record.p !== undefined) {
          tuple.parentConfig = { configurable: { thread_id: entry.threadId, checkpoint_ns: entry.ns, checkpoint_id: entry.record.p } }
        }
        return tuple
      }),
    )
  }

  private async decodeWrites(raw: Array<string | null>, channel?: string): Promise<CheckpointPendingWrite[]> {
    const records = raw
      .filter((item): item is string => item !== null)
      .map((item) => JSON.parse(item) as WriteRecord)
      .filter((record) => channel === undefined || record.ch === channel)
      .sort((a, b) => compareWritesSortKeys(writesSortKey(a.path, a.task, a.idx), writesSortKey(b.path, b.task, b.idx)))
    return Promise.all(records.map(async (record): Promise<CheckpointPendingWrite> => [record.task, record.ch, await this.serde.loadsTyped(record.v.t, storedBytes(record.v))]))
  }

  /**
   * Checkpoints older than format v4 kept pending sends in the parent's TASKS
   * writes; LangGraph expects them as a channel value. Same upgrade as the
   * official savers do on read.
   */
  private async migratePendingSends(checkpoint: Checkpoint, entry: Ref, parentId: string): Promise<void> {
    const keys = this.keys.thread(entry.threadId)
    const { min, max } = prefixRange(entry.ns, parentId)
    const fields = await this.redis.zrangebylex(keys.writeIndex, min, max)
    const sends = fields.length > 0 ? await this.decodeWrites(await this.redis.hmget(keys.writes, ...fields), TASKS) : []
    checkpoint.channel_values[TASKS] = sends.map(([, , value]) => value)
    const versions = Object.values(checkpoint.channel_versions)
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined)
  }
}

function threadIdOf(config: RunnableConfig): string | undefined {
  const threadId = config.configurable?.thread_id as unknown
  if (threadId === undefined || threadId === null || threadId === '') return undefined
  return String(threadId)
}

/** EXEC and surface the first failed command (ioredis reports them per command, not as a rejection). */
async function execAtomically(tx: ChainableCommander): Promise<void> {
  const results = await tx.exec()
  if (results === null) throw new Error('Redis transaction was aborted')
  for (const [error] of results) if (error) throw error
}
