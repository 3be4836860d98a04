import { copyCheckpoint, uuid6, type PendingWrite } from '@langchain/langgraph-checkpoint'
import type { Agent } from '../agents/agent'
import { deleteCheckpoints } from './request'

/** The id of the thread's latest checkpoint (undefined before its first): where a run starts from. */
export async function latestCheckpointId(agent: Agent, threadId: string): Promise<string | undefined> {
  const saver = agent.compiledGraph.checkpointer
  if (!saver || typeof saver === 'boolean') return undefined
  return (await saver.getTuple(agent.checkpointConfig(threadId)))?.checkpoint.id
}

/**
 * Takes the thread back to where a run started (`checkpointId`, undefined
 * for a thread that had none): its state is the one before the run again,
 * interrupts it waited on included. A thread that had no checkpoint loses
 * all of them; otherwise the checkpoint the run started from becomes the
 * latest once more, as a copy, because LangGraph's savers cannot delete a
 * single checkpoint (the run's own checkpoints stay in the history).
 *
 * @example
 * const before = await latestCheckpointId(agent, threadId)
 * // ... the run, cancelled
 * await rollBack(agent, threadId, before)
 */
export async function rollBack(agent: Agent, threadId: string, checkpointId: string | undefined): Promise<void> {
  const saver = agent.compiledGraph.checkpointer
  if (!saver || typeof saver === 'boolean') return
  if (checkpointId === undefined) return deleteCheckpoints(agent, threadId)
  const latest = await saver.getTuple(agent.checkpointConfig(threadId))
  if (!latest || latest.checkpoint.id === checkpointId) return
  const start = await saver.getTuple(agent.checkpointConfig(threadId, checkpointId))
  if (!start) return
  const checkpoint = { ...copyCheckpoint(start.checkpoint), id: uuid6(-1), ts: new Date().toISOString() }
  const metadata = { ...(start.metadata ?? { step: -1, parents: {} }), source: 'fork' as const }
  const config = await saver.put(latest.config, checkpoint, metadata, checkpoint.channel_versions)
  const byTask = new Map<string, PendingWrite[]>()
  for (const [taskId, channel, value] of start.pendingWrites ?? []) byTask.set(taskId, [...(byTask.get(taskId) ?? []), [channel, value]])
  for (const [taskId, writes] of byTask) await saver.putWrites(config, writes, taskId)
}
