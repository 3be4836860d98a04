/**
 * The process-wide link between code that has no container at hand (agents,
 * tools declared at module load) and a service of the booted application. A
 * provider sets it at boot and clears it at shutdown; an application shutting
 * down after another booted leaves that one's link in place.
 *
 * @example
 * const link = appLink<RagManager>()
 * link.set(() => app.make('rag'))   // in the provider's boot
 * link.get()                         // the manager, or undefined before boot
 */
export interface AppLink<T> {
  set(resolve: (() => T) | undefined): void
  /** Unsets `resolve` if it is still the current one; true when it was. */
  clear(resolve: () => T): boolean
  /** The service, or undefined when no application has set the link. */
  get(): T | undefined
}

export function appLink<T>(): AppLink<T> {
  let resolver: (() => T) | undefined
  return {
    set(resolve) {
      resolver = resolve
    },
    clear(resolve) {
      if (resolver !== resolve) return false
      resolver = undefined
      return true
    },
    get() {
      return resolver?.()
    },
  }
}
