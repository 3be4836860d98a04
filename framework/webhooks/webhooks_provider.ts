import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { WebhookSender } from './webhook_sender'

declare module '../foundation/application' {
  interface ContainerBindings {
    webhooks: WebhookSender
  }
}

/**
 * Binds `webhooks`: the signed webhook sender of config/webhooks.ts, made on
 * first use (E_INVALID_CONFIG then if WEBHOOK_SECRET is not set). Shutdown
 * waits up to WEBHOOK_SHUTDOWN_TIMEOUT_MS for deliveries still queued or in
 * progress.
 *
 * @example
 * void app.make('webhooks').send(run.webhook, { run_id: run.id, status: run.status })
 */
export const webhooksProvider: Provider = {
  name: 'webhooks',
  register(app: Application) {
    app.singleton('webhooks', () => new WebhookSender({ ...app.config.get('webhooks'), logger: app.logger.child({ component: 'webhooks' }) }))
  },
  async shutdown(app: Application) {
    if (app.resolved('webhooks')) await app.make('webhooks').close()
  },
}
