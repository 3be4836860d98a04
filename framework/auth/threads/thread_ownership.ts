import type { Principal } from '../../contracts/request_context'
import { E_THREAD_NOT_FOUND } from '../../errors'
import { hasPermission } from '../permissions'
import type { ThreadOwnerStore } from './thread_owner_store'

export interface ThreadOwnershipOptions {
  /** A principal granted this permission (`threads.*` and `*` grant it too) may use every thread. */
  bypassPermission?: string
}

/**
 * Threads belong to the principal that created them. The HTTP controllers
 * call `claim` when a run starts (a new or given thread id) and
 * `assertCanAccess` before reading state or history, resuming or streaming.
 * Anyone else gets E_THREAD_NOT_FOUND (404), the same answer as for a thread
 * that does not exist, so thread ids cannot be probed.
 *
 * Threads created without a principal (routes without `auth`) have no owner
 * and stay open to whoever knows their id; an owned thread is never reachable
 * anonymously.
 *
 * @example
 * await threads.claim(threadId, ctx.principal)           // before invoking
 * await threads.assertCanAccess(threadId, ctx.principal) // before state/resume
 */
export class ThreadOwnership {
  readonly bypassPermission: string

  constructor(
    private readonly store: ThreadOwnerStore,
    options: ThreadOwnershipOptions = {},
  ) {
    this.bypassPermission = options.bypassPermission ?? 'threads.all'
  }

  /** The owner key of a principal: its type keeps an API key id and a user id apart. */
  static ownerOf(principal: Principal): string {
    return `${principal.type}:${principal.id}`
  }

  /**
   * Takes ownership of a thread nobody owns yet; throws E_THREAD_NOT_FOUND when
   * another principal owns it. A bypassing principal still owns what it creates.
   */
  async claim(threadId: string, principal: Principal | undefined): Promise<void> {
    if (!principal) return this.assertCanAccess(threadId, undefined)
    const owner = ThreadOwnership.ownerOf(principal)
    const recorded = await this.store.claim(threadId, owner)
    if (recorded !== owner && !this.bypasses(principal)) throw new E_THREAD_NOT_FOUND(threadId)
  }

  /** Throws E_THREAD_NOT_FOUND unless the principal owns the thread, bypasses ownership, or the thread is unowned. */
  async assertCanAccess(threadId: string, principal: Principal | undefined): Promise<void> {
    if (principal && this.bypasses(principal)) return
    const owner = await this.store.owner(threadId)
    if (owner === undefined) return
    if (!principal || owner !== ThreadOwnership.ownerOf(principal)) throw new E_THREAD_NOT_FOUND(threadId)
  }

  /** True when the principal may act on the thread; never throws for ownership. */
  async canAccess(threadId: string, principal: Principal | undefined): Promise<boolean> {
    try {
      await this.assertCanAccess(threadId, principal)
      return true
    } catch (error) {
      if ((error as { code?: string }).code === 'E_THREAD_NOT_FOUND') return false
      throw error
    }
  }

  /** The ids of the threads an owner key (`user:42`) owns. */
  threadsOf(owner: string): Promise<string[]> {
    return this.store.threadsOf(owner)
  }

  /** Removes the ownership record of a thread held by `owner`; true when there was one. */
  release(threadId: string, owner: string): Promise<boolean> {
    return this.store.release(threadId, owner)
  }

  private bypasses(principal: Principal): boolean {
    return hasPermission(principal.permissions, this.bypassPermission)
  }
}
