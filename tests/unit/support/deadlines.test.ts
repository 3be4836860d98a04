import { settleWithin, within } from '../../../framework/support/deadlines'

/** A promise and the functions that settle it, so a test decides when. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Records when `promise` settles, so a test can ask whether it has yet. */
function watch<T>(promise: Promise<T>): { readonly done: boolean; readonly value: T | undefined } {
  const state = { done: false, value: undefined as T | undefined }
  promise.then((value) => {
    state.done = true
    state.value = value
  })
  return state
}

describe('deadlines', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  describe('within', () => {
    it('is true as soon as the promise resolves in time, and leaves no timer behind', async () => {
      const work = deferred()
      const answer = watch(within(work.promise, 1000))
      await jest.advanceTimersByTimeAsync(400)
      expect(answer.done).toBe(false)
      work.resolve()
      await jest.advanceTimersByTimeAsync(0)
      expect(answer).toEqual({ done: true, value: true })
      expect(jest.getTimerCount()).toBe(0)
    })

    it('is true when the promise rejects in time: it settled, and the rejection is observed', async () => {
      const work = deferred()
      const answer = within(work.promise, 1000)
      work.reject(new Error('failed while draining'))
      await expect(answer).resolves.toBe(true)
    })

    it('is false once the time runs out first, and a late settlement changes nothing', async () => {
      const work = deferred()
      const answer = watch(within(work.promise, 1000))
      await jest.advanceTimersByTimeAsync(999)
      expect(answer.done).toBe(false)
      await jest.advanceTimersByTimeAsync(1)
      expect(answer).toEqual({ done: true, value: false })
      work.resolve()
      await jest.advanceTimersByTimeAsync(0)
      expect(answer.value).toBe(false)
    })

    it('is true for a promise already settled, even with no time given', async () => {
      await expect(within(Promise.resolve(), 0)).resolves.toBe(true)
    })
  })

  describe('settleWithin', () => {
    it('returns when the promise resolves or rejects, before the time is up', async () => {
      const resolved = deferred()
      const first = watch(settleWithin(resolved.promise, 5000))
      resolved.resolve()
      await jest.advanceTimersByTimeAsync(0)
      expect(first.done).toBe(true)

      const rejected = deferred()
      const second = watch(settleWithin(rejected.promise, 5000))
      rejected.reject(new Error('the generator threw while unwinding'))
      await jest.advanceTimersByTimeAsync(0)
      expect(second.done).toBe(true)
      expect(jest.getTimerCount()).toBe(0)
    })

    it('returns after the time when the promise never settles', async () => {
      const never = watch(settleWithin(new Promise(() => undefined), 5000))
      await jest.advanceTimersByTimeAsync(4999)
      expect(never.done).toBe(false)
      await jest.advanceTimersByTimeAsync(1)
      expect(never.done).toBe(true)
    })
  })
})
