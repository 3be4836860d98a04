import type { BusEnvelope, BusHandler } from '../contracts/bus'
import { isException } from '../errors'
import { backoffDelay, sleep } from '../support/backoff'

export type HandlerOutcome = { ok: true; value: unknown } | { ok: false; error: unknown; attempts: number; abandoned: boolean }

export interface RunHandlerOptions {
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  /** The attempt to start at (a message reclaimed from a dead consumer may have used some). */
  firstAttempt?: number
  /** Aborted when a closing subscription gives up on draining: no further attempt starts. */
  signal?: AbortSignal
  onRetry?: (error: unknown, attempt: number) => void
}

/**
 * Runs a subscriber's handler until it succeeds or has failed `maxAttempts`
 * times, sleeping a jittered backoff between attempts. Both drivers deliver
 * through here, so retry rules live in one place. `abandoned` means the
 * subscription closed before the attempts ran out: the message is neither
 * handled nor dead, and the driver decides what becomes of it.
 */
export async function runHandler(
  handler: BusHandler<unknown, unknown>,
  payload: unknown,
  envelope: Omit<BusEnvelope, 'attempt'>,
  options: RunHandlerOptions,
): Promise<HandlerOutcome> {
  let attempt = options.firstAttempt ?? 1
  for (;;) {
    try {
      return { ok: true, value: await handler(payload, { ...envelope, attempt }) }
    } catch (error) {
      if (attempt >= options.maxAttempts) return { ok: false, error, attempts: attempt, abandoned: false }
      options.onRetry?.(error, attempt)
      try {
        await sleep(backoffDelay(attempt, options.retryBaseMs, options.retryMaxMs), options.signal)
      } catch {
        return { ok: false, error, attempts: attempt, abandoned: true }
      }
      attempt += 1
    }
  }
}

/** How a dead letter records its error: the code (when it has one) and the message. */
export function describeError(error: unknown): string {
  if (isException(error)) return `${error.code}: ${error.message}`
  if (error instanceof Error) return error.message || error.name
  return String(error)
}
