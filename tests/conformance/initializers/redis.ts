import { randomUUID } from 'node:crypto'
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation'
import { Redis } from 'ioredis'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import type { RedisSaver } from '../../../framework/checkpointer/redis_saver'
import { REDIS_URL } from '../../helpers/services'

/**
 * Our RedisSaver through the manager, on db 15. Each instance gets its own key
 * prefix under a per-run prefix; every key of the run is deleted afterwards.
 */
const runPrefix = `langvel-conformance:${randomUUID().slice(0, 8)}:`
let client: Redis
let instances = 0
const instancesBySaver = new Map<RedisSaver, { manager: CheckpointerManager; prefix: string }>()

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== '0')
}

const initializer: CheckpointSaverTestInitializer<RedisSaver> = {
  checkpointerName: 'langvel RedisSaver',
  beforeAll() {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
  },
  async afterAll() {
    await deleteKeys(runPrefix)
    await client.quit()
  },
  createCheckpointer() {
    const prefix = `${runPrefix}${instances++}:`
    const manager = new CheckpointerManager({
      config: { default: 'redis', sqlitePath: 'unused.sqlite', redisTtlSeconds: 600 },
      basePath: process.cwd(),
      redis: () => client,
      redisPrefix: prefix,
    })
    const saver = manager.use() as RedisSaver
    instancesBySaver.set(saver, { manager, prefix })
    return saver
  },
  async destroyCheckpointer(saver) {
    const instance = instancesBySaver.get(saver)
    instancesBySaver.delete(saver)
    if (!instance) return
    await deleteKeys(instance.prefix)
    await instance.manager.close()
  },
}

export default initializer
