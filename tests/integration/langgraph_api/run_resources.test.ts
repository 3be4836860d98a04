import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { interrupt } from '@langchain/langgraph'
import { z } from 'zod'
import { Client, type Run } from '@langchain/langgraph-sdk'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'
import { bootMigratedApp, gates, SlowAgent } from './support/protocol_app'
import { refusal } from './support/refusal'

const Steps = defineState({ label: z.string(), steps: reducers.append(z.string()) })

/** One release per run held in `hold`, in the order they got there. */
const holds: Array<() => void> = []

/** Marks its step (a checkpoint), then holds until released or until its run is stopped (it honours its signal). */
class StepAgent extends Agent<typeof Steps> {
  state = Steps

  build(graph: GraphBuilder<typeof Steps>) {
    return graph.then(this.mark).then(this.hold)
  }

  mark(state: StateOf<typeof Steps>): Partial<StateOf<typeof Steps>> {
    return { steps: [`${state.label}:mark`] }
  }

  hold(state: StateOf<typeof Steps>, ctx: NodeContext) {
    return new Promise<Partial<StateOf<typeof Steps>>>((resolve, reject) => {
      holds.push(() => resolve({ steps: [`${state.label}:hold`] }))
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
    })
  }
}

const Asked = defineState({ answer: z.string().optional() })

/** Asks for an answer (a LangGraph interrupt) and keeps it, then holds until released or stopped. */
class AskAgent extends Agent<typeof Asked> {
  state = Asked

  build(graph: GraphBuilder<typeof Asked>) {
    return graph.then(this.ask).then(this.hold)
  }

  ask(): Partial<StateOf<typeof Asked>> {
    return { answer: interrupt('your name?') as string }
  }

  hold(state: StateOf<typeof Asked>, ctx: NodeContext) {
    return new Promise<Partial<StateOf<typeof Asked>>>((resolve, reject) => {
      holds.push(() => resolve({ answer: `${state.answer} (kept)` }))
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
    })
  }
}

/** Fails in its node. */
class BrokenAgent extends Agent<typeof Asked> {
  state = Asked

  build(graph: GraphBuilder<typeof Asked>) {
    return graph.then(this.fail)
  }

  fail(): Partial<StateOf<typeof Asked>> {
    throw new Error('the node broke')
  }
}

/** Held by the `linger` run middleware: work that goes on after its run was stopped (it ignores the abort). */
const lingers: Array<() => void> = []

/**
 * The runs of a thread as resources — listed, read, cancelled, joined,
 * re-attached to, deleted — and the `interrupt` and `rollback` multitask
 * strategies, driven by the official client over a real socket.
 */
describe('LangGraph API run resources through @langchain/langgraph-sdk', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-runs-'))
  let app: Application
  let server: HttpServer
  let url: string
  let client: Client
  const bearer = (subject: string) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions: [] }).token}`
  const clientWith = (headers?: Record<string, string>) => new Client({ apiUrl: url, apiKey: null, defaultHeaders: headers, callerOptions: { maxRetries: 0 } })

  beforeAll(async () => {
    app = await bootMigratedApp(base)
    app.make('middleware').register('linger', {
      stage: 'run',
      create: () =>
        ({
          name: 'linger',
          async handle(_ctx: unknown, next: () => Promise<unknown>) {
            try {
              return await next()
            } finally {
              await new Promise<void>((resolve) => lingers.push(resolve))
            }
          },
        }) as never,
    })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    router.agent('/steps', StepAgent).name('steps')
    router.agent('/ask', AskAgent).name('ask')
    router.agent('/broken', BrokenAgent).name('broken')
    router.agent('/stuck', SlowAgent).middleware('linger').name('stuck')
    router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
      router.agent('/echo', EchoAgent).name('secure-echo')
    })
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] }, abortGraceMs: 300 })
    url = (await server.listen(0, '127.0.0.1')).url
    client = clientWith()
  })

  afterAll(async () => {
    for (const release of [...holds, ...gates, ...lingers]) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  /** A thread whose first run (`one`) went through: steps one:mark, one:hold. */
  async function threadAfterOneRun(): Promise<string> {
    const thread = await client.threads.create()
    const done = client.runs.wait(thread.thread_id, 'steps', { input: { label: 'one' } })
    await waitFor(() => holds.length === 1, 'the first run to hold')
    holds.shift()?.()
    expect(await done).toEqual({ label: 'one', steps: ['one:mark', 'one:hold'] })
    return thread.thread_id
  }

  /** Starts a `two` run on the thread and waits until it holds (after its mark checkpoint); answers its id and its pending answer. */
  async function holdingRun(threadId: string): Promise<{ runId: string; answer: Promise<unknown> }> {
    let runId: string | undefined
    const answer = client.runs
      .wait(threadId, 'steps', { input: { label: 'two' }, onRunCreated: ({ run_id }) => (runId = run_id) })
      .catch((error: Error) => ({ refused: error.message }))
    await waitFor(() => holds.length === 1, 'the second run to hold')
    const runs = await client.runs.list(threadId, { status: 'running' })
    expect(runs).toHaveLength(1)
    runId ??= runs[0].run_id
    return { runId, answer }
  }

  it('lists a thread\'s runs newest first with their statuses, and reads one by its id', async () => {
    const thread = await client.threads.create()
    const ids: string[] = []
    for (const query of ['a', 'b', 'c']) {
      await client.runs.wait(thread.thread_id, 'echo', { input: { query }, metadata: { query }, onRunCreated: ({ run_id }) => void ids.push(run_id) })
    }
    expect(ids).toHaveLength(3)
    const runs: Run[] = await client.runs.list(thread.thread_id)
    expect(runs.map((run) => run.run_id)).toEqual([...ids].reverse())
    expect(runs.map((run) => run.status)).toEqual(['success', 'success', 'success'])
    expect((await client.runs.list(thread.thread_id, { limit: 1, offset: 1 })).map((run) => run.run_id)).toEqual([ids[1]])
    expect(await client.runs.list(thread.thread_id, { status: 'error' })).toEqual([])
    const run = await client.runs.get(thread.thread_id, ids[0])
    expect(run).toMatchObject({ run_id: ids[0], thread_id: thread.thread_id, assistant_id: 'echo', status: 'success', metadata: { query: 'a' }, multitask_strategy: null })
    expect(Date.parse(run.created_at)).not.toBeNaN()
  })

  it('shows a running run as running, joins it, and reads it as success once it ended', async () => {
    const threadId = await threadAfterOneRun()
    const { runId, answer } = await holdingRun(threadId)
    expect((await client.runs.get(threadId, runId)).status).toBe('running')
    const joined = client.runs.join(threadId, runId)
    holds.shift()?.()
    expect(await joined).toEqual({ label: 'two', steps: ['one:mark', 'one:hold', 'two:mark', 'two:hold'] })
    expect(await answer).toEqual(await joined)
    expect((await client.runs.get(threadId, runId)).status).toBe('success')
  })

  it('cancels a running run (interrupt): the run reads interrupted and the thread keeps what the run checkpointed', async () => {
    const threadId = await threadAfterOneRun()
    const { runId, answer } = await holdingRun(threadId)
    holds.length = 0
    await client.runs.cancel(threadId, runId, true)
    expect(await answer).toEqual({ refused: expect.stringContaining('E_ABORTED') })
    expect(await client.runs.get(threadId, runId)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    const thread = await client.threads.get(threadId)
    expect(thread.status).toBe('idle')
    expect((await client.threads.getState(threadId)).values).toEqual({ label: 'two', steps: ['one:mark', 'one:hold', 'two:mark'] })
    // Cancelling a run that ended changes nothing.
    await client.runs.cancel(threadId, runId, true)
    expect((await client.runs.get(threadId, runId)).status).toBe('interrupted')
  })

  it('cancels a running run with rollback: the thread is back where the run started and the run is gone', async () => {
    const threadId = await threadAfterOneRun()
    const { runId, answer } = await holdingRun(threadId)
    holds.length = 0
    await client.runs.cancel(threadId, runId, true, 'rollback')
    await answer
    expect(await refusal(client.runs.get(threadId, runId))).toMatchObject({ status: 404 })
    expect((await client.threads.getState(threadId)).values).toEqual({ label: 'one', steps: ['one:mark', 'one:hold'] })
    expect((await client.threads.get(threadId)).values).toEqual({ label: 'one', steps: ['one:mark', 'one:hold'] })
    // The thread runs on from there.
    const next = client.runs.wait(threadId, 'steps', { input: { label: 'three' } })
    await waitFor(() => holds.length === 1, 'the next run to hold')
    holds.shift()?.()
    expect(await next).toEqual({ label: 'three', steps: ['one:mark', 'one:hold', 'three:mark', 'three:hold'] })
  })

  it('rolls back a cancelled resume run: the thread waits on the same interrupt again and a later answer is the one kept', async () => {
    const thread = await client.threads.create()
    const asked = (await client.runs.wait(thread.thread_id, 'ask', { input: {} })) as { __interrupt__?: Array<{ id: string; value: unknown }> }
    expect(asked.__interrupt__).toEqual([{ id: expect.any(String), value: 'your name?' }])
    // A run that stopped at an interrupt ended well, as on LangGraph Platform; its thread waits.
    expect((await client.runs.list(thread.thread_id)).map((run) => run.status)).toEqual(['success'])
    const resumed = client.runs.wait(thread.thread_id, 'ask', { command: { resume: 'Ada' } }).catch(() => 'cancelled')
    await waitFor(() => holds.length === 1, 'the resume run to hold')
    holds.length = 0
    const [running] = await client.runs.list(thread.thread_id, { status: 'running' })
    await client.runs.cancel(thread.thread_id, running.run_id, true, 'rollback')
    expect(await resumed).toBe('cancelled')
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({})
    const waiting = await client.threads.get(thread.thread_id)
    expect(waiting.status).toBe('interrupted')
    expect(Object.values(waiting.interrupts).flat()).toEqual(asked.__interrupt__)
    const state = await client.threads.getState(thread.thread_id)
    expect(state.next).toEqual(['ask'])
    expect(state.tasks[0].interrupts).toEqual(asked.__interrupt__)
    const again = client.runs.wait(thread.thread_id, 'ask', { command: { resume: 'Grace' } })
    await waitFor(() => holds.length === 1, 'the second resume run to hold')
    holds.shift()?.()
    expect(await again).toEqual({ answer: 'Grace (kept)' })
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
  })

  it('reads a streamed run that stopped at an interrupt as success, right after its stream ended', async () => {
    const thread = await client.threads.create()
    let runId: string | undefined
    for await (const part of client.runs.stream(thread.thread_id, 'ask', { input: {}, onRunCreated: ({ run_id }) => (runId = run_id) })) void part
    expect((await client.runs.get(thread.thread_id, runId as string)).status).toBe('success')
    expect((await client.threads.get(thread.thread_id)).status).toBe('interrupted')
    // The thread was let go before the stream ended: a run with the default strategy is not refused.
    const next = client.runs.wait(thread.thread_id, 'ask', { command: { resume: 'Ada' } })
    await waitFor(() => holds.length === 1, 'the resume run to hold')
    holds.shift()?.()
    expect(await next).toEqual({ answer: 'Ada (kept)' })
  })

  it('lists an enqueued run as pending while it waits, cancels it there, and a multitask interrupt cancels the queued runs too', async () => {
    const threadId = await threadAfterOneRun()
    const { runId, answer } = await holdingRun(threadId)
    const queued = client.runs.wait(threadId, 'steps', { input: { label: 'queued' }, multitaskStrategy: 'enqueue' }).catch((error: Error) => ({ refused: error.message }))
    let pending: Run[] = []
    for (let tries = 0; tries < 100 && pending.length === 0; tries++) pending = await client.runs.list(threadId, { status: 'pending' })
    expect(pending).toHaveLength(1)
    await client.runs.cancel(threadId, pending[0].run_id, true)
    expect(await queued).toEqual({ refused: expect.stringContaining('E_ABORTED') })
    expect(await client.runs.get(threadId, pending[0].run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    // Queued again, then a run with multitask_strategy interrupt: both the running and the queued run are cancelled.
    const again = client.runs.wait(threadId, 'steps', { input: { label: 'again' }, multitaskStrategy: 'enqueue' }).catch((error: Error) => ({ refused: error.message }))
    let waiting: Run[] = []
    for (let tries = 0; tries < 100 && waiting.length === 0; tries++) waiting = await client.runs.list(threadId, { status: 'pending' })
    expect(waiting).toHaveLength(1)
    holds.length = 0
    const next = client.runs.wait(threadId, 'steps', { input: { label: 'three' }, multitaskStrategy: 'interrupt' })
    await waitFor(() => holds.length === 1, 'the interrupting run to hold')
    holds.shift()?.()
    expect(await next).toMatchObject({ label: 'three' })
    expect(await again).toEqual({ refused: expect.stringContaining('E_ABORTED') })
    expect(await answer).toEqual({ refused: expect.stringContaining('E_ABORTED') })
    expect(await client.runs.get(threadId, waiting[0].run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    expect(await client.runs.get(threadId, runId)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
  })

  it('joins a run that failed with its error, as runs/wait answers it', async () => {
    const thread = await client.threads.create()
    // The client throws what the server answered: `__error__` with the code as the error's name.
    const failed = await refusal(client.runs.wait(thread.thread_id, 'broken', { input: {} }))
    expect(failed.text).toContain('E_RUNTIME')
    const [run] = await client.runs.list(thread.thread_id)
    expect(run.status).toBe('error')
    expect(await client.runs.join(thread.thread_id, run.run_id)).toEqual({ __error__: { error: 'E_RUNTIME', message: expect.any(String) } })
  })

  it('keeps a run with on_disconnect continue going when its client leaves: the client re-attaches to it and it ends well', async () => {
    const threadId = await threadAfterOneRun()
    const leave = new AbortController()
    let runId: string | undefined
    const first: string[] = []
    const streaming = (async () => {
      const parts = client.runs.stream(threadId, 'steps', { input: { label: 'two' }, streamMode: 'updates', onDisconnect: 'continue', signal: leave.signal, onRunCreated: ({ run_id }) => (runId = run_id) })
      for await (const part of parts) first.push(part.event)
    })().catch(() => undefined)
    await waitFor(() => holds.length === 1 && runId !== undefined && first.length === 2, 'the streamed run to hold')
    leave.abort()
    await streaming
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await client.runs.get(threadId, runId as string)).status).toBe('running')
    const again: Array<{ event: string; data: unknown }> = []
    const joining = (async () => {
      for await (const part of client.runs.joinStream(threadId, runId as string, { lastEventId: '2' })) again.push({ event: part.event, data: part.data })
    })()
    await new Promise((resolve) => setTimeout(resolve, 50))
    holds.shift()?.()
    await joining
    expect(again).toEqual([{ event: 'updates', data: { hold: { steps: ['two:hold'] } } }])
    expect((await client.runs.get(threadId, runId as string)).status).toBe('success')
    expect((await client.threads.getState(threadId)).values).toEqual({ label: 'two', steps: ['one:mark', 'one:hold', 'two:mark', 'two:hold'] })
  })

  it('rolls a thread whose only run is cancelled with rollback back to no state at all', async () => {
    const thread = await client.threads.create()
    const answer = client.runs.wait(thread.thread_id, 'steps', { input: { label: 'only' } }).catch(() => 'cancelled')
    await waitFor(() => holds.length === 1, 'the run to hold')
    holds.length = 0
    const [run] = await client.runs.list(thread.thread_id)
    await client.runs.cancel(thread.thread_id, run.run_id, true, 'rollback')
    expect(await answer).toBe('cancelled')
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({})
  })

  it.each([
    ['interrupt', ['one:mark', 'one:hold', 'two:mark', 'three:mark', 'three:hold']],
    ['rollback', ['one:mark', 'one:hold', 'three:mark', 'three:hold']],
  ] as const)('runs a new run on a busy thread with multitask_strategy %s, cancelling the running one first', async (strategy, steps) => {
    const threadId = await threadAfterOneRun()
    const { runId, answer } = await holdingRun(threadId)
    holds.length = 0
    const next = client.runs.wait(threadId, 'steps', { input: { label: 'three' }, multitaskStrategy: strategy })
    await waitFor(() => holds.length === 1, 'the new run to hold')
    holds.shift()?.()
    expect(await next).toEqual({ label: 'three', steps })
    expect(await answer).toEqual({ refused: expect.stringContaining('E_ABORTED') })
    const runs = await client.runs.list(threadId)
    expect(runs[0]).toMatchObject({ status: 'success', multitask_strategy: strategy })
    if (strategy === 'interrupt') expect(runs.find((run) => run.run_id === runId)?.status).toBe('interrupted')
    else expect(runs.some((run) => run.run_id === runId)).toBe(false)
  })

  it('refuses multitask_strategy interrupt with 422 E_THREAD_BUSY when the running run does not stop within the abort grace', async () => {
    const thread = await client.threads.create()
    const first = client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'one' } }).catch((error: Error) => error.message)
    await waitFor(() => gates.length === 1, 'the stuck run to start')
    const refused = await refusal(client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'two' }, multitaskStrategy: 'interrupt' }))
    expect(refused).toMatchObject({ status: 422, text: expect.stringContaining('E_THREAD_BUSY') })
    expect(await first).toContain('E_ABORTED')
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    gates.shift()?.()
    lingers.shift()?.()
  })

  it('re-attaches to a streaming run: the buffered events, then the rest, and only those after Last-Event-ID', async () => {
    const threadId = await threadAfterOneRun()
    let runId: string | undefined
    const original: Array<{ event: string; data: unknown }> = []
    const streaming = (async () => {
      for await (const part of client.runs.stream(threadId, 'steps', { input: { label: 'two' }, streamMode: 'updates', onRunCreated: ({ run_id }) => (runId = run_id) })) {
        original.push({ event: part.event, data: part.data })
      }
    })()
    await waitFor(() => holds.length === 1 && runId !== undefined, 'the streamed run to hold')
    const joined: Array<{ event: string; data: unknown }> = []
    const joining = (async () => {
      for await (const part of client.runs.joinStream(threadId, runId as string)) joined.push({ event: part.event, data: part.data })
    })()
    const later: string[] = []
    const joiningLater = (async () => {
      for await (const part of client.runs.joinStream(threadId, runId as string, { lastEventId: '1' })) later.push(part.event)
    })()
    await waitFor(() => joined.length === 2 && later.length === 1, 'the joiners to get the buffered events')
    holds.shift()?.()
    await Promise.all([streaming, joining, joiningLater])
    expect(original.map((part) => part.event)).toEqual(['metadata', 'updates', 'updates'])
    expect(joined).toEqual(original)
    expect(joined[1].data).toEqual({ mark: { steps: ['two:mark'] } })
    expect(later).toEqual(['updates', 'updates'])
    // A finished run: nothing more to follow.
    const after: string[] = []
    for await (const part of client.runs.joinStream(threadId, runId as string)) after.push(part.event)
    expect(after).toEqual([])
  })

  it('deletes a finished run and refuses to delete a running one', async () => {
    const threadId = await threadAfterOneRun()
    const [finished] = await client.runs.list(threadId)
    const { runId, answer } = await holdingRun(threadId)
    const refused = await refusal(client.runs.delete(threadId, runId))
    expect(refused).toMatchObject({ status: 422, text: expect.stringContaining('cancel it') })
    expect(refused.text).not.toContain('enqueue')
    holds.shift()?.()
    await answer
    await client.runs.delete(threadId, finished.run_id)
    expect(await refusal(client.runs.get(threadId, finished.run_id))).toMatchObject({ status: 404 })
    expect((await client.runs.list(threadId)).map((run) => run.run_id)).toEqual([runId])
  })

  it('answers bad requests with clear errors: unknown run or thread 404, bad query 422', async () => {
    const threadId = await threadAfterOneRun()
    const [run] = await client.runs.list(threadId)
    expect(await refusal(client.runs.get(threadId, 'no-such-run'))).toMatchObject({ status: 404, text: expect.stringContaining('E_NOT_FOUND') })
    expect(await refusal(client.runs.get('no-such-thread', run.run_id))).toMatchObject({ status: 404, text: expect.stringContaining('E_THREAD_NOT_FOUND') })
    expect(await refusal(client.runs.list(threadId, { limit: 0 }))).toMatchObject({ status: 422, text: expect.stringContaining('E_VALIDATION') })
    expect(await refusal(client.runs.list(threadId, { status: 'nope' as never }))).toMatchObject({ status: 422 })
    expect(await refusal(client.runs.cancel(threadId, run.run_id, false, 'nope' as never))).toMatchObject({ status: 422 })
  })

  it("answers another principal's runs with 404, as for a thread that does not exist", async () => {
    const alice = clientWith({ Authorization: bearer('alice') })
    const bob = clientWith({ Authorization: bearer('bob') })
    const thread = await alice.threads.create()
    let runId: string | undefined
    await alice.runs.wait(thread.thread_id, 'secure-echo', { input: { query: 'mine' }, onRunCreated: ({ run_id }) => (runId = run_id) })
    expect((await alice.runs.get(thread.thread_id, runId as string)).status).toBe('success')
    expect(await refusal(bob.runs.get(thread.thread_id, runId as string))).toMatchObject({ status: 404 })
    expect(await refusal(bob.runs.list(thread.thread_id))).toMatchObject({ status: 404 })
    expect(await refusal(bob.runs.cancel(thread.thread_id, runId as string))).toMatchObject({ status: 404 })
    expect(await refusal(bob.runs.join(thread.thread_id, runId as string))).toMatchObject({ status: 404 })
    expect(await refusal(client.runs.list(thread.thread_id))).toMatchObject({ status: 404 })
  })
})
