import { HumanMessage } from '@langchain/core/messages'
import { Annotation, Command, END, MemorySaver, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext, type StateOf } from '../framework/agents'
import type { Llm } from '../framework/llm'
import { SupervisorAgent, TEAM_DONE, member } from '../framework/teams'

/*
 * The same three-member supervisor team twice: once as Langvel declares it
 * (a SupervisorAgent over three member agents, routed by the model), once
 * written directly against @langchain/langgraph. Both call the same Llm, in
 * the same order, with the same prompts: the supervisor asks the model for
 * the next member with a structured answer, each member asks it once.
 */

/** The team's brief, read by the routing model. */
export const TEAM_INSTRUCTIONS = 'You lead a small writing team. Have each member work on the task once, then answer done.'

/** The members: name, what the supervisor reads about them, what they ask the model. */
export const TEAM_MEMBERS = [
  { name: 'researcher', description: 'Collects the facts the task needs', ask: 'List the facts needed for this task' },
  { name: 'writer', description: 'Writes the text from the facts', ask: 'Write a short text for this task' },
  { name: 'critic', description: 'Points out what the text misses', ask: 'Say what a text for this task would miss' },
] as const

type MemberName = (typeof TEAM_MEMBERS)[number]['name']

function memberPrompt(name: MemberName, task: string): string {
  const spec = TEAM_MEMBERS.find((entry) => entry.name === name) as (typeof TEAM_MEMBERS)[number]
  return `${spec.ask}: ${task}`
}

/* ---- Langvel ---- */

/** The team's state: the task, and each member's answer under its name. */
export const TeamState = defineState({ task: z.string(), answers: reducers.merge(z.string()) })
export type Team = StateOf<typeof TeamState>
/** A member's own state: the task in, its answer out. */
const MemberState = defineState({ task: z.string(), answer: z.string().optional() })
type MemberView = StateOf<typeof MemberState>

/** A member: one node, one model call. */
abstract class BenchMemberAgent extends Agent<typeof MemberState> {
  state = MemberState
  protected abstract readonly member: MemberName

  build(graph: GraphBuilder<typeof MemberState>) {
    return graph.then(this.respond)
  }

  async respond(state: MemberView, ctx: NodeContext) {
    const { text } = await this.llm.invoke(memberPrompt(this.member, state.task), { signal: ctx.signal })
    return { answer: text }
  }
}

class ResearcherAgent extends BenchMemberAgent {
  protected readonly member = 'researcher'
  description = TEAM_MEMBERS[0].description
}
class WriterAgent extends BenchMemberAgent {
  protected readonly member = 'writer'
  description = TEAM_MEMBERS[1].description
}
class CriticAgent extends BenchMemberAgent {
  protected readonly member = 'critic'
  description = TEAM_MEMBERS[2].description
}

const teamMember = (agent: Parameters<typeof member>[0], name: MemberName) =>
  member<Team, MemberView>(agent, { name, input: (state) => ({ task: state.task }), output: (result) => ({ answers: { [name]: result.answer ?? '' } }) })

/** The Langvel team: the default model routing, members mapped in and out with member(). */
export class BenchTeamAgent extends SupervisorAgent<typeof TeamState> {
  state = TeamState
  instructions = TEAM_INSTRUCTIONS
  agents = [teamMember(ResearcherAgent, 'researcher'), teamMember(WriterAgent, 'writer'), teamMember(CriticAgent, 'critic')]
}

/* ---- Hand-written LangGraph ---- */

const HandTeamState = Annotation.Root({
  task: Annotation<string>(),
  answers: Annotation<Record<string, string>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  /** Members that took a turn, in order: the supervisor's prompt lists them. */
  consulted: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
})
type HandTeam = typeof HandTeamState.State

const HandMemberState = Annotation.Root({ task: Annotation<string>(), answer: Annotation<string | undefined>() })

function handMember(llm: Llm, name: MemberName) {
  return new StateGraph(HandMemberState)
    .addNode('respond', async (state, config) => {
      const { text } = await llm.invoke(memberPrompt(name, state.task), { signal: config.signal })
      return { answer: text }
    })
    .addEdge(START, 'respond')
    .addEdge('respond', END)
    .compile()
}

/** Turns a team may take (Langvel's default maxTurns), for the "turns left" line of the prompt. */
const TEAM_TURNS = 10

/** The supervisor's routing prompt, written out as a LangGraph user would (the same text Langvel's default routing sends). */
function routingPrompt(state: HandTeam): string {
  const left = TEAM_TURNS - state.consulted.length
  return [
    TEAM_INSTRUCTIONS,
    '',
    'Team members:',
    ...TEAM_MEMBERS.map((entry) => `- ${entry.name}: ${entry.description}`),
    '',
    `Turns taken so far: ${state.consulted.length > 0 ? state.consulted.join(', ') : 'none'}.`,
    left > 0 ? `Turns left: ${left}.` : `No turns left: answer "${TEAM_DONE}".`,
    '',
    'The work so far:',
    `task: ${state.task}`,
    `answers: ${JSON.stringify(state.answers)}`,
  ].join('\n')
}

async function routeWithModel(llm: Llm, state: HandTeam, signal: AbortSignal | undefined): Promise<string> {
  const names = TEAM_MEMBERS.map((entry) => entry.name as string)
  const choices = [...names.filter((name) => !state.consulted.includes(name)), TEAM_DONE, ...names.filter((name) => state.consulted.includes(name))] as [string, ...string[]]
  const schema = z.object({ next: z.enum(choices).describe(`Who acts next, or "${TEAM_DONE}" when the task is complete`) })
  const answer = await llm.structured([new HumanMessage('Who should act next?')], schema, {
    system: routingPrompt(state),
    name: 'route',
    description: 'Choose who acts next.',
    signal,
  })
  return answer.next
}

/**
 * The hand-written team: a supervisor node that asks the model and goes to
 * the member with a Command (or to END), members as compiled subgraphs run
 * inside their nodes with the node's config (so they share the parent's
 * checkpointer, as Langvel's members do), each back to the supervisor.
 */
export function handWrittenTeam(llm: Llm, checkpointer: MemorySaver) {
  const supervisor = async (state: HandTeam, config: LangGraphRunnableConfig) => {
    const next = await routeWithModel(llm, state, config.signal)
    return new Command({ goto: next === TEAM_DONE ? END : next })
  }
  const researcher = handMember(llm, 'researcher')
  const writer = handMember(llm, 'writer')
  const critic = handMember(llm, 'critic')
  const turn = (name: MemberName, child: typeof researcher) => async (state: HandTeam, config: LangGraphRunnableConfig) => {
    const result = await child.invoke({ task: state.task }, config)
    return { answers: { [name]: result.answer ?? '' }, consulted: [name] }
  }
  return new StateGraph(HandTeamState)
    .addNode('supervisor', supervisor, { ends: ['researcher', 'writer', 'critic', END] })
    .addNode('researcher', turn('researcher', researcher), { subgraphs: [researcher] })
    .addNode('writer', turn('writer', writer), { subgraphs: [writer] })
    .addNode('critic', turn('critic', critic), { subgraphs: [critic] })
    .addEdge(START, 'supervisor')
    .addEdge('researcher', 'supervisor')
    .addEdge('writer', 'supervisor')
    .addEdge('critic', 'supervisor')
    .compile({ checkpointer })
}
