import { isGraphBubbleUp, type LangGraphRunnableConfig } from '@langchain/langgraph'
import type { AgentRouteInfo, RunResult } from '../contracts/agent_run'
import { createLogger, type Logger } from '../logger'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import { parseMiddlewareSpec } from '../pipeline/middleware_spec'
import { Pipeline } from '../pipeline/pipeline'
import { appLink } from '../support/app_link'
import type { RunnableAgent } from './agent_pool'
import type { SubgraphSource } from './graph_builder'
import { builtInRunMiddleware } from './middleware/built_ins'
import type { AgentMiddleware, AgentMiddlewareContext } from './middleware/types'
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

interface MemberStack {
  run: (ctx: AgentMiddlewareContext) => Promise<RunResult>
  info: AgentRouteInfo
  logger: Logger
}

let logger: Logger | undefined
function log(): Logger {
  logger ??= createLogger({ name: 'agents' })
  return logger
}

/**
 * The member's declared middleware, resolved when the team is compiled: an
 * unknown name fails the compile (E_UNKNOWN_MIDDLEWARE, naming the member)
 * before any member runs. Request-stage names (auth, throttle) belong to
 * HTTP requests and cannot run inside a team: they are skipped with a
 * warning, as are names only the application knows when none is booted.
 */
export function memberStack(agent: MemberAgent, team: string, member: string): MemberStack | undefined {
  const specs = [...(agent.middleware ?? [])]
  if (specs.length === 0) return undefined
  const origin = `agent ${agent.name} (member "${member}" of team "${team}")`
  const linked = link.get()
  const registry = linked ?? builtInRunMiddleware()
  const nameOf = (spec: string) => parseMiddlewareSpec(spec).name
  const known = linked ? specs : specs.filter((spec) => registry.has(nameOf(spec)))
  if (known.length < specs.length) {
    log().warn(`${origin}: middleware ${specs.filter((spec) => !known.includes(spec)).join(', ')} skipped: no application is booted to resolve it`, { team, member })
  }
  const pipes = registry.resolve(known, 'run', origin)
  const runStage = known.filter((spec) => registry.stageOf(nameOf(spec)) === 'run')
  const requestStage = known.filter((spec) => registry.stageOf(nameOf(spec)) === 'request')
  if (requestStage.length > 0) {
    log().warn(`${origin}: request middleware ${requestStage.join(', ')} does not run inside a team (it applies to HTTP requests): give it to the team's route`, { team, member })
  }
  if (pipes.length === 0) return undefined
  const info: AgentRouteInfo = {
    path: `${team}/${member}`,
    name: member,
    description: agent.description,
    agent: agent.name,
    middleware: runStage,
    checkpointer: "the team's",
    interrupts: [...(agent.interrupts ?? [])],
    tools: [],
  }
  return {
    info,
    logger: log().child({ agent: agent.name, team, member }),
    run: Pipeline.compose(pipes, async (ctx) => (ctx as AgentMiddlewareContext & { destination: () => Promise<RunResult> }).destination()) as MemberStack['run'],
  }
}

/**
 * Runs one turn of a member: its compiled subgraph with the team node's
 * config, wrapped in the member's own run middleware. An interrupt (or any
 * LangGraph bubble-up) inside the member is reported to the middleware as a
 * run that stopped with interrupts, then raised again so it reaches the team.
 */
export async function runMemberTurn(
  stack: MemberStack | undefined,
  agent: MemberAgent,
  graph: { invoke(input: unknown, config: LangGraphRunnableConfig): Promise<unknown> },
  input: Raw,
  config: LangGraphRunnableConfig,
  ctx: NodeContext,
): Promise<Raw> {
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
      // Middleware may replace the input, and the signal (a tighter deadline) — nothing else of the run's config is theirs.
      const signal = context.options.signal ?? config.signal
      try {
        return { output: (await graph.invoke(context.input, signal === config.signal ? config : { ...config, signal })) as Raw, threadId: ctx.threadId, interrupts: [] }
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
