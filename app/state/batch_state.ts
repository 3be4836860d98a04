import { z } from 'zod'
import { defineState, reducers, type StateOf } from '../../framework/agents'

/** Most items one run accepts; the loop's limit matches it. */
export const MAX_BATCH = 200

export const BatchState = defineState({
  items: z.array(z.string()).max(MAX_BATCH, `at most ${MAX_BATCH} items per run`),
  cursor: z.number().int().default(0),
  processed: reducers.append(z.string()),
  total: z.number().int().optional(),
})
export type Batch = StateOf<typeof BatchState>
