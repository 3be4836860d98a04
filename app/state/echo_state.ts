import { z } from 'zod'
import { defineState, type StateOf } from '../../framework/agents'

export const EchoState = defineState({
  query: z.string().min(1, 'query must not be empty'),
  processed: z.string().optional(),
  response: z.string().optional(),
})
export type Echo = StateOf<typeof EchoState>
