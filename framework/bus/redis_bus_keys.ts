/** Where the redis driver keeps a topic's data, under REDIS_PREFIX + "bus:". */
export class RedisBusKeys {
  constructor(private readonly prefix: string) {}

  /** The topic's stream: one entry per message, shared by its groups. */
  stream(topic: string): string {
    return `${this.prefix}bus:stream:${topic}`
  }

  /** The topic's dead letters: a stream capped at BUS_DEAD_LETTER_MAX. */
  dead(topic: string): string {
    return `${this.prefix}bus:dead:${topic}`
  }

  /** Prefix of the alive keys of unnamed groups (the script appends the group). */
  alivePrefix(topic: string): string {
    return `${this.prefix}bus:alive:${topic}:`
  }

  alive(topic: string, group: string): string {
    return `${this.alivePrefix(topic)}${group}`
  }

  /** A process's reply inbox (a list) for its requests. */
  inbox(instance: string): string {
    return `${this.prefix}bus:reply:${instance}`
  }
}
