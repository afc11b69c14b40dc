import type { GatewayTarget } from "@mission-control/core"
import { Observability } from "@mission-control/core"
import type { GatewayConnection } from "./GatewayConnection.js"

/**
 * The connection with every request traced and measured: a client span `gateway <method>` and the RPC metrics
 * (`rpc.client.duration`, `mission_control.gateway.rpc.errors`), labelled with the gateway's id. Parameters,
 * results and the token are never recorded.
 */
export const instrumentConnection = (
  connection: GatewayConnection,
  target: Pick<GatewayTarget, "gatewayId" | "url">
): GatewayConnection => {
  const traced = Observability.traceGatewayCalls({ gatewayId: target.gatewayId, url: target.url })
  return {
    ...connection,
    request: (method, params, options) => traced(method, connection.request(method, params, options))
  }
}
