import { randomUUID } from 'node:crypto'
import type { BusHandler, DeadLetter, MessageBus, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../contracts/bus'
import { E_BUS_CLOSED, E_BUS_FULL } from '../errors'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import { busMetrics, type BusMetrics } from './bus_metrics'
import { busOptions, checkBusName, checkLimit, checkTimeout, type BusOptions } from './bus_options'
import { decodePayload, encodePayload, encodeReply } from './payload'
import { ReplyWaiters } from './reply_waiters'
import { describeError, runHandler } from './run_handler'

interface Message {
  id: string
  topic: string
  body: string
  publishedAt: number
  replyTo?: string
}

interface Consumer {
  handler: BusHandler<unknown, unknown>
  concurrency: number
  active: number
  idle: Set<() => void>
  abort: AbortController
}

/** One subscriber group's bounded queue: messages waiting plus those in a handler. */
interface Group {
  name: string
  waiting: Message[]
  inFlight: number
  consumers: Consumer[]
  next: number
}

interface Topic {
  groups: Map<string, Group>
  /** Publishers waiting for room, oldest first: a later publish never overtakes them. */
  blocked: Array<{ message: Message; admit: () => void }>
  dead: DeadLetter[]
}

export interface MemoryBusOptions extends Partial<BusOptions> {
  logger?: Logger
  metrics?: BusMetrics
}

/**
 * The in-process driver (BUS_DRIVER=memory, the default). Each subscriber
 * group of a topic has its own queue, bounded by BUS_MAX_QUEUE counting the
 * messages waiting and those in a handler. A publish is accepted only when
 * every group of the topic has room; otherwise it waits (BUS_ON_FULL=wait)
 * or is refused at once (refuse). Nothing survives the process: use the
 * redis driver between processes.
 *
 * @example
 * const bus = new MemoryBus({ maxQueue: 100 })
 * await bus.subscribe('orders', async (order) => ship(order), { concurrency: 4 })
 * await bus.publish('orders', { id: 1 })
 */
export class MemoryBus implements MessageBus {
  readonly driver = 'memory'
  private readonly options: BusOptions
  private readonly metrics: BusMetrics
  private readonly topics = new Map<string, Topic>()
  private readonly replies = new ReplyWaiters()
  private readonly subscriptions = new Set<Subscription>()
  private readonly logger?: Logger
  private closed = false

  constructor(options: MemoryBusOptions = {}) {
    this.options = busOptions(options)
    this.metrics = options.metrics ?? busMetrics()
    this.logger = options.logger
  }

  async publish<T>(topic: string, message: T, options: PublishOptions = {}): Promise<void> {
    await this.send(topic, message, checkTimeout('publish timeoutMs', options.timeoutMs ?? this.options.publishTimeoutMs))
  }

  async request<T, R = unknown>(topic: string, payload: T, options: RequestOptions): Promise<R> {
    checkBusName('topic', topic)
    if (this.closed) throw new E_BUS_CLOSED()
    const { id, reply } = this.replies.expect<R>(topic, options.timeoutMs)
    try {
      await this.send(topic, payload, options.timeoutMs, id)
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
    const name = options.group ?? `~${randomUUID()}`
    const state = this.topic(topic)
    let group = state.groups.get(name)
    if (!group) {
      group = { name, waiting: [], inFlight: 0, consumers: [], next: 0 }
      state.groups.set(name, group)
    }
    const consumer: Consumer = {
      handler: handler as BusHandler<unknown, unknown>,
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      active: 0,
      idle: new Set(),
      abort: new AbortController(),
    }
    group.consumers.push(consumer)
    let closing: Promise<void> | undefined
    const subscription: Subscription = {
      topic,
      group: name,
      unsubscribe: () => (closing ??= this.unsubscribe(topic, group, consumer, subscription)),
      close: () => subscription.unsubscribe(),
    }
    this.subscriptions.add(subscription)
    return subscription
  }

  async deadLetters<T = unknown>(topic: string, options: { limit?: number } = {}): Promise<Array<DeadLetter<T>>> {
    const dead = this.topics.get(checkBusName('topic', topic))?.dead ?? []
    const limit = checkLimit(options.limit, this.options.deadLetterMax)
    return (limit === 0 ? [] : dead.slice(-limit)) as Array<DeadLetter<T>>
  }

  async depth(topic: string): Promise<number> {
    return this.depthOf(this.topics.get(checkBusName('topic', topic)))
  }

  async close(): Promise<void> {
    this.closed = true
    for (const state of this.topics.values()) {
      // Publishers still waiting for room are told at once rather than at their timeout.
      for (const blocked of state.blocked.splice(0)) blocked.admit()
    }
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    this.replies.closeAll()
  }

  private async send(topic: string, payload: unknown, timeoutMs: number, replyTo?: string): Promise<void> {
    checkBusName('topic', topic)
    if (this.closed) throw new E_BUS_CLOSED()
    const message: Message = { id: randomUUID(), topic, body: encodePayload(topic, payload), publishedAt: Date.now(), replyTo }
    // A topic is kept only while it has groups, waiting publishers or dead letters: publishing to one with none creates nothing.
    const state = this.topics.get(topic)
    if (!state) {
      this.metrics.published.inc({ topic })
      return
    }
    if (state.blocked.length === 0 && this.hasRoom(state)) return this.accept(state, message)
    if (this.options.onFull === 'refuse' || timeoutMs <= 0) return this.refuse(topic)
    this.metrics.waited.inc({ topic })
    await new Promise<void>((resolve, reject) => {
      const entry = {
        message,
        admit: () => {
          clearTimeout(timer)
          if (this.closed) reject(new E_BUS_CLOSED())
          else resolve()
        },
      }
      const timer = setTimeout(() => {
        state.blocked.splice(state.blocked.indexOf(entry), 1)
        this.prune(topic, state)
        reject(this.refusal(topic))
      }, timeoutMs)
      state.blocked.push(entry)
    })
  }

  private refuse(topic: string): never {
    throw this.refusal(topic)
  }

  private refusal(topic: string): Error {
    this.metrics.refused.inc({ topic })
    return new E_BUS_FULL(topic, this.options.maxQueue)
  }

  private hasRoom(state: Topic): boolean {
    return this.depthOf(state) < this.options.maxQueue
  }

  private depthOf(state: Topic | undefined): number {
    let depth = 0
    for (const group of state?.groups.values() ?? []) depth = Math.max(depth, group.waiting.length + group.inFlight)
    return depth
  }

  private accept(state: Topic, message: Message): void {
    this.metrics.published.inc({ topic: message.topic })
    for (const group of state.groups.values()) {
      group.waiting.push(message)
      this.dispatch(state, group)
    }
    this.metrics.depth.set({ topic: message.topic }, this.depthOf(state))
  }

  /** Admits waiting publishers, in order, while every group has room. */
  private admitBlocked(state: Topic): void {
    while (state.blocked.length > 0 && this.hasRoom(state)) {
      const blocked = state.blocked.shift() as Topic['blocked'][number]
      this.accept(state, blocked.message)
      blocked.admit()
    }
  }

  /** Hands waiting messages to consumers with a free slot, round robin. */
  private dispatch(state: Topic, group: Group): void {
    while (group.waiting.length > 0) {
      const consumer = this.freeConsumer(group)
      if (!consumer) return
      const message = group.waiting.shift() as Message
      group.inFlight += 1
      consumer.active += 1
      this.deliver(state, group, consumer, message).catch((error: unknown) => {
        // deliver settles its own failures; this is the last guard against an unhandled rejection.
        this.logger?.error('bus delivery failed', { topic: message.topic, group: group.name, id: message.id, error })
      })
    }
  }

  private freeConsumer(group: Group): Consumer | undefined {
    for (let i = 0; i < group.consumers.length; i++) {
      const consumer = group.consumers[(group.next + i) % group.consumers.length]
      if (consumer.active < consumer.concurrency) {
        group.next = (group.next + i + 1) % group.consumers.length
        return consumer
      }
    }
    return undefined
  }

  private async deliver(state: Topic, group: Group, consumer: Consumer, message: Message): Promise<void> {
    const { topic } = message
    try {
      let attempt = 1
      const outcome = await runHandler(consumer.handler, decodePayload(message.body), { id: message.id, topic, publishedAt: message.publishedAt }, {
        ...this.options,
        signal: consumer.abort.signal,
        onRetry: (_error, failed) => {
          attempt = failed + 1
          this.metrics.retried.inc({ topic })
        },
      })
      if (outcome.ok) {
        this.metrics.delivered.inc({ topic })
        if (message.replyTo) this.reply(message.replyTo, topic, outcome.value, attempt)
      } else if (outcome.abandoned) {
        // Its subscription closed while it was being retried: another of the group takes it up, if there is one.
        if (group.consumers.length > 0 && state.groups.get(group.name) === group) group.waiting.unshift(message)
        else this.logger?.warn('bus message abandoned: its subscription closed while the handler was being retried', { topic, group: group.name, id: message.id })
      } else {
        this.deadLetter(state, group, message, outcome.error, outcome.attempts)
      }
    } finally {
      group.inFlight -= 1
      consumer.active -= 1
      if (consumer.active === 0) for (const idle of consumer.idle) idle()
      this.dispatch(state, group)
      this.admitBlocked(state)
      this.metrics.depth.set({ topic }, this.depthOf(state))
    }
  }

  /** Answers a request: the handler succeeded, so a value JSON cannot carry fails the request without failing the message. */
  private reply(replyTo: string, topic: string, value: unknown, attempts: number): void {
    const reply = encodeReply(topic, value, attempts)
    if (!reply.ok) this.logger?.warn('bus reply could not be sent', { topic, error: reply.error })
    this.replies.settle(replyTo, reply)
  }

  private deadLetter(state: Topic, group: Group, message: Message, error: unknown, attempts: number): void {
    const { topic } = message
    // A topic pruned while this handler ran past its drain bound is kept again for its dead letter.
    if (!this.topics.has(topic)) this.topics.set(topic, state)
    state.dead.push({ id: message.id, topic, group: group.name, payload: decodePayload(message.body), attempts, error: describeError(error), failedAt: Date.now() })
    if (state.dead.length > this.options.deadLetterMax) state.dead.splice(0, state.dead.length - this.options.deadLetterMax)
    this.metrics.deadLettered.inc({ topic })
    this.logger?.warn('bus message dead-lettered', { topic, group: group.name, id: message.id, attempts, error: describeError(error) })
    if (message.replyTo) this.replies.fail(message.replyTo, topic, attempts, error)
  }

  private async unsubscribe(topic: string, group: Group, consumer: Consumer, subscription: Subscription): Promise<void> {
    const state = this.topics.get(topic) ?? this.topic(topic)
    group.consumers.splice(group.consumers.indexOf(consumer), 1)
    if (consumer.active > 0) {
      const idle = new Promise<void>((resolve) => consumer.idle.add(resolve))
      // Past the bound, retries stop; a handler already running cannot be stopped and finishes on its own.
      if (!(await within(idle, this.options.drainTimeoutMs))) consumer.abort.abort()
    }
    if (group.consumers.length === 0) {
      if (group.waiting.length > 0) {
        this.logger?.warn('bus group closed with messages nobody will handle', { topic, group: group.name, dropped: group.waiting.length })
      }
      state.groups.delete(group.name)
    } else {
      this.dispatch(state, group)
    }
    this.subscriptions.delete(subscription)
    this.admitBlocked(state)
    this.metrics.depth.set({ topic }, this.depthOf(state))
    this.prune(topic, state)
  }

  /** Forgets a topic with nothing left in it, so topics published to once do not pile up. */
  private prune(name: string, state: Topic): void {
    if (state.groups.size === 0 && state.blocked.length === 0 && state.dead.length === 0 && this.topics.get(name) === state) this.topics.delete(name)
  }

  private topic(name: string): Topic {
    let state = this.topics.get(name)
    if (!state) {
      state = { groups: new Map(), blocked: [], dead: [] }
      this.topics.set(name, state)
    }
    return state
  }
}
