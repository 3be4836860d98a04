/** A run's status, exactly as LangGraph Platform names them; a cancelled run reads `interrupted`. */
export type RunStatus = 'pending' | 'running' | 'error' | 'success' | 'timeout' | 'interrupted'
export const RUN_STATUSES = ['pending', 'running', 'error', 'success', 'timeout', 'interrupted'] as const

/** What the protocol says of one run of a stored thread (the `Run` resource). */
export interface RunRecord {
  runId: string
  threadId: string
  assistantId: string
  status: RunStatus
  metadata: Record<string, unknown>
  multitaskStrategy: 'reject' | 'interrupt' | 'rollback' | 'enqueue' | null
  /** Set when the run was cancelled: `interrupt` or `rollback`. */
  cancelReason: string | null
  createdAt: number
  updatedAt: number
}

export interface RunListOptions {
  limit: number
  offset: number
  status?: RunStatus
}

/** True for a status a run leaves no more. */
export function isFinished(status: RunStatus): boolean {
  return status !== 'pending' && status !== 'running'
}

/**
 * Where the runs of stored threads are kept. Every driver keeps a thread's
 * runs newest first, and may forget finished runs (bounded memory), but
 * never a pending or running one.
 *
 * @example
 * await runs.create({ runId, threadId, assistantId: 'echo', status: 'pending', metadata: {}, multitaskStrategy: null, cancelReason: null, createdAt: now, updatedAt: now })
 * await runs.update(threadId, runId, { status: 'success' })
 */
export interface RunStore {
  create(run: RunRecord): Promise<void>
  get(threadId: string, runId: string): Promise<RunRecord | undefined>
  /** The thread's runs, newest first. */
  list(threadId: string, options: RunListOptions): Promise<RunRecord[]>
  /** Changes the run's status (and cancel reason); undefined when it is not stored. */
  update(threadId: string, runId: string, changes: Partial<Pick<RunRecord, 'status' | 'cancelReason'>>): Promise<RunRecord | undefined>
  /** False when it was not stored. */
  delete(threadId: string, runId: string): Promise<boolean>
  /** Forgets every run of the thread (the thread was deleted). */
  deleteThread(threadId: string): Promise<void>
}
