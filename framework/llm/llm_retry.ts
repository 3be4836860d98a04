import { E_LLM_RATE_LIMITED, E_LLM_UNAVAILABLE } from '../errors'
import { backoffDelay } from '../support/backoff'

export type FailureKind = 'rate_limited' | 'server' | 'network' | 'timeout' | 'client'

/** A failed attempt, as the retry policy sees it. */
export interface LlmFailure {
  kind: FailureKind
  retryable: boolean
  status?: number
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number
  message: string
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number
  /** Backoff before the first retry when the provider gives no Retry-After; doubles, with jitter. */
  baseDelayMs: number
  /** Longest wait between attempts. A Retry-After beyond it ends the retries at once. */
  maxDelayMs: number
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])
const NETWORK_NAMES = new Set(['APIConnectionError', 'APIConnectionTimeoutError', 'FetchError', 'TimeoutError'])
const NETWORK_TEXT = /fetch failed|connection error|socket hang up|other side closed|terminated|network/i

type Loose = { status?: unknown; statusCode?: unknown; code?: unknown; name?: unknown; message?: unknown; headers?: unknown; response?: { status?: unknown; headers?: unknown }; cause?: unknown }

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value)
  }
  return undefined
}

/**
 * Milliseconds a `Retry-After` value asks to wait: delay-seconds (`"2"`,
 * `"1.5"`) or an HTTP date. Undefined when absent or unreadable.
 *
 * @example
 * parseRetryAfter('2')                               // 2000
 * parseRetryAfter('Wed, 21 Oct 2037 07:28:00 GMT')  // ms until then
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function isNetworkError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false
  const e = error as Loose
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || e.code.startsWith('UND_ERR'))) return true
  if (typeof e.name === 'string' && NETWORK_NAMES.has(e.name)) return true
  if (typeof e.message === 'string' && e.status === undefined && NETWORK_TEXT.test(e.message)) return true
  return isNetworkError(e.cause, depth + 1)
}

/**
 * Sorts a provider error into what the retry policy needs: 429 and 5xx (and
 * 408, 409) are worth another attempt, as are network errors and our own
 * per-attempt timeout; other 4xx (bad request, auth, unknown model) are not.
 */
export function classifyLlmError(error: unknown, timedOut: boolean): LlmFailure {
  const e = (error ?? {}) as Loose
  const message = typeof e.message === 'string' ? e.message.split('\n')[0].slice(0, 300) : String(error)
  if (timedOut) return { kind: 'timeout', retryable: true, message }
  const rawStatus = e.status ?? e.statusCode ?? e.response?.status
  const status = typeof rawStatus === 'number' ? rawStatus : undefined
  if (status !== undefined) {
    const headers = e.headers ?? e.response?.headers
    const ms = header(headers, 'retry-after-ms')
    const retryAfterMs = ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim()) ? Math.round(Number(ms)) : parseRetryAfter(header(headers, 'retry-after'))
    if (status === 429) return { kind: 'rate_limited', retryable: true, status, retryAfterMs, message }
    if (status >= 500 || status === 408 || status === 409) return { kind: 'server', retryable: true, status, retryAfterMs, message }
    return { kind: 'client', retryable: false, status, message }
  }
  if (isNetworkError(error)) return { kind: 'network', retryable: true, message }
  return { kind: 'client', retryable: false, message }
}

/**
 * How long to wait before retry number `retry` (1-based), or undefined when
 * the failure must not be retried: not retryable, retries used up, or a
 * Retry-After longer than the policy allows (waiting would outlive the run).
 */
export function retryDelay(failure: LlmFailure, retry: number, policy: RetryPolicy, random?: () => number): number | undefined {
  if (!failure.retryable || retry > policy.maxRetries) return undefined
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs > policy.maxDelayMs ? undefined : failure.retryAfterMs
  return backoffDelay(retry, policy.baseDelayMs, policy.maxDelayMs, random)
}

/** The typed error a call ends with once retries are over. */
export function llmError(failure: LlmFailure, attempts: number, labels: { provider: string; model: string; timeoutMs: number }, cause: unknown): Error {
  const details = {
    provider: labels.provider,
    model: labels.model,
    attempts,
    reason: failure.kind,
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    ...(failure.retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(failure.retryAfterMs / 1000) } : {}),
  }
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`
  if (failure.kind === 'rate_limited') {
    return new E_LLM_RATE_LIMITED(`${labels.provider} answered 429 Too Many Requests (${tries})`, { details, cause })
  }
  if (failure.kind === 'timeout') {
    return new E_LLM_UNAVAILABLE(`${labels.provider} did not answer within ${labels.timeoutMs / 1000}s (${tries})`, { details, cause })
  }
  const status = failure.status !== undefined ? `HTTP ${failure.status}: ` : ''
  return new E_LLM_UNAVAILABLE(`${labels.provider} request failed (${tries}): ${status}${failure.message}`, { details, cause })
}

/**
 * The signal of one attempt: aborted by the run's signal or by the attempt's
 * own timeout, whichever comes first; `abort()` abandons it. `dispose()` clears the timer and the
 * listener (always call it).
 */
export function attemptSignal(
  runSignal: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; timedOut: () => boolean; abort: () => void; dispose: () => void } {
  const controller = new AbortController()
  let expired = false
  const onRunAbort = () => controller.abort(runSignal?.reason)
  if (runSignal?.aborted) onRunAbort()
  else runSignal?.addEventListener('abort', onRunAbort, { once: true })
  const timer = setTimeout(() => {
    expired = true
    controller.abort(new Error(`model call timed out after ${timeoutMs} ms`))
  }, timeoutMs)
  return {
    signal: controller.signal,
    timedOut: () => expired,
    abort: () => controller.abort(new Error('model call abandoned')),
    dispose: () => {
      clearTimeout(timer)
      runSignal?.removeEventListener('abort', onRunAbort)
    },
  }
}
