import { toPlainValues } from '../agents/plain_values'
import type { InterruptInfo, ThreadState } from '../contracts/agent_run'

export interface PresentedInterrupt {
  id: string
  value: unknown
  node?: string
  /** How to answer it: POST `{ value }` to this URL. */
  resume: { method: 'POST'; url: string }
}

/** The URL that resumes a thread of an agent route (path without outer slashes). */
export function resumeUrl(agentPath: string, threadId: string): string {
  return `/agents/${agentPath}/threads/${encodeURIComponent(threadId)}/resume`
}

/**
 * Interrupts as clients see them: payload plus the request that resumes the run.
 *
 * @example
 * presentInterrupts('approval', 't-1', result.interrupts)
 */
export function presentInterrupts(agentPath: string, threadId: string, interrupts: readonly InterruptInfo[]): PresentedInterrupt[] {
  const url = resumeUrl(agentPath, threadId)
  return interrupts.map((interrupt) => ({
    id: interrupt.id,
    value: interrupt.value,
    ...(interrupt.node === undefined ? {} : { node: interrupt.node }),
    resume: { method: 'POST', url },
  }))
}

/** A thread snapshot in the API's snake_case shape. */
export function presentState(agentPath: string, state: ThreadState) {
  return {
    thread_id: state.threadId,
    values: toPlainValues(state.values),
    next: state.next,
    interrupts: presentInterrupts(agentPath, state.threadId, state.interrupts),
    checkpoint_id: state.checkpointId ?? null,
    parent_checkpoint_id: state.parentCheckpointId ?? null,
    created_at: state.createdAt ?? null,
    metadata: state.metadata ?? {},
  }
}
