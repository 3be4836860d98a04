/** What a handler receives besides the payload: where the message came from and how often it was tried. */
export interface BusEnvelope {
  /** Unique per message (the stream entry ID on Redis). */
  readonly id: string
  readonly topic: string
  /** 1 on the first delivery, then 2, 3... up to BUS_MAX_ATTEMPTS. */
  readonly attempt: number
  /** Epoch ms when it was published. */
  readonly publishedAt: number
}

/** A subscriber: its return value is the reply when the message was a `request`. */
export type BusHandler<T = unknown, R = unknown> = (payload: T, envelope: BusEnvelope) => R | Promise<R>

export interface PublishOptions {
  /** With BUS_ON_FULL=wait, the longest wait for room (default BUS_PUBLISH_TIMEOUT_MS); then E_BUS_FULL. */
  timeoutMs?: number
}

export interface SubscribeOptions {
  /** Handlers of this subscription running at once (default 1: messages one after another, in order). */
  concurrency?: number
  /**
   * Subscriptions of one group share the messages (each goes to one of them);
   * each group gets every message. Without a group a subscription is a group
   * of its own, which ends with it.
   */
  group?: string
}

export interface RequestOptions {
  /** Time for the reply to arrive, publishing included; then E_BUS_TIMEOUT. */
  timeoutMs: number
}

/** A message whose handler failed BUS_MAX_ATTEMPTS times, kept to be read (`deadLetters(topic)`). */
export interface DeadLetter<T = unknown> {
  readonly id: string
  readonly topic: string
  readonly group: string
  readonly payload: T
  readonly attempts: number
  /** The last error's message (and code, when it had one). */
  readonly error: string
  readonly failedAt: number
}

export interface Subscription {
  readonly topic: string
  readonly group: string
  /** Stops taking messages and waits (within the bus's drain bound) for the handlers in flight. */
  unsubscribe(): Promise<void>
  /** Same as unsubscribe. */
  close(): Promise<void>
}

/**
 * A bounded message bus between agents, in one process (memory) or several
 * (redis). Every queue holds at most BUS_MAX_QUEUE messages: a publisher
 * that finds one full waits for room or is refused (E_BUS_FULL).
 */
export interface MessageBus {
  readonly driver: string
  publish<T>(topic: string, message: T, options?: PublishOptions): Promise<void>
  subscribe<T, R>(topic: string, handler: BusHandler<T, R>, options?: SubscribeOptions): Promise<Subscription>
  request<T, R = unknown>(topic: string, payload: T, options: RequestOptions): Promise<R>
  /** The most recent dead letters of a topic, oldest first. */
  deadLetters<T = unknown>(topic: string, options?: { limit?: number }): Promise<Array<DeadLetter<T>>>
  /** Messages of the topic not yet acknowledged by its fullest queue. */
  depth(topic: string): Promise<number>
  /** Closes every subscription (draining handlers within the bound) and releases connections. */
  close(): Promise<void>
}
