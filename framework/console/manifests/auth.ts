import { jsonOption as json, type CommandSpec } from '../command'

const permissions = { flags: '--permissions <list>', description: 'comma-separated permissions, e.g. agents.*,threads.read' }

/** Tokens and API keys. Each command's code is loaded only when it runs. */
export const authCommands: CommandSpec[] = [
  {
    name: 'auth:token',
    group: 'auth',
    description: 'Issue a JWT for a subject and print it',
    arguments: [{ name: 'subject', description: 'who the token stands for (its `sub`)' }],
    options: [permissions, { flags: '--ttl <duration>', description: 'lifetime such as 15m, 1h, 7d (default: JWT_EXPIRY)' }, json],
    load: () => require('../commands/auth_token'),
  },
  {
    name: 'auth:revoke',
    group: 'auth',
    description: 'Revoke a JWT (give the token or its jti) on every worker and instance',
    arguments: [{ name: 'token', description: 'the token, or its jti' }],
    options: [json],
    load: () => require('../commands/auth_revoke'),
  },
  {
    name: 'apikey:create',
    group: 'auth',
    description: 'Create an API key and print it (shown only this once)',
    arguments: [{ name: 'name', description: 'what the key is for, e.g. ci or billing-service' }],
    options: [permissions, { flags: '--expires <duration>', description: 'lifetime such as 30d (default: never expires)' }, json],
    load: () => require('../commands/apikey_create'),
  },
  {
    name: 'apikey:list',
    group: 'auth',
    description: 'List API keys with status and usage (never the keys)',
    options: [json],
    load: () => require('../commands/apikey_list'),
  },
  {
    name: 'apikey:revoke',
    group: 'auth',
    description: 'Revoke an API key by id',
    arguments: [{ name: 'id', description: 'the key id shown by apikey:list (ak_...)' }],
    options: [json],
    load: () => require('../commands/apikey_revoke'),
  },
]
