// Traces and metrics of Mission Control: span attributes, the metrics, OTLP export, Prometheus text.
export { agentAttributes, AttributeKey, boardAttributes, gatewayAttributes, gatewayRpcSystem } from "./attributes.js"
export { layerFleetRefresh, refreshFleetGauge } from "./fleet.js"
export type { FleetOptions } from "./fleet.js"
export { traceGatewayCalls } from "./gatewayCall.js"
export type { GatewayCallTarget } from "./gatewayCall.js"
export { MetricName } from "./metrics.js"
export type { ProvisioningOutcome, TemplateSyncOutcome } from "./metrics.js"
export { layerOtlp, layerOtlpFromEnv } from "./otlp.js"
export type { OtlpOptions } from "./otlp.js"
export {
  prometheusContentType,
  prometheusHandler,
  prometheusName,
  prometheusResponse,
  prometheusText
} from "./prometheus.js"
export type { PrometheusOptions } from "./prometheus.js"
export { makeSpanRecorder } from "./spanRecorder.js"
export type { SpanRecorder } from "./spanRecorder.js"
