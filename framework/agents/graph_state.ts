import { messagesStateReducer } from '@langchain/langgraph'
import { BinaryOperatorAggregate } from '@langchain/langgraph/channels'
import { z, type ZodType } from 'zod'
import { reducers } from './reducers'
import { StateDefinition, type AnyStateDefinition, type StateShape } from './state'

/** The parts of a compiled StateGraph that Langvel reads (LangGraph keeps them on `graph.builder`). */
export interface StateGraphBuilderLike {
  channels: Record<string, unknown>
  /** The zod object the StateGraph was declared with, when it was declared with one. */
  _schemaRuntimeDefinition?: unknown
  compile(options?: Record<string, unknown>): unknown
}

/** A key a StateDefinition can hold: LangGraph's own channels (`__start__`, `branch:...`) are not state. */
const STATE_KEY = /^(?!__)[^:|]+$/

/**
 * A Langvel state declaration mirroring the state of a graph built with
 * LangGraph directly, so runs of it are validated, listed and described like
 * any agent's: a key with LangChain's messages reducer accepts message-likes
 * (`{ type: 'human', content }`, `{ role: 'user', content }`, strings); a key
 * of a zod-declared state keeps its zod type (optional: a run's input may
 * leave any key out); any other key (Annotation state, custom reducers)
 * accepts any value, and the graph's own reducers take it from there.
 *
 * @example
 * const state = stateOfGraph(createReactAgent({ llm, tools }).builder) // { messages, structuredResponse }
 */
export function stateOfGraph(builder: StateGraphBuilderLike): AnyStateDefinition {
  const declared = zodShapeOf(builder._schemaRuntimeDefinition)
  const shape: StateShape = {}
  for (const [key, channel] of Object.entries(builder.channels ?? {})) {
    if (!STATE_KEY.test(key)) continue
    if (channel instanceof BinaryOperatorAggregate) {
      shape[key] = (channel as unknown as { operator?: unknown }).operator === messagesStateReducer ? reducers.messages() : z.unknown().optional()
    } else {
      shape[key] = declared?.[key]?.optional() ?? z.unknown().optional()
    }
  }
  return new StateDefinition(shape)
}

/** The fields of a zod (v4) object schema; undefined for anything else (Annotation state, other schema libraries). */
function zodShapeOf(schema: unknown): Record<string, ZodType> | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined
  return schema.shape as Record<string, ZodType>
}
