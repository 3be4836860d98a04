import { Agent, Overwrite, type GraphBuilder } from '../../framework/agents'
import { BatchState, MAX_BATCH, type Batch } from '../state/batch_state'

/** Processes `items` one per loop iteration; `processed` gets one entry per item. */
export class BatchAgent extends Agent<typeof BatchState> {
  state = BatchState
  description = 'Processes a list of items one by one'

  build(graph: GraphBuilder<typeof BatchState>) {
    return graph
      .then(this.start)
      .loop(this.processItem, { while: (state) => state.cursor < state.items.length, maxIterations: MAX_BATCH, name: 'each_item' })
      .then(this.finish)
  }

  /** A thread may run several batches: each starts from its own first item with an empty result. */
  start() {
    return { cursor: 0, processed: new Overwrite<string[]>([]) }
  }

  processItem(state: Batch) {
    const item = state.items[state.cursor]
    return { processed: [`${state.cursor + 1}: ${item.trim().toUpperCase()}`], cursor: state.cursor + 1 }
  }

  finish(state: Batch) {
    return { total: state.processed.length }
  }
}
