import { abortError } from './abort'

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
 * Waits `ms`, or rejects with `abortError(signal)` as soon as `signal`
 * aborts, so a cancelled run does not sit out a backoff.
 *
 * @example
 * await sleep(backoffDelay(attempt, 200, 5000), signal)
 */
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

/**
 * Waits `ms`, or less when `signal` aborts: it never rejects (the caller
 * looks at the signal after), unlike `sleep`.
 *
 * @example
 * await pause(250, ctx.clientSignal)
 * if (ctx.clientSignal.aborted) return
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
