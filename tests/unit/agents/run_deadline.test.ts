import { raceEvents, RunDeadline } from '../../../framework/agents/run_deadline'
import { E_SHUTTING_DOWN } from '../../../framework/errors'

const never = <T>() => new Promise<T>(() => undefined)

describe('RunDeadline', () => {
  afterEach(() => jest.useRealTimers())

  it('stops the run with E_TIMEOUT when its seconds run out: the signal aborts and the wait ends, whatever the work does', async () => {
    jest.useFakeTimers()
    const deadline = new RunDeadline(2)
    const waiting = deadline.race(never())
    const outcome = expect(waiting).rejects.toMatchObject({ code: 'E_TIMEOUT', status: 504 })

    jest.advanceTimersByTime(1999)
    expect(deadline.signal.aborted).toBe(false)
    jest.advanceTimersByTime(1)

    await outcome
    expect(deadline.signal.aborted).toBe(true)
    expect(deadline.reason).toMatchObject({ code: 'E_TIMEOUT' })
  })

  it('keeps the first reason it was stopped for, as the error the run surfaces as', async () => {
    const deadline = new RunDeadline()
    deadline.stop(new E_SHUTTING_DOWN())
    deadline.stop(new Error('later'))

    await expect(deadline.race(never())).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' })
    deadline.dispose()
  })

  it("follows the caller's signal, and is stopped at once by one already aborted", async () => {
    const caller = new AbortController()
    const deadline = new RunDeadline(undefined, caller.signal)
    const waiting = deadline.race(never())
    caller.abort('Ctrl-C')
    await expect(waiting).rejects.toMatchObject({ code: 'E_ABORTED', message: expect.stringContaining('Ctrl-C') })
    expect(new RunDeadline(undefined, AbortSignal.abort()).signal.aborted).toBe(true)
  })

  it('passes the work through while it is not stopped', async () => {
    const deadline = new RunDeadline(60)
    await expect(deadline.race(Promise.resolve('done'))).resolves.toBe('done')
    await expect(deadline.race(Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(deadline.settled(10)).resolves.toBe(true)
    deadline.dispose()
  })

  it('settles once the raced work has really finished after a stop, or reports false when the grace runs out first', async () => {
    jest.useFakeTimers()
    const finishing = new RunDeadline()
    let finish!: () => void
    finishing.race(new Promise<void>((resolve) => (finish = resolve))).catch(() => undefined)
    finishing.stop(new Error('client left'))
    const clean = finishing.settled(5000)
    finish()
    await expect(clean).resolves.toBe(true)

    const stuck = new RunDeadline()
    stuck.race(never()).catch(() => undefined)
    stuck.stop(new Error('client left'))
    const late = stuck.settled(5000)
    jest.advanceTimersByTime(5000)
    await expect(late).resolves.toBe(false)
  })

  it('starts the grace period only when a run still working is stopped', async () => {
    jest.useFakeTimers()
    const deadline = new RunDeadline()
    deadline.race(never()).catch(() => undefined)
    let answer: boolean | undefined
    void deadline.settled(100).then((value) => (answer = value))

    jest.advanceTimersByTime(1000)
    await Promise.resolve()
    expect(answer).toBeUndefined()
    deadline.stop(new Error('draining'))
    jest.advanceTimersByTime(100)
    await Promise.resolve()
    expect(answer).toBe(false)
  })
})

describe('raceEvents', () => {
  it('yields the events, and ends with the stop reason the moment the run is stopped', async () => {
    const deadline = new RunDeadline()
    async function* events() {
      yield 1
      yield 2
      await never()
    }
    const seen: number[] = []
    const reading = (async () => {
      for await (const event of raceEvents(events(), deadline)) {
        seen.push(event)
        if (event === 2) setImmediate(() => deadline.stop(new E_SHUTTING_DOWN()))
      }
    })()
    await expect(reading).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' })
    expect(seen).toEqual([1, 2])
  })
})
