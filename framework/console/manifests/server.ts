import type { CommandSpec } from '../command'

export const serverCommands: CommandSpec[] = [
  {
    name: 'serve',
    group: 'server',
    description: 'Start the HTTP server (agent API, health, metrics)',
    options: [
      { flags: '--host <host>', description: 'interface to bind (default: SERVER_HOST)' },
      { flags: '--port <port>', description: 'port to listen on; 0 picks a free one (default: SERVER_PORT)' },
      { flags: '--watch', description: 'restart when app/, config/ or routes/ change (development)' },
      { flags: '--workers <n>', description: 'worker processes with node:cluster (default: SERVER_WORKERS)' },
    ],
    load: () => require('../commands/serve'),
  },
]
