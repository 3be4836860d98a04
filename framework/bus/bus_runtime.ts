import type { MessageBus } from '../contracts/bus'
import { E_RUNTIME } from '../errors'

/*
 * The process-wide link between code that has no container at hand (agents,
 * tools defined at module load) and the booted application's bus. The bus
 * provider sets it at boot; nothing connects until the bus is used.
 */
let resolver: (() => MessageBus) | undefined

/** Called by the bus provider at boot (and by tests) with the application's bus. */
export function setBusResolver(resolve: (() => MessageBus) | undefined): void {
  resolver = resolve
}

/** Unsets `resolve` if it is still the current resolver; true when it was. */
export function clearBusResolver(resolve: () => MessageBus): boolean {
  if (resolver !== resolve) return false
  resolver = undefined
  return true
}

/**
 * The booted application's message bus (config/bus.ts). Without a booted
 * application this is E_RUNTIME: a bus made up on the spot would connect
 * nobody.
 *
 * @example
 * await resolveBus().publish('orders', { id: 1 })
 */
export function resolveBus(): MessageBus {
  if (!resolver) throw new E_RUNTIME('The message bus is used before the application booted (no bus provider registered)')
  return resolver()
}
