import { HttpApiGroup } from "effect/http-api"
import { UserAuthentication } from "../middleware.js"

/** The reconciler of a gateway: its plan (what differs from the database), and applying it. */
export class ReconcileGroup extends HttpApiGroup.make("reconcile").middleware(UserAuthentication) {}
