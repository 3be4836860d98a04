import { E_SERVICE_UNAVAILABLE } from '../../../framework/errors'
import { callDeadlineMs, isTransient, storeCall, type StoreCallPolicy } from '../../../framework/rag/store_call'

function named(name: string, message = name): Error {
  const error = new Error(message)
  error.name = name
  return error
}

function policy(overrides: Partial<StoreCallPolicy> = {}): StoreCallPolicy & { delays: number[] } {
  const delays: number[] = []
  return { timeoutMs: 1000, retries: 3, baseDelayMs: 100, maxDelayMs: 2000, sleep: async (ms) => void delays.push(ms), delays, ...overrides }
}

describe('storeCall', () => {
  it('retries transient failures and returns the first success', async () => {
    const failures = [named('ChromaConnectionError'), named('ChromaServerError')]
    const run = jest.fn(async () => {
      const failure = failures.shift()
      if (failure) throw failure
      return 'ok'
    })
    const rules = policy()

    await expect(storeCall(run, rules)).resolves.toBe('ok')
    expect(run).toHaveBeenCalledTimes(3)
    expect(rules.delays).toHaveLength(2)
  })

  it('gives up after the configured retries with E_SERVICE_UNAVAILABLE, keeping the cause', async () => {
    const cause = named('ChromaConnectionError', 'Failed to connect to chromadb at http://10.0.0.5:8000')
    const run = jest.fn(async () => {
      throw cause
    })

    const error = await storeCall(run, policy({ retries: 2 })).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(E_SERVICE_UNAVAILABLE)
    expect(error).toMatchObject({ message: 'The vector store is unavailable', cause })
    expect(run).toHaveBeenCalledTimes(3)
  })

  it('does not retry what will not change: a refused request becomes a client error without the URL', async () => {
    const run = jest.fn(async () => {
      throw named('ChromaClientError', 'Bad request to http://127.0.0.1:8000/api/v2/x with status: Collection expecting embedding with dimension of 3, got 2')
    })

    const error = await storeCall(run, policy()).catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_INVALID_INPUT', status: 400, message: 'The vector store refused the request: Collection expecting embedding with dimension of 3, got 2' })
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('turns refused credentials into a configuration error naming CHROMA_API_KEY', async () => {
    const error = await storeCall(async () => Promise.reject(named('ChromaAuthError', 'Unauthorized')), policy()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('CHROMA_API_KEY') })
  })

  it('bounds each attempt by the timeout, counting an unanswered attempt as transient', async () => {
    let calls = 0
    const run = () => {
      calls++
      return calls < 3 ? new Promise<string>(() => undefined) : Promise.resolve('late but fine')
    }
    await expect(storeCall(run, policy({ timeoutMs: 20, retries: 2 }))).resolves.toBe('late but fine')
    expect(calls).toBe(3)
  })

  it('stops as soon as the caller aborts, with E_ABORTED, and does not retry', async () => {
    const controller = new AbortController()
    const run = jest.fn(() => new Promise<string>(() => undefined))
    const pending = storeCall(run, policy({ timeoutMs: 60_000 }), { signal: controller.signal })
    controller.abort(new Error('client went away'))
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('keeps a Langvel exception given as the abort reason (the run deadline)', async () => {
    const controller = new AbortController()
    const reason = new E_SERVICE_UNAVAILABLE('Something else')
    controller.abort(reason)
    await expect(storeCall(async () => 'never', policy(), { signal: controller.signal })).rejects.toBe(reason)
  })

  it('backs off exponentially with jitter, capped', async () => {
    const rules = policy({ retries: 6, baseDelayMs: 100, maxDelayMs: 400, timeoutMs: 100_000 })
    await storeCall(async () => Promise.reject(named('ChromaConnectionError')), rules).catch(() => undefined)
    const ceilings = [100, 200, 400, 400, 400, 400]
    rules.delays.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(ceilings[index] / 2)
      expect(delay).toBeLessThanOrEqual(ceilings[index])
    })
  })

  it('tells the observer about failures and successes (for the down/back log lines)', async () => {
    const events: string[] = []
    const observer = { onTransientFailure: () => events.push('failure'), onSuccess: () => events.push('success') }
    let first = true
    await storeCall(
      async () => {
        if (first) {
          first = false
          throw named('ChromaConnectionError')
        }
        return 1
      },
      policy(),
      { observer },
    )
    expect(events).toEqual(['failure', 'success'])
  })

  it('knows which failures are transient', () => {
    expect(isTransient(named('ChromaConnectionError'))).toBe(true)
    expect(isTransient(named('ChromaRateLimitError'))).toBe(true)
    expect(isTransient(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }))).toBe(true)
    expect(isTransient(named('ChromaNotFoundError'))).toBe(false)
    expect(isTransient(named('ChromaClientError'))).toBe(false)
    expect(isTransient('text')).toBe(false)
  })

  it('documents its deadline: attempts times the per-attempt timeout', () => {
    expect(callDeadlineMs(policy({ timeoutMs: 500, retries: 3 }))).toBe(2000)
  })
})
