import { classifyLlmError, parseRetryAfter } from '../../../framework/llm'
import { retryDelay } from '../../../framework/llm/llm_retry'

const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5000 }

describe('LLM retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500)
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:07 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:59:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('retries 429, 5xx, 408 and network errors; not other 4xx or unknown errors', () => {
    const headers = new Headers({ 'retry-after': '3' })
    expect(classifyLlmError({ status: 429, headers, message: 'slow down' }, false)).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 3000 })
    expect(classifyLlmError({ status: 503, message: 'x' }, false)).toMatchObject({ kind: 'server', retryable: true })
    expect(classifyLlmError({ status: 408, message: 'x' }, false)).toMatchObject({ retryable: true })
    expect(classifyLlmError({ status: 400, message: 'bad' }, false)).toMatchObject({ kind: 'client', retryable: false })
    expect(classifyLlmError({ status: 401, message: 'auth' }, false)).toMatchObject({ retryable: false })
    expect(classifyLlmError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), false)).toMatchObject({ kind: 'network', retryable: true })
    expect(classifyLlmError(new Error('anything'), true)).toMatchObject({ kind: 'timeout', retryable: true })
    expect(classifyLlmError(new RangeError('a bug'), false)).toMatchObject({ kind: 'client', retryable: false })
  })

  it('prefers retry-after-ms and reads plain-object headers', () => {
    expect(classifyLlmError({ status: 429, headers: { 'Retry-After-Ms': '250', 'retry-after': '9' } }, false).retryAfterMs).toBe(250)
    expect(classifyLlmError({ status: 429, response: { status: 429, headers: { 'retry-after': '4' } } }, false).retryAfterMs).toBe(4000)
  })

  it('waits what Retry-After says, backs off exponentially otherwise, and stops when retries are used up', () => {
    const rateLimited = { kind: 'rate_limited' as const, retryable: true, retryAfterMs: 1200, message: '' }
    const server = { kind: 'server' as const, retryable: true, message: '' }
    const fixed = () => 1

    expect(retryDelay(rateLimited, 1, policy)).toBe(1200)
    expect(retryDelay(server, 1, policy, fixed)).toBe(100)
    expect(retryDelay(server, 3, policy, fixed)).toBe(400)
    expect(retryDelay(server, 10, { ...policy, maxRetries: 20 }, fixed)).toBe(5000)
    expect(retryDelay(server, 4, policy)).toBeUndefined()
    expect(retryDelay({ kind: 'client', retryable: false, message: '' }, 1, policy)).toBeUndefined()
  })

  it('gives up instead of waiting when Retry-After exceeds the longest allowed wait', () => {
    expect(retryDelay({ kind: 'rate_limited', retryable: true, retryAfterMs: 60_000, message: '' }, 1, policy)).toBeUndefined()
  })
})
