// Before the demo is seeded on the gateway at GATEWAY_URL: one handshake, so that a gateway that is down or refuses
// the token fails the start within seconds, not after the provisioning's retries give up.
import type { GatewayError } from "@mission-control/core"
import { displayGatewayUrl } from "@mission-control/core"
import type { DeviceIdentity } from "@mission-control/gateway-rpc"
import { makeConnection } from "@mission-control/gateway-rpc"
import { Effect } from "effect"
import type { GatewaySetting } from "./settings.js"
import { StartupError } from "./startupError.js"

// Short on purpose: a gateway that is up answers the handshake in milliseconds.
const handshakeTimeout = "5 seconds"
const reconnectWait = "2 seconds"

const gatewayFailure = (gateway: GatewaySetting, error: GatewayError): StartupError => {
  const at = displayGatewayUrl(gateway.url)
  switch (error.reason) {
    case "Unauthorized":
      return /pair/i.test(error.detail)
        ? new StartupError({
          detail: `the gateway at ${at} has not paired this device: ${error.detail}`,
          setting: "GATEWAY_URL",
          remedy: "Approve the device on the gateway (openclaw devices approve), then start again (docs/gateway.md)"
        })
        : new StartupError({
          detail: `the gateway at ${at} refused the token: ${error.detail}`,
          setting: "GATEWAY_TOKEN",
          remedy: gateway.token === null
            ? "Set GATEWAY_TOKEN to the gateway's token (gateway.auth.token in its configuration)"
            : "Set GATEWAY_TOKEN to the gateway's own token (gateway.auth.token in its configuration)"
        })
    case "Transport":
    case "Restarting":
      return new StartupError({
        detail: `no gateway answers at ${at}: ${error.detail}`,
        setting: "GATEWAY_URL",
        remedy: "Start the gateway, or fix GATEWAY_URL (unset it to use a gateway simulator)"
      })
    case "Timeout":
      return new StartupError({
        detail: `the gateway at ${at} did not complete the handshake: ${error.detail}`,
        setting: "GATEWAY_URL",
        remedy: "Check that GATEWAY_URL points at an OpenClaw gateway (unset it to use a gateway simulator)"
      })
    default:
      return new StartupError({
        detail: `the gateway at ${at} refused the connection: ${error.detail}`,
        setting: "GATEWAY_URL",
        remedy: "Check the gateway's version and log (docs/gateway.md)"
      })
  }
}

/** Connects to `gateway` once and closes again: fails when it is unreachable or refuses the token or device. */
export const checkGateway = (gateway: GatewaySetting, device: DeviceIdentity): Effect.Effect<void, StartupError> =>
  makeConnection({ url: gateway.url, token: gateway.token, device, handshakeTimeout, reconnectWait }).pipe(
    Effect.flatMap((connection) => connection.hello),
    Effect.scoped,
    Effect.asVoid,
    Effect.tapError((error) => Effect.logDebug("gateway check failed", error)),
    Effect.mapError((error) => gatewayFailure(gateway, error))
  )
