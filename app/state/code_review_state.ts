import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../framework/agents'

const code = z.string().trim().min(1, 'code must not be empty').max(20_000, 'code is limited to 20000 characters')

/** The team's state: the snippet, and each member's findings under its name. */
export const CodeReviewState = defineState({
  code,
  language: z.string().max(40).optional(),
  findings: reducers.merge(z.array(z.string())),
  summary: z.string().optional(),
})
export type CodeReview = StateOf<typeof CodeReviewState>

/** A member's own state: the snippet in, its findings out. */
export const SnippetState = defineState({
  code,
  language: z.string().max(40).optional(),
  findings: z.array(z.string()).default([]),
})
export type Snippet = StateOf<typeof SnippetState>
