// Run by tests/conformance/run.mjs under vitest (LangGraph's suite is vitest-based); jest does not collect this file.
import { deltaChannelHistoryTests, specTest } from '@langchain/langgraph-checkpoint-validation'
import { describeWithRedis } from '../helpers/services'
import initializer from './initializers/redis'

describeWithRedis('redis checkpointer conformance (@langchain/langgraph-checkpoint-validation)', () => {
  specTest(initializer)
  // Opt-in in the package; LangGraph runs it against each of its own savers, so do we.
  deltaChannelHistoryTests(initializer)
})
