import type { Logger } from '../logger'

/**
 * Logs the first failure of a run of failures as a warning and the recovery
 * once, so a backend that stays down costs one line, not one per attempt.
 *
 * @example
 * const log = new FailureLog(logger, 'trace export failed: spans are dropped until the collector answers', 'trace export recovered')
 * result.ok ? log.succeeded() : log.failed({ spans, error })
 */
export class FailureLog {
  private failing = false

  constructor(
    private readonly logger: Logger | undefined,
    private readonly failedMessage: string,
    private readonly recoveredMessage: string,
  ) {}

  /** True while the last attempt failed. */
  get isFailing(): boolean {
    return this.failing
  }

  failed(fields: Record<string, unknown>): void {
    if (!this.failing) this.logger?.warn(this.failedMessage, fields)
    this.failing = true
  }

  succeeded(): void {
    if (this.failing) this.logger?.info(this.recoveredMessage)
    this.failing = false
  }
}
