import { randomUUID } from 'node:crypto'
import { E_BUS_CLOSED, E_BUS_HANDLER_FAILED, E_BUS_TIMEOUT } from '../errors'
import { checkTimeout } from './bus_options'
import { describeError } from './run_handler'

interface Waiter {
  topic: string
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * The requests of one process waiting for their reply, each with its own
 * deadline (E_BUS_TIMEOUT). A reply that comes after its deadline, or a
 * second one (several groups answered), finds no waiter and is dropped.
 */
export class ReplyWaiters {
  private readonly waiting = new Map<string, Waiter>()

  get size(): number {
    return this.waiting.size
  }

  expect<R>(topic: string, timeoutMs: number): { id: string; reply: Promise<R> } {
    checkTimeout('request timeoutMs', timeoutMs)
    const id = randomUUID()
    const reply = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new E_BUS_TIMEOUT(topic, timeoutMs))
      }, timeoutMs)
      this.waiting.set(id, { topic, resolve: resolve as (value: unknown) => void, reject, timer })
    })
    // A request that fails to publish is rejected by its caller; this copy must not surface as unhandled.
    reply.catch(() => undefined)
    return { id, reply }
  }

  resolve(id: string, value: unknown): void {
    this.take(id)?.resolve(value === undefined ? null : value)
  }

  fail(id: string, topic: string, attempts: number, error: unknown): void {
    this.take(id)?.reject(new E_BUS_HANDLER_FAILED(topic, attempts, describeError(error)))
  }

  /** Settles a reply received as a message: `{ ok, value }` or `{ ok: false, attempts, error }`. */
  settle(id: string, reply: { ok: boolean; value?: unknown; attempts?: number; error?: string }): void {
    if (reply.ok) return this.resolve(id, reply.value)
    const waiter = this.take(id)
    waiter?.reject(new E_BUS_HANDLER_FAILED(waiter.topic, reply.attempts ?? 0, reply.error ?? 'unknown error'))
  }

  cancel(id: string): void {
    this.take(id)
  }

  closeAll(): void {
    for (const id of [...this.waiting.keys()]) this.take(id)?.reject(new E_BUS_CLOSED())
  }

  private take(id: string): Waiter | undefined {
    const waiter = this.waiting.get(id)
    if (!waiter) return undefined
    clearTimeout(waiter.timer)
    this.waiting.delete(id)
    return waiter
  }
}
