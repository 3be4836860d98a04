import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation'
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'

/**
 * The memory driver through the manager; a new manager per instance is fresh storage.
 * The name is the official one so the suite applies its documented exemption
 * (MemorySaver stores whole checkpoints, not per-channel deltas).
 */
const initializer: CheckpointSaverTestInitializer<BaseCheckpointSaver> = {
  checkpointerName: 'MemorySaver',
  createCheckpointer() {
    return new CheckpointerManager({
      config: { default: 'memory', sqlitePath: 'unused.sqlite', redisTtlSeconds: 60 },
      basePath: process.cwd(),
    }).use()
  },
}

export default initializer
