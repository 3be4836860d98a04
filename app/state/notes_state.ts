import { defineState, reducers, type StateOf } from '../../framework/agents'

export const NotesState = defineState({
  /** The conversation: the user's messages, the model's answers, its tool calls and their results. */
  messages: reducers.messages(),
})
export type Notes = StateOf<typeof NotesState>
