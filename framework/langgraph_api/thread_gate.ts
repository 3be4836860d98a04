import type { StateSnapshot } from '@langchain/langgraph'
import { ThreadOwnership } from '../auth/threads/thread_ownership'
import { hasPermission } from '../auth/permissions'
import type { AgentRouteInfo, AgentRunner } from '../contracts/agent_run'
import type { Principal } from '../contracts/request_context'
import { E_THREAD_NOT_FOUND } from '../errors'
import type { HttpContext } from '../http/context'
import type { ThreadAccess } from '../http/thread_access'
import type { AssistantCatalog, AssistantEntry } from './assistants'
import type { RouteGuards } from './guards'
import { presentInterrupts, presentValues } from './presenters'
import { agentOf } from './request'
import type { ThreadRecord, ThreadStore } from './thread_store'

export interface ThreadGateOptions {
  store: ThreadStore
  catalog: AssistantCatalog
  runner: AgentRunner
  guards: RouteGuards
  /** The server's thread ownership, shared with the agent API. */
  access?: ThreadAccess
  /** A principal granted it reaches every thread (AUTH's `threads.all`). */
  bypassPermission?: string
}

/**
 * Who may reach a stored thread, and what it is bound to. A thread belongs to
 * the principal that created it; anyone else gets E_THREAD_NOT_FOUND (404),
 * as for a thread that does not exist. The thread's id is also checked with
 * the server's ThreadAccess, which guards the same checkpoints through the
 * agent API. A thread bound to an assistant runs its route's request-stage
 * middleware before its state is read or changed.
 *
 * @example
 * const { thread, assistant } = await gate.open(ctx, threadId)
 */
export class ThreadGate {
  readonly store: ThreadStore
  private readonly bypassPermission: string

  constructor(private readonly options: ThreadGateOptions) {
    this.store = options.store
    this.bypassPermission = options.bypassPermission ?? 'threads.all'
  }

  /** The owner key a principal's threads are stored under; null for anonymous callers. */
  ownerOf(principal: Principal | undefined): string | null {
    return principal ? ThreadOwnership.ownerOf(principal) : null
  }

  /**
   * The owner a search is limited to: the caller's threads; undefined (all) for a bypassing principal;
   * null for an anonymous caller, who lists nothing (an ownerless thread is reached by its id only).
   */
  searchOwner(principal: Principal | undefined): string | null | undefined {
    if (principal && hasPermission(principal.permissions, this.bypassPermission)) return undefined
    return this.ownerOf(principal)
  }

  /** The thread, if this caller may reach it; E_THREAD_NOT_FOUND otherwise. */
  async find(ctx: HttpContext, threadId: string): Promise<ThreadRecord> {
    await this.options.access?.assertCanAccess(threadId, ctx.principal)
    const thread = await this.store.get(threadId)
    if (!thread || !this.mayReach(thread, ctx.principal)) throw new E_THREAD_NOT_FOUND(threadId)
    return thread
  }

  /** Like `find`, then the middleware of the route the thread is bound to; the assistant is undefined for an unbound thread. */
  async open(ctx: HttpContext, threadId: string): Promise<{ thread: ThreadRecord; assistant?: AssistantEntry }> {
    const thread = await this.find(ctx, threadId)
    const assistant = thread.route ? this.options.catalog.entries.find((entry) => entry.route.path === thread.route) : undefined
    if (assistant) await this.options.guards.admit(ctx, assistant.route)
    return { thread, assistant }
  }

  /** Ownership of a new thread in the server's ThreadAccess, as a run of the agent API claims it. */
  claim(ctx: HttpContext, threadId: string, fresh: boolean): Promise<void> {
    return this.options.access?.claim(threadId, ctx.principal, { fresh }) ?? Promise.resolve()
  }

  /** The thread's latest snapshot (or the one at `checkpointId`), undefined before its first checkpoint (or when it has no such checkpoint). */
  async snapshot(route: AgentRouteInfo, threadId: string, options: { checkpointId?: string; subgraphs?: boolean } = {}): Promise<StateSnapshot | undefined> {
    return latestSnapshot(this.options.runner, route, threadId, options)
  }

  /**
   * Ends the hold `token` has on the thread: stores its values and interrupts as its latest checkpoint
   * has them, with the status they imply (the thread's own status, unbound). Nothing changes when another run holds it now.
   * `stoppedAtNodes`: the run ended where it was asked to stop (interrupt_before/after), so a thread with nodes next waits: interrupted.
   */
  async record(route: AgentRouteInfo | undefined, threadId: string, token: string, failed?: string, stoppedAtNodes = false): Promise<void> {
    await recordThread(this.store, this.options.runner, route, threadId, token, failed, stoppedAtNodes)
  }

  private mayReach(thread: ThreadRecord, principal: Principal | undefined): boolean {
    if (thread.owner === null) return true
    if (!principal) return false
    return thread.owner === ThreadOwnership.ownerOf(principal) || hasPermission(principal.permissions, this.bypassPermission)
  }
}

/**
 * Ends the hold `token` has on the thread: stores its values and interrupts
 * as its latest checkpoint has them, with the status they imply (the
 * thread's own status, unbound). Nothing changes when another run holds it
 * now. `stoppedAtNodes`: the run ended where it was asked to stop
 * (interrupt_before/after), so a thread with nodes next waits: interrupted.
 *
 * @example
 * await recordThread(store, runner, route, threadId, token)
 */
export async function recordThread(
  store: ThreadStore,
  runner: AgentRunner,
  route: AgentRouteInfo | undefined,
  threadId: string,
  token: string,
  failed?: string,
  stoppedAtNodes = false,
): Promise<void> {
  if (!route) {
    await store.finish(threadId, token, { status: failed ? 'error' : 'idle', error: failed })
    return
  }
  const snapshot = await latestSnapshot(runner, route, threadId)
  const interrupts: Record<string, unknown[]> = {}
  for (const task of snapshot?.tasks ?? []) {
    if (task.interrupts?.length) interrupts[task.id] = presentInterrupts(task.interrupts as Array<{ id?: string; value?: unknown }>)
  }
  const interrupted = Object.keys(interrupts).length > 0 || (stoppedAtNodes && (snapshot?.next?.length ?? 0) > 0)
  await store.finish(threadId, token, {
    status: failed ? 'error' : interrupted ? 'interrupted' : 'idle',
    values: snapshot ? presentValues(snapshot.values) : undefined,
    interrupts,
    error: failed,
  })
}

/** The thread's latest snapshot (or the one at `checkpointId`), undefined before its first checkpoint (or when it has no such checkpoint). */
export async function latestSnapshot(runner: AgentRunner, route: AgentRouteInfo, threadId: string, options: { checkpointId?: string; subgraphs?: boolean } = {}): Promise<StateSnapshot | undefined> {
  const agent = await agentOf(runner, route)
  const snapshot = await agent.compiledGraph.getState(agent.checkpointConfig(threadId, options.checkpointId), { subgraphs: options.subgraphs ?? false })
  // A checkpoint the saver does not have comes back as an empty snapshot echoing the asked-for id, with no creation time.
  return snapshot.createdAt && snapshot.config?.configurable?.checkpoint_id ? snapshot : undefined
}
