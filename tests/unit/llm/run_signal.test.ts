import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import type { Llm } from '../../../framework/llm'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { currentRunSignal } from '../../../framework/llm/run_signal'
import { counter, fakeManager } from './helpers'

const S = defineState({ query: z.string(), answer: z.string().optional() })

/** An agent whose only node makes one model call with `call`, never passing a signal. */
function agentCalling(call: (llm: Llm) => Promise<unknown>) {
  class Forgetful extends Agent<typeof S> {
    state = S
    build(graph: GraphBuilder<typeof S>) {
      return graph.then(async () => {
        await call(this.llm)
        return { answer: 'done' }
      })
    }
  }
  return new Forgetful()
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise
  } catch (error) {
    return error as { code?: string }
  }
  throw new Error('expected a rejection')
}

describe("model calls inside a run use the run's signal when given none", () => {
  let fake: ReturnType<typeof fakeManager>
  const resolve = () => fake.manager

  beforeEach(() => {
    fake = fakeManager()
    setLlmManagerResolver(resolve)
  })
  afterEach(() => clearLlmManagerResolver(resolve))

  const calls: Array<[string, (llm: Llm) => Promise<unknown>]> = [
    ['invoke', (llm) => llm.invoke('ping')],
    ['chat', (llm) => llm.chat([{ role: 'user', content: 'ping' }])],
    ['structured', (llm) => llm.structured('ping', z.object({ ok: z.boolean() }))],
    [
      'stream',
      async (llm) => {
        for await (const _event of llm.stream('ping')) void _event
      },
    ],
  ]

  it.each(calls)('%s: aborting the run cancels the model call itself', async (_name, call) => {
    fake.script.reply({ text: 'late', delayMs: 10_000 })
    const agent = agentCalling(call)
    const controller = new AbortController()

    const run = agent.invoke({ query: 'q' }, { signal: controller.signal })
    while (fake.script.calls.length === 0) await new Promise((r) => setTimeout(r, 2))
    controller.abort(new Error('client went away'))

    expect((await rejection(run)).code).toBe('E_ABORTED')
    // The runner saw the abort (it counts the call as cancelled), not only LangGraph.
    await expect(counter(fake.metrics, 'requests', { outcome: 'cancelled' })).resolves.toBe(1)
  })

  it('keeps a signal the caller passes, and calls outside a run have none', async () => {
    expect(currentRunSignal()).toBeUndefined()
    await expect(fake.llm.invoke('outside')).resolves.toMatchObject({ text: 'Echo: outside' })

    const own = new AbortController()
    fake.script.reply({ text: 'late', delayMs: 10_000 })
    const agent = agentCalling((llm) => llm.invoke('ping', { signal: own.signal }))
    const run = agent.invoke({ query: 'q' })
    while (fake.script.calls.length < 2) await new Promise((r) => setTimeout(r, 2))
    own.abort()

    expect((await rejection(run)).code).toBe('E_ABORTED')
  })
})
