import { AIMessage, HumanMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { Command, END, defineState, reducers, type StateOf } from '../../../framework/agents'
import { agentOf, edgesOf, rejection } from './helpers'

const S = defineState({
  n: z.number().default(0),
  trail: reducers.append(z.string()),
  found: reducers.merge(z.string()),
  next: z.string().optional(),
  plain: z.string().optional(),
  messages: reducers.messages(),
})
type St = StateOf<typeof S>

/** A node named `label` that appends its label to the trail. */
const mark = (label: string) => Object.defineProperty((_state: St) => ({ trail: [label] }), 'name', { value: label })
const count = (state: St) => ({ n: state.n + 1, trail: [`n${state.n + 1}`] })

describe('then and branch', () => {
  it('continues after a branch from the chosen route, never from START', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).branch({ x: mark('b'), y: mark('c') }, () => 'x').then(mark('d')))
    const { output } = await agent.invoke({})
    expect(output.trail).toEqual(['a', 'b', 'd'])
    expect(edgesOf(agent).filter(([from]) => from === '__start__')).toEqual([['__start__', 'a']])
  })

  it('routes by state.next when there is no selector', async () => {
    const agent = agentOf(S, (g) => g.branch({ left: mark('l'), right: mark('r') }).then(mark('after')))
    expect((await agent.invoke({ next: 'right' })).output.trail).toEqual(['r', 'after'])
  })

  it('raises E_BRANCH_UNKNOWN naming the value and the routes, for unknown and missing keys alike', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).branch({ x: mark('b'), y: mark('c') }, (s) => s.plain))
    const unknown = await rejection(agent.invoke({ plain: 'z' }))
    expect(unknown.code).toBe('E_BRANCH_UNKNOWN')
    expect(unknown.details).toMatchObject({ value: 'z', routes: ['x', 'y'] })
    const missing = await rejection(agent.invoke({}))
    expect(missing.code).toBe('E_BRANCH_UNKNOWN')
    expect(missing.details).toMatchObject({ value: null })
  })

  it('takes nested chains and END as routes; routes rejoin at the next step', async () => {
    const agent = agentOf(S, (g) =>
      g.branch({ long: g.chain().then(mark('l1')).then(mark('l2')), stop: END, skip: g.chain() }, (s) => s.plain).then(mark('after')),
    )
    expect((await agent.invoke({ plain: 'long' })).output.trail).toEqual(['l1', 'l2', 'after'])
    expect((await agent.invoke({ plain: 'stop' })).output.trail).toEqual([])
    expect((await agent.invoke({ plain: 'skip' })).output.trail).toEqual(['after'])
  })

  it('accepts boolean and number route keys', async () => {
    const agent = agentOf(S, (g) => g.branch({ true: mark('yes'), false: mark('no') }, (s) => s.n > 0))
    expect((await agent.invoke({ n: 1 })).output.trail).toEqual(['yes'])
  })

  it('applies the update of a returned Command', async () => {
    const agent = agentOf(S, (g) => g.then(() => new Command({ update: { plain: 'from command' } })))
    expect((await agent.invoke({})).output.plain).toBe('from command')
  })
})

describe('parallel and merge', () => {
  it('combines parallel writes through reducers instead of overwriting', async () => {
    const agent = agentOf(S, (g) =>
      g.parallel(() => ({ trail: ['a'], found: { a: '1' } }), () => ({ trail: ['b'], found: { b: '2' } }), () => ({ trail: ['c'] })).merge((s) => ({ plain: [...s.trail].sort().join('') })),
    )
    const { output } = await agent.invoke({})
    expect([...output.trail].sort()).toEqual(['a', 'b', 'c'])
    expect(output.found).toEqual({ a: '1', b: '2' })
    expect(output.plain).toBe('abc')
  })

  it('reports parallel writes to a last-write-wins key as E_GRAPH_INVALID instead of losing one', async () => {
    const agent = agentOf(S, (g) => g.parallel(() => ({ plain: 'a' }), () => ({ plain: 'b' })))
    expect((await rejection(agent.invoke({}))).code).toBe('E_GRAPH_INVALID')
  })

  it('lets parallel nodes return the whole state: passed-through keys neither collide nor double', async () => {
    const agent = agentOf(S, (g) =>
      g.then(mark('first')).parallel((s) => ({ ...s, found: { ...s.found, a: 'x' } }), (s) => ({ ...s, trail: [...s.trail, 'b'] })).then(mark('last')),
    )
    const { output } = await agent.invoke({ plain: 'kept' })
    expect(output.trail).toEqual(['first', 'b', 'last'])
    expect(output.found).toEqual({ a: 'x' })
    expect(output.plain).toBe('kept')
  })

  it('merge runs exactly once, after arms of different lengths all finished', async () => {
    let merges = 0
    const agent = agentOf(S, (g) =>
      g
        .parallel(mark('short'), g.chain().then(mark('l1')).then(mark('l2')).then(mark('l3')))
        .merge((s) => {
          merges++
          return { plain: [...s.trail].sort().join(',') }
        }),
    )
    const { output } = await agent.invoke({})
    expect(merges).toBe(1)
    expect(output.plain).toBe('l1,l2,l3,short')
  })

  it('ends the run after the arms when nothing follows a parallel', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).parallel(mark('b'), mark('c')))
    expect([...(await agent.invoke({})).output.trail].sort()).toEqual(['a', 'b', 'c'])
    expect(edgesOf(agent)).toEqual(expect.arrayContaining([['b', '__end__'], ['c', '__end__']]))
  })
})

describe('loop and until', () => {
  it('repeats the body while the condition holds, then continues with the next step (not END)', async () => {
    const agent = agentOf(S, (g) => g.loop(count, { while: (s) => s.n < 3 }).then(mark('after')))
    expect((await agent.invoke({})).output.trail).toEqual(['n1', 'n2', 'n3', 'after'])
    expect((await agent.invoke({ n: 5 })).output.trail).toEqual(['after'])
  })

  it('until runs the body at least once and stops when the condition holds', async () => {
    const agent = agentOf(S, (g) => g.until(count, (s) => s.n >= 2).then(mark('after')))
    expect((await agent.invoke({})).output.trail).toEqual(['n1', 'n2', 'after'])
    expect((await agent.invoke({ n: 9 })).output.trail).toEqual(['n10', 'after'])
  })

  it('raises E_LOOP_LIMIT at maxIterations, or exits to the next step with onLimit: "exit"', async () => {
    const failing = agentOf(S, (g) => g.loop(count, { while: () => true, maxIterations: 3, name: 'forever' }).then(mark('after')))
    const error = await rejection(failing.invoke({}))
    expect(error.code).toBe('E_LOOP_LIMIT')
    expect(error.message).toContain('forever')
    const exiting = agentOf(S, (g) => g.until(count, () => false, { maxIterations: 3, onLimit: 'exit' }).then(mark('after')))
    expect((await exiting.invoke({})).output.trail).toEqual(['n1', 'n2', 'n3', 'after'])
  })

  it('resets the iteration count on every loop entry, across runs and inside an outer loop', async () => {
    const agent = agentOf(S, (g) =>
      g.loop(g.chain().then(count).loop(mark('inner'), { while: () => true, maxIterations: 2, onLimit: 'exit' }), { while: (s) => s.n < 3, maxIterations: 3 }),
    )
    const first = await agent.invoke({}, { threadId: 'reset' })
    expect(first.output.trail).toEqual(['n1', 'inner', 'inner', 'n2', 'inner', 'inner', 'n3', 'inner', 'inner'])
    const second = await agent.invoke({ n: 0 }, { threadId: 'reset' })
    expect(second.output.trail.slice(9)).toEqual(first.output.trail)
  })

  it('keeps the loop counter out of outputs, streams and thread state', async () => {
    const agent = agentOf(S, (g) => g.loop(count, { while: (s) => s.n < 2 }))
    const { output, threadId } = await agent.invoke({})
    expect(Object.keys(output).some((key) => key.startsWith('__'))).toBe(false)
    const state = await agent.getState(threadId)
    expect(Object.keys(state.values).some((key) => key.startsWith('__'))).toBe(false)
    expect(agent.validateInput({ __langvel_loops: { loop: 99 } } as never)).toEqual({})
  })
})

describe('returning whole state', () => {
  it('does not double appended lists or chat history', async () => {
    const agent = agentOf(S, (g) =>
      g
        .then((s) => s)
        .then((s) => ({ ...s, trail: [...s.trail, 'x'] }))
        .then((s) => ({ messages: [...s.messages, new AIMessage('reply')] }))
        .then((s) => ({ ...s, plain: 'done' })),
    )
    const { output } = await agent.invoke({ trail: ['start'], messages: [new HumanMessage('hi')] })
    expect(output.trail).toEqual(['start', 'x'])
    expect(output.messages.map((m) => m.content)).toEqual(['hi', 'reply'])
    expect(output.plain).toBe('done')
  })

  it('keeps appended items that equal the current list: a loop appending the same item each round keeps every one', async () => {
    const tick = () => ({ trail: ['tick'] })
    const agent = agentOf(S, (g) =>
      g
        .loop((s) => ({ ...tick(), n: s.n + 1 }), { while: (s) => s.n < 3 })
        .then(mark('a'))
        .then(mark('a')),
    )
    const { output } = await agent.invoke({})
    expect(output.trail).toEqual(['tick', 'tick', 'tick', 'a', 'a'])
  })

  it('appends a fresh array that repeats the current items instead of taking it as the list returned again', async () => {
    const agent = agentOf(S, (g) => g.then(() => ({ trail: ['x', 'y'] })).then(() => ({ trail: ['x', 'y'] })))
    expect((await agent.invoke({})).output.trail).toEqual(['x', 'y', 'x', 'y'])
  })
})

describe('subgraph', () => {
  it('runs a chain as a LangGraph subgraph; the parent gets only what it changed', async () => {
    const agent = agentOf(S, (g) =>
      g.then(mark('before')).subgraph(g.chain().then(mark('s1')).loop(count, { while: (s) => s.n < 2 }), { name: 'inner' }).then(mark('after')),
    )
    const { output } = await agent.invoke({ trail: ['input'] })
    expect(output.trail).toEqual(['input', 'before', 's1', 'n1', 'n2', 'after'])
    expect(output.n).toBe(2)
    expect(agent.toMermaid({ xray: true })).toContain('s1')
  })

  it('runs another Agent class as a subgraph, mapping the keys both states share', async () => {
    const Child = defineState({ trail: reducers.append(z.string()), plain: z.string().optional(), childOnly: z.string().optional() })
    const ChildAgent = agentOf(Child, (g) => g.then(() => ({ trail: ['child'], childOnly: 'hidden', plain: 'from child' }))).constructor as new () => never
    const agent = agentOf(S, (g) => g.then(mark('p')).subgraph(ChildAgent, { name: 'child' }).then(mark('q')))
    const { output } = await agent.invoke({})
    expect(output.trail).toEqual(['p', 'child', 'q'])
    expect(output.plain).toBe('from child')
    expect(output).not.toHaveProperty('childOnly')
  })
})
