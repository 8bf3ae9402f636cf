import type { Resource } from '@opentelemetry/resources';
import type { TelemetryOptions } from './options.js';
import { sdk } from './sdk.js';

// The semantic-conventions names, spelled here so that bulwark needs no
// dependency on that package for three stable strings.
const ATTR_SERVICE_NAME = 'service.name';
const ATTR_SERVICE_VERSION = 'service.version';
const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

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
  return sdk.resources.defaultResource().merge(sdk.resources.resourceFromAttributes(attributes));
}
