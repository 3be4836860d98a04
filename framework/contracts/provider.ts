import type { Application } from '../foundation/application'

/**
 * A service provider: binds services in `register`, wires them together in
 * `boot`, and releases what it opened in `shutdown` (pools, sockets, timers).
 */
export interface Provider {
  readonly name: string
  register?(app: Application): void
  boot?(app: Application): void | Promise<void>
  shutdown?(app: Application): void | Promise<void>
}
