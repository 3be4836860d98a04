import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { toPlainValues } from '../../agents/plain_values'
import type { RunResult } from '../../contracts/agent_run'
import type { ErrorBody } from '../../http/exception_handler'
import type { AgentTool } from './agent_tools'
import { RESUME_TOOL } from './tool_names'

/** A structured result, and the same document as JSON text for clients that read only text content. */
function result(structured: Record<string, unknown>, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, ...(isError ? { isError: true } : {}) }
}

/**
 * A finished run as a tool result:
 *
 * - `{ status: 'completed', thread_id, output }`, output being the agent's
 *   final state as the HTTP API returns it;
 * - `{ status: 'interrupted', thread_id, interrupts: [{ id, value, node, resume }] }`
 *   when it stopped for a human: `value` is the interrupt's payload and
 *   `resume` the call that answers it (`{ tool: 'resume', arguments: { route, thread_id } }`,
 *   plus the `value`).
 *
 * @example
 * runResult(tool, await runner.invoke(tool.route.path, input))
 */
export function runResult(tool: AgentTool, run: RunResult): CallToolResult {
  const threadId = run.threadId
  if (run.interrupts.length === 0) return result({ status: 'completed', thread_id: threadId, output: toPlainValues(run.output) })
  return result({
    status: 'interrupted',
    thread_id: threadId,
    interrupts: run.interrupts.map((pending) => ({
      id: pending.id,
      value: toPlainValues(pending.value),
      ...(pending.node === undefined ? {} : { node: pending.node }),
      resume: { tool: RESUME_TOOL, arguments: { route: tool.name, thread_id: threadId } },
    })),
  })
}

/**
 * A refused or failed call as a tool result (`isError`), with the error as
 * the HTTP API renders it: `{ status: 'error', error: { code, message, trace_id, details? } }`.
 */
export function errorResult(error: ErrorBody['error']): CallToolResult {
  return result({ status: 'error', error }, true)
}
