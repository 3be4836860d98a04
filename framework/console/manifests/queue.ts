import { jsonOption as json, type CommandSpec } from '../command'

/** Background runs: the worker and its operations. Each command's code is loaded only when it runs. */
export const queueCommands: CommandSpec[] = [
  {
    name: 'queue:work',
    group: 'queue',
    description: 'Execute background runs from the queue (QUEUE_DRIVER=bullmq) until stopped; stops gracefully on SIGTERM/SIGINT',
    options: [
      { flags: '--queue <name>', description: 'the queue to work (default: QUEUE_NAME)' },
      { flags: '--concurrency <n>', description: 'runs executed at once (default: QUEUE_CONCURRENCY)' },
      { flags: '--max-jobs <n>', description: 'exit 0 after this many runs, for the supervisor to start a fresh process' },
      { flags: '--max-memory <mb>', description: 'exit 0 once resident memory passes this many MB' },
      { flags: '--timeout <s>', description: 'longest run in seconds (default: QUEUE_RUN_TIMEOUT, else the route\'s timeout)' },
    ],
    load: () => require('../commands/queue_work'),
  },
  {
    name: 'queue:status',
    group: 'queue',
    description: 'Runs per status (runs table), jobs per state (queue) and the workers alive',
    options: [{ flags: '--queue <name>', description: 'the queue (default: QUEUE_NAME)' }, json],
    load: () => require('../commands/queue_status'),
  },
  {
    name: 'queue:retry',
    group: 'queue',
    description: 'Run again a background run that ended in error or timeout',
    arguments: [{ name: 'run_id', description: 'the run' }],
    options: [json],
    load: () => require('../commands/queue_retry'),
  },
  {
    name: 'queue:flush-failed',
    group: 'queue',
    description: 'Delete the failed jobs kept by the queue (their runs stay in the runs table)',
    options: [{ flags: '--queue <name>', description: 'the queue (default: QUEUE_NAME)' }, json],
    load: () => require('../commands/queue_flush_failed'),
  },
]
