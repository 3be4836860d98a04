import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../framework/agents'

export const AssistantState = defineState({
  /** What the user says this turn. */
  message: z.string().min(1, 'message must not be empty').max(4000, 'message is limited to 4000 characters'),
  /** The conversation of the thread: each turn's message and the model's answer. */
  messages: reducers.messages(),
  /** Facts taken from this turn's message and remembered for the user (`The user's name is Ada`). */
  remembered: z.array(z.string()).optional(),
  /** Facts about the user recalled from their memory for this turn, whatever thread they were told in. */
  recalled: z.array(z.string()).optional(),
  /** Summaries of the user's earlier conversations recalled for this turn. */
  episodes: z.array(z.string()).optional(),
  reply: z.string().optional(),
})
export type Assistant = StateOf<typeof AssistantState>
