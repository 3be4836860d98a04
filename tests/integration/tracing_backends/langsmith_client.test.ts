import { randomUUID } from 'node:crypto'
import { CallbackManager } from '@langchain/core/callbacks/manager'
import { RunnableLambda } from '@langchain/core/runnables'
import { Registry } from 'prom-client'
import { LangSmithBackend } from '../../../framework/tracing/langsmith_backend'
import type { BackendRun } from '../../../framework/tracing/tracing_backends'
import { TracingMetrics } from '../../../framework/tracing/tracing_metrics'
import { langsmithRuns, Receiver } from './receiver'

/**
 * The LangSmith backend's own client against a local receiver: what it does
 * when LangSmith's server information or its uploads fail, how it counts
 * what it drops, and which run is the root.
 */

const RUN: BackendRun = { name: 'support-route', path: '/support', agent: 'SupportAgent', threadId: 'thread-1', requestId: 'req-1' }
const receivers: Receiver[] = []

async function receiver(modes: ConstructorParameters<typeof Receiver>[0]): Promise<Receiver> {
  const started = await new Receiver(modes).start()
  receivers.push(started)
  return started
}

function backend(target: Receiver, options: { serverInfoRetryMs?: number } = {}) {
  const metrics = new TracingMetrics(new Registry())
  const created = LangSmithBackend.create({
    config: { scope: 'all', apiKey: 'lsv2_test', endpoint: target.url, project: 'tests' },
    timeoutMs: 5000,
    metrics,
    ...options,
  })
  return { backend: created, metrics }
}

/** A chain with one child chain, traced by `handler`: two runs. */
const chain = RunnableLambda.from(async (input: { q: string }) => RunnableLambda.from(async (inner: { q: string }) => ({ a: inner.q })).withConfig({ runName: 'child' }).invoke(input))

async function dropped(metrics: TracingMetrics): Promise<number> {
  return (await metrics.backendDropped.get()).values.filter((value) => value.labels.backend === 'langsmith').reduce((sum, value) => sum + value.value, 0)
}

afterAll(async () => {
  for (const started of receivers) await started.stop()
})

describe('LangSmith backend client', () => {
  it('answers a failing server information request at once, uploads anyway, and asks again after an upload succeeds', async () => {
    let asked = 0
    const target = await receiver({ info: () => (++asked === 1 ? 503 : 'answer') })
    const { backend: traced } = backend(target, { serverInfoRetryMs: 0 })
    await chain.invoke({ q: 'one' }, { callbacks: [traced.handler(RUN)] })
    expect(await traced.flush(10_000)).toBe(true)
    // The 503 was not retried, and the runs went up behind it.
    expect(target.infoRequests).toHaveLength(1)
    expect(langsmithRuns(target.uploads).some((run) => run.name === 'support-route')).toBe(true)

    await chain.invoke({ q: 'two' }, { callbacks: [traced.handler(RUN)] })
    expect(await traced.flush(10_000)).toBe(true)
    // The empty answer was not kept: the client read LangSmith's real information this time.
    expect(target.infoRequests).toHaveLength(2)
    expect(langsmithRuns(target.uploads).filter((run) => run.name === 'support-route').length).toBeGreaterThanOrEqual(2)
  }, 30_000)

  it('does not wait on a server information request that hangs', async () => {
    const target = await receiver({ info: 'hang' })
    const metrics = new TracingMetrics(new Registry())
    const traced = LangSmithBackend.create({ config: { scope: 'all', apiKey: 'lsv2_test', endpoint: target.url, project: 'tests' }, timeoutMs: 500, metrics })
    await chain.invoke({ q: 'one' }, { callbacks: [traced.handler(RUN)] })
    expect(await traced.flush(10_000)).toBe(true)
    expect(target.held).toHaveLength(1)
    expect(langsmithRuns(target.uploads).some((run) => run.name === 'support-route')).toBe(true)
  }, 30_000)

  it('counts every run creation and update of a refused upload', async () => {
    const target = await receiver({ uploads: 500 })
    const { backend: traced, metrics } = backend(target)
    await chain.invoke({ q: 'one' }, { callbacks: [traced.handler(RUN)] })
    await chain.invoke({ q: 'two' }, { callbacks: [traced.handler(RUN)] })
    expect(await traced.flush(10_000)).toBe(true)
    const sent = langsmithRuns(target.uploads).length
    expect(sent).toBeGreaterThan(target.uploads.length)
    expect(await dropped(metrics)).toBe(sent)
  }, 30_000)

  it("names the agent's run after the route when it starts inside another LangChain run", async () => {
    const target = await receiver({})
    const { backend: traced } = backend(target)
    // The enclosing run's callbacks carry its id as the parent of every run started under them.
    const enclosing = new CallbackManager(randomUUID())
    enclosing.addHandler(traced.handler(RUN))
    const agentGraph = RunnableLambda.from(async (input: { q: string }) => ({ a: input.q })).withConfig({ runName: 'AgentGraph' })
    await agentGraph.invoke({ q: 'nested' }, { callbacks: enclosing })
    expect(await traced.flush(10_000)).toBe(true)
    const runs = langsmithRuns(target.uploads).filter((run) => run.name !== undefined)
    expect(runs.map((run) => run.name)).toEqual(['support-route'])
    expect(runs[0].parent_run_id).toBeUndefined()
    expect(runs[0].trace_id).toBe(runs[0].id)
    expect(runs[0].extra?.metadata).toMatchObject({ langvel_route: '/support', langvel_thread_id: 'thread-1', request_id: 'req-1' })
  }, 30_000)
})
