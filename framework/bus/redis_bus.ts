import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { BusHandler, DeadLetter, MessageBus, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../contracts/bus'
import { E_BUS_CLOSED, E_BUS_FULL } from '../errors'
import type { Logger } from '../logger'
import { backoffDelay, sleep } from '../support/backoff'
import { redisUnavailable } from '../support/redis_errors'
import { busMetrics, type BusMetrics } from './bus_metrics'
import { busOptions, checkBusName, checkLimit, checkTimeout, type BusOptions } from './bus_options'
import { encodePayload } from './payload'
import { RedisBusKeys } from './redis_bus_keys'
import { runPublishScript } from './redis_bus_script'
import { RedisSubscription } from './redis_subscription'
import { ReplyWaiters } from './reply_waiters'

export interface RedisBusOptions extends Partial<BusOptions> {
  /** For plain commands (the redis manager's connection); blocking reads get connections of their own. */
  connection: Redis
  /** REDIS_PREFIX: keys live under `${prefix}bus:`. */
  prefix: string
  /** Longest block of one XREADGROUP or BLPOP; a closing subscription waits this long at most for its read. */
  blockMs?: number
  logger?: Logger
  metrics?: BusMetrics
}

/**
 * The Redis Streams driver (BUS_DRIVER=redis): one stream per topic, one
 * consumer group per subscriber group, so processes sharing a Redis share
 * topics. A topic's stream holds at most BUS_MAX_QUEUE entries that some
 * group has not acknowledged (see redis_bus_script.ts): a publisher finding
 * it full waits or is refused, and an entry leaves the stream only once every
 * group has acknowledged it. Replies travel through a per-process inbox list.
 *
 * @example
 * const bus = new RedisBus({ connection: app.make('redis').connection(), prefix: 'langvel:' })
 * await bus.subscribe('orders', ship, { group: 'shipping', concurrency: 8 })
 * await bus.publish('orders', { id: 1 })
 */
export class RedisBus implements MessageBus {
  readonly driver = 'redis'
  private readonly options: BusOptions
  private readonly keys: RedisBusKeys
  private readonly metrics: BusMetrics
  private readonly blockMs: number
  private readonly inbox: string
  private readonly replies = new ReplyWaiters()
  private readonly subscriptions = new Set<RedisSubscription>()
  private readonly order = new Map<string, Promise<unknown>>()
  private replyReader?: Redis
  private listening?: Promise<void>
  private closed = false

  constructor(private readonly config: RedisBusOptions) {
    this.options = busOptions(config)
    this.keys = new RedisBusKeys(config.prefix)
    this.metrics = config.metrics ?? busMetrics()
    this.blockMs = config.blockMs ?? 1000
    this.inbox = this.keys.inbox(randomUUID())
  }

  async publish<T>(topic: string, message: T, options: PublishOptions = {}): Promise<void> {
    await this.send(topic, message, checkTimeout('publish timeoutMs', options.timeoutMs ?? this.options.publishTimeoutMs))
  }

  async request<T, R = unknown>(topic: string, payload: T, options: RequestOptions): Promise<R> {
    checkBusName('topic', topic)
    // Before listen(): a closed bus must not open a reply connection nobody will close.
    if (this.closed) throw new E_BUS_CLOSED()
    const { id, reply } = this.replies.expect<R>(topic, options.timeoutMs)
    this.listen()
    try {
      await this.send(topic, payload, options.timeoutMs, ['r', this.inbox, 'c', id])
    } catch (error) {
      this.replies.cancel(id)
      throw error
    }
    return reply
  }

  async subscribe<T, R>(topic: string, handler: BusHandler<T, R>, options: SubscribeOptions = {}): Promise<Subscription> {
    checkBusName('topic', topic)
    if (options.group !== undefined) checkBusName('group', options.group)
    if (this.closed) throw new E_BUS_CLOSED()
    const subscription = new RedisSubscription({
      topic,
      group: options.group ?? `~${randomUUID()}`,
      ephemeral: options.group === undefined,
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      handler: handler as BusHandler<unknown, unknown>,
      connection: this.config.connection,
      reader: this.blockingClient('bus-reader'),
      keys: this.keys,
      bus: this.options,
      blockMs: this.blockMs,
      metrics: this.metrics,
      logger: this.config.logger,
      onClosed: (closed) => this.subscriptions.delete(closed),
    })
    this.subscriptions.add(subscription)
    try {
      await subscription.start()
    } catch (error) {
      await subscription.close()
      throw unavailable(error)
    }
    return subscription
  }

  async deadLetters<T = unknown>(topic: string, options: { limit?: number } = {}): Promise<Array<DeadLetter<T>>> {
    const key = this.keys.dead(checkBusName('topic', topic))
    const limit = checkLimit(options.limit, this.options.deadLetterMax)
    if (limit === 0) return []
    const entries = (await this.config.connection.xrevrange(key, '+', '-', 'COUNT', limit).catch((error: unknown) => {
      throw unavailable(error)
    })) as Array<[string, string[]]>
    return entries.reverse().map(([, fields]) => JSON.parse(fields[fields.indexOf('d') + 1]) as DeadLetter<T>)
  }

  async depth(topic: string): Promise<number> {
    checkBusName('topic', topic)
    const { depth } = await runPublishScript(this.config.connection, this.keys.stream(topic), [this.options.maxQueue, this.keys.alivePrefix(topic), 'probe']).catch((error: unknown) => {
      throw unavailable(error)
    })
    this.metrics.depth.set({ topic }, depth)
    return depth
  }

  async close(): Promise<void> {
    this.closed = true
    this.replies.closeAll()
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    await this.listening
    this.replyReader?.disconnect()
  }

  private async send(topic: string, payload: unknown, timeoutMs: number, reply: string[] = []): Promise<void> {
    checkBusName('topic', topic)
    if (this.closed) throw new E_BUS_CLOSED()
    const deadline = Date.now() + timeoutMs
    const body = encodePayload(topic, payload)
    // One publish of a topic at a time per process: concurrent publishes keep their call order, waiting ones included.
    const previous = this.order.get(topic) ?? Promise.resolve()
    const turn = previous.then(() => this.add(topic, body, reply, deadline))
    const tail = turn.catch(() => undefined)
    this.order.set(topic, tail)
    void tail.then(() => {
      if (this.order.get(topic) === tail) this.order.delete(topic)
    })
    await turn
  }

  private async add(topic: string, body: string, reply: string[], deadline: number): Promise<void> {
    const args = [this.options.maxQueue, this.keys.alivePrefix(topic), 'add', 'p', body, 't', Date.now(), ...reply]
    for (let tries = 1; ; tries++) {
      if (this.closed) throw new E_BUS_CLOSED()
      const { accepted, depth } = await runPublishScript(this.config.connection, this.keys.stream(topic), args).catch((error: unknown) => {
        throw unavailable(error)
      })
      this.metrics.depth.set({ topic }, depth)
      if (accepted) {
        this.metrics.published.inc({ topic })
        return
      }
      const left = deadline - Date.now()
      if (this.options.onFull === 'refuse' || left <= 0) {
        this.metrics.refused.inc({ topic })
        throw new E_BUS_FULL(topic, this.options.maxQueue)
      }
      if (tries === 1) this.metrics.waited.inc({ topic })
      // Room is made by consumers in any process, so there is nothing to be told: look again soon.
      await sleep(Math.min(left, backoffDelay(tries, 5, 100)))
    }
  }

  /** Reads this process's reply inbox while requests are waiting. */
  private listen(): void {
    if (this.listening || this.closed) return
    this.replyReader ??= this.blockingClient('bus-replies')
    const reader = this.replyReader
    this.listening = (async () => {
      let failures = 0
      while (!this.closed && this.replies.size > 0) {
        try {
          const popped = await reader.blpop(this.inbox, this.blockMs / 1000)
          failures = 0
          if (!popped) continue
          const answer = JSON.parse(popped[1]) as { c: string; ok: boolean; value?: unknown; attempts?: number; error?: string }
          this.replies.settle(answer.c, answer)
        } catch (error) {
          if (this.closed) break
          failures += 1
          if (failures === 1) this.config.logger?.warn('bus cannot read replies; retrying', { error })
          await sleep(backoffDelay(failures, 50, 2000))
          if (reader.status === 'end') reader.connect().catch(() => undefined)
        }
      }
      this.listening = undefined
    })()
  }

  private blockingClient(name: string): Redis {
    // Blocking commands would trip the shared connection's command timeout (see RedisManager).
    const client = this.config.connection.duplicate({
      commandTimeout: this.blockMs + (this.config.connection.options.commandTimeout ?? 1000),
      connectionName: `langvel:${name}`,
    })
    client.on('error', () => undefined)
    return client
  }
}

function unavailable(error: unknown): Error {
  return redisUnavailable(error, 'message bus')
}
