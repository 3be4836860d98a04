import { resolve } from 'node:path'
import { Command } from '@langchain/langgraph'
import type { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { approvalGraph, type Calls } from './fixtures/approval_graph'
import { describeAcrossProcesses, runChild } from './support/across_processes'

const FIXTURE = resolve(__dirname, 'fixtures', 'approval_graph.ts')

interface ChildReport {
  pid: number
  calls: Calls
  interrupts: unknown[]
}

/**
 * The scenario every durable driver must pass: a child process stops at the
 * interrupt and exits; this process, on a fresh saver and connection, sees the
 * pending question and resumes the thread to the end without re-running the
 * nodes the child finished.
 */
async function expectResumedHere(manager: CheckpointerManager, driver: string, threadId: string, child: ChildReport): Promise<void> {
  expect(child.pid).not.toBe(process.pid)
  expect(child.calls).toEqual({ draft: 1, review: 1, publish: 0 })
  expect(child.interrupts).toEqual([{ question: 'Publish this draft?' }])

  const calls: Calls = { draft: 0, review: 0, publish: 0 }
  const graph = approvalGraph(manager.use(driver), calls)
  const config = { configurable: { thread_id: threadId } }
  const paused = await graph.getState(config)
  expect(paused.next).toEqual(['review'])
  expect(paused.tasks[0]?.interrupts.map((item) => item.value)).toEqual([{ question: 'Publish this draft?' }])

  const done = await graph.invoke(new Command({ resume: 'approved' }), config)
  expect(done.steps).toEqual(['start', 'draft', 'review:approved', 'publish'])
  // The interrupted node runs again to receive the answer; the finished one does not.
  expect(calls).toEqual({ draft: 0, review: 1, publish: 1 })
  expect((await graph.getState(config)).next).toEqual([])
}

describeAcrossProcesses<ChildReport>({
  title: 'resuming an interrupted thread in another process',
  it: 'finishes in this process the thread a child process left at interrupt()',
  tag: 'resume',
  // Runs the thread in a separate Node process until it stops at interrupt().
  child: (run) => runChild(FIXTURE, run),
  finish: expectResumedHere,
  redisThread: (threadId) => threadId,
})
