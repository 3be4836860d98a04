import { E_ABORTED, isException } from '../errors'

/**
 * Delay before retry number `retry` (1-based): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so that
 * many callers failing together do not retry in lockstep.
 *
 * @example
 * backoffDelay(1, 100, 5000) // between 50 and 100
 * backoffDelay(3, 100, 5000) // between 200 and 400
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1))
  return ceiling / 2 + (random() * ceiling) / 2
}

/**
 * The error a cancelled signal should surface as: a Langvel exception given
 * as the abort reason (E_TIMEOUT from the runner, E_TOOL_TIMEOUT) is kept,
 * anything else becomes E_ABORTED.
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  if (isException(reason)) return reason
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'signal aborted'
  return new E_ABORTED(text, { cause: reason })
}

/** Waits `ms`, or rejects as soon as `signal` aborts (so a cancelled run does not sit out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
