/**
 * A size-bounded map that evicts the least recently used entry. A Map keeps
 * insertion order, so re-inserting on every read is all the bookkeeping needed.
 *
 * @example
 * const clients = new LruMap<string, ChatModel>(16)
 * clients.set(key, model)
 * clients.get(key) // and it becomes the most recently used
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`LruMap needs a positive size, got ${maxEntries}`)
  }

  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined
    const value = this.entries.get(key) as V
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: K, value: V): this {
    this.entries.delete(key)
    this.entries.set(key, value)
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K)
    return this
  }

  delete(key: K): boolean {
    return this.entries.delete(key)
  }

  has(key: K): boolean {
    return this.entries.has(key)
  }

  clear(): void {
    this.entries.clear()
  }

  get size(): number {
    return this.entries.size
  }
}
