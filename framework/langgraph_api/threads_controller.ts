import { randomUUID } from 'node:crypto'
import type { StateSnapshot } from '@langchain/langgraph'
import { z } from 'zod'
import type { AgentRunner } from '../contracts/agent_run'
import { E_BAD_REQUEST, E_THREAD_BUSY, E_THREAD_EXISTS, E_THREAD_NOT_FOUND, E_VALIDATION } from '../errors'
import { THREAD_ID_PATTERN } from '../http/agent_path'
import type { HttpContext } from '../http/context'
import type { AssistantCatalog } from './assistants'
import { emptyState, presentSnapshot, presentThread } from './presenters'
import { agentOf, boundedMetadata, deleteCheckpoints, MAX_METADATA_BYTES, metadataFits, parseBody, queryFlag } from './request'
import type { RunStore } from './run_store'
import type { BackgroundRuns } from './background_runs'
import type { ThreadGate } from './thread_gate'
import { THREAD_STATUSES } from './thread_store'

/** A state update or a delete never takes over a thread a run holds, however long it has been busy. */
const NEVER_STALE = 0

const threadId = z.string().regex(THREAD_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 . _ : -')
const metadata = boundedMetadata
const nothing = (what: string) => z.unknown().refine((value) => value === undefined || value === null || (Array.isArray(value) && value.length === 0), `${what} is not supported`).optional()

const CREATE_BODY = z.looseObject({
  thread_id: threadId.optional().nullable(),
  metadata: metadata.optional().nullable(),
  if_exists: z.enum(['raise', 'do_nothing']).optional().nullable(),
  supersteps: nothing('supersteps'),
})
const PATCH_BODY = z.looseObject({ metadata: metadata.optional().nullable() })
const SEARCH_BODY = z.looseObject({
  metadata: metadata.optional().nullable(),
  ids: z.array(z.string()).max(1000).optional().nullable(),
  status: z.enum(THREAD_STATUSES).optional().nullable(),
  limit: z.number().int().min(1).max(1000).optional().nullable(),
  offset: z.number().int().min(0).optional().nullable(),
  sort_by: z.enum(['thread_id', 'status', 'created_at', 'updated_at']).optional().nullable(),
  sort_order: z.enum(['asc', 'desc']).optional().nullable(),
  values: z.record(z.string(), z.unknown()).optional().nullable().refine((value) => !value || Object.keys(value).length === 0, 'a values filter is not supported'),
})
const COUNT_BODY = z.looseObject({
  metadata: metadata.optional().nullable(),
  status: z.enum(THREAD_STATUSES).optional().nullable(),
  values: z.record(z.string(), z.unknown()).optional().nullable().refine((value) => !value || Object.keys(value).length === 0, 'a values filter is not supported'),
})
const checkpointRef = z.looseObject({ checkpoint_id: z.string().min(1).optional().nullable(), checkpoint_ns: z.string().optional().nullable() })
const UPDATE_BODY = z.looseObject({
  values: z.unknown().refine((value) => value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value), 'values must be an object of state keys'),
  as_node: z.string().min(1).optional().nullable(),
  checkpoint: nothing('updating from a checkpoint other than the latest'),
  checkpoint_id: nothing('updating from a checkpoint other than the latest'),
})
const CHECKPOINT_BODY = z.looseObject({ checkpoint: checkpointRef, subgraphs: z.boolean().optional().nullable() })
const HISTORY_BODY = z.looseObject({
  limit: z.number().int().min(1).max(1000).optional().nullable(),
  before: z.union([z.string().min(1), checkpointRef]).optional().nullable(),
  metadata: metadata.optional().nullable(),
  checkpoint: checkpointRef.optional().nullable(),
})

/**
 * The threads endpoints: create, read, update metadata, delete and search
 * stored threads; read a thread's state (latest or at a checkpoint) and
 * history; update its state as a node would. Thread state lives in the
 * checkpointer of the assistant the thread is bound to.
 *
 * @example
 * kernel.route('POST', '/threads', controller.create)
 */
export class ThreadsController {
  constructor(
    private readonly gate: ThreadGate,
    private readonly catalog: AssistantCatalog,
    private readonly runner: AgentRunner,
    /** The threads' runs, forgotten with their thread. */
    private readonly runs?: RunStore,
    /** The threads' background runs: those not started are cancelled, and all are forgotten, with their thread. */
    private readonly background?: BackgroundRuns,
  ) {}

  create = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(CREATE_BODY, ctx.body ?? {})
    const id = body.thread_id ?? randomUUID()
    const existing = body.thread_id ? await this.gate.store.get(id) : undefined
    if (existing) {
      const { thread } = await this.gate.open(ctx, id)
      if (body.if_exists !== 'do_nothing') throw new E_THREAD_EXISTS(id)
      return ctx.json(200, presentThread(thread))
    }
    const given = { ...(body.metadata ?? {}) }
    const assistant = typeof given.graph_id === 'string' ? this.catalog.find(given.graph_id) : undefined
    if (assistant) given.assistant_id = assistant.id
    await this.gate.claim(ctx, id, body.thread_id === undefined || body.thread_id === null)
    const created = await this.gate.store.create({ threadId: id, owner: this.gate.ownerOf(ctx.principal), metadata: given, assistantId: assistant?.id, route: assistant?.route.path })
    if (!created && body.if_exists !== 'do_nothing') throw new E_THREAD_EXISTS(id)
    ctx.json(200, presentThread(await this.gate.find(ctx, id)))
  }

  show = async (ctx: HttpContext): Promise<void> => {
    ctx.json(200, presentThread((await this.gate.open(ctx, ctx.params.thread_id)).thread))
  }

  update = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(PATCH_BODY, ctx.body ?? {})
    const { thread_id: id } = ctx.params
    const { thread } = await this.gate.open(ctx, id)
    if (!metadataFits({ ...thread.metadata, ...body.metadata })) {
      throw new E_VALIDATION('The request body is invalid', { details: [{ path: 'metadata', message: `the thread's metadata would exceed ${MAX_METADATA_BYTES / 1024} KB as JSON` }] })
    }
    const updated = await this.gate.store.mergeMetadata(id, body.metadata ?? {})
    if (!updated) throw new E_THREAD_NOT_FOUND(id)
    ctx.json(200, presentThread(updated))
  }

  /** Deletes the thread and its checkpoints. */
  destroy = async (ctx: HttpContext): Promise<void> => {
    const { thread_id: id } = ctx.params
    const { assistant } = await this.gate.open(ctx, id)
    // Background runs not started yet are cancelled (a pending run may hold the thread); a running one makes the thread busy.
    await this.background?.cancelPending(id)
    // Held like a run holds it, so that no run starts while its checkpoints go.
    const token = await this.gate.store.acquire(id, NEVER_STALE)
    if (!token) throw new E_THREAD_BUSY(id)
    try {
      if (assistant) await deleteCheckpoints(await agentOf(this.runner, assistant.route), id)
    } catch (error) {
      await this.gate.record(assistant?.route, id, token)
      throw error
    }
    await this.gate.store.delete(id, token)
    await this.runs?.deleteThread(id)
    await this.background?.forgetThread(id)
    ctx.res.statusCode = 204
    ctx.res.end()
  }

  search = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(SEARCH_BODY, ctx.body ?? {})
    const owner = this.gate.searchOwner(ctx.principal)
    // Listing needs a principal: an anonymous caller reaches an ownerless thread only by its id, as on the agent API.
    if (owner === null) return ctx.json(200, [])
    const threads = await this.gate.store.search({
      owner,
      metadata: body.metadata ?? undefined,
      status: body.status ?? undefined,
      ids: body.ids ?? undefined,
      limit: body.limit ?? 10,
      offset: body.offset ?? 0,
      sortBy: body.sort_by ?? undefined,
      sortOrder: body.sort_order ?? undefined,
    })
    ctx.json(200, threads.map(presentThread))
  }

  /** `POST /threads/count`: how many of the caller's threads a search would find (0 for an anonymous caller). */
  count = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(COUNT_BODY, ctx.body ?? {})
    const owner = this.gate.searchOwner(ctx.principal)
    if (owner === null) return ctx.json(200, 0)
    ctx.json(200, await this.gate.store.count({ owner, metadata: body.metadata ?? undefined, status: body.status ?? undefined }))
  }

  /** `GET /threads/{id}/state`, and `/state/{checkpoint_id}`. */
  state = async (ctx: HttpContext): Promise<void> => {
    const { thread_id: id, checkpoint_id: checkpointId } = ctx.params
    ctx.json(200, await this.stateAt(ctx, id, checkpointId, queryFlag(ctx, 'subgraphs')))
  }

  /** `POST /threads/{id}/state/checkpoint`: the state at `{ checkpoint: { checkpoint_id } }`. */
  stateAtCheckpoint = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(CHECKPOINT_BODY, ctx.body ?? {})
    ctx.json(200, await this.stateAt(ctx, ctx.params.thread_id, body.checkpoint.checkpoint_id ?? undefined, body.subgraphs ?? false))
  }

  /** `POST /threads/{id}/state`: the agent's updateState (the patch validated, reducers applied), as `as_node` when given. */
  updateState = async (ctx: HttpContext): Promise<void> => {
    const body = parseBody(UPDATE_BODY, ctx.body ?? {})
    const id = ctx.params.thread_id
    const { assistant } = await this.gate.open(ctx, id)
    if (!assistant) throw new E_BAD_REQUEST(`Thread ${JSON.stringify(id)} has no state to update yet: run an assistant on it first`)
    const agent = await agentOf(this.runner, assistant.route)
    const asNode = body.as_node ?? undefined
    const nodes = Object.keys(agent.compiledGraph.nodes).filter((node) => node !== '__start__')
    if (asNode !== undefined && !nodes.includes(asNode)) {
      throw new E_VALIDATION('The request body is invalid', { details: [{ path: 'as_node', message: `${JSON.stringify(asNode.slice(0, 200))} is no node of ${assistant.id}: one of ${nodes.join(', ')}` }] })
    }
    // Held like a run holds it: no run starts on the thread while its state is written.
    const token = await this.gate.store.acquire(id, NEVER_STALE)
    if (!token) throw new E_THREAD_BUSY(id)
    try {
      await agent.updateState(id, body.values as never, { asNode })
    } finally {
      await this.gate.record(assistant.route, id, token)
    }
    const snapshot = await this.gate.snapshot(assistant.route, id)
    const checkpoint = presentSnapshot(snapshot as StateSnapshot, id).checkpoint
    // LangGraph's server answers `{ checkpoint }`; the SDK's type reads it as a config: both are given.
    ctx.json(200, { checkpoint, configurable: checkpoint })
  }

  /** `GET|POST /threads/{id}/history`: checkpoints newest first. */
  history = async (ctx: HttpContext): Promise<void> => {
    const body = ctx.method === 'POST' ? parseBody(HISTORY_BODY, ctx.body ?? {}) : historyQuery(ctx)
    const id = ctx.params.thread_id
    const { assistant } = await this.gate.open(ctx, id)
    if (!assistant) return ctx.json(200, [])
    const agent = await agentOf(this.runner, assistant.route)
    const before = typeof body.before === 'string' ? body.before : (body.before?.checkpoint_id ?? undefined)
    const states: unknown[] = []
    const history = agent.compiledGraph.getStateHistory(agent.checkpointConfig(id, body.checkpoint?.checkpoint_id ?? undefined), {
      limit: body.limit ?? 10,
      ...(before ? { before: agent.checkpointConfig(id, before) } : {}),
      ...(body.metadata ? { filter: body.metadata } : {}),
    })
    for await (const snapshot of history) states.push(presentSnapshot(snapshot, id))
    ctx.json(200, states)
  }

  private async stateAt(ctx: HttpContext, id: string, checkpointId: string | undefined, subgraphs: boolean) {
    const { assistant } = await this.gate.open(ctx, id)
    const snapshot = assistant ? await this.gate.snapshot(assistant.route, id, { checkpointId, subgraphs }) : undefined
    if (!snapshot && checkpointId) throw new E_THREAD_NOT_FOUND(`${id} at checkpoint ${checkpointId}`)
    return snapshot ? presentSnapshot(snapshot, id) : emptyState(id)
  }
}

function historyQuery(ctx: HttpContext): z.output<typeof HISTORY_BODY> {
  const limit = ctx.searchParam('limit')
  if (limit !== null && !/^\d{1,4}$/.test(limit)) throw new E_BAD_REQUEST('limit must be an integer between 1 and 1000')
  return parseBody(HISTORY_BODY, { limit: limit === null ? undefined : Number(limit), before: ctx.searchParam('before') ?? undefined })
}
