import type { AgentClass } from '../agents/agent_pool'
import type { GraphAgentOptions, GraphSource } from '../agents/graph_agent'
import { E_RUNTIME } from '../errors'
import type { AgentRoute } from './agent_route'
import type { RouteGroupOptions, Router } from './router'

let current: Router | undefined

function router(): Router {
  if (!current) {
    throw new E_RUNTIME('Route.* was called outside a route loader', {
      help: 'Put Route calls inside the function routes/agents.ts exports by default; loadRoutes() calls it with the facade bound.',
    })
  }
  return current
}

/**
 * The facade `routes/agents.ts` registers through. It writes into the router
 * bound by `Route.capture()` (which `loadRoutes()` uses), so there is no
 * hidden process-wide router and a test can load routes into a fresh one.
 *
 * @example
 * // routes/agents.ts
 * export default function routes() {
 *   Route.agent('/support', SupportAgent).middleware('logging').name('support')
 *   Route.graph('/react', createReactAgent({ llm, tools })).name('react')
 *   Route.group({ prefix: '/admin', middleware: ['auth'] }, () => {
 *     Route.agent('/reports', ReportAgent).timeout(300)
 *   })
 * }
 */
export const Route = {
  agent(path: string, agent: AgentClass): AgentRoute {
    return router().agent(path, agent)
  },

  /**
   * Serves a graph built with LangGraph directly: a compiled StateGraph, a
   * `createReactAgent(...)`, or a function (sync or async) returning one.
   * Fluent like `Route.agent` (`.name()`, `.middleware()`, `.timeout()`...).
   *
   * @example
   * Route.graph('/react', () => createReactAgent({ llm, tools })).middleware('auth').name('react')
   */
  graph(path: string, graph: GraphSource, options?: GraphAgentOptions): AgentRoute {
    return router().graph(path, graph, options)
  },

  group(options: RouteGroupOptions, callback: () => void): void {
    router().group(options, () => callback())
  },

  /** Runs `fn` with the facade writing into `target`; nests and restores the previous binding. */
  capture<T>(target: Router, fn: () => T): T {
    const previous = current
    current = target
    try {
      return fn()
    } finally {
      current = previous
    }
  },
}
