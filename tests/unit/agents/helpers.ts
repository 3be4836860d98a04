import { Agent, type AnyStateDefinition, type GraphBuilder } from '../../../framework/agents'
import type { StreamEvent } from '../../../framework/contracts/agent_run'
import type { Exception } from '../../../framework/errors'

/** An agent instance around a state and a build function, for tests that need many small graphs. */
export function agentOf<D extends AnyStateDefinition>(state: D, build: (graph: GraphBuilder<D>) => GraphBuilder<D>): Agent<D> {
  class TestAgent extends Agent<D> {
    state = state
    build(graph: GraphBuilder<D>) {
      return build(graph)
    }
  }
  return new TestAgent()
}

export async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  for await (const event of iterable) out.push(event)
  return out
}

export async function rejection(promise: Promise<unknown>): Promise<Exception> {
  try {
    await promise
  } catch (error) {
    return error as Exception
  }
  throw new Error('expected a rejection')
}

/** Source -> targets of the compiled LangGraph graph (conditional edges included). */
export function edgesOf(agent: Agent<any>): Array<[string, string]> {
  return agent.compiledGraph.getGraph().edges.map((edge: { source: string; target: string }) => [edge.source, edge.target] as [string, string])
}
