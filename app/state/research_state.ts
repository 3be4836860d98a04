import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../framework/agents'

export const ResearchState = defineState({
  topic: z.string().min(1, 'topic must not be empty'),
  /** One entry per parallel branch: a merge reducer keeps every branch's finding. */
  findings: reducers.merge(z.string()),
  summary: z.string().optional(),
})
export type Research = StateOf<typeof ResearchState>
