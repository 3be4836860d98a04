import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { BusHandler, Subscription } from '../contracts/bus'
import type { Logger } from '../logger'
import { backoffDelay, sleep } from '../support/backoff'
import { within } from '../support/deadlines'
import type { BusMetrics } from './bus_metrics'
import type { BusOptions } from './bus_options'
import type { RedisBusKeys } from './redis_bus_keys'
import { decodePayload, encodeReply } from './payload'
import { describeError, runHandler } from './run_handler'

type Entry = [id: string, fields: string[]]

export interface RedisSubscriptionOptions {
  topic: string
  group: string
  /** A group of its own (no name given): destroyed when the subscription ends. */
  ephemeral: boolean
  concurrency: number
  handler: BusHandler<unknown, unknown>
  connection: Redis
  reader: Redis
  keys: RedisBusKeys
  bus: BusOptions
  blockMs: number
  metrics: BusMetrics
  logger?: Logger
  onClosed: (subscription: RedisSubscription) => void
}

/**
 * One consumer of a consumer group, on a connection of its own for the
 * blocking XREADGROUP. It never holds more than `concurrency` entries; each
 * is acknowledged (XACK) only after its handler succeeded or it was
 * dead-lettered, so an entry of a consumer that died stays pending and is
 * taken over (XAUTOCLAIM) by another consumer of the group once it has been
 * idle BUS_CLAIM_IDLE_MS. While a handler runs, its entries are touched
 * (XCLAIM JUSTID to itself) so a slow handler is not mistaken for a dead one.
 */
export class RedisSubscription implements Subscription {
  readonly topic: string
  readonly group: string
  private readonly consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  private readonly inFlight = new Set<string>()
  private readonly abort = new AbortController()
  private wake?: () => void
  private closing?: Promise<void>
  private loopDone?: Promise<void>
  private heartbeat?: NodeJS.Timeout
  private nextClaimAt = 0
  /** Where the next XAUTOCLAIM scan starts: each call goes on from the last, back to 0-0 once it wrapped. */
  private claimCursor = '0-0'
  /** Resolves a closing subscription's drain once its last handler ends. */
  private idle?: () => void

  constructor(private readonly options: RedisSubscriptionOptions) {
    this.topic = options.topic
    this.group = options.group
  }

  private get stream(): string {
    return this.options.keys.stream(this.topic)
  }

  private get aliveKey(): string {
    return this.options.keys.alive(this.topic, this.group)
  }

  private get aliveMs(): number {
    return Math.max(1000, this.options.bus.claimIdleMs * 2)
  }

  async start(): Promise<void> {
    await this.ensureGroup()
    const every = Math.max(50, Math.floor(this.options.bus.claimIdleMs / 3))
    this.heartbeat = setInterval(() => void this.touch(), every)
    this.heartbeat.unref()
    this.loopDone = this.loop()
  }

  unsubscribe(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  close(): Promise<void> {
    return this.unsubscribe()
  }

  private async ensureGroup(): Promise<void> {
    const { connection } = this.options
    if (this.options.ephemeral) await connection.set(this.aliveKey, '1', 'PX', this.aliveMs)
    try {
      // '$': a group receives what is published from now on, as a memory subscriber does.
      await connection.xgroup('CREATE', this.stream, this.group, '$', 'MKSTREAM')
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error
    }
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (!this.closing) {
      const free = this.options.concurrency - this.inFlight.size
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve))
        continue
      }
      try {
        if (Date.now() >= this.nextClaimAt) {
          this.nextClaimAt = Date.now() + Math.max(50, Math.floor(this.options.bus.claimIdleMs / 2))
          if (await this.reclaim(free)) continue
        }
        const reply = (await this.options.reader.xreadgroup(
          'GROUP', this.group, this.consumer, 'COUNT', free, 'BLOCK', this.options.blockMs, 'STREAMS', this.stream, '>',
        )) as Array<[string, Entry[]]> | null
        failures = 0
        for (const [id, fields] of reply?.[0]?.[1] ?? []) this.begin(id, fields, 1)
      } catch (error) {
        if (this.closing) break
        if (String((error as Error).message).includes('NOGROUP')) {
          // The group went away (destroyed after this process stalled past its alive key): join it again.
          this.options.logger?.warn('bus subscription lost its consumer group and joins it again; messages published meanwhile may have been lost', {
            topic: this.topic,
            group: this.group,
          })
          await this.ensureGroup().catch(() => undefined)
          continue
        }
        failures += 1
        if (failures === 1) this.options.logger?.warn('bus subscription cannot read; retrying', { topic: this.topic, group: this.group, error })
        await sleep(backoffDelay(failures, 50, 2000))
        if (this.options.reader.status === 'end') this.options.reader.connect().catch(() => undefined)
      }
    }
  }

  /** Takes over entries another consumer left idle; true when some were taken. */
  private async reclaim(free: number): Promise<boolean> {
    const { connection, bus } = this.options
    const [next, entries] = (await connection.xautoclaim(this.stream, this.group, this.consumer, bus.claimIdleMs, this.claimCursor, 'COUNT', free)) as [string, Entry[]]
    this.claimCursor = next
    // An entry of this consumer's own still in a handler (its touch failed for a while) is not started twice.
    const live = entries.filter((entry) => entry && entry[1] && !this.inFlight.has(entry[0]))
    if (live.length === 0) return false
    const pending = (await connection.xpending(this.stream, this.group, '-', '+', this.options.concurrency * 2 + live.length, this.consumer)) as Array<[string, string, number, number]>
    const deliveries = new Map(pending.map(([id, , , count]) => [id, Number(count)]))
    this.options.logger?.info('bus entries reclaimed from an idle consumer', { topic: this.topic, group: this.group, count: live.length })
    for (const [id, fields] of live) this.begin(id, fields, deliveries.get(id) ?? 2)
    return true
  }

  private begin(id: string, fields: string[], deliveries: number): void {
    this.inFlight.add(id)
    void this.handle(id, fields, deliveries).finally(() => {
      this.inFlight.delete(id)
      if (this.inFlight.size === 0) this.idle?.()
      const wake = this.wake
      this.wake = undefined
      wake?.()
    })
  }

  private async handle(id: string, flat: string[], deliveries: number): Promise<void> {
    const { bus, metrics, topic } = { ...this.options, topic: this.topic }
    const fields = new Map<string, string>()
    for (let i = 0; i < flat.length; i += 2) fields.set(flat[i], flat[i + 1])
    try {
      let payload: unknown
      try {
        payload = decodePayload(fields.get('p') ?? 'null')
      } catch (error) {
        return await this.bury(id, fields, null, error, 0)
      }
      if (deliveries > bus.maxAttempts) {
        return await this.bury(id, fields, payload, new Error(`delivered ${deliveries} times without being acknowledged (its consumers stopped)`), deliveries - 1)
      }
      const outcome = await runHandler(this.options.handler, payload, { id, topic, publishedAt: Number(fields.get('t')) }, {
        ...bus,
        firstAttempt: deliveries,
        signal: this.abort.signal,
        onRetry: () => metrics.retried.inc({ topic }),
      })
      // Abandoned (closed while retrying): left pending, so another consumer reclaims it.
      if (!outcome.ok && outcome.abandoned) return
      if (!outcome.ok) return await this.bury(id, fields, payload, outcome.error, outcome.attempts)
      const tx = this.options.connection.multi()
      if (fields.get('r')) {
        // Encoded only when someone waits for it; a value JSON cannot carry fails the request, yet the message is handled.
        const reply = encodeReply(topic, outcome.value, deliveries)
        if (!reply.ok) this.options.logger?.warn('bus reply could not be sent', { topic, group: this.group, id, error: reply.error })
        this.reply(tx, fields, reply)
      }
      await tx.xack(this.stream, this.group, id).exec()
      metrics.delivered.inc({ topic })
    } catch (error) {
      // Not acknowledged: the entry stays pending and is handled again after BUS_CLAIM_IDLE_MS.
      this.options.logger?.error('bus entry could not be acknowledged; it will be redelivered', { topic, group: this.group, id, error })
    }
  }

  private async bury(id: string, fields: Map<string, string>, payload: unknown, error: unknown, attempts: number): Promise<void> {
    const { connection, keys, bus, metrics, logger } = this.options
    const letter = { id, topic: this.topic, group: this.group, payload, attempts, error: describeError(error), failedAt: Date.now() }
    const tx = connection.multi().xadd(keys.dead(this.topic), 'MAXLEN', bus.deadLetterMax, '*', 'd', JSON.stringify(letter))
    this.reply(tx, fields, { ok: false, attempts, error: letter.error })
    await tx.xack(this.stream, this.group, id).exec()
    metrics.deadLettered.inc({ topic: this.topic })
    logger?.warn('bus message dead-lettered', { topic: this.topic, group: this.group, id, attempts, error: letter.error })
  }

  private reply(tx: ReturnType<Redis['multi']>, fields: Map<string, string>, answer: object): void {
    const inbox = fields.get('r')
    if (!inbox) return
    tx.rpush(inbox, JSON.stringify({ c: fields.get('c'), ...answer }))
    // A requester that died leaves no inbox behind.
    tx.pexpire(inbox, 60_000)
  }

  /** Keeps this consumer's entries from looking idle, and its own group alive. */
  private async touch(): Promise<void> {
    const { connection } = this.options
    try {
      // SET, not PEXPIRE: a key that expired meanwhile (a stalled event loop) comes back, before a publish destroys the group.
      if (this.options.ephemeral) await connection.set(this.aliveKey, '1', 'PX', this.aliveMs)
      if (this.inFlight.size > 0) await connection.xclaim(this.stream, this.group, this.consumer, 0, ...this.inFlight, 'JUSTID')
    } catch {
      // Redis is down: the next beat tries again; the loop reports the outage.
    }
  }

  private async shutdown(): Promise<void> {
    const { connection, reader, bus } = this.options
    // The read in progress returns within blockMs; what it brings is handled like the rest.
    if (this.wake) this.wake()
    await this.loopDone
    if (this.inFlight.size > 0) {
      // Resolved by the last handler to end; nothing here outlives the bound (a handler that never ends keeps no timer alive).
      const drained = new Promise<void>((resolve) => (this.idle = resolve))
      const done = await within(drained, bus.drainTimeoutMs)
      this.idle = undefined
      if (!done) this.abort.abort()
    }
    clearInterval(this.heartbeat)
    try {
      if (this.options.ephemeral) {
        await connection.xgroup('DESTROY', this.stream, this.group)
        await connection.del(this.aliveKey)
      } else if (this.inFlight.size === 0) {
        // Only a consumer with nothing pending is forgotten: DELCONSUMER would drop its pending entries.
        const [summary] = (await connection.xpending(this.stream, this.group, '-', '+', 1, this.consumer)) as unknown[]
        if (!summary) await connection.xgroup('DELCONSUMER', this.stream, this.group, this.consumer)
      }
    } catch (error) {
      this.options.logger?.warn('bus subscription could not clean up its group', { topic: this.topic, group: this.group, error })
    }
    reader.disconnect()
    this.options.onClosed(this)
  }
}
