import { isGraphBubbleUp, type LangGraphRunnableConfig } from '@langchain/langgraph'
import type { AgentRouteInfo, RunResult } from '../contracts/agent_run'
import { createLogger, type Logger } from '../logger'
import { MiddlewareRegistry } from '../pipeline/middleware_registry'
import { Pipeline } from '../pipeline/pipeline'
import { appLink } from '../support/app_link'
import type { RunnableAgent } from './agent_pool'
import type { SubgraphSource } from './graph_builder'
import { loggingMiddleware } from './middleware/logging_middleware'
import type { AgentMiddleware, AgentMiddlewareContext } from './middleware/types'
import { validateMiddleware } from './middleware/validate_middleware'
import type { NodeContext } from './node_context'

type Raw = Record<string, any>

/** What a team needs of a member agent instance (an Agent is one). */
export interface MemberAgent extends SubgraphSource {
  readonly name: string
  readonly middleware?: readonly string[]
  readonly description?: string
  readonly interrupts?: readonly string[]
  validateInput(input: unknown): Raw
}

/*
 * The application's middleware registry, for the middleware a member agent
 * declares (its run-stage entries run around each of its turns in a team).
 * The middleware provider sets it at boot; without an application the
 * built-in run middleware (logging, validate) is what there is.
 */
const link = appLink<MiddlewareRegistry<unknown, AgentMiddleware>>()

export function setRunMiddlewareResolver(resolve: (() => MiddlewareRegistry<unknown, AgentMiddleware>) | undefined): void {
  link.set(resolve)
}

export function clearRunMiddlewareResolver(resolve: () => MiddlewareRegistry<unknown, AgentMiddleware>): boolean {
  return link.clear(resolve)
}

function registry(): MiddlewareRegistry<unknown, AgentMiddleware> {
  return (
    link.get() ??
    new MiddlewareRegistry<unknown, AgentMiddleware>().register('logging', { stage: 'run', create: loggingMiddleware }).register('validate', { stage: 'run', create: validateMiddleware })
  )
}

interface MemberStack {
  run: (ctx: AgentMiddlewareContext) => Promise<RunResult>
  info: AgentRouteInfo
  logger: Logger
}

const stacks = new WeakMap<MemberAgent, MemberStack | null>()
let logger: Logger | undefined

/**
 * The member's declared middleware, resolved once per member instance (an
 * unknown name is E_UNKNOWN_MIDDLEWARE on its first turn, naming the member).
 * Request-stage names (auth) belong to HTTP and do not apply inside a run.
 */
function stackOf(agent: MemberAgent, team: string, member: string): MemberStack | null {
  let stack = stacks.get(agent)
  if (stack !== undefined) return stack
  const specs = [...(agent.middleware ?? [])]
  const pipes = specs.length === 0 ? [] : registry().resolve(specs, 'run', `agent ${agent.name} (member "${member}" of team "${team}")`)
  if (pipes.length === 0) stack = null
  else {
    logger ??= createLogger({ name: 'agents' })
    const info: AgentRouteInfo = {
      path: `${team}/${member}`,
      name: member,
      description: agent.description,
      agent: agent.name,
      middleware: specs,
      checkpointer: 'the team\'s',
      interrupts: [...(agent.interrupts ?? [])],
      tools: [],
    }
    stack = {
      info,
      logger: logger.child({ agent: agent.name, team, member }),
      run: Pipeline.compose(pipes, async (ctx) => (ctx as AgentMiddlewareContext & { destination: () => Promise<RunResult> }).destination()) as MemberStack['run'],
    }
  }
  stacks.set(agent, stack)
  return stack
}

/**
 * Runs one turn of a member: its compiled subgraph with the team node's
 * config, wrapped in the member's own run middleware. An interrupt (or any
 * LangGraph bubble-up) inside the member is reported to the middleware as a
 * run that stopped with interrupts, then raised again so it reaches the team.
 */
export async function runMemberTurn(agent: MemberAgent, graph: { invoke(input: unknown, config: LangGraphRunnableConfig): Promise<unknown> }, input: Raw, config: LangGraphRunnableConfig, ctx: NodeContext, team: string, member: string): Promise<Raw> {
  const stack = stackOf(agent, team, member)
  if (!stack) return (await graph.invoke(input, config)) as Raw
  let bubbled: unknown
  const context = {
    agent: agent.name,
    path: stack.info.path,
    route: stack.info,
    mode: 'invoke',
    streaming: false,
    input,
    options: { threadId: ctx.threadId, context: ctx.context, signal: ctx.signal },
    logger: stack.logger.child({ threadId: ctx.threadId }),
    instance: agent as unknown as RunnableAgent,
    destination: async (): Promise<RunResult> => {
      try {
        return { output: (await graph.invoke(context.input, config)) as Raw, threadId: ctx.threadId, interrupts: [] }
      } catch (error) {
        if (!isGraphBubbleUp(error)) throw error
        bubbled = error
        const interrupts = ((error as { interrupts?: Array<{ id?: string; value?: unknown }> }).interrupts ?? []).map((item) => ({ id: String(item.id ?? ''), value: item.value }))
        return { output: {}, threadId: ctx.threadId, interrupts }
      }
    },
  }
  const result = await stack.run(context as unknown as AgentMiddlewareContext)
  if (bubbled !== undefined) throw bubbled
  return (result.output ?? {}) as Raw
}
