import { E_UNKNOWN_DRIVER } from '../errors'
import type { Logger } from '../logger'

/** What a driver factory opened, and the function that releases it. */
export interface Opened<T> {
  value: T
  close?: () => Promise<void> | void
}

/**
 * Named drivers of one kind (checkpointers, memory stores), each created on
 * first use and shared afterwards. `close()` releases only what was opened,
 * logs every failure and rethrows the first, and the next `use()` opens again.
 *
 * @example
 * const pool = new DriverPool<BaseStore>('memory', { memory: () => ({ value: new InMemoryStore() }) }, logger)
 * const store = pool.use('memory')
 */
export class DriverPool<T> {
  private readonly factories: Map<string, () => Opened<T>>
  private readonly opened = new Map<string, Opened<T>>()

  constructor(
    private readonly kind: string,
    factories: Record<string, () => Opened<T>>,
    private readonly logger?: Logger,
  ) {
    this.factories = new Map(Object.entries(factories))
  }

  /** Names of every driver `use()` accepts. */
  get names(): string[] {
    return [...this.factories.keys()]
  }

  /** Driver `name`, created on first use; E_UNKNOWN_DRIVER for a name no driver answers to. */
  use(name: string): T {
    const existing = this.opened.get(name)
    if (existing) return existing.value
    const factory = this.factories.get(name)
    if (!factory) throw new E_UNKNOWN_DRIVER(this.kind, name, this.names, { details: { available: this.names } })
    const created = factory()
    this.opened.set(name, created)
    this.logger?.debug(`${this.kind} opened`, { driver: name })
    return created.value
  }

  /** Registers (or replaces) a driver. */
  extend(name: string, factory: () => Opened<T>): void {
    this.factories.set(name, factory)
  }

  isOpen(name: string): boolean {
    return this.opened.has(name)
  }

  async close(): Promise<void> {
    const open = [...this.opened.entries()]
    this.opened.clear()
    const failures: unknown[] = []
    for (const [name, { close }] of open) {
      try {
        await close?.()
      } catch (error) {
        failures.push(error)
        this.logger?.error(`${this.kind} failed to close`, { driver: name, error })
      }
    }
    if (failures.length > 0) throw failures[0]
  }
}
