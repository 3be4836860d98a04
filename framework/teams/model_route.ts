import { HumanMessage, coerceMessageLikeToMessage, type BaseMessage, type BaseMessageLike } from '@langchain/core/messages'
import { z } from 'zod'
import type { NodeContext } from '../agents/node_context'
import { TEAM_DONE, type TeamTurnInfo } from '../agents/team_steps'
import type { Llm } from '../llm/llm'
import { resolveLlm } from '../llm/llm_runtime'

type Raw = Record<string, any>

/** How much of the team's state the routing prompt shows. */
const MAX_STATE_CHARS = 6000

const DEFAULT_INSTRUCTIONS = 'You supervise a team of agents working on a task. Decide which member should act next, one at a time, and answer "done" once the task is complete.'

/** The agent's own model when the team runs with `this` = an agent that has one. */
function ownerLlm(owner: unknown): Llm | undefined {
  const llm = (owner as { llm?: unknown } | undefined)?.llm
  return llm && typeof (llm as Llm).structured === 'function' ? (llm as Llm) : undefined
}

function stateText(state: Raw): string {
  const shown: Raw = {}
  for (const [key, value] of Object.entries(state)) if (key !== 'messages' && value !== undefined) shown[key] = value
  let text: string
  try {
    text = JSON.stringify(shown, null, 1) ?? '{}'
  } catch {
    text = '{}'
  }
  return text.length > MAX_STATE_CHARS ? `${text.slice(0, MAX_STATE_CHARS)}...` : text
}

/**
 * The default supervisor: the model picks the next member (or done) with a
 * structured answer. It reads the members' descriptions, the team's state,
 * the conversation when the state has `messages`, and who already acted.
 * Members who have not acted yet are offered first.
 */
export async function modelRoute(owner: unknown, state: Raw, ctx: NodeContext, info: TeamTurnInfo, options: { instructions?: string; llm?: Llm }): Promise<string> {
  const llm = options.llm ?? ownerLlm(owner) ?? resolveLlm()
  const names = info.members.map((member) => member.name)
  const waiting = names.filter((name) => !info.consulted.includes(name))
  const choices = [...waiting, TEAM_DONE, ...names.filter((name) => info.consulted.includes(name))] as [string, ...string[]]
  const system = [
    options.instructions ?? DEFAULT_INSTRUCTIONS,
    '',
    'Team members:',
    ...info.members.map((member) => `- ${member.name}${member.description ? `: ${member.description}` : ''}`),
    '',
    `Turns taken so far: ${info.consulted.length > 0 ? info.consulted.join(', ') : 'none'}.`,
    '',
    'The work so far:',
    stateText(state),
  ].join('\n')
  const conversation: BaseMessage[] = Array.isArray(state.messages) ? (state.messages as BaseMessageLike[]).map((message) => coerceMessageLikeToMessage(message)) : []
  const schema = z.object({ next: z.enum(choices).describe(`Who acts next, or "${TEAM_DONE}" when the task is complete`) })
  const answer = await llm.structured([...conversation, new HumanMessage('Who should act next?')], schema, {
    system,
    name: 'route',
    description: 'Choose who acts next.',
    signal: ctx.signal,
  })
  return answer.next
}
