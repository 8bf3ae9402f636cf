import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { TelemetryOptions } from './options.js';

/**
 * The resource bulwark hands to NodeSDK: upstream's default resource with the
 * service identity from code merged over it. NodeSDK then merges its detectors
 * (`env`, `process`, `host`, or `OTEL_NODE_RESOURCE_DETECTORS`) on top, so
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` override the code values,
 * which is why bulwark never passes NodeSDK's own `serviceName` (that one beats
 * the environment).
 */
export function serviceResource(options: TelemetryOptions): Resource {
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: options.serviceName };
  if (options.serviceVersion !== undefined)
    attributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  if (options.environment !== undefined) {
    attributes[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = options.environment;
  }
  return defaultResource().merge(resourceFromAttributes(attributes));
}
