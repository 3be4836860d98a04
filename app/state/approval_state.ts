import { z } from 'zod'
import { defineState, type StateOf } from '../../framework/agents'

export const ApprovalDecision = z.object({ approved: z.boolean(), comment: z.string().optional() })

export const ApprovalState = defineState({
  request: z.string().min(1, 'request must not be empty'),
  summary: z.string().optional(),
  decision: ApprovalDecision.optional(),
  status: z.enum(['pending', 'approved', 'rejected']).optional(),
})
export type Approval = StateOf<typeof ApprovalState>
