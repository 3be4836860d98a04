import { E_TOOL_TIMEOUT } from '../../../framework/errors'
import { backoffDelay, sleep } from '../../../framework/support/backoff'

describe('backoffDelay', () => {
  it('stays between half the exponential ceiling and the ceiling itself', () => {
    expect(backoffDelay(1, 100, 5000, () => 0)).toBe(50)
    expect(backoffDelay(1, 100, 5000, () => 1)).toBe(100)
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(200)
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(400)
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(300)
  })

  it('never exceeds maxMs, however many retries came before', () => {
    expect(backoffDelay(10, 100, 5000, () => 1)).toBe(5000)
    expect(backoffDelay(10, 100, 5000, () => 0)).toBe(2500)
    expect(backoffDelay(1000, 100, 5000, () => 1)).toBe(5000)
  })

  it('treats a retry number below 1 as the first retry', () => {
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100)
    expect(backoffDelay(-3, 100, 5000, () => 1)).toBe(100)
  })

  it('spreads callers out with Math.random by default', () => {
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(2, 100, 5000)
      expect(delay).toBeGreaterThanOrEqual(100)
      expect(delay).toBeLessThanOrEqual(200)
    }
  })
})

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  /** Whether `promise` has settled, after the microtasks queued so far ran. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false
    promise.then(
      () => (done = true),
      () => (done = true),
    )
    await Promise.resolve()
    await Promise.resolve()
    return done
  }

  it('resolves once the time has passed, not before', async () => {
    const wait = sleep(1000)
    await jest.advanceTimersByTimeAsync(999)
    expect(await settled(wait)).toBe(false)
    await jest.advanceTimersByTimeAsync(1)
    expect(await settled(wait)).toBe(true)
    await expect(wait).resolves.toBeUndefined()
  })

  it('rejects at once, without a timer, when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort(new E_TOOL_TIMEOUT('lookup', 50))
    await expect(sleep(1000, controller.signal)).rejects.toMatchObject({ code: 'E_TOOL_TIMEOUT' })
    expect(jest.getTimerCount()).toBe(0)
  })

  it('rejects as soon as the signal aborts mid-wait, and clears its timer', async () => {
    const controller = new AbortController()
    const wait = sleep(60_000, controller.signal)
    await jest.advanceTimersByTimeAsync(10)
    controller.abort('cancelled by the client')
    await expect(wait).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(jest.getTimerCount()).toBe(0)
  })

  it('stops listening to the signal once it resolved', async () => {
    const controller = new AbortController()
    const removed = jest.spyOn(controller.signal, 'removeEventListener')
    const wait = sleep(100, controller.signal)
    await jest.advanceTimersByTimeAsync(100)
    await expect(wait).resolves.toBeUndefined()
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function))
    controller.abort()
  })
})
