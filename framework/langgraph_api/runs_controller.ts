import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { RunDeadline } from '../agents/run_deadline'
import type { AgentRunner, Durability, InterruptInfo, RunCommand, RunOptions, RunResult, StreamEvent, StreamMode, StreamOptions } from '../contracts/agent_run'
import { E_ABORTED, E_OVERLOADED, E_SERVICE_UNAVAILABLE, E_SHUTTING_DOWN, E_THREAD_BUSY, E_THREAD_NOT_FOUND, E_VALIDATION, isException } from '../errors'
import { THREAD_ID_PATTERN } from '../http/agent_path'
import { idempotencyKey } from '../http/idempotency_key'
import type { HttpContext } from '../http/context'
import type { ExceptionHandler } from '../http/exception_handler'
import { outcomeOf, resultOutcome, type RunSupervisor } from '../http/run_supervisor'
import { SseStream } from '../http/sse_stream'
import type { RunOutcome } from '../observability/metrics'
import type { RunRecord as QueuedRun } from '../queue/run_store'
import type { AssistantCatalog, AssistantEntry } from './assistants'
import { protocolRun, type BackgroundRuns } from './background_runs'
import type { CancelAction, LiveRun, LiveRuns } from './live_runs'
import { MessagesMode, serializedMessage, type ProtocolEvent } from './messages_mode'
import { rollBack, runStart, type RunStart } from './rollback'
import type { RunStatus, RunStore } from './run_store'
import { presentRun } from './run_resources_controller'
import type { RouteGuards } from './guards'
import { presentInterrupts, presentValues } from './presenters'
import { agentOf, boundedMetadata, deleteCheckpoints, parseBody } from './request'
import { recordThread, type ThreadGate } from './thread_gate'
import { threadTimeouts, type ThreadRecord } from './thread_store'
import { pause } from '../support/backoff'

/** The protocol's stream modes served, and the runner's mode each one reads. */
const STREAM_MODES: Record<string, StreamMode[]> = {
  values: ['values'],
  updates: ['updates'],
  'messages-tuple': ['messages'],
  // The older mode: tokens for the partial messages, node outputs and the state for the complete ones.
  messages: ['messages', 'updates', 'values'],
  custom: ['custom'],
}
const SUPPORTED = Object.keys(STREAM_MODES)
const MULTITASK = ['reject', 'interrupt', 'rollback', 'enqueue'] as const
/** How long a stopped run that outlived the abort grace is still waited for, to record how it ended. */
const LATE_SETTLE_MS = 2_147_483_647
/** How many `enqueue` runs may wait at once when the server gives no MAX_QUEUE_SIZE. */
const DEFAULT_MAX_WAITING = 100

const unsupported = (what: string) =>
  z.unknown().refine((value) => value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0), `${what} is not supported yet`).optional()

/** The nodes a run stops before or after: `*` (every node) or node names. */
const STOP_NODES = z.union([z.literal('*'), z.array(z.string().min(1))], { error: 'a list of node names, or "*"' }).optional().nullable()

const RUN_BODY = z.looseObject({
  assistant_id: z.string().min(1, 'assistant_id is required'),
  input: z.unknown().optional(),
  command: z
    .looseObject({
      resume: z.unknown().optional(),
      update: z.record(z.string(), z.unknown(), { error: 'update is an object of state keys' }).optional().nullable(),
      goto: z.union([z.string().min(1), z.array(z.string().min(1))], { error: 'goto takes node names (a Send is not supported)' }).optional().nullable(),
    })
    .optional()
    .nullable(),
  config: z.looseObject({ configurable: z.record(z.string(), z.unknown()).optional().nullable() }).optional().nullable(),
  metadata: boundedMetadata.optional().nullable(),
  stream_mode: z.union([z.string(), z.array(z.string())]).optional().nullable(),
  stream_subgraphs: z.boolean().optional().nullable(),
  // Accepted so that UIs which always send it work: a run's events can be re-attached to while it runs on this instance.
  stream_resumable: z.boolean().optional().nullable(),
  interrupt_before: STOP_NODES,
  interrupt_after: STOP_NODES,
  checkpoint: z.looseObject({ checkpoint_id: z.string().optional().nullable(), checkpoint_ns: z.string().optional().nullable() }).optional().nullable(),
  checkpoint_id: z.string().optional().nullable(),
  webhook: z.string().min(1).max(2000, 'at most 2000 characters').optional().nullable(),
  after_seconds: unsupported('after_seconds'),
  multitask_strategy: z.enum(MULTITASK).optional().nullable(),
  if_not_exists: z.enum(['create', 'reject']).optional().nullable(),
  on_completion: z.enum(['delete', 'keep']).optional().nullable(),
  on_disconnect: z.enum(['cancel', 'continue']).optional().nullable(),
  durability: z.enum(['exit', 'async', 'sync']).optional().nullable(),
})
type RunBody = z.output<typeof RUN_BODY>

export interface ProtocolRunsOptions {
  runner: AgentRunner
  catalog: AssistantCatalog
  gate: ThreadGate
  guards: RouteGuards
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  heartbeatSeconds: number
  /** How many `enqueue` runs may wait for their thread in this process at once (the server's MAX_QUEUE_SIZE); past it, 503 E_OVERLOADED. */
  maxWaiting?: number
  /** The runs of stored threads (the run resources). */
  runs: RunStore
  /** The runs in progress in this process: cancelled, joined and re-attached to here. */
  live: LiveRuns
  /** Background runs (the runs table and the run queue); without it, creating one is refused. */
  background?: BackgroundRuns
  /** Checks a webhook destination (the SSRF guard) before a run with one is created. */
  checkWebhook?: (url: string) => Promise<unknown>
}

/** One accepted run: its id, its thread, and how to start it under a deadline. */
interface PreparedRun {
  runId: string
  threadId: string
  assistant: AssistantEntry
  /** The stored thread; undefined for a thread-less run whose thread is deleted after it. */
  thread?: ThreadRecord
  /** The hold on the stored thread (from `acquire`), with which its end is recorded. */
  token?: string
  temporary: boolean
  location: string
  body: RunBody
  /** The run as a resource of its stored thread: cancelled and joined through it. */
  live?: LiveRun
  /** The thread's latest checkpoint and its pending writes when the run was accepted: where a rollback takes it back to. */
  startedFrom?: RunStart
}

/**
 * The runs endpoints: `runs/wait` answers with the thread's values when the
 * run ends (with `__interrupt__` when it stopped at interrupts), `runs/stream`
 * with Server-Sent Events (`metadata` with the run id first, then one event
 * per chunk of each requested mode, `error` if it fails). Runs go through
 * the agent runner and the server's RunSupervisor, as runs of the agent API
 * do: the route's middleware, concurrency slot, deadline, metrics and logs.
 *
 * @example
 * kernel.route('POST', '/runs/wait', controller.wait)
 */
export class ProtocolRunsController {
  /** Per thread, the last `enqueue` run of this process waiting to take it. */
  private readonly waiting = new Map<string, Promise<unknown>>()
  /** How many `enqueue` runs of this process wait for their thread. */
  private waiters = 0
  /** Set when the server drains: waiting runs give up (503 E_SHUTTING_DOWN) rather than start. */
  private stopped = false

  constructor(private readonly options: ProtocolRunsOptions) {}

  /** Stops the `enqueue` runs still waiting for their thread (the server is draining): they answer 503 E_SHUTTING_DOWN. */
  stop(): void {
    this.stopped = true
  }

  wait = async (ctx: HttpContext): Promise<void> => {
    const run = await this.prepare(ctx)
    ctx.res.setHeader('Content-Location', run.location)
    let result: RunResult
    try {
      result = await this.supervised(ctx, run, resultOutcome, async (deadline) => {
        run.live?.publish('metadata', { run_id: run.runId, attempt: 1 })
        const ended = await this.invoke(ctx, run, deadline)
        run.live?.publish('values', presentValues(ended.output, ended.interrupts))
        return ended
      })
    } catch (error) {
      if (refusedBeforeStart(error)) throw error
      // A run that failed once started is answered as LangGraph's server answers it, so clients report it rather than retry the run.
      const { exceptionHandler } = this.options
      const rendered = exceptionHandler.render(error, ctx.traceId)
      ctx.error = { code: rendered.body.error.code, status: rendered.status }
      exceptionHandler.report(error, ctx, rendered.status)
      if (ctx.clientGone) return
      return ctx.json(200, { __error__: { error: rendered.body.error.code, message: rendered.body.error.message } })
    }
    if (ctx.clientGone) return
    ctx.json(200, presentValues(result.output, result.interrupts))
  }

  stream = async (ctx: HttpContext): Promise<void> => {
    const run = await this.prepare(ctx)
    const modes = streamModes(run.body.stream_mode)
    ctx.res.setHeader('Content-Location', run.location)
    // Closed once the run and its thread are recorded: a client that reads the end of the stream reads them as they ended.
    let sse: SseStream | undefined
    try {
      await this.streamRun(ctx, run, modes, (opened) => (sse = opened))
    } finally {
      sse?.close()
    }
  }

  private async streamRun(ctx: HttpContext, run: PreparedRun, modes: string[], opened: (sse: SseStream) => void): Promise<void> {
    await this.supervised<StreamEnd>(ctx, run, (end) => end.outcome, async (deadline): Promise<StreamEnd> => {
      const events = await this.startStream(ctx, run, deadline, [...new Set(modes.flatMap((mode) => STREAM_MODES[mode]))])
      const messages = modes.includes('messages') ? new MessagesMode() : undefined
      const sse = new SseStream(ctx.res, { heartbeatSeconds: this.options.heartbeatSeconds })
      opened(sse)
      sse.open()
      // Every event is kept for clients that join the run, numbered as this stream numbers it.
      const send = (event: string, data: unknown) => {
        run.live?.publish(event, data)
        return sse.send(event, data)
      }
      const end: StreamEnd = { outcome: 'success' }
      let values: unknown
      try {
        await send('metadata', { run_id: run.runId, attempt: 1 })
        for await (const event of events) {
          if (event.event === 'interrupt') {
            end.outcome = 'interrupted'
            await this.sendInterrupt(send, modes, values, event.data)
          } else {
            if (event.event === 'values' && !event.namespace?.length) values = event.data
            const suffix = event.namespace?.length ? `|${event.namespace.join('|')}` : ''
            for (const [name, data] of protocolEvents(event, modes, messages)) await send(name + suffix, data)
          }
        }
      } catch (error) {
        end.reason = deadline.reason ?? error
        const left = ctx.clientSignal.aborted && !detached(run)
        end.outcome = left ? 'cancelled' : outcomeOf(end.reason)
        if (!left) {
          const rendered = this.options.exceptionHandler.render(end.reason, ctx.traceId)
          ctx.error = { code: rendered.body.error.code, status: rendered.status }
          this.options.exceptionHandler.report(end.reason, ctx, rendered.status)
          await send('error', { error: rendered.body.error.code, message: rendered.body.error.message })
        }
      }
      return end
    })
  }

  /**
   * `POST /threads/{id}/runs` and `POST /runs`: a background run, stored in
   * the runs table and queued, answered at once (pending). The same
   * `Idempotency-Key` header (or `metadata.idempotency_key`) from the same
   * principal answers the run it created first. A thread-less run gets a
   * stored thread of its own (deleted after it with `on_completion: "delete"`).
   */
  create = async (ctx: HttpContext): Promise<void> => {
    const { background, gate, catalog } = this.options
    if (!background) throw new E_SERVICE_UNAVAILABLE('Background runs', { help: 'Background runs need the run queue (config/queue.ts) and the runs table (langvel migrate).' })
    const body = parseBody(RUN_BODY, ctx.body ?? {})
    const assistant = catalog.get(body.assistant_id)
    const modes = streamModes(body.stream_mode)
    if (modes.includes('messages')) throw unsupportedField('stream_mode', 'the messages mode is not kept for background runs; use messages-tuple')
    if (body.command && body.input !== undefined && body.input !== null) throw unsupportedField('input', 'send input or command, not both')
    await this.options.guards.admit(ctx, assistant.route)
    await this.assertStopNodes(assistant, body)
    const key = idempotencyKey(ctx, body.metadata?.idempotency_key)
    if (key !== undefined && !ctx.principal && ctx.params.thread_id === undefined) {
      // Anonymous keys are one namespace: without a thread to match, a guessed key would hand out another caller's run.
      throw unsupportedField('idempotency_key', 'an idempotency key needs an authenticated caller, or a run on a thread (POST /threads/{thread_id}/runs)')
    }
    const found = key === undefined ? undefined : await background.existing(ctx.principal, key)
    // An anonymous caller's key answers only a run of the thread it names (whoever has the thread id reaches it anyway).
    const existing = found && (ctx.principal || found.threadId === ctx.params.thread_id) ? found : undefined
    if (found && !existing) throw unsupportedField('idempotency_key', 'this key was used for a run of another thread')
    if (existing) return this.answerCreated(ctx, existing)
    if (body.webhook) await this.options.checkWebhook?.(body.webhook)
    const strategy = body.multitask_strategy ?? 'reject'
    let threadId = ctx.params.thread_id
    let created: string | undefined
    if (threadId === undefined) {
      threadId = created = randomUUID()
      await this.createThread(ctx, threadId, assistant, body, true)
    } else {
      if (!THREAD_ID_PATTERN.test(threadId)) throw new E_THREAD_NOT_FOUND(threadId.slice(0, 200))
      if (!(await gate.store.get(threadId))) {
        if (body.if_not_exists !== 'create') throw new E_THREAD_NOT_FOUND(threadId)
        await this.createThread(ctx, threadId, assistant, body, false)
      }
    }
    // A thread made for a run that is not created (refused, or the same key won a race) goes too.
    const dropCreated = () => created && this.dropThread(created).catch((failure: unknown) => ctx.logger.error('could not delete the thread of a background run that was not created', { threadId: created, error: failure }))
    let dispatched: { run: QueuedRun; created: boolean }
    try {
      dispatched = await this.dispatchBackground({ ctx, background, threadId, assistant, body, modes, strategy, key })
    } catch (error) {
      await dropCreated()
      throw error
    }
    if (!dispatched.created) await dropCreated()
    this.answerCreated(ctx, dispatched.run)
  }

  private async dispatchBackground(request: BackgroundRequest): Promise<{ run: QueuedRun; created: boolean }> {
    const { ctx, background, threadId, assistant, body, strategy } = request
    const { gate } = this.options
    const thread = await gate.find(ctx, threadId)
    if (thread.route && thread.route !== assistant.route.path) throw wrongAssistant(thread, assistant)
    await this.assertLatest(thread, assistant, body.checkpoint_id ?? body.checkpoint?.checkpoint_id ?? undefined)
    const runId = randomUUID()
    // With `reject` the run holds its thread from now on: the thread reads busy while the run waits in the queue.
    const hold = await background.admit(thread, strategy, threadTimeouts(assistant.route).staleAfterMs, runId)
    const letGo = async () => {
      if (hold) await recordThread(gate.store, this.options.runner, thread.route ? assistant.route : undefined, threadId, hold)
    }
    let dispatched: { run: QueuedRun; created: boolean }
    try {
      if (!thread.route) {
        await gate.store.bind(threadId, assistant.id, assistant.route.path)
        await gate.store.mergeMetadata(threadId, { graph_id: assistant.id, assistant_id: assistant.id })
      }
      dispatched = await this.dispatchRun(request, runId, thread)
    } catch (error) {
      await letGo().catch((failure: unknown) => ctx.logger.error('could not let go of the thread of a background run that was not created', { threadId, error: failure }))
      throw error
    }
    // The same key won a race: the run answered is the other one, which holds the thread (or will) itself.
    if (!dispatched.created) await letGo()
    return dispatched
  }

  private dispatchRun(request: BackgroundRequest, runId: string, thread: ThreadRecord): Promise<{ run: QueuedRun; created: boolean }> {
    const { ctx, background, assistant, body, modes, strategy, key } = request
    const threadId = thread.threadId
    const command = commandOf({ body, thread } as PreparedRun)
    return background.dispatch({
      id: runId,
      threadId,
      assistantId: assistant.id,
      route: assistant.route.path,
      principal: ctx.principal ?? null,
      input: body.input ?? null,
      metadata: { ...(body.metadata ?? {}) },
      ...(body.webhook ? { webhook: body.webhook } : {}),
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      options: {
        streamModes: [...new Set(modes.flatMap((mode) => STREAM_MODES[mode]))],
        ...(body.stream_subgraphs ? { subgraphs: true } : {}),
        ...(command ? { command } : {}),
        ...(body.interrupt_before ? { interruptBefore: body.interrupt_before } : {}),
        ...(body.interrupt_after ? { interruptAfter: body.interrupt_after } : {}),
        ...(body.durability ? { durability: body.durability as Durability } : {}),
        storedThread: true,
        ...(ctx.params.thread_id === undefined && body.on_completion === 'delete' ? { deleteThread: true } : {}),
        multitaskStrategy: strategy,
      },
    })
  }

  /** Deletes a thread this server just created, nothing having run on it. */
  private async dropThread(threadId: string): Promise<void> {
    const token = await this.options.gate.store.acquire(threadId, 0)
    if (token) await this.options.gate.store.delete(threadId, token)
  }

  private answerCreated(ctx: HttpContext, run: QueuedRun): void {
    ctx.res.setHeader('Content-Location', `/threads/${encodeURIComponent(run.threadId)}/runs/${encodeURIComponent(run.id)}`)
    ctx.json(200, presentRun(protocolRun(run)))
  }

  /** Checks the body, the assistant, its route's middleware and the thread, then takes the thread (busy). */
  private async prepare(ctx: HttpContext): Promise<PreparedRun> {
    const body = parseBody(RUN_BODY, ctx.body ?? {})
    if (body.webhook) throw unsupportedField('webhook', 'webhooks are sent for background runs (POST /threads/{thread_id}/runs, POST /runs)')
    const assistant = this.options.catalog.get(body.assistant_id)
    streamModes(body.stream_mode)
    const strategy = body.multitask_strategy ?? 'reject'
    if (body.command && body.input !== undefined && body.input !== null) throw unsupportedField('input', 'send input or command, not both')
    await this.options.guards.admit(ctx, assistant.route)
    await this.assertStopNodes(assistant, body)
    const runId = randomUUID()
    const { gate } = this.options
    const threadId = ctx.params.thread_id
    if (threadId === undefined) {
      const id = randomUUID()
      const keep = body.on_completion === 'keep'
      if (keep) await this.createThread(ctx, id, assistant, body, true)
      const thread = keep ? await gate.store.get(id) : undefined
      const prepared: PreparedRun = { runId, threadId: id, assistant, thread, temporary: !keep, location: `/runs/${runId}`, body }
      return thread ? this.takeRegistered(ctx, prepared, 'reject') : prepared
    }
    if (!THREAD_ID_PATTERN.test(threadId)) throw new E_THREAD_NOT_FOUND(threadId.slice(0, 200))
    let thread = await gate.store.get(threadId)
    if (!thread) {
      if (body.if_not_exists !== 'create') throw new E_THREAD_NOT_FOUND(threadId)
      await this.createThread(ctx, threadId, assistant, body, false)
    }
    // A run never changes who owns its thread: a thread created by a principal is theirs, an ownerless one stays ownerless.
    thread = await gate.find(ctx, threadId)
    if (thread.route && thread.route !== assistant.route.path) throw wrongAssistant(thread, assistant)
    await this.assertLatest(thread, assistant, body.checkpoint_id ?? body.checkpoint?.checkpoint_id ?? undefined)
    return this.takeRegistered(ctx, { runId, threadId, assistant, thread, temporary: false, location: `/threads/${encodeURIComponent(threadId)}/runs/${runId}`, body }, strategy)
  }

  /**
   * Stores the run (pending) as a resource of its thread, then takes the
   * thread for it (an `enqueue` run waits, and can be cancelled while it
   * does) and notes the checkpoint it starts from. A run that does not get
   * its thread is forgotten, or reads `interrupted` when it was cancelled.
   */
  private async takeRegistered(ctx: HttpContext, run: PreparedRun, strategy: RunBody['multitask_strategy']): Promise<PreparedRun> {
    const thread = run.thread as ThreadRecord
    const live = await this.register(run)
    try {
      run.token = await this.take(ctx, thread, run.assistant, strategy ?? 'reject', live)
      run.startedFrom = await runStart(await agentOf(this.options.runner, run.assistant.route), run.threadId)
      this.options.live.hold(live)
      return run
    } catch (error) {
      const { gate, runs } = this.options
      const report = (failure: unknown) => ctx.logger.error('could not let go of a LangGraph API run that did not start', { threadId: run.threadId, error: failure })
      // Not started: the thread is let go as its last run left it.
      if (run.token) await gate.record(run.assistant.route, run.threadId, run.token).catch(report)
      const action = live.freeze()
      if (action) await runs.update(run.threadId, run.runId, { status: 'interrupted', cancelReason: action }).catch(report)
      else await runs.delete(run.threadId, run.runId).catch(report)
      this.options.live.close(live)
      throw error
    }
  }

  /** `interrupt_before` and `interrupt_after` name nodes of the assistant's graph (or are `*`); E_VALIDATION naming the others. */
  private async assertStopNodes(assistant: AssistantEntry, body: RunBody): Promise<void> {
    const fields = [['interrupt_before', body.interrupt_before], ['interrupt_after', body.interrupt_after]] as const
    if (!fields.some(([, nodes]) => Array.isArray(nodes))) return
    const agent = await agentOf(this.options.runner, assistant.route)
    for (const [path, nodes] of fields) if (Array.isArray(nodes)) agent.assertNodes(nodes, path)
  }

  /** Stores the accepted run (pending) as a resource of its thread, and opens it in this process (cancellable). */
  private async register(run: PreparedRun): Promise<LiveRun> {
    const { runs, live } = this.options
    const now = Date.now()
    await runs.create({
      runId: run.runId,
      threadId: run.threadId,
      assistantId: run.assistant.id,
      status: 'pending',
      metadata: { ...(run.body.metadata ?? {}) },
      multitaskStrategy: run.body.multitask_strategy ?? null,
      cancelReason: null,
      createdAt: now,
      updatedAt: now,
    })
    run.live = live.open(run.runId, run.threadId)
    run.live.detached = run.body.on_disconnect === 'continue'
    return run.live
  }

  /** A run continues the thread's latest checkpoint: naming it is accepted, naming an earlier one (a fork) is not supported yet. */
  private async assertLatest(thread: ThreadRecord, assistant: AssistantEntry, checkpointId: string | undefined): Promise<void> {
    if (checkpointId === undefined) return
    const latest = thread.route ? await this.options.gate.snapshot(assistant.route, thread.threadId) : undefined
    if (latest?.config?.configurable?.checkpoint_id !== checkpointId) {
      throw unsupportedField('checkpoint', 'running from a checkpoint other than the thread\'s latest is not supported yet')
    }
  }

  private async createThread(ctx: HttpContext, threadId: string, assistant: AssistantEntry, body: RunBody, fresh: boolean): Promise<void> {
    const { gate } = this.options
    await gate.claim(ctx, threadId, fresh)
    await gate.store.create({ threadId, owner: gate.ownerOf(ctx.principal), metadata: { ...(body.metadata ?? {}) } })
  }

  /**
   * Marks the thread busy and binds it to the assistant on its first run.
   * A thread another run holds is refused with E_THREAD_BUSY (`reject`);
   * waited for (`enqueue`): the runs waiting on one thread in this process
   * start in the order they came, each once the run before it has ended;
   * or taken from the run holding it (`interrupt`, `rollback`), which is
   * cancelled first when it runs in this process (E_THREAD_BUSY otherwise).
   */
  private async take(ctx: HttpContext, thread: ThreadRecord, assistant: AssistantEntry, strategy: RunBody['multitask_strategy'], live: LiveRun): Promise<string> {
    const { store } = this.options.gate
    const { timeoutMs, staleAfterMs } = threadTimeouts(assistant.route)
    const staleBefore = () => Date.now() - staleAfterMs
    let token: string | undefined
    if (strategy !== 'enqueue') {
      token = await store.acquire(thread.threadId, staleBefore())
      if (!token && (strategy === 'interrupt' || strategy === 'rollback')) token = await this.takeOver(thread.threadId, strategy, staleBefore, live)
      if (!token) throw new E_THREAD_BUSY(thread.threadId)
    } else {
      await this.inTurn(thread.threadId, async () => {
        token = await this.waitFor(ctx, thread.threadId, staleBefore, Date.now() + timeoutMs, live)
      })
    }
    if (!thread.route) {
      await store.bind(thread.threadId, assistant.id, assistant.route.path)
      await store.mergeMetadata(thread.threadId, { graph_id: assistant.id, assistant_id: assistant.id })
    }
    return token as string
  }

  /**
   * Cancels the runs of this process waiting for the thread (so none of them
   * takes it first) and the run holding it, waits for that one to end
   * (within the abort grace), then takes the thread.
   */
  private async takeOver(threadId: string, action: CancelAction, staleBefore: () => number, self: LiveRun): Promise<string | undefined> {
    const holder = this.options.live.onThread(threadId)
    for (const queued of this.options.live.ofThread(threadId)) if (queued !== self && queued !== holder) queued.cancel(action)
    if (!holder) return undefined
    holder.cancel(action)
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.supervisor.abortGraceMs + 1000)))
    await Promise.race([holder.done, grace]).finally(() => clearTimeout(timer))
    return this.options.gate.store.acquire(threadId, staleBefore())
  }

  /** Takes the thread as soon as it is free (its token); E_THREAD_BUSY past `giveUpAt`, E_ABORTED when the client leaves. */
  private async waitFor(ctx: HttpContext, threadId: string, staleBefore: () => number, giveUpAt: number, live: LiveRun): Promise<string> {
    let wait = 25
    for (;;) {
      if (this.stopped) throw new E_SHUTTING_DOWN()
      if (live.signal.aborted) throw new E_ABORTED('cancelled while it waited for the thread')
      const token = await this.options.gate.store.acquire(threadId, staleBefore())
      if (token) return token
      if (ctx.clientSignal.aborted && !live.detached) throw new E_ABORTED('client disconnected while its run waited for the thread')
      if (Date.now() + wait > giveUpAt) throw new E_THREAD_BUSY(threadId)
      await pause(wait, live.signal)
      wait = Math.min(wait * 2, 500)
    }
  }

  /** Runs `take` after the earlier waiters of the thread in this process have taken it. */
  private async inTurn(threadId: string, take: () => Promise<void>): Promise<void> {
    if (this.stopped) throw new E_SHUTTING_DOWN()
    if (this.waiters >= (this.options.maxWaiting ?? DEFAULT_MAX_WAITING)) throw new E_OVERLOADED()
    this.waiters++
    try {
      await this.nextInLine(threadId, take)
    } finally {
      this.waiters--
    }
  }

  private async nextInLine(threadId: string, take: () => Promise<void>): Promise<void> {
    const before = this.waiting.get(threadId) ?? Promise.resolve()
    const mine = before.then(take)
    const tail = mine.catch(() => undefined)
    this.waiting.set(threadId, tail)
    try {
      await mine
    } finally {
      if (this.waiting.get(threadId) === tail) this.waiting.delete(threadId)
    }
  }

  /**
   * Runs `work` under the supervisor, then records how the thread and the
   * run ended (or deletes a thread-less run's checkpoints). A cancel stops
   * the run also while it waits for a concurrency slot; once its work has
   * returned, a cancel changes nothing. A run that was stopped (cancelled,
   * its client left, its deadline passed, the server drains) is answered at
   * once, but its graph may still be running: the thread stays busy until
   * the graph has really ended, so a second run can never start beside it.
   */
  private async supervised<T>(ctx: HttpContext, run: PreparedRun, outcome: (value: T) => RunOutcome, work: (deadline: RunDeadline) => Promise<T>): Promise<T> {
    let failure: string | undefined
    let started: RunDeadline | undefined
    // Undefined for a run refused before it started: it is no run of its thread.
    let status: RunStatus | undefined
    try {
      const value = await this.options.supervisor.supervise(
        ctx,
        run.assistant.route,
        async (deadline) => {
          started = deadline
          run.live?.start(deadline)
          if (run.live) await this.options.runs.update(run.threadId, run.runId, { status: 'running' })
          return work(deadline)
        },
        outcome,
        { cancel: run.live?.signal, detached: detached(run) },
      )
      const reason = (value as Partial<StreamEnd>).reason
      if (reason !== undefined) failure = failureOf(reason)
      status = runStatus(outcome(value))
      return value
    } catch (error) {
      failure = failureOf(error)
      if (!refusedBeforeStart(error)) {
        status = runStatus(outcomeOf(error))
        const rendered = this.options.exceptionHandler.render(error, ctx.traceId)
        run.live?.publish('error', { error: rendered.body.error.code, message: rendered.body.error.message })
      }
      throw error
    } finally {
      // Read once: a run that ended well was answered as it ended, whatever cancel came late.
      const frozen = run.live?.freeze()
      const action = status === 'success' ? undefined : frozen
      const report = (error: unknown) => ctx.logger.error('could not record the end of a LangGraph API run', { threadId: run.threadId, error })
      if (started?.signal.aborted) void this.settleWhenStopped(ctx, started, run, { failure, status, action }).catch(report)
      else await this.settle(run, { failure, status, action }).catch(report)
    }
  }

  /**
   * Settles a stopped run once its graph has ended. One that does not end
   * within the abort grace reads as it was stopped at once (its joiners are
   * answered), its thread stays busy, and it is recorded if it ever ends.
   */
  private async settleWhenStopped(ctx: HttpContext, deadline: RunDeadline, run: PreparedRun, end: RunEnd): Promise<void> {
    if (await deadline.settled(this.options.supervisor.abortGraceMs)) return this.settle(run, end)
    ctx.logger.warn('a stopped LangGraph API run did not end within the abort grace; its thread stays busy until it does', { threadId: run.threadId, agent: run.assistant.route.path })
    if (run.live) {
      try {
        await this.options.runs.update(run.threadId, run.runId, { status: end.status ?? 'interrupted', cancelReason: end.action ?? null })
      } finally {
        this.options.live.close(run.live)
      }
    }
    const report = (error: unknown) => ctx.logger.error('could not record the late end of a LangGraph API run', { threadId: run.threadId, error })
    // Too late for a rollback: the thread is recorded as the run left it.
    void deadline.settled(LATE_SETTLE_MS).then(() => this.settle(run, { ...end, action: end.action === 'rollback' ? undefined : end.action, late: true })).catch(report)
  }

  /**
   * Records how the run ended: a rollback first (the thread back where the
   * run started, the run forgotten), then the thread's values and status
   * (always, so the thread is let go) and the run's; a thread-less run's
   * checkpoints are deleted instead.
   */
  private async settle(run: PreparedRun, end: RunEnd): Promise<void> {
    const route = run.assistant.route
    const { failure, status, action } = end
    try {
      if (run.thread && run.token) {
        const rollback = action === 'rollback'
        const stoppedAtNodes = status === 'success' && Boolean(run.body.interrupt_before || run.body.interrupt_after)
        try {
          if (rollback) await rollBack(await agentOf(this.options.runner, route), run.threadId, run.startedFrom)
        } finally {
          await this.recordThread(run, rollback ? undefined : failure, stoppedAtNodes)
        }
        if (!run.live) return
        if (rollback || status === undefined) await this.options.runs.delete(run.threadId, run.runId)
        else await this.options.runs.update(run.threadId, run.runId, { status, cancelReason: action ?? null })
        return
      }
      if (!run.temporary) return
      await deleteCheckpoints(await agentOf(this.options.runner, route), run.threadId)
    } finally {
      if (run.live) this.options.live.close(run.live)
    }
  }

  /** Lets the thread go with its values and status; when its state cannot be read, with its status only. */
  private async recordThread(run: PreparedRun, failure: string | undefined, stoppedAtNodes: boolean): Promise<void> {
    const token = run.token as string
    try {
      await this.options.gate.record(run.assistant.route, run.threadId, token, failure, stoppedAtNodes)
    } catch (error) {
      await this.options.gate.record(undefined, run.threadId, token, failure ?? 'E_RUNTIME: internal error')
      throw error
    }
  }

  private invoke(ctx: HttpContext, run: PreparedRun, deadline: RunDeadline): Promise<RunResult> {
    const { runner } = this.options
    const path = run.assistant.route.path
    const options = this.runOptions(ctx, run, deadline)
    const command = commandOf(run)
    if (!command) return runner.invoke(path, run.body.input ?? null, options)
    if (!runner.command) throw unsupportedField('command', 'this server cannot continue a thread with a command')
    return runner.command(path, run.threadId, command, options)
  }

  private startStream(ctx: HttpContext, run: PreparedRun, deadline: RunDeadline, modes: StreamMode[]): Promise<AsyncIterable<StreamEvent>> {
    const { runner } = this.options
    const path = run.assistant.route.path
    const options: StreamOptions = { ...this.runOptions(ctx, run, deadline), modes, ...(run.body.stream_subgraphs ? { subgraphs: true } : {}) }
    const command = commandOf(run)
    if (!command) return runner.stream(path, run.body.input ?? null, options)
    if (!runner.commandStream) throw unsupportedField('command', 'this server cannot stream a thread continued with a command')
    return runner.commandStream(path, run.threadId, command, options)
  }

  private runOptions(ctx: HttpContext, run: PreparedRun, deadline: RunDeadline): RunOptions {
    const { durability, interrupt_before: before, interrupt_after: after } = run.body
    return {
      threadId: run.threadId,
      context: ctx.requestContext(),
      deadline,
      ...(durability ? { durability: durability as Durability } : {}),
      ...(before ? { interruptBefore: before } : {}),
      ...(after ? { interruptAfter: after } : {}),
    }
  }

  /** An interrupt as LangGraph streams it: `__interrupt__` in the values and in the updates. */
  private async sendInterrupt(send: (event: string, data: unknown) => Promise<void>, modes: readonly string[], values: unknown, interrupts: InterruptInfo[]): Promise<void> {
    if (modes.includes('values')) await send('values', presentValues(values, interrupts))
    if (modes.includes('updates')) await send('updates', { __interrupt__: presentInterrupts(interrupts) })
  }
}

/**
 * What continues the run's thread, as LangGraph's Command: the request's
 * `command`, or an empty one when a run on a stored thread sends no input
 * (the thread runs on from its latest checkpoint). Undefined: a run with input.
 */
function commandOf(run: PreparedRun): RunCommand | undefined {
  const { command, input } = run.body
  if (command) {
    const { resume, update, goto } = command
    return { ...(resume !== undefined ? { resume } : {}), ...(update ? { update } : {}), ...(goto ? { goto } : {}) }
  }
  return run.thread && (input === undefined || input === null) ? {} : undefined
}

/** `on_disconnect: "continue"` on a run of a stored thread (one that can be re-attached to): it goes on when its client leaves. */
function detached(run: PreparedRun): boolean {
  return run.body.on_disconnect === 'continue' && run.live !== undefined
}

/** A background run asked for, checked, before its thread is taken and it is dispatched. */
interface BackgroundRequest {
  ctx: HttpContext
  background: BackgroundRuns
  threadId: string
  assistant: AssistantEntry
  body: RunBody
  modes: string[]
  strategy: NonNullable<RunBody['multitask_strategy']>
  key: string | undefined
}

/** How a run ended, as its thread and its record keep it. */
interface RunEnd {
  failure: string | undefined
  status: RunStatus | undefined
  /** How it was cancelled before its work returned; undefined for a run that ended well. */
  action: CancelAction | undefined
  /** Recorded after it had already read as stopped (it outlived the abort grace). */
  late?: boolean
}


/** How a streamed run ended: once the stream is open, a failure is an `error` event, not a thrown error. */
interface StreamEnd {
  outcome: RunOutcome
  reason?: unknown
}

/**
 * A run's status from how it ended, as on LangGraph Platform: a run that
 * stopped at an interrupt (or at interrupt_before/after) ended well and reads
 * `success` (its thread reads `interrupted`); a cancelled one (by a cancel,
 * its client leaving, the server draining) reads `interrupted`.
 */
function runStatus(outcome: RunOutcome): RunStatus {
  switch (outcome) {
    case 'success':
    case 'interrupted':
      return 'success'
    case 'cancelled':
      return 'interrupted'
    case 'timeout':
      return 'timeout'
    default:
      return 'error'
  }
}

/** A refusal (invalid input, a middleware saying no, no slot free) rather than a failure of a run that started. */
function refusedBeforeStart(error: unknown): boolean {
  if (!isException(error)) return false
  return error.code === 'E_OVERLOADED' || (error.status < 500 && error.code !== 'E_ABORTED')
}

/**
 * What the thread records of a failed run; undefined for a run refused
 * before it started (invalid input, nothing to resume) or cancelled by its
 * client, which leaves the thread as its last checkpoint has it.
 */
function failureOf(error: unknown): string | undefined {
  if (!isException(error)) return 'E_RUNTIME: internal error'
  if (error.status < 500) return undefined
  return `${error.code}: ${error.expose || error.code === 'E_TIMEOUT' || error.code === 'E_SHUTTING_DOWN' ? error.message : 'internal error'}`
}

function wrongAssistant(thread: ThreadRecord, assistant: AssistantEntry) {
  return new E_VALIDATION(`Thread ${JSON.stringify(thread.threadId)} belongs to assistant ${JSON.stringify(thread.assistantId)}`, {
    details: [{ path: 'assistant_id', message: `this thread runs ${thread.assistantId}; create a new thread for ${assistant.id}` }],
  })
}

function unsupportedField(path: string, message: string) {
  return new E_VALIDATION('The request body is invalid', { details: [{ path, message }] })
}

/** The requested stream modes (values when none), or E_VALIDATION naming the ones served. */
function streamModes(requested: string | string[] | null | undefined): string[] {
  const modes = requested === undefined || requested === null ? ['values'] : Array.isArray(requested) ? [...new Set(requested)] : [requested]
  if (modes.length === 0) return ['values']
  const refused = modes.filter((mode) => !SUPPORTED.includes(mode))
  if (refused.length > 0) {
    throw new E_VALIDATION(`Unsupported stream_mode ${refused.map((mode) => JSON.stringify(mode)).join(', ')}: supported modes are ${SUPPORTED.join(', ')}`, {
      details: refused.map((mode) => ({ path: 'stream_mode', message: `${mode} is not supported; use one of ${SUPPORTED.join(', ')}` })),
    })
  }
  return modes
}

/** The protocol events a runner event makes for the requested modes: itself, and the `messages` mode's. */
function protocolEvents(event: Exclude<StreamEvent, { event: 'interrupt' }>, modes: readonly string[], messages: MessagesMode | undefined): ProtocolEvent[] {
  const events: ProtocolEvent[] = []
  if (event.event === 'messages') {
    if (modes.includes('messages-tuple')) events.push(['messages', eventData(event)])
    if (messages) events.push(...messages.chunk(...(event.data as [unknown, unknown])))
    return events
  }
  if (event.event === 'updates') {
    if (modes.includes('updates')) events.push(['updates', eventData(event)])
    if (messages) events.push(...messages.update(event.data))
    return events
  }
  if (event.event === 'values') {
    if (modes.includes('values')) events.push(['values', eventData(event)])
    if (messages && !event.namespace?.length) events.push(...messages.values(event.data))
    return events
  }
  return [[event.event, eventData(event)]]
}

/** An event's data as the protocol sends it; `messages` carries the `messages-tuple` mode's `[chunk, metadata]`. */
function eventData(event: Exclude<StreamEvent, { event: 'interrupt' }>): unknown {
  if (event.event === 'updates') return event.node !== undefined ? { [event.node]: presentValues(event.data) } : presentValues(event.data)
  if (event.event === 'values') return presentValues(event.data)
  if (event.event === 'messages') {
    const [chunk, metadata] = event.data as [unknown, unknown]
    return [serializedMessage(chunk), metadata]
  }
  return event.data
}
