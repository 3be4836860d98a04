import { RunDeadline } from '../../../framework/agents/run_deadline'
import { LiveRuns } from '../../../framework/langgraph_api/live_runs'

async function collect(iterable: AsyncIterable<{ id: number; event: string }>): Promise<string[]> {
  const seen: string[] = []
  for await (const event of iterable) seen.push(`${event.id}:${event.event}`)
  return seen
}

describe('LiveRuns', () => {
  it('finds a run by its id and by its thread until it is closed, and resolves done then', async () => {
    const runs = new LiveRuns()
    const live = runs.open('r1', 't1')
    expect(runs.get('r1')).toBe(live)
    expect(runs.onThread('t1')).toBeUndefined()
    expect(runs.ofThread('t1')).toEqual([live])
    runs.hold(live)
    expect(runs.onThread('t1')).toBe(live)
    runs.close(live)
    await live.done
    expect(live.ended).toBe(true)
    expect(runs.get('r1')).toBeUndefined()
    expect(runs.onThread('t1')).toBeUndefined()
  })

  it('replays the buffered events after an id, then follows new ones until the run ends', async () => {
    const runs = new LiveRuns()
    const live = runs.open('r1', 't1')
    live.publish('metadata', {})
    live.publish('values', { a: 1 })
    const all = collect(live.follow(0, new AbortController().signal))
    const after = collect(live.follow(1, new AbortController().signal))
    await new Promise((resolve) => setImmediate(resolve))
    live.publish('values', { a: 2 })
    runs.close(live)
    expect(await all).toEqual(['1:metadata', '2:values', '3:values'])
    expect(await after).toEqual(['2:values', '3:values'])
  })

  it('keeps only the last maxEvents events', async () => {
    const runs = new LiveRuns({ maxEvents: 2 })
    const live = runs.open('r1', 't1')
    for (const event of ['a', 'b', 'c']) live.publish(event, null)
    runs.close(live)
    expect(await collect(live.follow(0, new AbortController().signal))).toEqual(['2:b', '3:c'])
  })

  it('stops following when the follower leaves', async () => {
    const live = new LiveRuns().open('r1', 't1')
    const leave = new AbortController()
    const following = collect(live.follow(0, leave.signal))
    live.publish('metadata', {})
    await new Promise((resolve) => setImmediate(resolve))
    leave.abort()
    expect(await following).toEqual(['1:metadata'])
  })

  it('stops its run on cancel, also when cancelled before the run started; the first action wins', () => {
    const live = new LiveRuns().open('r1', 't1')
    live.cancel('rollback')
    live.cancel('interrupt')
    const deadline = new RunDeadline()
    live.start(deadline)
    expect(deadline.signal.aborted).toBe(true)
    expect(deadline.reason).toMatchObject({ code: 'E_ABORTED' })
    expect(live.cancelAction).toBe('rollback')
    deadline.dispose()
  })

  it('keeps at most maxBytes of events as JSON, dropping the oldest, and a single larger event is not kept', async () => {
    const runs = new LiveRuns({ maxEvents: 100, maxBytes: 250 })
    const live = runs.open('r1', 't1')
    const big = 'x'.repeat(100)
    for (const event of ['a', 'b', 'c', 'd']) live.publish(event, { big })
    runs.close(live)
    expect(await collect(live.follow(0, new AbortController().signal))).toEqual(['3:c', '4:d'])
    const huge = runs.open('r2', 't2')
    huge.publish('values', { big: 'y'.repeat(1000) })
    runs.close(huge)
    expect(await collect(huge.follow(0, new AbortController().signal))).toEqual([])
  })

  it('aborts its signal on cancel, so a deadline parented on it stops before the run got a slot', () => {
    const live = new LiveRuns().open('r1', 't1')
    const deadline = new RunDeadline(undefined, live.signal)
    expect(deadline.signal.aborted).toBe(false)
    live.cancel('interrupt')
    expect(deadline.signal.aborted).toBe(true)
    expect(deadline.reason).toMatchObject({ code: 'E_ABORTED' })
    deadline.dispose()
  })

  it('ignores a cancel once its work has returned (frozen), and answers the action taken before', () => {
    const runs = new LiveRuns()
    const early = runs.open('r1', 't1')
    early.cancel('rollback')
    expect(early.freeze()).toBe('rollback')
    const late = runs.open('r2', 't2')
    expect(late.freeze()).toBeUndefined()
    late.cancel('rollback')
    expect(late.cancelAction).toBeUndefined()
    expect(late.signal.aborted).toBe(false)
  })
})
