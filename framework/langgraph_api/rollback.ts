import { copyCheckpoint, uuid6, type CheckpointPendingWrite, type PendingWrite } from '@langchain/langgraph-checkpoint'
import type { Agent } from '../agents/agent'
import { deleteCheckpoints } from './request'

/** Where a run starts from: the thread's latest checkpoint and the writes pending on it then (the interrupts it waits on). */
export interface RunStart {
  checkpointId: string
  pendingWrites: CheckpointPendingWrite[]
}

/** Where a run starts from (undefined before the thread's first checkpoint), read before the run writes anything. */
export async function runStart(agent: Agent, threadId: string): Promise<RunStart | undefined> {
  const saver = agent.compiledGraph.checkpointer
  if (!saver || typeof saver === 'boolean') return undefined
  const tuple = await saver.getTuple(agent.checkpointConfig(threadId))
  return tuple ? { checkpointId: tuple.checkpoint.id, pendingWrites: [...(tuple.pendingWrites ?? [])] } : undefined
}

/**
 * Takes the thread back to where a run started (`start`, undefined for a
 * thread that had no checkpoint, which then loses all of them). LangGraph's
 * savers cannot delete a single checkpoint, so the start checkpoint is
 * copied as the new latest one (the run's own checkpoints stay in the
 * history), with the writes that were pending on it when the run started —
 * not those the run added (a resume value, a task it finished). A task's id
 * derives from its checkpoint's id, so each pending write is moved to the
 * copy's task of the same name and position; the thread then waits on the
 * same interrupts as before the run.
 *
 * @example
 * const start = await runStart(agent, threadId)
 * // ... the run, cancelled
 * await rollBack(agent, threadId, start)
 */
export async function rollBack(agent: Agent, threadId: string, start: RunStart | undefined): Promise<void> {
  const saver = agent.compiledGraph.checkpointer
  if (!saver || typeof saver === 'boolean') return
  if (start === undefined) return deleteCheckpoints(agent, threadId)
  const latest = await saver.getTuple(agent.checkpointConfig(threadId))
  const from = await saver.getTuple(agent.checkpointConfig(threadId, start.checkpointId))
  if (!latest || !from) return
  if (latest.checkpoint.id === start.checkpointId && samePending(latest.pendingWrites ?? [], start.pendingWrites)) return
  const checkpoint = { ...copyCheckpoint(from.checkpoint), id: uuid6(-1), ts: new Date().toISOString() }
  const metadata = { ...(from.metadata ?? { step: -1, parents: {} }), source: 'fork' as const }
  const config = await saver.put(latest.config, checkpoint, metadata, checkpoint.channel_versions)
  const taskIds = await taskIdMap(agent, threadId, start.checkpointId, checkpoint.id)
  const byTask = new Map<string, PendingWrite[]>()
  for (const [taskId, channel, value] of start.pendingWrites) {
    // A write of no task (the null task) keeps its id; one of a task the copy does not have is dropped.
    const id = taskIds.has(taskId) ? (taskIds.get(taskId) as string) : /^0{8}-0{4}-0{4}-0{4}-0{11}\d$/.test(taskId) ? taskId : undefined
    if (id !== undefined) byTask.set(id, [...(byTask.get(id) ?? []), [channel, value]])
  }
  for (const [taskId, writes] of byTask) await saver.putWrites(config, writes, taskId)
}

/** The copy's task id of each task of the start checkpoint: the task of the same name at the same position. */
async function taskIdMap(agent: Agent, threadId: string, fromId: string, copyId: string): Promise<Map<string, string>> {
  const graph = agent.compiledGraph
  const [before, after] = await Promise.all([graph.getState(agent.checkpointConfig(threadId, fromId)), graph.getState(agent.checkpointConfig(threadId, copyId))])
  const map = new Map<string, string>()
  before.tasks.forEach((task, index) => {
    const twin = after.tasks[index]
    if (twin && twin.name === task.name) map.set(task.id, twin.id)
  })
  return map
}

function samePending(now: CheckpointPendingWrite[], then: CheckpointPendingWrite[]): boolean {
  return now.length === then.length && now.every((write, index) => JSON.stringify(write) === JSON.stringify(then[index]))
}
