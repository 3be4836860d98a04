import { randomUUID } from 'node:crypto'
import type { RunnableConfig } from '@langchain/core/runnables'
import { Annotation, Command, END, START, StateGraph, interrupt } from '@langchain/langgraph'
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint'
import { Redis } from 'ioredis'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { allThreadKeys } from '../../../framework/checkpointer/redis_keys'
import { RedisSaver } from '../../../framework/checkpointer/redis_saver'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'

const meta = { source: 'loop' as const, step: 0, parents: {} }
const TTL = 3600

function checkpoint(values: Record<string, unknown> = {}): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: Object.fromEntries(Object.keys(values).map((key) => [key, 1])) }
}

describeWithRedis('RedisSaver on a real Redis', () => {
  let client: Redis
  const runPrefix = `langvel-test:checkpointer:${randomUUID().slice(0, 8)}:`
  let instances = 0
  const saver = (ttlSeconds = TTL) => new RedisSaver(client, { prefix: `${runPrefix}${instances++}:`, ttlSeconds })

  /** Keys under `pattern`, found with SCAN (the test may scan; the saver never does). */
  async function keysMatching(pattern: string): Promise<string[]> {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
      cursor = next
      found.push(...keys)
    } while (cursor !== '0')
    return found.sort()
  }

  beforeAll(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
  })
  afterAll(async () => {
    const keys = await keysMatching(`${runPrefix}*`)
    if (keys.length > 0) await client.del(...keys)
    await client.quit()
  })

  it('applies the TTL to every key of a thread and to its registry entry', async () => {
    const redis = saver()
    const before = Date.now()
    const config = await redis.put({ configurable: { thread_id: 'ttl' } }, checkpoint({ messages: ['hi'] }), meta, { messages: 1 })
    await redis.putWrites(config, [['messages', ['there']]], 'task-1')
    await redis.put({ configurable: { thread_id: 'ttl', checkpoint_ns: 'child:1' } }, checkpoint(), meta, {})
    const keys = allThreadKeys(redis.keys.thread('ttl'))
    for (const key of keys) {
      expect(await client.exists(key)).toBe(1)
      const ttl = await client.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(TTL)
    }
    const expiresAt = Number(await client.zscore(redis.keys.threads, 'ttl'))
    expect(expiresAt).toBeGreaterThanOrEqual(before + TTL * 1000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + TTL * 1000)
  })

  it('refreshes the TTL of the whole thread on every write, not only of the keys written', async () => {
    const redis = saver()
    const config = await redis.put({ configurable: { thread_id: 'refresh' } }, checkpoint({ messages: ['hi'] }), meta, { messages: 1 })
    await redis.putWrites(config, [['messages', ['there']]], 'task-1')
    const keys = allThreadKeys(redis.keys.thread('refresh'))
    // Age the thread: every key about to expire.
    for (const key of keys) await client.expire(key, 5)
    // This write touches only the writes hash and its index...
    await redis.putWrites(config, [['messages', ['again']]], 'task-2')
    // ...yet every key of the thread gets the full TTL back.
    for (const key of keys) expect(await client.ttl(key)).toBeGreaterThan(60)
  })

  it('keeps threads forever when the TTL is 0, even a thread an earlier write gave a TTL', async () => {
    const withTtl = saver()
    const forever = new RedisSaver(client, { prefix: withTtl.keys.threads.replace(/checkpoint:threads$/, ''), ttlSeconds: 0 })
    await withTtl.put({ configurable: { thread_id: 'forever' } }, checkpoint({ a: 1 }), meta, { a: 1 })
    await forever.put({ configurable: { thread_id: 'forever' } }, checkpoint({ a: 2 }), meta, { a: 2 })
    const { checkpoints, order, blobs } = forever.keys.thread('forever')
    for (const key of [checkpoints, order, blobs]) expect(await client.ttl(key)).toBe(-1)
    expect(await client.zscore(forever.keys.threads, 'forever')).toBe('inf')
  })

  it('keeps a fixed set of five keys per thread, whatever its number of checkpoints and namespaces', async () => {
    const redis = saver()
    for (const ns of ['', 'child:1', 'child:2']) {
      let config: RunnableConfig = { configurable: { thread_id: 'fixed', checkpoint_ns: ns } }
      for (let step = 0; step < 3; step += 1) {
        config = await redis.put(config, checkpoint({ step }), meta, { step: 1 })
        await redis.putWrites(config, [['step', step + 1]], `task-${step}`)
      }
    }
    const prefix = redis.keys.thread('fixed').checkpoints.replace(/checkpoints$/, '')
    expect(await keysMatching(`${prefix}*`)).toEqual(allThreadKeys(redis.keys.thread('fixed')).sort())
  })

  it('deletes every key of a thread and its registry entry, and nothing of other threads', async () => {
    const redis = saver()
    const doomed = await redis.put({ configurable: { thread_id: 'doomed' } }, checkpoint({ a: 1 }), meta, { a: 1 })
    await redis.putWrites(doomed, [['a', 2]], 'task')
    await redis.put({ configurable: { thread_id: 'doomed', checkpoint_ns: 'sub' } }, checkpoint(), meta, {})
    const kept = await redis.put({ configurable: { thread_id: 'kept' } }, checkpoint({ a: 1 }), meta, { a: 1 })

    await redis.deleteThread('doomed')

    const prefix = redis.keys.thread('doomed').checkpoints.replace(/checkpoints$/, '')
    expect(await keysMatching(`${prefix}*`)).toEqual([])
    expect(await client.zscore(redis.keys.threads, 'doomed')).toBeNull()
    expect(await redis.getTuple({ configurable: { thread_id: 'doomed' } })).toBeUndefined()
    const survivor = await redis.getTuple({ configurable: { thread_id: 'kept' } })
    expect(survivor?.config.configurable).toMatchObject({ thread_id: 'kept', checkpoint_id: kept.configurable?.checkpoint_id })
    expect(survivor?.checkpoint.channel_values).toEqual({ a: 1 })
    const everything = []
    for await (const tuple of redis.list({})) everything.push(tuple.config.configurable?.thread_id)
    expect(everything).toEqual(['kept'])
  })

  it('never sends KEYS or SCAN while a graph runs, is read, listed and deleted', async () => {
    const redis = saver()
    // Observe (not replace) every command the client sends, MULTI bodies included.
    const spy = jest.spyOn(client, 'sendCommand')
    let sent: string[]
    try {
      const State = Annotation.Root({ steps: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) })
      const graph = new StateGraph(State)
        .addNode('ask', () => ({ steps: [`answer:${String(interrupt('continue?'))}`] }))
        .addNode('finish', () => ({ steps: ['finish'] }))
        .addEdge(START, 'ask')
        .addEdge('ask', 'finish')
        .addEdge('finish', END)
        .compile({ checkpointer: redis })
      const config = { configurable: { thread_id: 'hot-path' } }
      await graph.invoke({ steps: ['start'] }, config)
      const done = await graph.invoke(new Command({ resume: 'yes' }), config)
      expect(done.steps).toEqual(['start', 'answer:yes', 'finish'])
      const history = []
      for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot)
      expect(history.length).toBeGreaterThan(2)
      const listed = []
      for await (const tuple of redis.list({}, { limit: 1 })) listed.push(tuple)
      expect(listed).toHaveLength(1)
      expect(listed[0].config.configurable).toMatchObject({ thread_id: 'hot-path', checkpoint_id: history[0].config.configurable?.checkpoint_id })
      expect(listed[0].checkpoint.channel_values.steps).toEqual(['start', 'answer:yes', 'finish'])
      await redis.deleteThread('hot-path')
    } finally {
      sent = spy.mock.calls.map(([command]) => command.name.toLowerCase())
      spy.mockRestore()
    }
    // The spy saw the transactions' bodies, so the absence below means something.
    expect(sent).toEqual(expect.arrayContaining(['multi', 'hset', 'hsetnx', 'expire', 'exec', 'zrevrangebylex', 'hmget', 'del']))
    expect(sent).not.toContain('keys')
    expect(sent).not.toContain('scan')
  })

  it('round-trips binary channel values and writes', async () => {
    const redis = saver()
    const bytes = new Uint8Array([0, 255, 10, 13, 124, 0x7b])
    const config = await redis.put({ configurable: { thread_id: 'binary' } }, checkpoint({ blob: bytes }), meta, { blob: 1 })
    await redis.putWrites(config, [['blob', bytes]], 'task')
    const tuple = await redis.getTuple(config)
    expect(Buffer.from(tuple?.checkpoint.channel_values.blob as Uint8Array)).toEqual(Buffer.from(bytes))
    expect(Buffer.from(tuple?.pendingWrites?.[0][2] as Uint8Array)).toEqual(Buffer.from(bytes))
  })

  it('keeps threads and namespaces apart whatever characters their ids contain', async () => {
    const redis = saver()
    const ids = ['a', 'a|b', 'a:b', '{a}', 'a b', 'ü', 'a%7Cb']
    for (const id of ids) await redis.put({ configurable: { thread_id: id, checkpoint_ns: id } }, checkpoint({ owner: id }), meta, { owner: 1 })
    for (const id of ids) {
      const tuple = await redis.getTuple({ configurable: { thread_id: id, checkpoint_ns: id } })
      expect(tuple?.checkpoint.channel_values.owner).toBe(id)
      expect(tuple?.config.configurable).toMatchObject({ thread_id: id, checkpoint_ns: id })
    }
    const listed = []
    for await (const tuple of redis.list({})) listed.push(tuple.config.configurable?.thread_id)
    expect(listed.sort()).toEqual([...ids].sort())
  })

  it('forgets expired threads when listing across threads', async () => {
    const redis = saver()
    await redis.put({ configurable: { thread_id: 'alive' } }, checkpoint(), meta, {})
    // A registry entry whose thread's keys have expired (its score is in the past).
    await client.zadd(redis.keys.threads, Date.now() - 1000, 'expired')
    const listed = []
    for await (const tuple of redis.list({})) listed.push(tuple.config.configurable?.thread_id)
    expect(listed).toEqual(['alive'])
    expect(await client.zscore(redis.keys.threads, 'expired')).toBeNull()
  })

  it('sweeps expired threads out of the registry on writes, so it does not grow with dead threads', async () => {
    const redis = saver()
    await client.zadd(redis.keys.threads, Date.now() - 1000, 'expired')
    await redis.put({ configurable: { thread_id: 'alive' } }, checkpoint(), meta, {})
    expect(await client.zrange(redis.keys.threads, '0', '-1')).toEqual(['alive'])
  })

  it('is what the manager gives for the redis driver, on a connection it leaves open', async () => {
    const manager = new CheckpointerManager({
      config: { default: 'redis', sqlitePath: 'unused.sqlite', redisTtlSeconds: 120 },
      basePath: process.cwd(),
      redis: () => client,
      redisPrefix: `${runPrefix}manager:`,
    })
    const redis = manager.use() as RedisSaver
    expect(redis).toBeInstanceOf(RedisSaver)
    expect(redis.ttlSeconds).toBe(120)
    expect(redis.keys.threads).toBe(`${runPrefix}manager:checkpoint:threads`)
    await manager.close()
    expect(await client.ping()).toBe('PONG')
  })
})
