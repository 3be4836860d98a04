import { agentsProvider } from '../agents/agents_provider'
import type { Provider } from '../contracts/provider'
import { checkpointerProvider } from '../checkpointer/checkpointer_provider'
import { databaseProvider } from '../database/database_provider'
import { llmProvider } from '../llm/llm_provider'
import { redisProvider } from '../redis/redis_provider'

/**
 * The framework's providers, in boot order. They only bind factories, so
 * booting costs nothing until a service is used.
 */
export function defaultProviders(): Provider[] {
  return [databaseProvider, redisProvider, checkpointerProvider, llmProvider, agentsProvider]
}
