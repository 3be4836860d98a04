import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'

/**
 * The sqlite driver through the manager: each instance gets its own database
 * file in a scratch folder, removed at the end. The name is the official one
 * so the suite applies its documented exemption (SqliteSaver stores whole
 * checkpoints, not per-channel deltas).
 */
let root = ''
let instances = 0
const managers = new Map<BaseCheckpointSaver, CheckpointerManager>()

const initializer: CheckpointSaverTestInitializer<BaseCheckpointSaver> = {
  checkpointerName: '@langchain/langgraph-checkpoint-sqlite',
  beforeAll() {
    root = mkdtempSync(join(tmpdir(), 'langvel-conformance-sqlite-'))
  },
  afterAll() {
    rmSync(root, { recursive: true, force: true })
  },
  createCheckpointer() {
    const manager = new CheckpointerManager({
      config: { default: 'sqlite', sqlitePath: `storage/checkpoints-${instances++}.sqlite`, redisTtlSeconds: 60 },
      basePath: root,
    })
    const saver = manager.use()
    managers.set(saver, manager)
    return saver
  },
  async destroyCheckpointer(saver) {
    await managers.get(saver)?.close()
    managers.delete(saver)
  },
}

export default initializer
