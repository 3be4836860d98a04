import Transport from 'winston-transport'
import { createLogger, type Logger } from '../../../../framework/logger'

/** A logger whose records the test reads; `waitFor` resolves once a message was logged. */
export class Capture extends Transport {
  readonly records: Array<{ level: string; message: string; [key: string]: unknown }> = []
  private readonly waiting: Array<{ message: string; resolve: () => void }> = []

  override log(info: { level: string; message: string }, done: () => void): void {
    this.records.push(info)
    for (const waiter of this.waiting.filter((w) => info.message.includes(w.message))) waiter.resolve()
    done()
  }

  logger(): Logger {
    return createLogger({ level: 'debug', transports: [this] })
  }

  waitFor(message: string): Promise<void> {
    if (this.records.some((record) => record.message.includes(message))) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push({ message, resolve }))
  }

  messages(level?: string): string[] {
    return this.records.filter((record) => !level || record.level === level).map((record) => record.message)
  }
}
