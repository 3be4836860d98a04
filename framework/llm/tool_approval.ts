import { ToolMessage } from '@langchain/core/messages'
import { z } from 'zod'
import type { ToolApprovalRequest, ToolStepCall } from '../agents/tool_steps'
import type { Tool } from '../tools/tool'

/**
 * The resume value that answers a tool call waiting for approval:
 * `'approve'`, `'reject'`, or `{ approve: true, args? }` (args replace the
 * model's arguments and are checked against the tool's schema) /
 * `{ approve: false, reason? }` (the model is told the call was refused,
 * with the reason).
 *
 * @example
 * await agent.resume(threadId, { approve: true, args: { amount: 50 } })
 */
export const toolApprovalSchema = z.union([
  z.enum(['approve', 'reject']),
  z
    .object({
      approve: z.boolean(),
      args: z.record(z.string(), z.unknown()).optional(),
      reason: z.string().max(2000).optional(),
    })
    .strict()
    .refine((decision) => decision.approve || decision.args === undefined, { message: 'args edit an approved call: send approve: true with them', path: ['args'] }),
])

export type ToolApprovalDecision = z.infer<typeof toolApprovalSchema>

/** A decision in one shape: approved or not, with edited arguments or a reason. */
export function normalizeDecision(decision: ToolApprovalDecision): { approve: boolean; args?: Record<string, unknown>; reason?: string } {
  if (decision === 'approve') return { approve: true }
  if (decision === 'reject') return { approve: false }
  return decision
}

/** The interrupt payload: what the person deciding sees. */
export function approvalRequest(call: ToolStepCall, tool: Tool<any, any> | undefined): ToolApprovalRequest {
  const request: ToolApprovalRequest = { type: 'tool_approval', tool: call.name, callId: call.id ?? '', args: call.args ?? {} }
  if (tool?.description) request.description = tool.description
  return request
}

/** The result of a call run with the reviewer's arguments, saying so: the model asked for others. */
export function editedResult(result: ToolMessage, args: Record<string, unknown>): ToolMessage {
  const note = `Run with arguments edited by the reviewer: ${JSON.stringify(args)}`
  return new ToolMessage({ tool_call_id: result.tool_call_id, name: result.name, status: result.status, content: `${note}\n${result.text}` })
}

/** What the model reads for a refused call, so it can answer without the result (or ask again). */
export function refusedMessage(call: ToolStepCall, reason: string | undefined): ToolMessage {
  const why = reason?.trim() ? ` Reason: ${reason.trim()}` : ''
  return new ToolMessage({ tool_call_id: call.id ?? '', name: call.name, status: 'error', content: `Not run: the call was refused by the person reviewing it.${why}` })
}

/** In a loop run inside one node nobody can be asked, so the call does not run. */
export function unapprovedMessage(call: ToolStepCall): ToolMessage {
  return new ToolMessage({
    tool_call_id: call.id ?? '',
    name: call.name,
    status: 'error',
    content: `Not run: "${call.name}" needs a person's approval, which only a tool loop added to a graph (graph.then(toolLoop(...))) can ask for.`,
  })
}
