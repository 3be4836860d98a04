import Transport from 'winston-transport'
import { createLogger } from '../../../framework/logger'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { RedisServer } from '../../helpers/redis_server'
import { describeWithRedis } from '../../helpers/services'

class Capture extends Transport {
  readonly records: Array<{ level: string; message: string }> = []
  override log(info: { level: string; message: string }, done: () => void): void {
    this.records.push(info)
    done()
  }
}

/** Retries `attempt` until it resolves; the last error is thrown once `timeoutMs` has passed. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

describeWithRedis('RedisManager when its Redis goes away', () => {
  let server: RedisServer
  const managers: RedisManager[] = []

  beforeAll(async () => {
    server = await RedisServer.start()
  })
  afterEach(async () => {
    server.resume()
    await Promise.all(managers.splice(0).map((manager) => manager.close()))
    // Each test starts from a running server, whatever the previous one left.
    if (!server.running) await server.restart()
  })
  afterAll(() => server.stop())

  const manager = (options: { commandTimeoutMs?: number; reconnectMaxDelayMs?: number; logger?: ReturnType<typeof createLogger> } = {}) => {
    const created = new RedisManager({ url: server.url, prefix: 'test:', reconnectMaxDelayMs: 50, ...options })
    managers.push(created)
    return created
  }

  it('fails commands at once while Redis is known to be down, without waiting out the command timeout', async () => {
    // A timeout longer than the test's: only a command refused outright can fail here.
    const redis = manager({ commandTimeoutMs: 60_000 }).connection()
    await redis.set('test:key', 'value')
    await server.kill()
    await expect(redis.get('test:key')).rejects.toThrow('Connection is closed.')
    await expect(redis.get('test:key')).rejects.toThrow('Connection is closed.')
  })

  it('fails the commands of a first connection that cannot be made, instead of queueing them', async () => {
    await server.kill()
    const subject = manager({ commandTimeoutMs: 60_000 })
    await expect(subject.connection().get('test:key')).rejects.toThrow('Connection is closed.')
    // What a health check shows: why the connection failed.
    await expect(subject.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('reconnects the same client on its own when Redis returns, and says so in the log', async () => {
    const capture = new Capture()
    const redis = manager({ logger: createLogger({ level: 'info', transports: [capture] }) }).connection()
    await redis.set('test:key', 'before')
    await server.kill()
    await expect(redis.get('test:key')).rejects.toThrow()
    await server.restart()
    await eventually(() => redis.set('test:key', 'after'))
    expect(await redis.get('test:key')).toBe('after')
    expect(capture.records.map(({ level, message }) => `${level} ${message}`)).toEqual([
      'warn redis connection is down; commands fail until it is back',
      'info redis connection is back',
    ])
  })

  it('rejects a command Redis does not answer within the command timeout', async () => {
    const redis = manager({ commandTimeoutMs: 200 }).connection()
    await redis.ping()
    server.pause()
    await expect(redis.get('test:key')).rejects.toThrow('Command timed out')
  })

  it('closes without waiting on a Redis that is down or does not answer', async () => {
    const down = manager({ commandTimeoutMs: 60_000 })
    await down.ping()
    await server.kill()
    await expect(down.connection().ping()).rejects.toThrow()
    await down.close()

    await server.restart()
    const hung = manager({ commandTimeoutMs: 200 })
    await hung.ping()
    server.pause()
    // QUIT is never answered: the close gives up after the command timeout and drops the connection.
    await hung.close()
  })
})
