import type { Durability } from '../contracts/agent_run'
import type { AgentClass } from './agent_pool'

/** A route as the runner reads it: what `Route.agent(...)` declared (framework/routing builds these). */
export interface AgentRouteDefinition {
  readonly path: string
  readonly agent: AgentClass
  /** Route middleware, group middleware first; runs before the agent's own. */
  readonly middleware: readonly string[]
  readonly name?: string
  readonly description?: string
  readonly timeoutSeconds?: number
  readonly durability?: Durability
  /** Tracing backends (`langsmith`, `langfuse`) this route is traced to even when they are not on for every route. */
  readonly trace?: readonly string[]
}
