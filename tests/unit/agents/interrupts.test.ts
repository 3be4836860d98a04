import { MemorySaver, interrupt } from '@langchain/langgraph'
import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../../framework/agents'
import { agentOf, collect, rejection } from './helpers'

const S = defineState({
  n: z.number().default(0),
  trail: reducers.append(z.string()),
  answer: z.unknown().optional(),
  plain: z.string().optional(),
})
type St = StateOf<typeof S>
const mark = (label: string) => Object.defineProperty((_state: St) => ({ trail: [label] }), 'name', { value: label })

describe('interrupt', () => {
  it('stops with the payload, and the resume value lands in resumeInto for the next node', async () => {
    const agent = agentOf(S, (g) =>
      g.then(mark('a')).interrupt({ name: 'ask', payload: (s) => ({ summary: `seen ${s.trail.join(',')}` }), resumeInto: 'answer' }).then((s) => ({ plain: `got ${JSON.stringify(s.answer)}` })),
    )
    const first = await agent.invoke({})
    expect(first.interrupts).toEqual([{ id: expect.any(String), value: { summary: 'seen a' }, node: 'ask' }])
    const waiting = await agent.getState(first.threadId)
    expect(waiting.next).toEqual(['ask'])
    expect(waiting.interrupts).toEqual(first.interrupts)

    const done = await agent.resume(first.threadId, { ok: true })
    expect(done.interrupts).toEqual([])
    expect(done.output).toMatchObject({ answer: { ok: true }, plain: 'got {"ok":true}', trail: ['a'] })
  })

  it('hands the resume value to the next node as ctx.resumeValue when there is no resumeInto, and only to that node', async () => {
    const seen: unknown[] = []
    const agent = agentOf(S, (g) =>
      g
        .interrupt({ payload: 'continue?' })
        .then((_s, ctx) => {
          seen.push(ctx.resumeValue)
          return {}
        })
        .then((_s, ctx) => {
          seen.push(ctx.resumeValue)
          return {}
        }),
    )
    const { threadId, interrupts } = await agent.invoke({})
    expect(interrupts[0].value).toBe('continue?')
    await agent.resume(threadId, 'yes')
    expect(seen).toEqual(['yes', undefined])
  })

  it('stops before or after a named node wherever it sits in the graph', async () => {
    const agent = agentOf(S, (g) =>
      g
        .then(mark('a'))
        .branch({ x: mark('b'), y: mark('c') }, () => 'x')
        .then(mark('d'))
        .interrupt({ before: 'b', payload: 'before b' })
        .interrupt({ after: 'd', payload: 'after d' }),
    )
    const first = await agent.invoke({})
    expect(first.output.trail).toEqual(['a'])
    expect(first.interrupts[0]).toMatchObject({ value: 'before b', node: 'before_b' })
    const second = await agent.resume(first.threadId, true)
    expect(second.output.trail).toEqual(['a', 'b', 'd'])
    expect(second.interrupts[0]).toMatchObject({ value: 'after d', node: 'after_d' })
    expect((await agent.resume(first.threadId, {})).interrupts).toEqual([])
    expect(agent.interrupts).toEqual(['before_b', 'after_d'])
  })

  it('refuses to resume an unknown thread or one that is not interrupted', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).interrupt({ payload: 'p' }))
    expect((await rejection(agent.resume('no-such-thread', 1))).code).toBe('E_THREAD_NOT_FOUND')
    const { threadId } = await agent.invoke({})
    // LangGraph cannot resume with null: refused before the thread moves.
    expect((await rejection(agent.resume(threadId, null))).code).toBe('E_VALIDATION')
    await agent.resume(threadId, 1)
    expect((await rejection(agent.resume(threadId, 1))).code).toBe('E_NOTHING_TO_RESUME')
  })

  it('checks the resume value against resumeSchema before the thread moves', async () => {
    const agent = agentOf(S, (g) => g.interrupt({ name: 'gate', resumeInto: 'answer', resumeSchema: z.object({ approved: z.boolean() }) }).then(mark('after')))
    const { threadId } = await agent.invoke({})
    const error = await rejection(agent.resume(threadId, { approved: 'yes' }))
    expect(error.code).toBe('E_VALIDATION')
    expect(error.details).toEqual([{ path: 'approved', message: expect.any(String) }])
    expect((await agent.getState(threadId)).next).toEqual(['gate'])
    expect((await agent.resume(threadId, { approved: true })).output).toMatchObject({ answer: { approved: true }, trail: ['after'] })
  })

  it('resumes interrupts pending in parallel arms with a map of interrupt id to value', async () => {
    const Two = defineState({ left: z.string().optional(), right: z.string().optional(), both: z.string().optional() })
    const agent = agentOf(Two, (g) =>
      g
        .parallel(g.chain().interrupt({ name: 'ask_left', payload: 'L?', resumeInto: 'left', resumeSchema: z.string() }), g.chain().interrupt({ name: 'ask_right', payload: 'R?', resumeInto: 'right' }))
        .merge((s) => ({ both: `${s.left}+${s.right}` })),
    )
    const { threadId, interrupts } = await agent.invoke({})
    expect(interrupts.map((i) => i.node).sort()).toEqual(['ask_left', 'ask_right'])
    const id = (node: string) => interrupts.find((i) => i.node === node)!.id
    expect((await rejection(agent.resume(threadId, { [id('ask_left')]: 1, [id('ask_right')]: 'r' }))).code).toBe('E_VALIDATION')
    const done = await agent.resume(threadId, { [id('ask_left')]: 'l', [id('ask_right')]: 'r' })
    expect(done.output.both).toBe('l+r')
  })

  it('after answering one of two parallel interrupts, only the other is pending, and a plain value answers it', async () => {
    const Two = defineState({ left: z.string().optional(), right: z.string().optional(), both: z.string().optional() })
    const agent = agentOf(Two, (g) =>
      g.parallel(g.chain().interrupt({ name: 'ask_left', payload: 'L?', resumeInto: 'left' }), g.chain().interrupt({ name: 'ask_right', payload: 'R?', resumeInto: 'right' })).merge((s) => ({ both: `${s.left}+${s.right}` })),
    )
    const { threadId, interrupts } = await agent.invoke({})
    const left = interrupts.find((i) => i.node === 'ask_left')!.id

    const half = await agent.resume(threadId, { [left]: 'l' })

    expect(half.interrupts.map((i) => i.node)).toEqual(['ask_right'])
    expect((await agent.getState(threadId)).interrupts.map((i) => i.node)).toEqual(['ask_right'])
    expect((await agent.resume(threadId, 'r')).output.both).toBe('l+r')
  })

  it('does not list the interrupt of a parallel node that was answered and finished without writing anything', async () => {
    const calls: string[] = []
    const asks = (label: string) =>
      Object.defineProperty(
        () => {
          calls.push(`${label}:${String(interrupt(`${label}?`))}`)
          return undefined
        },
        'name',
        { value: label },
      )
    const agent = agentOf(S, (g) => g.parallel(asks('a'), asks('b')))
    const { threadId, interrupts } = await agent.invoke({})
    const a = interrupts.find((i) => i.value === 'a?')!.id

    const half = await agent.resume(threadId, { [a]: 'x' })

    expect(calls).toEqual(['a:x'])
    expect(half.interrupts.map((i) => i.value)).toEqual(['b?'])
    expect((await agent.getState(threadId)).interrupts.map((i) => i.value)).toEqual(['b?'])
    expect((await agent.resume(threadId, 'y')).interrupts).toEqual([])
    expect(calls).toContain('b:y')
  })

  it('accepts the map of interrupt id to value with a single interrupt pending, and says which keys are not pending ids', async () => {
    const agent = agentOf(S, (g) => g.interrupt({ name: 'ask', resumeInto: 'answer', resumeSchema: z.object({ ok: z.boolean() }) }).then((s) => ({ plain: JSON.stringify(s.answer) })))
    const { threadId, interrupts } = await agent.invoke({})
    const stale = 'f'.repeat(32)

    const unknown = await rejection(agent.resume(threadId, { [stale]: { ok: true } }))
    expect(unknown.code).toBe('E_VALIDATION')
    expect(unknown.message).toContain(`${stale} is not the id of an interrupt this thread waits on`)
    const mixed = await rejection(agent.resume(threadId, { [interrupts[0].id]: { ok: true }, other: 1 }))
    expect(mixed.message).toContain('other is not the id of an interrupt')
    expect((await rejection(agent.resume(threadId, { [interrupts[0].id]: { ok: 'yes' } }))).code).toBe('E_VALIDATION')

    const done = await agent.resume(threadId, { [interrupts[0].id]: { ok: true } })
    expect(done.output.plain).toBe('{"ok":true}')
  })

  it('interrupts on every iteration of a loop and resumes each one', async () => {
    const agent = agentOf(S, (g) =>
      g.loop(g.chain().interrupt({ payload: (s) => `round ${s.n + 1}`, resumeInto: 'answer' }).then((s) => ({ n: s.n + 1, trail: [String(s.answer)] })), { while: (s) => s.n < 2 }).then(mark('end')),
    )
    let result = await agent.invoke({})
    const asked: unknown[] = []
    for (const answer of ['first', 'second']) {
      asked.push(result.interrupts[0]?.value)
      result = await agent.resume(result.threadId, answer)
    }
    expect(asked).toEqual(['round 1', 'round 2'])
    expect(result.interrupts).toEqual([])
    expect(result.output.trail).toEqual(['first', 'second', 'end'])
  })

  it('resumes an interrupt inside a subgraph; the parent continues and nothing doubles', async () => {
    const agent = agentOf(S, (g) =>
      g.then(mark('p1')).subgraph(g.chain().then(mark('c1')).interrupt({ payload: 'inner', resumeInto: 'answer' }).then(mark('c2')), { name: 'child' }).then(mark('p2')),
    )
    const first = await agent.invoke({})
    expect(first.interrupts).toEqual([{ id: expect.any(String), value: 'inner', node: 'child/interrupt' }])
    expect((await agent.getState(first.threadId)).interrupts).toEqual(first.interrupts)
    const done = await agent.resume(first.threadId, 42)
    expect(done.output.trail).toEqual(['p1', 'c1', 'c2', 'p2'])
    expect(done.output.answer).toBe(42)
  })

  it('lists interrupts inside subgraphs as paths and checks their resumeSchema when resumed through the parent', async () => {
    const agent = agentOf(S, (g) =>
      g
        .interrupt({ name: 'first' })
        .subgraph(g.chain().interrupt({ name: 'ask', payload: 'ok?', resumeInto: 'answer', resumeSchema: z.object({ ok: z.boolean() }) }), { name: 'child' })
        .then(mark('after')),
    )
    expect(agent.interrupts).toEqual(['first', 'child/ask'])
    const { threadId } = await agent.invoke({})
    const second = await agent.resume(threadId, true)
    expect(second.interrupts).toEqual([{ id: expect.any(String), value: 'ok?', node: 'child/ask' }])
    const refused = await rejection(agent.resume(threadId, 'garbage'))
    expect(refused.code).toBe('E_VALIDATION')
    const done = await agent.resume(threadId, { ok: true })
    expect(done.output).toMatchObject({ answer: { ok: true }, trail: ['after'] })
  })

  it('resumes on a fresh agent instance sharing the checkpointer (a restarted process)', async () => {
    const saver = new MemorySaver()
    const build = () => agentOf(S, (g) => g.then(() => ({ trail: ['anon'] })).interrupt({ resumeInto: 'answer' }).then((s) => ({ plain: String(s.answer) })))
    const before = await build().compile({ checkpointer: saver })
    const { threadId } = await before.invoke({})
    const after = await build().compile({ checkpointer: saver })
    expect((await after.resume(threadId, 'later')).output).toMatchObject({ plain: 'later', trail: ['anon'] })
  })

  it('streams up to the interrupt, ends with an interrupt event, and resumeStream finishes the run', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).interrupt({ name: 'ask', payload: 'go?', resumeInto: 'answer' }).then(mark('b')))
    const first = await collect(agent.stream({}, { threadId: 'stream-1', modes: ['updates'] }))
    expect(first).toEqual([
      { event: 'updates', node: 'a', data: { trail: ['a'] } },
      { event: 'interrupt', data: [{ id: expect.any(String), value: 'go?', node: 'ask' }] },
    ])
    const second = await collect(await agent.resumeStream('stream-1', 'yes', { modes: ['values'] }))
    expect(second.at(-1)).toEqual({ event: 'values', data: { n: 0, trail: ['a', 'b'], answer: 'yes' } })
    expect(second.some((event) => event.event === 'interrupt')).toBe(false)
    await expect(agent.resumeStream('stream-1', 'again')).rejects.toMatchObject({ code: 'E_NOTHING_TO_RESUME' })
  })

  it('accepts a state update while interrupted, then resumes with it', async () => {
    const agent = agentOf(S, (g) => g.then(mark('a')).interrupt({ payload: (s) => s.plain, resumeInto: 'answer' }).then((s) => ({ plain: `${s.plain}+${s.answer}` })))
    const { threadId, interrupts } = await agent.invoke({ plain: 'draft' })
    expect(interrupts[0].value).toBe('draft')
    const updated = await agent.updateState(threadId, { plain: 'edited' })
    expect(updated.interrupts).toEqual([{ id: expect.any(String), value: 'edited', node: 'interrupt' }])
    expect((await agent.resume(threadId, 'ok')).output.plain).toBe('edited+ok')
  })
})
