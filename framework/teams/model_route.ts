import { HumanMessage, coerceMessageLikeToMessage, type BaseMessage, type BaseMessageLike } from '@langchain/core/messages'
import { z } from 'zod'
import type { NodeContext } from '../agents/node_context'
import { TEAM_DONE, type TeamTurnInfo } from '../agents/team_steps'
import type { Llm } from '../llm/llm'
import { ownerLlm, resolveLlm } from '../llm/llm_runtime'

type Raw = Record<string, any>

/** How much of each state value, and of the state in all, the routing prompt shows. */
const MAX_VALUE_CHARS = 1500
const MAX_STATE_CHARS = 8000
/** The conversation the routing model reads, when the team agent declares no working memory of its own. */
const ROUTING_TRIM = { maxTokens: 8000 }

const DEFAULT_INSTRUCTIONS = 'You supervise a team of agents working on a task. Decide which member should act next, one at a time, and answer "done" once the task is complete.'

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more characters)` : text
}

/** Each key on its own line, each value cut on its own, so one long value (the input) cannot hide the members' reports. */
function stateText(view: Raw): string {
  const lines: string[] = []
  for (const [key, value] of Object.entries(view)) {
    if (value === undefined) continue
    let text: string
    try {
      text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
    } catch {
      text = String(value)
    }
    lines.push(`${key}: ${cut(text, MAX_VALUE_CHARS)}`)
  }
  return cut(lines.join('\n'), MAX_STATE_CHARS)
}

function defaultView(state: Raw): Raw {
  const view: Raw = {}
  for (const [key, value] of Object.entries(state)) if (key !== 'messages') view[key] = value
  return view
}

/**
 * The default supervisor: the model picks the next member (or done) with a
 * structured answer. It reads the members' descriptions, the team's state,
 * the conversation when the state has `messages`, and who already acted.
 * Members who have not acted yet are offered first.
 */
export async function modelRoute(
  owner: unknown,
  state: Raw,
  ctx: NodeContext,
  info: TeamTurnInfo,
  options: { instructions?: string; llm?: Llm; briefing?: (state: Raw) => Raw },
): Promise<string> {
  const own = ownerLlm(owner)
  const llm = options.llm ?? own ?? resolveLlm()
  const names = info.members.map((member) => member.name)
  const waiting = names.filter((name) => !info.consulted.includes(name))
  const choices = [...waiting, TEAM_DONE, ...names.filter((name) => info.consulted.includes(name))] as [string, ...string[]]
  const left = info.maxTurns - info.turn
  const system = [
    options.instructions ?? DEFAULT_INSTRUCTIONS,
    '',
    'Team members:',
    ...info.members.map((member) => `- ${member.name}${member.description ? `: ${member.description}` : ''}`),
    '',
    `Turns taken so far: ${info.consulted.length > 0 ? info.consulted.join(', ') : 'none'}.`,
    left > 0 ? `Turns left: ${left}.` : `No turns left: answer "${TEAM_DONE}".`,
    '',
    'The work so far:',
    stateText(options.briefing ? options.briefing.call(owner, state) : defaultView(state)),
  ].join('\n')
  const conversation: BaseMessage[] = Array.isArray(state.messages) ? (state.messages as BaseMessageLike[]).map((message) => coerceMessageLikeToMessage(message)) : []
  const schema = z.object({ next: z.enum(choices).describe(`Who acts next, or "${TEAM_DONE}" when the task is complete`) })
  const answer = await llm.structured([...conversation, new HumanMessage('Who should act next?')], schema, {
    system,
    name: 'route',
    description: 'Choose who acts next.',
    signal: ctx.signal,
    // A conversation is trimmed to the agent's own workingMemory when it has one, else to a budget of ours; without one the prompt is bounded already.
    ...(conversation.length > 0 && (options.llm || !own || !(owner as { workingMemory?: unknown }).workingMemory) ? { trim: ROUTING_TRIM } : {}),
  })
  return answer.next
}
