import { z } from 'zod'
import { defineTool } from '../tools/define_tool'
import type { Tool } from '../tools/tool'
import type { TeamMemberSpec } from '../agents/team_steps'

/** Handoff tools are named `transfer_to_<member>`, as LangGraph's swarm names them. */
export const HANDOFF_PREFIX = 'transfer_to_'

const handoffInput = z.object({
  reason: z.string().max(2000).optional().describe('Why the conversation is handed over: what the next agent should know'),
})

/**
 * A tool that hands the conversation to another member of a swarm. Give it
 * to a member's tool loop; when the model calls it, the member's turn ends
 * (the loop does not call the model again) and the swarm runs `member` next,
 * with the whole conversation.
 *
 * @example
 * export class TriageAgent extends Agent<typeof ChatState> {
 *   state = ChatState
 *   tools = [handoffTool('billing', { description: 'Questions about invoices, charges and refunds' })]
 *   build(graph: GraphBuilder<typeof ChatState>) {
 *     return graph.then(toolLoop({ tools: this.tools, system: 'Answer, or hand billing questions over.' }))
 *   }
 * }
 */
export function handoffTool(member: string, options: { description?: string } = {}): Tool<typeof handoffInput, string> {
  const name = `${HANDOFF_PREFIX}${member}`
  return defineTool({
    name,
    description: `Hand the conversation over to ${member}${options.description ? `: ${options.description}` : ''}. Call it when ${member} should take over; do not answer yourself afterwards.`,
    schema: handoffInput,
    returnDirect: true,
    handler: () => `Transferred to ${member}.`,
  })
}

interface MessageLike {
  getType?: () => string
  _getType?: () => string
  name?: string
  status?: string
  tool_call_id?: string
}

function typeOf(message: MessageLike): string | undefined {
  return message.getType?.() ?? message._getType?.()
}

/**
 * The name a finished turn handed off to: the last successful handoff tool
 * result among the messages the turn added (the swarm checks it is a member).
 */
export function handoffTarget(added: { messages?: unknown[] }): string | undefined {
  const messages = (added.messages ?? []) as MessageLike[]
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]
    if (!message || typeOf(message) !== 'tool' || message.status === 'error') continue
    const name = message.name ?? ''
    if (name.startsWith(HANDOFF_PREFIX)) return name.slice(HANDOFF_PREFIX.length)
  }
  return undefined
}

/** The handoff targets among the tools a member agent declares (`tools = [handoffTool('billing')]`). */
export function declaredHandoffs(member: TeamMemberSpec): string[] {
  let tools: unknown
  try {
    tools = (new member.agent() as { tools?: unknown }).tools
  } catch {
    return []
  }
  if (!Array.isArray(tools)) return []
  return tools
    .map((tool) => (tool as { name?: unknown })?.name)
    .filter((name): name is string => typeof name === 'string' && name.startsWith(HANDOFF_PREFIX))
    .map((name) => name.slice(HANDOFF_PREFIX.length))
}
