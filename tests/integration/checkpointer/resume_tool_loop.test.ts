import { resolve } from 'node:path'
import type { BaseMessage } from '@langchain/core/messages'
import type { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { refundAgent, type ToolRuns } from './fixtures/tool_loop_agent'
import { describeAcrossProcesses, runChild } from './support/across_processes'

const FIXTURE = resolve(__dirname, 'fixtures', 'tool_loop_agent.ts')

interface ChildReport {
  pid: number
  runs: ToolRuns
  interrupts: unknown[]
}

/**
 * A child process runs a tool loop until a call waits for approval and exits;
 * this process, on a fresh saver, approves it: the call runs here, the model
 * answers, and neither the first model turn nor the call that finished in the
 * child runs again.
 */
async function expectFinishedHere(manager: CheckpointerManager, driver: string, threadId: string, child: ChildReport): Promise<void> {
  expect(child.pid).not.toBe(process.pid)
  expect(child.runs).toEqual({ model: 1, lookup_order: 1, refund: 0 })
  expect(child.interrupts).toEqual([expect.objectContaining({ type: 'tool_approval', tool: 'refund', callId: 'pay', args: { orderId: 8, amount: 15 } })])

  const runs: ToolRuns = { model: 0, lookup_order: 0, refund: 0 }
  const { agent, script } = refundAgent(runs)
  script.reply('Refunded 15.')
  await agent.compile({ checkpointer: manager.use(driver) })
  expect((await agent.getState(threadId)).next).toEqual(['tool_loop_tools'])

  const done = await agent.resume(threadId, 'approve')

  expect(runs).toEqual({ model: 1, lookup_order: 0, refund: 1 })
  expect(done.output.messages.map((m: BaseMessage) => m.getType())).toEqual(['human', 'ai', 'tool', 'tool', 'ai'])
  expect(done.output.messages.at(-1)?.text).toBe('Refunded 15.')
}

describeAcrossProcesses<ChildReport>({
  title: 'a tool loop stopped in another process',
  it: 'is finished here without repeating the steps the child finished',
  tag: 'toolloop',
  child: (run) => runChild(FIXTURE, run),
  finish: expectFinishedHere,
  redisThread: (threadId) => `RefundAgent:${threadId}`,
})
