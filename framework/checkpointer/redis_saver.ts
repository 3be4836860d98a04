import { isDeepStrictEqual } from 'node:util'
import type { RunnableConfig } from '@langchain/core/runnables'
import {
  BaseCheckpointSaver,
  WRITES_IDX_MAP,
  getCheckpointId,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint'
import type { ChainableCommander, Redis } from 'ioredis'
import { RedisCheckpointReader, threadIdOf, type CheckpointRecord, type LoadedRef, type WriteRecord } from './redis_checkpoint_reader'
import {
  RedisCheckpointKeys,
  allThreadKeys,
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
  private readonly reader: RedisCheckpointReader

  constructor(
    readonly redis: Redis,
    options: RedisSaverOptions = {},
  ) {
    super(options.serde)
    this.keys = new RedisCheckpointKeys(options.prefix ?? 'langvel:')
    this.reader = new RedisCheckpointReader(redis, this.keys, this.serde, () => this.getNextVersion(undefined))
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
    const loaded = await this.reader.load([{ threadId, ns, id }])
    if (loaded.length === 0) return undefined
    const [tuple] = await this.reader.hydrate(loaded)
    return tuple
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY
    if (remaining <= 0) return
    const wanted = Object.entries(options.filter ?? {}).filter(([, value]) => value !== undefined)
    const pageSize = wanted.length === 0 ? Math.min(PAGE, remaining) : PAGE
    const beforeId = options.before?.configurable?.checkpoint_id as string | undefined
    for await (const page of this.reader.candidates(config, beforeId, pageSize)) {
      const loaded = await this.reader.load(page)
      const matching: LoadedRef[] = []
      for (const entry of loaded) {
        if (wanted.length > 0) {
          entry.metadata = await this.serde.loadsTyped(entry.record.m.t, storedBytes(entry.record.m))
          if (!wanted.every(([key, value]) => isDeepStrictEqual((entry.metadata as Record<string, unknown>)?.[key], value))) continue
        }
        matching.push(entry)
        if (matching.length >= remaining) break
      }
      for (const tuple of await this.reader.hydrate(matching)) {
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
      const now = Date.now()
      for (const key of allThreadKeys(keys)) tx.expire(key, this.ttlSeconds)
      tx.zadd(this.keys.threads, now + this.ttlSeconds * 1000, threadId)
      // Writes also sweep expired threads out of the registry, so it stays the size of the live threads.
      tx.zremrangebyscore(this.keys.threads, '-inf', `(${now}`)
    } else {
      // A thread written without TTL lives forever, even if an earlier write gave it one.
      for (const key of allThreadKeys(keys)) tx.persist(key)
      tx.zadd(this.keys.threads, '+inf', threadId)
    }
  }
}

/** EXEC and surface the first failed command (ioredis reports them per command, not as a rejection). */
async function execAtomically(tx: ChainableCommander): Promise<void> {
  const results = await tx.exec()
  if (results === null) throw new Error('Redis transaction was aborted')
  for (const [error] of results) if (error) throw error
}
