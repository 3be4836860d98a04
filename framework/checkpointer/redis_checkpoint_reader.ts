import type { RunnableConfig } from '@langchain/core/runnables'
import {
  TASKS,
  compareWritesSortKeys,
  maxChannelVersion,
  writesSortKey,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint'
import type { Redis } from 'ioredis'
import { RedisCheckpointKeys, beforeBound, blobField, checkpointField, parseCheckpointField, prefixRange } from './redis_keys'
import { storedBytes, type StoredValue } from './stored_value'

/** A checkpoint as stored in the `checkpoints` hash. */
export interface CheckpointRecord {
  /** The checkpoint without its channel values (those live in the blobs hash, one per version). */
  c: StoredValue
  m: StoredValue
  /** Parent checkpoint id. */
  p?: string
}

/** A pending write as stored in the `writes` hash. */
export interface WriteRecord {
  task: string
  ch: string
  idx: number
  path: string
  v: StoredValue
}

export interface Ref {
  threadId: string
  ns: string
  id: string
}

export interface LoadedRef extends Ref {
  record: CheckpointRecord
  writeFields: string[]
  metadata?: CheckpointMetadata
}

/**
 * The read side of RedisSaver: finds checkpoints (newest first, without KEYS
 * or SCAN) and rebuilds tuples from their records, channel blobs and pending
 * writes, pipelining the round trips of a page together.
 */
export class RedisCheckpointReader {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisCheckpointKeys,
    private readonly serde: SerializerProtocol,
    private readonly firstVersion: () => number | string,
  ) {}

  /** Checkpoint refs matching the list query, newest first, in pages. */
  async *candidates(config: RunnableConfig, beforeId: string | undefined, pageSize: number): AsyncGenerator<Ref[]> {
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
  async load(refs: Ref[]): Promise<LoadedRef[]> {
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
  async hydrate(entries: LoadedRef[]): Promise<CheckpointTuple[]> {
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
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.firstVersion()
  }
}

export function threadIdOf(config: RunnableConfig): string | undefined {
  const threadId = config.configurable?.thread_id as unknown
  if (threadId === undefined || threadId === null || threadId === '') return undefined
  return String(threadId)
}
