import type { CommandSpec } from './command'
import { agentCommands } from './manifests/agent'
import { authCommands } from './manifests/auth'
import { generalCommands } from './manifests/general'
import { makeCommands } from './manifests/make'
import { migrateCommands } from './manifests/migrate'
import { mcpCommands } from './manifests/mcp'
import { memoryCommands } from './manifests/memory'
import { queueCommands } from './manifests/queue'
import { ragCommands } from './manifests/rag'
import { serverCommands } from './manifests/server'

/** Every CLI command. Each group's specs live in manifests/<group>.ts. */
export const commands: CommandSpec[] = [...generalCommands, ...makeCommands, ...migrateCommands, ...agentCommands, ...serverCommands, ...authCommands, ...ragCommands, ...mcpCommands, ...memoryCommands, ...queueCommands]
