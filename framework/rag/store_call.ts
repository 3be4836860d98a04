import { E_INVALID_CONFIG, E_INVALID_INPUT, E_SERVICE_UNAVAILABLE, isException } from '../errors'
import { abortError } from '../support/abort'
import { backoffDelay, sleep as abortableSleep } from '../support/backoff'

export interface StoreCallPolicy {
  /** Longest wait for one attempt (CHROMA_TIMEOUT_MS). */
  timeoutMs: number
  /** Attempts after the first, on transient failures only (CHROMA_RETRIES). */
  retries: number
  /** First backoff ceiling; doubles per retry up to `maxDelayMs` (jittered). */
  baseDelayMs: number
  maxDelayMs: number
  /** Replaces the wait between attempts (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** What a call saw: told to the store so it logs "down" and "back" once each. */
export interface StoreCallObserver {
  onTransientFailure?(error: unknown): void
  onSuccess?(): void
}

/** Marks an attempt that ran out of time; transient, like a refused connection. */
class AttemptTimeout extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'AttemptTimeout'
  }
}

/** Chroma client errors (by name: the package does not export its classes under CommonJS types) and socket codes worth a retry. */
const TRANSIENT_NAMES = new Set(['ChromaConnectionError', 'ChromaServerError', 'ChromaRateLimitError', 'AttemptTimeout'])
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'])

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (TRANSIENT_NAMES.has(error.name)) return true
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && TRANSIENT_CODES.has(code)
}

/** The longest a call can take, retries and backoff included. */
export function callDeadlineMs(policy: StoreCallPolicy): number {
  return policy.timeoutMs * (policy.retries + 1)
}

/**
 * Runs one store operation within its deadline: each attempt is bounded by
 * `timeoutMs` and by the caller's signal, transient failures (refused or
 * reset connections, 5xx, 429, timeouts) are retried with jittered
 * exponential backoff, and the whole call ends within `callDeadlineMs`.
 * When the store stays down the call fails with E_SERVICE_UNAVAILABLE naming
 * the kind of service, never its address. The client offers no per-request
 * signal, so a timed-out request is abandoned, not cancelled.
 *
 * @example
 * await storeCall(() => collection.count(), policy, { signal })
 */
export async function storeCall<T>(run: () => Promise<T>, policy: StoreCallPolicy, options: { signal?: AbortSignal; observer?: StoreCallObserver } = {}): Promise<T> {
  const { signal, observer } = options
  const sleep = policy.sleep ?? abortableSleep
  const deadline = Date.now() + callDeadlineMs(policy)
  let lastError: unknown
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (signal?.aborted) throw abortError(signal)
    const remaining = deadline - Date.now()
    if (remaining <= 0) break
    try {
      const result = await attemptWithin(run, Math.min(policy.timeoutMs, remaining), signal)
      observer?.onSuccess?.()
      return result
    } catch (error) {
      if (signal?.aborted) throw abortError(signal)
      if (!isTransient(error)) throw translate(error)
      lastError = error
      observer?.onTransientFailure?.(error)
    }
    if (attempt === policy.retries) break
    const delay = Math.min(backoffDelay(attempt + 1, policy.baseDelayMs, policy.maxDelayMs), Math.max(0, deadline - Date.now()))
    await sleep(delay, signal)
  }
  throw new E_SERVICE_UNAVAILABLE('The vector store', { cause: lastError })
}

function attemptWithin<T>(run: () => Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(abortError(signal as AbortSignal)))
    const timer = setTimeout(() => finish(() => reject(new AttemptTimeout(ms))), ms)
    let done = false
    const finish = (settle: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    Promise.resolve()
      .then(run)
      .then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => finish(() => reject(error)),
      )
  })
}

/** Chroma's messages carry the request URL: the error keeps them as its cause only. */
function translate(error: unknown): unknown {
  if (isException(error) || !(error instanceof Error)) return error
  switch (error.name) {
    case 'ChromaAuthError':
    case 'ChromaForbiddenError':
      return new E_INVALID_CONFIG(['CHROMA_API_KEY: the vector store refused the credentials (or their access to CHROMA_TENANT / CHROMA_DATABASE)'], { cause: error })
    case 'ChromaClientError':
    case 'ChromaValueError':
      return new E_INVALID_INPUT(`The vector store refused the request: ${withoutUrls(error.message)}`, { cause: error })
    default:
      return error
  }
}

function withoutUrls(message: string): string {
  return message.replace(/^Bad request to \S+ with status: /, '').replace(/https?:\/\/\S+/g, '<url>')
}
