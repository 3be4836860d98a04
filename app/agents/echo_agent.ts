import { Agent, type GraphBuilder } from '../../framework/agents'
import { EchoState, type Echo } from '../state/echo_state'

/**
 * Two cheap, deterministic nodes: `{ query }` -> `{ response: "Processed: <query>" }`.
 * Benchmarks and health checks use it to measure the framework, not a model.
 */
export class EchoAgent extends Agent<typeof EchoState> {
  state = EchoState
  description = 'Echoes the query back through two nodes (benchmarks, health checks)'

  build(graph: GraphBuilder<typeof EchoState>) {
    return graph.then(this.process).then(this.respond)
  }

  process(state: Echo) {
    return { processed: state.query }
  }

  respond(state: Echo) {
    return { response: `Processed: ${state.processed}` }
  }
}
