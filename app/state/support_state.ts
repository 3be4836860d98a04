import { z } from 'zod'
import { defineState, type StateOf } from '../../framework/agents'

export const SupportCategory = z.enum(['billing', 'technical', 'general'])

export const SupportState = defineState({
  query: z.string().min(1, 'query must not be empty'),
  category: SupportCategory.optional(),
  draft: z.string().optional(),
  response: z.string().optional(),
})
export type Support = StateOf<typeof SupportState>
