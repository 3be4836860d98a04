import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import type { StreamEvent } from '../../../framework/contracts/agent_run'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing'

const Trail = defineState({ label: z.string().min(1), steps: reducers.append(z.string()) })
type TrailState = StateOf<typeof Trail>

class TrailAgent extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(this.first).then(this.second)
  }

  first(state: TrailState): Partial<TrailState> {
    return { steps: [`first:${state.label}`] }
  }

  second(state: TrailState): Partial<TrailState> {
    return { steps: [`second:${state.label}`] }
  }
}

class Inner extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(this.inner)
  }

  inner(): Partial<TrailState> {
    return { steps: ['inner'] }
  }
}

class Outer extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.subgraph(Inner, { name: 'child' })
  }
}

/** Asks a person inside the subgraph. */
class AskingInner extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.interrupt({ name: 'ask', payload: () => 'ok?' }).then(this.done)
  }

  done(): Partial<TrailState> {
    return { steps: ['asked'] }
  }
}

class AskingOuter extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.subgraph(AskingInner, { name: 'child' })
  }
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('Agent.command, interruptBefore/After and subgraph streaming', () => {
  it('stops before a node, then an empty command runs the thread on', async () => {
    const agent = new TrailAgent()
    const stopped = await agent.invoke({ label: 'a' }, { threadId: 't1', interruptBefore: ['second'] })
    expect(stopped.output.steps).toEqual(['first:a'])
    expect((await agent.getState('t1')).next).toEqual(['second'])
    expect((await agent.command('t1', {})).output.steps).toEqual(['first:a', 'second:a'])
  })

  it('stops after a node, then a command updates the state and goes to a node', async () => {
    const agent = new TrailAgent()
    await agent.invoke({ label: 'a' }, { threadId: 't2', interruptAfter: '*' })
    expect((await agent.getState('t2')).next).toEqual(['second'])
    const done = await agent.command('t2', { update: { label: 'b' }, goto: 'first' })
    // LangGraph's goto: `first` runs beside the waiting `second`, then `second` runs again after `first`.
    expect(done.output).toEqual({ label: 'b', steps: ['first:a', 'first:b', 'second:b', 'second:b'] })
  })

  it('checks a command before running: unknown nodes, a bad update, no checkpoint, nothing to resume', async () => {
    const agent = new TrailAgent()
    await agent.invoke({ label: 'a' }, { threadId: 't3' })
    await expect(agent.command('t3', { goto: ['second', 'nope'] })).rejects.toMatchObject({ code: 'E_VALIDATION', message: 'Unknown node "nope" in goto' })
    await expect(agent.command('t3', { update: { label: '' } })).rejects.toMatchObject({ code: 'E_VALIDATION' })
    await expect(agent.command('never-ran', {})).rejects.toMatchObject({ code: 'E_NOTHING_TO_CONTINUE' })
    await expect(agent.command('t3', { resume: true })).rejects.toMatchObject({ code: 'E_NOTHING_TO_RESUME' })
    await expect(agent.invoke({ label: 'a' }, { threadId: 't4', interruptBefore: ['ghost'] })).rejects.toMatchObject({ code: 'E_VALIDATION', message: 'Unknown node "ghost" in interruptBefore' })
    expect(agent.nodeNames()).toEqual(['first', 'second'])
    expect((await agent.getState('t3')).values.steps).toEqual(['first:a', 'second:a'])
  })

  it('streams subgraph events with their namespace only when asked', async () => {
    const agent = new Outer()
    const nested = await collect(agent.stream({ label: 'n' }, { modes: ['updates'], subgraphs: true }))
    const inner = nested.filter((event) => event.event !== 'interrupt' && event.namespace?.length)
    expect(inner).toHaveLength(1)
    expect(inner[0]).toMatchObject({ event: 'updates', node: 'inner', data: { steps: ['inner'] } })
    expect((inner[0] as { namespace: string[] }).namespace[0]).toMatch(/^child:/)
    const plain = await collect(agent.stream({ label: 'n' }, { modes: ['updates'] }))
    expect(plain.some((event) => event.event !== 'interrupt' && event.namespace)).toBe(false)
    expect(plain.map((event) => (event as { node?: string }).node)).toEqual(['child'])
  })

  it('reports an interrupt inside a subgraph once, at the end, when streaming subgraphs', async () => {
    const agent = new AskingOuter()
    const events = await collect(agent.stream({ label: 'q' }, { threadId: 's1', modes: ['updates'], subgraphs: true }))
    const interrupts = events.filter((event) => event.event === 'interrupt')
    expect(interrupts).toHaveLength(1)
    expect(interrupts[0].data).toMatchObject([{ value: 'ok?' }])
    expect(events[events.length - 1]).toBe(interrupts[0])
    // An empty command on a thread waiting at an interrupt runs the interrupted node again: it stops there again.
    const again = await agent.command('s1', {})
    expect(again.interrupts).toMatchObject([{ value: 'ok?' }])
    const resumed = await collect(await agent.resumeStream('s1', true, { modes: ['updates'], subgraphs: true }))
    expect(resumed.filter((event) => event.event === 'interrupt')).toEqual([])
    expect((await agent.getState('s1')).values.steps).toEqual(['asked'])
  })

  it('runs a command through the runner and its middleware, the command not validated as input', async () => {
    const router = new Router()
    router.agent('/trail', TrailAgent).middleware('validate')
    const runner = new AgentRunner({ routes: router.routes(), logger: createLogger({ silent: true }) })
    await runner.invoke('/trail', { label: 'r' }, { threadId: 'r1', interruptBefore: ['second'] })
    expect((await runner.command('/trail', 'r1', {})).output).toEqual({ label: 'r', steps: ['first:r', 'second:r'] })
    const events = await collect(await runner.commandStream('/trail', 'r1', { goto: 'second' }, { modes: ['updates'] }))
    expect(events).toEqual([{ event: 'updates', node: 'second', data: { steps: ['second:r'] } }])
  })
})
