import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { GatewayId } from "../../domain/ids.js"
import { ReconcilePlanRead, ReconcileResultRead } from "../../domain/reconcileWire.js"
import { flag } from "../endpointFields.js"
import { uuidOf } from "../fields.js"
import { UserAuthentication } from "../middleware.js"

const gatewayPath = { gateway_id: uuidOf(GatewayId) }

/** The reconciler of a gateway: its plan (what differs from the database), and applying it. Org admins. */
export class ReconcileGroup extends HttpApiGroup.make("reconcile")
  .add(
    HttpApiEndpoint.get("plan", "/gateways/:gateway_id/reconcile", {
      params: gatewayPath,
      success: ReconcilePlanRead
    }),
    HttpApiEndpoint.post("apply", "/gateways/:gateway_id/reconcile", {
      params: gatewayPath,
      query: { delete_orphans: flag(false) },
      success: ReconcileResultRead
    })
  )
  .middleware(UserAuthentication)
{}
