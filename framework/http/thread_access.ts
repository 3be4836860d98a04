import type { Principal } from '../contracts/request_context'
import type { ThreadOwnership } from '../auth/threads/thread_ownership'

/**
 * Thread ownership as the HTTP layer applies it: a run claims its thread for
 * the caller, and reads, resumes and streams of an existing thread require
 * access (others get 404, as for a thread that does not exist). Without the
 * auth service every thread is open. A fresh thread started anonymously can
 * have no owner, so it costs no store round trip.
 *
 * @example
 * await access.claim(threadId, ctx.principal, { fresh: true })
 */
export class ThreadAccess {
  constructor(private readonly ownership: () => ThreadOwnership | undefined) {}

  async claim(threadId: string, principal: Principal | undefined, options: { fresh: boolean }): Promise<void> {
    if (!principal && options.fresh) return
    await this.ownership()?.claim(threadId, principal)
  }

  async assertCanAccess(threadId: string, principal: Principal | undefined): Promise<void> {
    await this.ownership()?.assertCanAccess(threadId, principal)
  }
}
