import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../framework/agents'

export const SupportCategory = z.enum(['billing', 'technical', 'general'])

export const SupportState = defineState({
  query: z.string().min(1, 'query must not be empty').max(4000, 'query is limited to 4000 characters'),
  category: SupportCategory.optional(),
  /** The team's canned opening for the category, chosen by the branch. */
  draft: z.string().optional(),
  /** The conversation with the model, tool calls and results included. */
  messages: reducers.messages(),
  response: z.string().optional(),
})
export type Support = StateOf<typeof SupportState>
