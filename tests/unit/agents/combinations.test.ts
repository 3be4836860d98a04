import { z } from 'zod'
import { defineState, reducers, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { ApprovalAgent } from '../../../app/agents/approval_agent'
import { agentOf, rejection } from './helpers'

/* Every construct composes with every other: each test nests two or three of them. */

const S = defineState({
  n: z.number().default(0),
  trail: reducers.append(z.string()),
  found: reducers.merge(z.string()),
  kind: z.string().optional(),
  answer: z.unknown().optional(),
  request: z.string().optional(),
  status: z.string().optional(),
})
type St = StateOf<typeof S>
const mark = (label: string) => Object.defineProperty((_state: St) => ({ trail: [label] }), 'name', { value: label })
const count = (state: St) => ({ n: state.n + 1, trail: [`n${state.n + 1}`] })

describe('construct combinations', () => {
  it('loop inside a branch route, then the step after the branch', async () => {
    const agent = agentOf(S, (g) =>
      g.branch({ repeat: g.chain().loop(count, { while: (s) => s.n < 2 }), once: mark('once') }, (s) => s.kind).then(mark('after')),
    )
    expect((await agent.invoke({ kind: 'repeat' })).output.trail).toEqual(['n1', 'n2', 'after'])
    expect((await agent.invoke({ kind: 'once' })).output.trail).toEqual(['once', 'after'])
  })

  it('parallel -> merge -> loop -> then', async () => {
    const agent = agentOf(S, (g) =>
      g
        .parallel(() => ({ found: { a: 'A' } }), () => ({ found: { b: 'B' } }))
        .merge((s) => ({ trail: [`merged ${Object.keys(s.found).sort().join('')}`] }))
        .loop(count, { while: (s) => s.n < 2 })
        .then(mark('done')),
    )
    expect((await agent.invoke({})).output.trail).toEqual(['merged ab', 'n1', 'n2', 'done'])
  })

  it('branch inside a parallel arm: the merge still runs once, whichever route ran', async () => {
    let merges = 0
    const agent = agentOf(S, (g) =>
      g
        .parallel(g.chain().branch({ x: mark('x'), y: g.chain().then(mark('y1')).then(mark('y2')) }, (s) => s.kind), mark('side'))
        .merge((s) => {
          merges++
          return { status: [...s.trail].sort().join(',') }
        }),
    )
    expect((await agent.invoke({ kind: 'x' })).output.status).toBe('side,x')
    expect((await agent.invoke({ kind: 'y' })).output.status).toBe('side,y1,y2')
    expect(merges).toBe(2)
  })

  it('parallel inside a branch route, joined before the step after the branch', async () => {
    const agent = agentOf(S, (g) => g.branch({ fan: g.chain().parallel(mark('p'), mark('q')), single: mark('s') }, (s) => s.kind).then((s) => ({ status: [...s.trail].sort().join('') })))
    expect((await agent.invoke({ kind: 'fan' })).output.status).toBe('pq')
    expect((await agent.invoke({ kind: 'single' })).output.status).toBe('s')
  })

  it('a loop body with a branch, and a loop inside a parallel arm', async () => {
    const body = (g: GraphBuilder<typeof S>) =>
      g.chain().then(count).branch({ even: mark('even'), odd: mark('odd') }, (s) => (s.n % 2 === 0 ? 'even' : 'odd'))
    const agent = agentOf(S, (g) => g.parallel(g.chain().loop(body(g), { while: (s) => s.n < 3 }), () => ({ found: { side: 'ran' } })).merge(mark('merged')))
    const { output } = await agent.invoke({})
    expect(output.trail).toEqual(['n1', 'odd', 'n2', 'even', 'n3', 'odd', 'merged'])
    expect(output.found).toEqual({ side: 'ran' })
  })

  it('a subgraph in a parallel arm keeps the sibling contributions', async () => {
    const agent = agentOf(S, (g) =>
      g.then(mark('start')).parallel(g.chain().subgraph(g.chain().then(mark('sub1')).then(mark('sub2'))), mark('sibling')).merge(mark('end')),
    )
    const { output } = await agent.invoke({})
    expect(output.trail[0]).toBe('start')
    expect([...output.trail.slice(1, 4)].sort()).toEqual(['sibling', 'sub1', 'sub2'])
    expect(output.trail.slice(4)).toEqual(['end'])
  })

  it('an Agent class with its own interrupt as a subgraph: the parent stops, resumes and continues', async () => {
    const agent = agentOf(S, (g) => g.then(mark('prepare')).subgraph(ApprovalAgent, { name: 'approval' }).then((s) => ({ trail: [`status ${s.status}`] })))
    const first = await agent.invoke({ request: 'new laptop' })
    expect(first.interrupts).toEqual([{ id: expect.any(String), value: { summary: 'Approval requested: new laptop', request: 'new laptop' }, node: 'approval/approval' }])
    expect(agent.interrupts).toEqual(['approval/approval'])
    // The child's resumeSchema guards the resume through the parent too.
    expect((await rejection(agent.resume(first.threadId, { approved: 'yes' }))).code).toBe('E_VALIDATION')
    const done = await agent.resume(first.threadId, { approved: true })
    expect(done.output.trail).toEqual(['prepare', 'status approved'])
  })

  it('an interrupt inside a branch inside a loop', async () => {
    const agent = agentOf(S, (g) =>
      g.loop(
        g.chain().then(count).branch({ ask: g.chain().interrupt({ payload: (s) => `n=${s.n}`, resumeInto: 'answer' }).then((s) => ({ trail: [`answer ${s.answer}`] })), skip: g.chain() }, (s) => (s.n === 2 ? 'ask' : 'skip')),
        { while: (s) => s.n < 3 },
      ),
    )
    const first = await agent.invoke({})
    expect(first.interrupts[0].value).toBe('n=2')
    expect((await agent.resume(first.threadId, 'ok')).output.trail).toEqual(['n1', 'n2', 'answer ok', 'n3'])
  })
})
