import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BaseMessage, ToolMessage } from '@langchain/core/messages'
import { Command } from '@langchain/langgraph'
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'
import { z } from 'zod'
import { defineState, reducers } from '../../../framework/agents'
import { toolLoop, type Llm } from '../../../framework/llm'
import { getMetrics } from '../../../framework/observability'
import { defineTool } from '../../../framework/tools'
import { agentOf, collect, rejection } from '../agents/helpers'
import { fakeManager } from './helpers'

const S = defineState({ messages: reducers.messages() })
const ask = (content: string) => ({ messages: [{ role: 'user', content }] })

function tools() {
  const runs: Record<string, unknown[]> = { lookup_order: [], refund: [] }
  const lookupOrder = defineTool({
    name: 'lookup_order',
    description: 'Find an order',
    schema: z.object({ orderId: z.number().int() }),
    handler: async ({ orderId }) => {
      runs.lookup_order.push(orderId)
      return { orderId, status: 'shipped' }
    },
  })
  const refund = defineTool({
    name: 'refund',
    description: 'Refund an order',
    schema: z.object({ orderId: z.number().int(), amount: z.number().positive() }),
    requiresApproval: true,
    handler: async (input) => {
      runs.refund.push(input)
      return { refunded: input.amount }
    },
  })
  return { runs, lookupOrder, refund }
}

const toolTexts = (messages: BaseMessage[]) => messages.filter((m): m is ToolMessage => m.getType() === 'tool').map((m) => m.text)

async function executions(tool: string, outcome: string): Promise<number> {
  const values = (await getMetrics().toolExecutions.get()).values
  return values.find((v) => v.labels.tool === tool && v.labels.outcome === outcome)?.value ?? 0
}

describe('toolLoop as graph steps', () => {
  it('makes every model turn and every tool call a step of its own in the updates stream and the thread history', async () => {
    const { llm, script } = fakeManager()
    const { lookupOrder } = tools()
    script.reply({ toolCalls: [{ name: 'lookup_order', args: { orderId: 1 }, id: 'a' }, { name: 'lookup_order', args: { orderId: 2 }, id: 'b' }] })
    script.toolCall('lookup_order', { orderId: 3 }, 'c').reply('All shipped.')
    const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder] })))

    const events = await collect(agent.stream(ask('orders 1, 2, 3?'), { threadId: 't1' }))

    const steps = events.flatMap((e) => (e.event === 'updates' ? [[e.node, (e.data as { messages: BaseMessage[] }).messages.map((m) => m.getType()).join(',')]] : []))
    expect(steps).toEqual([
      ['tool_loop', 'ai'],
      ['tool_loop_tools', 'tool'],
      ['tool_loop_tools', 'tool'],
      ['tool_loop', 'ai'],
      ['tool_loop_tools', 'tool'],
      ['tool_loop', 'ai'],
    ])
    const history = await agent.getHistory('t1')
    // Oldest first: what each checkpoint was about to run, and how long the conversation was.
    expect(history.reverse().map((h) => [h.next.join('+'), h.values.messages?.length ?? 0])).toEqual([
      ['__start__', 0],
      ['tool_loop_enter', 1],
      ['tool_loop', 1],
      ['tool_loop_tools+tool_loop_tools', 2],
      ['tool_loop', 4],
      ['tool_loop_tools', 5],
      ['tool_loop', 6],
      ['', 7],
    ])
    const final = await agent.getState('t1')
    expect(final.values.messages.map((m: BaseMessage) => m.getType())).toEqual(['human', 'ai', 'tool', 'tool', 'ai', 'tool', 'ai'])
    expect(agent.toMermaid()).toContain('tool_loop_tools')
  })

  it('keeps the calls that finished when a run stops in the middle of a turn: continuing it runs only the others', async () => {
    const { llm, script } = fakeManager()
    const { runs, lookupOrder } = tools()
    const controller = new AbortController()
    let hangs = true
    const stuck = defineTool({
      name: 'stuck',
      description: 'Hangs the first time',
      schema: z.object({}),
      handler: async (_input, { signal }) => {
        if (!hangs) return 'unstuck'
        // The first call outlives its sibling, then the run is cancelled under it (a crash, as far as the loop knows).
        setTimeout(() => controller.abort(new Error('process gone')), 30)
        return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      },
    })
    script.reply({ toolCalls: [{ name: 'lookup_order', args: { orderId: 1 }, id: 'fast' }, { name: 'stuck', args: {}, id: 'slow' }] }).reply('both done')
    const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder, stuck] })))

    const stopped = await rejection(agent.invoke(ask('go'), { threadId: 'crash', signal: controller.signal, durability: 'sync' }))
    expect(stopped.code).toBe('E_ABORTED')
    expect(runs.lookup_order).toEqual([1])
    // The finished call's result is saved with the checkpoint: only the other call is still to run.
    expect((await agent.getState('crash')).next).toEqual(['tool_loop_tools'])

    hangs = false
    const continued = await agent.continue('crash')
    expect(continued.threadId).toBe('crash')

    expect(runs.lookup_order).toEqual([1])
    expect(script.calls).toHaveLength(2)
    const final = await agent.getState('crash')
    expect(toolTexts(final.values.messages)).toEqual(['{"orderId":1,"status":"shipped"}', 'unstuck'])
    expect(final.values.messages.at(-1)?.text).toBe('both done')
    // Once finished there is nothing to continue.
    expect((await rejection(agent.continue('crash'))).code).toBe('E_NOTHING_TO_CONTINUE')
  })

  it('keeps maxSteps: at the limit the pending calls are answered "not run", or E_LOOP_LIMIT with onLimit: "error"', async () => {
    const { llm, script } = fakeManager()
    const { runs, lookupOrder } = tools()
    script.otherwise(() => ({ toolCalls: [{ name: 'lookup_order', args: { orderId: 7 } }] }))

    const { output } = await agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 2 }))).invoke(ask('loop'))
    expect(script.calls).toHaveLength(2)
    expect(runs.lookup_order).toEqual([7])
    expect(output.messages.at(-1)?.text).toMatch(/step limit \(2\)/)

    const error = await rejection(agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 1, onLimit: 'error' }))).invoke(ask('loop')))
    expect(error.code).toBe('E_LOOP_LIMIT')
  })

  it('counts maxSteps afresh each time the loop is entered', async () => {
    const { llm, script } = fakeManager()
    const { lookupOrder } = tools()
    const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 2 })))
    script.toolCall('lookup_order', { orderId: 1 }).reply('one')
    const first = await agent.invoke(ask('1?'))
    script.toolCall('lookup_order', { orderId: 2 }).reply('two')
    const { output } = await agent.invoke(ask('2?'), { threadId: first.threadId })
    expect(output.messages.at(-1)?.text).toBe('two')
  })

  it('keeps retry, fallback and the tool metrics, and sends failures back to the model', async () => {
    const { llm, script } = fakeManager()
    let attempts = 0
    const flaky = defineTool({
      name: 'flaky_steps',
      description: 'Fails once',
      schema: z.object({}),
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      handler: async () => {
        attempts++
        if (attempts === 1) throw new Error('boom')
        return 'ok'
      },
    })
    const slow = defineTool({
      name: 'slow_steps',
      description: 'Too slow',
      schema: z.object({}),
      timeoutMs: 20,
      handler: (_input, { signal }) => new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('late'))),
      fallback: () => 'fallback answer',
    })
    const broken = defineTool({ name: 'broken_steps', description: 'Always fails', schema: z.object({}), handler: async () => { throw new Error('down') } })
    script.reply({ toolCalls: [{ name: 'flaky_steps', args: {}, id: 'f' }, { name: 'slow_steps', args: {}, id: 's' }, { name: 'broken_steps', args: {}, id: 'b' }] }).reply('done')
    const before = { flaky: await executions('flaky_steps', 'success'), slow: await executions('slow_steps', 'failure'), broken: await executions('broken_steps', 'failure') }

    const { output } = await agentOf(S, (g) => g.then(toolLoop({ llm, tools: [flaky, slow, broken] }))).invoke(ask('go'))

    expect(attempts).toBe(2)
    expect(toolTexts(output.messages)).toEqual(['ok', 'fallback answer', expect.stringContaining('E_TOOL_FAILED')])
    expect(await executions('flaky_steps', 'success')).toBe(before.flaky + 1)
    expect(await executions('slow_steps', 'failure')).toBe(before.slow + 1)
    expect(await executions('broken_steps', 'failure')).toBe(before.broken + 1)
  })

  it('loads tool sources when the steps run', async () => {
    const { llm, script } = fakeManager()
    const { lookupOrder } = tools()
    const load = jest.fn(async () => [lookupOrder])
    script.toolCall('lookup_order', { orderId: 4 }).reply('found')
    const { output } = await agentOf(S, (g) => g.then(toolLoop({ llm, tools: [{ name: 'src', load }] }))).invoke(ask('4?'))
    expect(toolTexts(output.messages)).toEqual(['{"orderId":4,"status":"shipped"}'])
    expect(script.calls[0].tools.map((t) => t.name)).toEqual(['lookup_order'])
    expect(load).toHaveBeenCalled()
  })
})

describe('tool approval', () => {
  function approvalAgent(llm: Llm) {
    const set = tools()
    const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [set.lookupOrder, set.refund] })))
    return { ...set, agent }
  }

  it('stops before the call with the tool, call id and arguments; finished steps do not run again on resume', async () => {
    const { llm, script } = fakeManager()
    const { agent, runs } = approvalAgent(llm)
    script.reply({ toolCalls: [{ name: 'lookup_order', args: { orderId: 9 }, id: 'look' }, { name: 'refund', args: { orderId: 9, amount: 30 }, id: 'pay' }] }).reply('Refunded.')

    const first = await agent.invoke(ask('refund order 9'))
    expect(first.interrupts).toEqual([
      { id: expect.any(String), node: 'tool_loop_tools', value: { type: 'tool_approval', tool: 'refund', callId: 'pay', args: { orderId: 9, amount: 30 }, description: 'Refund an order' } },
    ])
    expect(runs).toEqual({ lookup_order: [9], refund: [] })
    expect(agent.interrupts).toEqual(['tool_loop_tools'])
    // Waiting for a person is not a stopped run: continue() refuses, resume() answers.
    const waiting = await rejection(agent.continue(first.threadId))
    expect([waiting.code, waiting.status]).toEqual(['E_NOTHING_TO_CONTINUE', 409])
    expect(runs.refund).toEqual([])

    const done = await agent.resume(first.threadId, 'approve')
    expect(runs).toEqual({ lookup_order: [9], refund: [{ orderId: 9, amount: 30 }] })
    expect(script.calls).toHaveLength(2)
    expect(toolTexts(done.output.messages)).toEqual(['{"orderId":9,"status":"shipped"}', '{"refunded":30}'])
    expect(done.output.messages.at(-1)?.text).toBe('Refunded.')
  })

  it('tells the model a rejected call was refused, with the reason', async () => {
    const { llm, script } = fakeManager()
    const { agent, runs } = approvalAgent(llm)
    script.toolCall('refund', { orderId: 1, amount: 500 }, 'r').reply('I could not refund it.')
    const first = await agent.invoke(ask('refund'))

    const done = await agent.resume(first.threadId, { approve: false, reason: 'too large' })

    expect(runs.refund).toEqual([])
    const refused = done.output.messages.find((m: BaseMessage) => m.getType() === 'tool') as ToolMessage
    expect(refused).toMatchObject({ tool_call_id: 'r', status: 'error' })
    expect(refused.text).toContain('refused')
    expect(refused.text).toContain('too large')
    expect(script.calls[1].messages.at(-1)?.text).toContain('too large')
  })

  it('runs an approved call with edited arguments', async () => {
    const { llm, script } = fakeManager()
    const { agent, runs } = approvalAgent(llm)
    script.toolCall('refund', { orderId: 1, amount: 500 }, 'r').reply('Partly refunded.')
    const first = await agent.invoke(ask('refund'))

    await agent.resume(first.threadId, { approve: true, args: { orderId: 1, amount: 50 } })

    expect(runs.refund).toEqual([{ orderId: 1, amount: 50 }])
  })

  it('refuses a bad edit or a malformed decision before the thread moves, and nothing runs', async () => {
    const { llm, script } = fakeManager()
    const { agent, runs } = approvalAgent(llm)
    script.toolCall('refund', { orderId: 1, amount: 500 }, 'r').reply('ok')
    const first = await agent.invoke(ask('refund'))

    const badArgs = await rejection(agent.resume(first.threadId, { approve: true, args: { orderId: 1, amount: -5 } }))
    expect(badArgs).toMatchObject({ code: 'E_TOOL_INPUT', status: 422 })
    const badShape = await rejection(agent.resume(first.threadId, { approve: 'yes' }))
    expect(badShape).toMatchObject({ code: 'E_VALIDATION', status: 422 })
    const argsOnReject = await rejection(agent.resume(first.threadId, { approve: false, args: { orderId: 1, amount: 1 } }))
    expect(argsOnReject.code).toBe('E_VALIDATION')

    expect(runs.refund).toEqual([])
    expect((await agent.getState(first.threadId)).interrupts).toHaveLength(1)
    await agent.resume(first.threadId, 'reject')
    expect(runs.refund).toEqual([])
  })

  it('asks only when a predicate says so', async () => {
    const { llm, script } = fakeManager()
    const paid: number[] = []
    const pay = defineTool({
      name: 'pay',
      description: 'Pay',
      schema: z.object({ amount: z.number() }),
      requiresApproval: ({ amount }) => amount > 100,
      handler: async ({ amount }) => {
        paid.push(amount)
        return 'paid'
      },
    })
    const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [pay] })))
    script.toolCall('pay', { amount: 10 }).reply('ok').toolCall('pay', { amount: 1000 }).reply('ok')

    expect((await agent.invoke(ask('small'))).interrupts).toEqual([])
    expect(paid).toEqual([10])
    const big = await agent.invoke(ask('big'))
    expect(big.interrupts).toHaveLength(1)
    expect(paid).toEqual([10])
  })

  it('asks for every call of one turn at once; each is answered by its interrupt id, some now and the rest later', async () => {
    const { llm, script } = fakeManager()
    const { agent, runs } = approvalAgent(llm)
    script.reply({ toolCalls: [{ name: 'refund', args: { orderId: 1, amount: 10 }, id: 'one' }, { name: 'refund', args: { orderId: 2, amount: 20 }, id: 'two' }] }).reply('done')
    const first = await agent.invoke(ask('two refunds'))
    expect(first.interrupts.map((i) => (i.value as { callId: string }).callId).sort()).toEqual(['one', 'two'])

    const plain = await rejection(agent.resume(first.threadId, 'approve'))
    expect(plain.code).toBe('E_VALIDATION')

    const byCall = Object.fromEntries(first.interrupts.map((i) => [(i.value as { callId: string }).callId, i.id]))
    const some = await agent.resume(first.threadId, { [byCall.one]: 'approve' })
    expect(runs.refund).toEqual([{ orderId: 1, amount: 10 }])
    expect(some.interrupts).toEqual([expect.objectContaining({ id: byCall.two, value: expect.objectContaining({ callId: 'two' }) })])

    const done = await agent.resume(first.threadId, { approve: false, reason: 'duplicate' })
    expect(runs.refund).toEqual([{ orderId: 1, amount: 10 }])
    expect(done.interrupts).toEqual([])
    expect(toolTexts(done.output.messages)).toEqual(['{"refunded":10}', expect.stringContaining('duplicate')])
  })

  it('works inside a subgraph chain: the interrupt is reported at its path, and a bad edit is still refused there', async () => {
    const { llm, script } = fakeManager()
    const { runs, refund } = tools()
    const agent = agentOf(S, (g) => g.subgraph(g.chain().then(toolLoop({ llm, tools: [refund] })), { name: 'inner' }))
    script.toolCall('refund', { orderId: 2, amount: 40 }, 'r').reply('ok')

    const first = await agent.invoke(ask('refund'))
    expect(agent.interrupts).toEqual(['inner/tool_loop_tools'])
    expect(first.interrupts).toEqual([expect.objectContaining({ node: 'inner/tool_loop_tools', value: expect.objectContaining({ tool: 'refund' }) })])
    expect((await rejection(agent.resume(first.threadId, { approve: true, args: { orderId: 2 } }))).code).toBe('E_TOOL_INPUT')

    await agent.resume(first.threadId, { approve: true, args: { orderId: 2, amount: 4 } })
    expect(runs.refund).toEqual([{ orderId: 2, amount: 4 }])
  })

  it('sizes the step budget for maxSteps turns, and refuses an interrupt placed before the tools step', () => {
    const { lookupOrder } = tools()
    expect(agentOf(S, (g) => g.then(toolLoop({ tools: [lookupOrder], maxSteps: 700 }))).stepBudget).toBe(1 + 2 * 700)
    const placed = agentOf(S, (g) => g.then(toolLoop({ tools: [lookupOrder] })).interrupt({ before: 'tool_loop_tools' }))
    expect(placed.validate()).toEqual([expect.stringContaining('give the tools requiresApproval instead')])
  })

  it('in a loop called as a plain function, a call that needs approval is answered "not run"', async () => {
    const { llm, script } = fakeManager()
    const { runs, refund } = tools()
    script.toolCall('refund', { orderId: 1, amount: 5 }).reply('sorry')
    const { messages } = await toolLoop({ llm, tools: [refund] })({ messages: ['refund'] })
    expect(runs.refund).toEqual([])
    expect(toolTexts(messages)[0]).toMatch(/needs a person's approval/)
  })

  describe('the decision to ask is made once, before the call', () => {
    function adminOnly(llm: Llm) {
      const paid: unknown[] = []
      const pay = defineTool({
        name: 'pay',
        description: 'Pay',
        schema: z.object({ amount: z.number() }),
        requiresApproval: (_input, { context }) => !(context as { user?: { admin?: boolean } } | undefined)?.user?.admin,
        handler: async (input) => {
          paid.push(input)
          return 'paid'
        },
      })
      return { paid, agent: agentOf(S, (g) => g.then(toolLoop({ llm, tools: [pay] }))) }
    }
    const as = (admin: boolean) => ({ context: { user: { admin } } as never })

    it('a reject is honoured even when the rule would not ask the person resuming', async () => {
      const { llm, script } = fakeManager()
      const { agent, paid } = adminOnly(llm)
      script.toolCall('pay', { amount: 900 }, 'p').reply('Not paid.')
      const first = await agent.invoke(ask('pay'), as(false))
      expect(first.interrupts).toHaveLength(1)

      const done = await agent.resume(first.threadId, { approve: false, reason: 'no' }, as(true))

      expect(paid).toEqual([])
      expect(toolTexts(done.output.messages)).toEqual([expect.stringContaining('refused')])
      expect(script.calls[1].messages.at(-1)?.text).toContain('refused')
    })

    it('an edit is honoured even when the rule would not ask the person resuming, and the model is told the arguments were edited', async () => {
      const { llm, script } = fakeManager()
      const { agent, paid } = adminOnly(llm)
      script.toolCall('pay', { amount: 900 }, 'p').reply('Paid 90.')
      const first = await agent.invoke(ask('pay'), as(false))

      await agent.resume(first.threadId, { approve: true, args: { amount: 90 } }, as(true))

      expect(paid).toEqual([{ amount: 90 }])
      expect(script.calls[1].messages.at(-1)?.text).toBe('Run with arguments edited by the reviewer: {"amount":90}\npaid')
    })

    it('a rule that throws asks (fails closed) instead of failing the run', async () => {
      const { llm, script } = fakeManager()
      const paid: number[] = []
      const pay = defineTool({
        name: 'pay',
        description: 'Pay',
        schema: z.object({ n: z.number() }),
        requiresApproval: () => {
          throw new Error('limits service down')
        },
        handler: async ({ n }) => {
          paid.push(n)
          return 'paid'
        },
      })
      script.toolCall('pay', { n: 1 }, 'p').reply('done')
      const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [pay] })))

      const first = await agent.invoke(ask('pay'))

      expect(first.interrupts).toEqual([expect.objectContaining({ value: expect.objectContaining({ tool: 'pay', callId: 'p' }) })])
      expect(paid).toEqual([])
      await agent.resume(first.threadId, 'approve')
      expect(paid).toEqual([1])
    })

    it('asks when the tool sources cannot be loaded to decide (fails closed)', async () => {
      const { llm, script } = fakeManager()
      const { runs, lookupOrder } = tools()
      let loads = 0
      const source = {
        name: 'src',
        load: async () => {
          loads++
          if (loads === 2) throw new Error('list failed')
          return [lookupOrder]
        },
      }
      script.toolCall('lookup_order', { orderId: 3 }, 'l').reply('ok')
      const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [source] })))

      const first = await agent.invoke(ask('order 3?'))

      expect(first.interrupts).toEqual([expect.objectContaining({ value: expect.objectContaining({ tool: 'lookup_order', callId: 'l' }) })])
      expect(runs.lookup_order).toEqual([])
      await agent.resume(first.threadId, 'approve')
      expect(runs.lookup_order).toEqual([3])
    })

    it('refuses an edit for a tool that left its source since the call was asked for (422, not 404)', async () => {
      const { llm, script } = fakeManager()
      const { refund } = tools()
      let present = true
      const source = { name: 'src', mayNeedApproval: true, load: async () => (present ? [refund] : []) }
      script.toolCall('refund', { orderId: 1, amount: 5 }, 'r').reply('ok')
      const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [source] })))
      const first = await agent.invoke(ask('refund'))
      present = false

      const error = await rejection(agent.resume(first.threadId, { approve: true, args: { orderId: 1, amount: 1 } }))

      expect(error).toMatchObject({ code: 'E_VALIDATION', status: 422 })
      expect(error.message).toContain('no longer available')
    })
  })

  describe('entering and leaving the loop', () => {
    const twoCalls = (script: ReturnType<typeof fakeManager>['script']) => script.toolCall('lookup_order', { orderId: 1 }, 'a').toolCall('lookup_order', { orderId: 2 }, 'b').reply('done')

    it.each(['before', 'after'] as const)('an interrupt %s the loop stops once per pass, not once per model turn', async (where) => {
      const { llm, script } = fakeManager()
      const { lookupOrder } = tools()
      twoCalls(script)
      const agent = agentOf(S, (g) => g.then(toolLoop({ llm, tools: [lookupOrder] })).interrupt(where === 'before' ? { before: 'tool_loop', payload: 'review' } : { after: 'tool_loop', payload: 'review' }))
      expect(agent.validate()).toEqual([])

      let result = await agent.invoke(ask('go'))
      let stops = 0
      while (result.interrupts.length > 0) {
        stops++
        expect(script.calls).toHaveLength(where === 'before' ? 0 : 3)
        result = await agent.resume(result.threadId, true)
      }

      expect(stops).toBe(1)
      expect(script.calls).toHaveLength(3)
      expect(result.output.messages.at(-1)?.text).toBe('done')
    })

    it('entering the loop again by its name (Command goto) gets all of maxSteps', async () => {
      const { llm, script } = fakeManager()
      const { runs, lookupOrder } = tools()
      const Tries = defineState({ messages: reducers.messages(), tries: z.number().default(0) })
      script.toolCall('lookup_order', { orderId: 1 }, 'a').reply('first').toolCall('lookup_order', { orderId: 2 }, 'b').reply('second')
      const again = function again(state: { tries: number }) {
        return state.tries === 0 ? new Command({ goto: 'tool_loop', update: { tries: 1, messages: [{ role: 'user', content: 'again' }] } }) : undefined
      }
      const agent = agentOf(Tries, (g) => g.then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 2 })).then(again))

      const { output } = await agent.invoke(ask('go'))

      expect(runs.lookup_order).toEqual([1, 2])
      expect(script.calls).toHaveLength(4)
      expect(output.messages.at(-1)?.text).toBe('second')
    })
  })

  describe('across a restart (sqlite)', () => {
    let dir: string
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'langvel-toolsteps-'))
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('a new agent on a new saver resumes the stopped loop without repeating finished calls or model turns', async () => {
      const path = join(dir, 'checkpoints.sqlite')
      const before = fakeManager()
      before.script.toolCall('lookup_order', { orderId: 5 }, 'l').toolCall('refund', { orderId: 5, amount: 12 }, 'p')
      const old = approvalAgent(before.llm)
      const saver = SqliteSaver.fromConnString(path)
      await old.agent.compile({ checkpointer: saver })
      const first = await old.agent.invoke(ask('refund 5'), { threadId: 'restart' })
      expect(first.interrupts).toHaveLength(1)
      expect(old.runs).toEqual({ lookup_order: [5], refund: [] })
      expect(before.script.calls).toHaveLength(2)

      const after = fakeManager()
      after.script.reply('Refunded 12.')
      const fresh = approvalAgent(after.llm)
      await fresh.agent.compile({ checkpointer: SqliteSaver.fromConnString(path) })
      const done = await fresh.agent.resume('restart', 'approve')

      expect(fresh.runs).toEqual({ lookup_order: [], refund: [{ orderId: 5, amount: 12 }] })
      expect(after.script.calls).toHaveLength(1)
      expect(done.output.messages.map((m: BaseMessage) => m.getType())).toEqual(['human', 'ai', 'tool', 'ai', 'tool', 'ai'])
    })
  })
})
