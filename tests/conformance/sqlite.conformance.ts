// Run by tests/conformance/run.mjs under vitest (LangGraph's suite is vitest-based); jest does not collect this file.
import { specTest } from '@langchain/langgraph-checkpoint-validation'
import initializer from './initializers/sqlite'

describe('sqlite checkpointer conformance (@langchain/langgraph-checkpoint-validation)', () => {
  specTest(initializer)
})
