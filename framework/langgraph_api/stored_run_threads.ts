import type { AgentRunner } from '../contracts/agent_run'
import { E_THREAD_BUSY, E_THREAD_NOT_FOUND } from '../errors'
import { sleep } from '../support/backoff'
import type { RunThreads } from '../queue/run_endings'
import type { RunRecord } from '../queue/run_store'
import { rollBack, runStart, type RunStart } from './rollback'
import { agentOf, deleteCheckpoints } from './request'
import { recordThread } from './thread_gate'
import { backgroundHolder, threadTimeouts, type ThreadStore } from './thread_store'

const MAX_PAUSE_MS = 1000
/** How often a held thread is touched while its run runs. */
const HEARTBEAT_MS = 15_000

/**
 * The stored threads of background runs created through the LangGraph API:
 * a run holds its thread (busy) from its first attempt to its end, with a
 * token of its own (`run:<id>`), so a later attempt on another worker (after
 * a crash or a drain) holds it still, and no other run starts on it
 * meanwhile. A run whose thread is busy waits for it in its worker. When the
 * run ends its thread records the values and interrupts its latest
 * checkpoint has; a run cancelled with `rollback` first takes the thread back
 * to the checkpoint it started from.
 *
 * @example
 * new RunService({ ..., threads: () => new StoredRunThreads(threadStore, runner) })
 */
export class StoredRunThreads implements RunThreads {
  /** Where first attempts in this process started: the checkpoint and the writes pending on it (a rollback restores both). */
  private readonly starts = new Map<string, RunStart | undefined>()

  constructor(
    private readonly store: ThreadStore,
    private readonly runner: AgentRunner,
  ) {}

  async take(run: RunRecord, signal: AbortSignal): Promise<{ stop(): void }> {
    const route = this.runner.route(run.route)
    const { timeoutMs, staleAfterMs } = threadTimeouts(route)
    const token = backgroundHolder(run.id)
    const giveUpAt = Date.now() + timeoutMs
    let pause = 25
    // Throws once the run is cancelled while it waits.
    while (!(await this.store.acquire(run.threadId, Date.now() - staleAfterMs, token))) {
      // Deleted since the run was created: it cannot run (not retried).
      if (!(await this.store.get(run.threadId))) throw new E_THREAD_NOT_FOUND(run.threadId)
      if (Date.now() + pause > giveUpAt) throw new E_THREAD_BUSY(run.threadId)
      await sleep(pause, signal)
      pause = Math.min(pause * 2, MAX_PAUSE_MS)
    }
    if (run.startCheckpoint === null && !this.starts.has(run.id)) this.starts.set(run.id, await runStart(await agentOf(this.runner, route), run.threadId))
    // A held thread is touched while the attempt runs, so it never looks abandoned (stale) to another run.
    const timer = setInterval(() => void this.store.touch(run.threadId, token).catch(() => undefined), HEARTBEAT_MS)
    timer.unref()
    return { stop: () => clearInterval(timer) }
  }

  holds(run: RunRecord): Promise<boolean> {
    return this.store.heldBy(run.threadId, backgroundHolder(run.id))
  }

  forget(runId: string): void {
    this.starts.delete(runId)
  }

  async release(run: RunRecord, ended: RunRecord): Promise<void> {
    const token = backgroundHolder(run.id)
    const start = this.starts.has(run.id) ? this.starts.get(run.id) : ended.startCheckpoint ? { checkpointId: ended.startCheckpoint, pendingWrites: [] } : undefined
    this.starts.delete(run.id)
    if (!(await this.store.heldBy(run.threadId, token))) return
    try {
      const route = this.runner.route(run.route)
      const agent = await agentOf(this.runner, route)
      if (run.options.deleteThread) {
        // `on_completion: "delete"`: the thread goes with its checkpoints, while it is still held.
        await deleteCheckpoints(agent, run.threadId)
        await this.store.delete(run.threadId, token)
        return
      }
      if (ended.status === 'cancelled' && ended.cancelAction === 'rollback' && ended.startCheckpoint !== null) await rollBack(agent, run.threadId, start)
      await recordThread(this.store, this.runner, route, run.threadId, token, failureOf(ended), stoppedAtNodes(run, ended))
    } finally {
      // Whatever failed above (the route gone, the checkpointer down), the thread is let go: with its error when its values could not be recorded.
      await this.store.finish(run.threadId, token, { status: 'error', error: 'E_RUNTIME: the thread could not be recorded after its run' })
    }
  }
}

/** What the thread records of a run that failed: its code and message (a run records only what clients may read). */
function failureOf(run: RunRecord): string | undefined {
  if (run.status !== 'error' && run.status !== 'timeout') return undefined
  const code = run.errorCode ?? 'E_RUNTIME'
  return `${code}: ${run.error ?? code}`
}

function stoppedAtNodes(run: RunRecord, ended: RunRecord): boolean {
  return (ended.status === 'success' || ended.status === 'interrupted') && Boolean(run.options.interruptBefore || run.options.interruptAfter)
}
