import { jsonOption, type CommandSpec } from '../command'

export const generalCommands: CommandSpec[] = [
  {
    name: 'config:show',
    group: 'config',
    description: 'Print the effective configuration (secrets redacted)',
    options: [jsonOption],
    load: () => require('../commands/config_show'),
  },
  {
    name: 'key:generate',
    group: 'config',
    description: 'Write a strong random JWT_SECRET_KEY into .env',
    options: [
      { flags: '--force', description: 'replace an existing key' },
      { flags: '--show', description: 'print the key instead of writing .env' },
      jsonOption,
    ],
    // It is the fix for a missing key, so it must run when the configuration is invalid.
    validateConfig: false,
    load: () => require('../commands/key_generate'),
  },
  {
    name: 'build',
    group: 'general',
    description: 'Compile the application to build/ (runs with plain node)',
    load: () => require('../commands/build'),
  },
]
